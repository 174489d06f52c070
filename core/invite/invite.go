// Package invite makes and reads Archy invites: compact, versioned
// "ARCHY://…" links (and their QR codes) that carry the inviter's did:key,
// the key of its onion service, a single-use secret and an expiry. See
// docs/PROTOCOL.md for the exact encoding.
package invite

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/curve25519"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Version is the invite format this package writes.
const Version uint8 = 1

// Limits of New.
const (
	DefaultTTL = 24 * time.Hour
	MinTTL     = time.Minute
	MaxTTL     = 30 * 24 * time.Hour
	// MaxNameBytes is the longest display name an invite carries (UTF-8 bytes).
	MaxNameBytes = 32
	// SecretSize is the size of the single-use invite secret (128 bits).
	SecretSize = 16
)

// clientAuthInfo is the HKDF info string of the client-authorization key.
const clientAuthInfo = "archy-desktop/v1/invite-client-auth"

// NetworkID names the Tor network an invite belongs to: zero for the live
// Tor network, otherwise the first 4 bytes of a hash of a private test
// network's directory authorities (see NetworkIDFromAuthorities).
type NetworkID [4]byte

// LiveNetwork is the live (public) Tor network.
var LiveNetwork NetworkID

// IsLive reports whether n is the live Tor network.
func (n NetworkID) IsLive() bool { return n == LiveNetwork }

// String is "live" or 8 lower-case hex digits.
func (n NetworkID) String() string {
	if n.IsLive() {
		return "live"
	}
	return hex.EncodeToString(n[:])
}

// describe is n for a person: "the live Tor network" or "test network 1a2b3c4d".
func (n NetworkID) describe() string {
	if n.IsLive() {
		return "the normal Tor network"
	}
	return "the test network " + n.String()
}

// NetworkIDFromAuthorities identifies a private Tor network by its directory
// authorities' v3ident fingerprints (40 hex digits each, as in the
// DirAuthority lines): the first 4 bytes of SHA-256 over the fingerprints,
// upper-cased, trimmed, sorted and joined with "\n". No authorities means the
// live network. A (2^-32 unlikely) all-zero hash is changed to 00000001 so a
// test network can never pass for the live one.
func NetworkIDFromAuthorities(v3idents []string) NetworkID {
	ids := make([]string, 0, len(v3idents))
	for _, id := range v3idents {
		if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return LiveNetwork
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	var n NetworkID
	copy(n[:], sum[:4])
	if n.IsLive() {
		n[3] = 1
	}
	return n
}

// Invite is one invitation to pair with the inviter.
type Invite struct {
	Version  uint8             // format version it was read from (New sets Version)
	Observer bool              // the joiner will be an observer
	DIDKey   ed25519.PublicKey // the inviter's node key (its did:key)
	OnionKey ed25519.PublicKey // the inviter's onion service key; the address is derived from it
	Name     string            // the inviter's display name, UTF-8, at most MaxNameBytes
	Secret   [SecretSize]byte  // single-use secret
	Expires  time.Time         // whole unix seconds
	Network  NetworkID         // zero: the live Tor network
}

// DID is the inviter's did:key.
func (i *Invite) DID() identity.DID { return identity.DIDFromPublicKey(i.DIDKey) }

// Onion is the inviter's onion address, without ".onion".
func (i *Invite) Onion() string { return identity.OnionAddressFromPublicKey(i.OnionKey) }

// ClientAuthKey is the x25519 private key with which the joiner authorizes
// itself to the inviter's onion service (Tor v3 client authorization):
// HKDF-SHA256(secret = Secret, salt = none, info = "archy-desktop/v1/invite-client-auth"),
// 32 bytes, clamped. The inviter derives the same key from its copy of the
// secret and authorizes ClientAuthPublic, so the invite carries no extra key.
func (i *Invite) ClientAuthKey() [32]byte {
	return clientAuthKey(i.Secret)
}

func clientAuthKey(secret [SecretSize]byte) [32]byte {
	k, err := hkdf.Key(sha256.New, secret[:], nil, clientAuthInfo, 32)
	if err != nil { // only for lengths HKDF cannot produce
		panic("invite: hkdf: " + err.Error())
	}
	var out [32]byte
	copy(out[:], k)
	out[0] &= 248
	out[31] &= 127
	out[31] |= 64
	return out
}

// ClientAuthPublic is the x25519 public key of ClientAuthKey, which the
// inviter's onion service lists as an authorized client.
func (i *Invite) ClientAuthPublic() [32]byte {
	priv := i.ClientAuthKey()
	pub, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil { // only for a low-order point, impossible with the base point
		panic("invite: x25519: " + err.Error())
	}
	var out [32]byte
	copy(out[:], pub)
	return out
}

// New makes an invite with a fresh random secret, valid for ttl from now
// (DefaultTTL when ttl is 0). name is cleaned (invalid UTF-8 replaced,
// control and bidirectional-override characters removed, spaces trimmed) and
// cut to MaxNameBytes on a character boundary.
func New(didKey, onionKey ed25519.PublicKey, name string, network NetworkID, ttl time.Duration, observer bool, now time.Time) (*Invite, error) {
	if len(didKey) != ed25519.PublicKeySize || !identity.ValidPublicKey(didKey) {
		return nil, fmt.Errorf("%w: node key", ErrInvalidKey)
	}
	if len(onionKey) != ed25519.PublicKeySize || !identity.ValidPublicKey(onionKey) {
		return nil, fmt.Errorf("%w: onion key", ErrInvalidKey)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < MinTTL {
		return nil, fmt.Errorf("%w (asked for %s)", ErrTTLTooShort, ttl)
	}
	if ttl > MaxTTL {
		return nil, fmt.Errorf("%w (asked for %s)", ErrTTLTooLong, ttl)
	}
	expires := now.Add(ttl).Unix()
	if expires <= 0 || expires > maxExpiry {
		return nil, fmt.Errorf("%w: expiry %d does not fit the format", ErrTTLTooLong, expires)
	}
	inv := &Invite{
		Version:  Version,
		Observer: observer,
		DIDKey:   append(ed25519.PublicKey(nil), didKey...),
		OnionKey: append(ed25519.PublicKey(nil), onionKey...),
		Name:     CleanName(name),
		Expires:  time.Unix(expires, 0),
		Network:  network,
	}
	if _, err := rand.Read(inv.Secret[:]); err != nil {
		return nil, err
	}
	return inv, nil
}

// CleanName is what an invite keeps of a display name: invalid UTF-8 is
// replaced by U+FFFD, line breaks and tabs become spaces, other control
// characters and the invisible bidirectional controls (which can make a
// name display as something else) are dropped, surrounding spaces are
// trimmed, and the result is cut to at most MaxNameBytes bytes without
// splitting a character.
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(r), isBidiControl(r):
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimSpace(b.String())
	if len(name) <= MaxNameBytes {
		return name
	}
	cut := MaxNameBytes
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strings.TrimSpace(name[:cut])
}

func isBidiControl(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
