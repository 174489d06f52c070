package invite

import (
	"errors"
	"fmt"
	"time"
)

// Errors of Parse, DecodeImage and New. Compare with errors.Is: some are
// returned inside a richer error (ExpiredError, WrongNetworkError) whose
// message adds the details. Every message is meant to be shown to a person
// as it is.
var (
	// ErrMalformed: the text holds no invite link, or one that cannot be decoded.
	ErrMalformed = errors.New("this is not an Archy invite link")
	// ErrUnsupportedVersion: the invite was made by a newer Archy.
	ErrUnsupportedVersion = errors.New("this invite was made by a newer version of Archy — update Archy and try again")
	// ErrBadChecksum: the link was mistyped, or cut short when it was copied.
	ErrBadChecksum = errors.New("this invite link is incomplete or has a typo — copy the whole link again, or scan its QR code")
	// ErrExpired: the invite's time is up (see ExpiredError for when).
	ErrExpired = errors.New("this invite has expired — ask for a new one")
	// ErrWrongNetwork: the invite belongs to another Tor network (see WrongNetworkError).
	ErrWrongNetwork = errors.New("this invite is for a different Tor network than the one this computer uses")
	// ErrOwnInvite: the invite was made by this very node.
	ErrOwnInvite = errors.New("this is your own invite — send it to the other person")
	// ErrUsed: the inviter's store has seen this invite's secret before. The
	// store decides that; the error lives here so every layer reports it alike.
	ErrUsed = errors.New("this invite was already used")

	// ErrNoQRCode: DecodeImage found no readable QR code.
	ErrNoQRCode = errors.New("no QR code found in this image")
	// ErrNotInviteQR: DecodeImage read a QR code, but it is not an Archy invite.
	ErrNotInviteQR = errors.New("the QR code is not an Archy invite")
	// ErrNotImage: DecodeImage could not read the file as a picture.
	ErrNotImage = errors.New("this file is not a picture Archy can read (use PNG, JPEG or GIF)")
	// ErrImageTooLarge: the picture has more pixels than DecodeImage accepts.
	ErrImageTooLarge = errors.New("this picture is too large — crop it to the QR code and try again")

	// ErrTTLTooShort and ErrTTLTooLong: New was asked for a validity outside [MinTTL, MaxTTL].
	ErrTTLTooShort = errors.New("an invite must stay valid for at least one minute")
	ErrTTLTooLong  = errors.New("an invite can stay valid for at most 30 days")
	// ErrInvalidKey: New was given a key that is not a valid Ed25519 public key.
	ErrInvalidKey = errors.New("not a valid Ed25519 public key")
)

// ExpiredError is returned by Parse for an expired invite; errors.Is(err, ErrExpired) holds.
type ExpiredError struct {
	Expired time.Time // when it stopped being valid
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("this invite expired on %s — ask for a new one",
		e.Expired.Local().Format("Mon 2 Jan 2006 at 15:04 MST"))
}

// Is makes errors.Is(err, ErrExpired) true.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// WrongNetworkError is returned by Parse for an invite of another Tor
// network; errors.Is(err, ErrWrongNetwork) holds.
type WrongNetworkError struct {
	Invite NetworkID // the invite's network
	Local  NetworkID // the network this node is on
}

func (e *WrongNetworkError) Error() string {
	return fmt.Sprintf("this invite is for %s, but this computer is on %s — both of you need to use the same network",
		e.Invite.describe(), e.Local.describe())
}

// Is makes errors.Is(err, ErrWrongNetwork) true.
func (e *WrongNetworkError) Is(target error) bool { return target == ErrWrongNetwork }
