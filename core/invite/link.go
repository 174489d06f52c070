package invite

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Scheme is how every invite link starts. Links are written in upper case,
// which QR codes store in their compact alphanumeric mode; URI schemes are
// case-insensitive, and Parse accepts any case.
const Scheme = "ARCHY://"

// Layout of a version 1 payload (see docs/PROTOCOL.md).
const (
	offVersion  = 0
	offFlags    = 1
	offDIDKey   = 2
	offOnionKey = offDIDKey + ed25519.PublicKeySize   // 34
	offSecret   = offOnionKey + ed25519.PublicKeySize // 66
	offExpires  = offSecret + SecretSize              // 82
	offNetwork  = offExpires + 4                      // 86
	offNameLen  = offNetwork + 4                      // 90
	offName     = offNameLen + 1                      // 91
	fixedSize   = offName                             // 91 bytes before the name
	checksumLen = 4
	maxLinkSize = fixedSize + MaxNameBytes + checksumLen // 127 bytes

	flagObserver = 0x01
	flagsKnown   = flagObserver

	maxExpiry = 1<<32 - 1 // uint32 unix seconds: until 2106

	// maxPlausibleVersion: a first byte above it is not taken for a future
	// format version (which would make Parse say "update Archy") but for
	// text that is not an invite.
	maxPlausibleVersion = 15
)

// maxInputLen bounds the text Parse looks at (a pasted chat message, say).
const maxInputLen = 1 << 20

// linkEncoding is RFC 4648 base32 (A–Z, 2–7) without padding.
var linkEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func checksum(payload []byte) []byte {
	sum := sha256.Sum256(payload)
	return sum[:checksumLen]
}

// Payload is the binary form of the invite with its checksum: what Link
// encodes in base32 (see docs/PROTOCOL.md). It always writes format Version,
// whatever i.Version says.
func (i *Invite) Payload() []byte {
	name := CleanName(i.Name)
	buf := make([]byte, fixedSize, fixedSize+len(name)+checksumLen)
	buf[offVersion] = Version
	if i.Observer {
		buf[offFlags] |= flagObserver
	}
	copy(buf[offDIDKey:offOnionKey], i.DIDKey)
	copy(buf[offOnionKey:offSecret], i.OnionKey)
	copy(buf[offSecret:offExpires], i.Secret[:])
	binary.BigEndian.PutUint32(buf[offExpires:offNetwork], uint32(clampExpiry(i.Expires.Unix())))
	copy(buf[offNetwork:offNameLen], i.Network[:])
	buf[offNameLen] = byte(len(name))
	buf = append(buf, name...)
	return append(buf, checksum(buf)...)
}

func clampExpiry(t int64) int64 {
	if t < 0 {
		return 0
	}
	if t > maxExpiry {
		return maxExpiry
	}
	return t
}

// Link is the invite as an "ARCHY://…" link: Scheme followed by the
// upper-case base32 of Payload. It is 160 characters long with an empty
// name and 212 with a 32-byte one.
func (i *Invite) Link() string {
	return Scheme + linkEncoding.EncodeToString(i.Payload())
}

// encodedLen is the number of base32 characters of n bytes, without padding.
func encodedLen(n int) int { return (n*8 + 4) / 5 }

// Parse reads an invite link out of text: the link may be in any case, have
// spaces or line breaks around it or inside it (as chat programs wrap long
// lines), and be surrounded by other text ("Join me: archy://… see you!").
// It checks the checksum, the format, the network (the invite must be for
// network, the one this node is on), that the invite is not selfDID's own,
// and that it has not expired at now.
//
// Errors are ErrMalformed, ErrUnsupportedVersion, ErrBadChecksum,
// ErrOwnInvite, ErrWrongNetwork (a *WrongNetworkError) and ErrExpired (an
// *ExpiredError); with the last three the decoded invite is returned as
// well, so the caller can say whose invite it was. Parse does not know
// whether an invite was used already (ErrUsed): the inviter decides.
func Parse(link string, now time.Time, network NetworkID, selfDID identity.DID) (*Invite, error) {
	if len(link) > maxInputLen {
		return nil, ErrMalformed
	}
	var firstErr error
	for start := 0; ; {
		at := indexFold(link[start:], Scheme)
		if at < 0 {
			break
		}
		start += at + len(Scheme)
		inv, err := parseAt(link[start:])
		if err == nil {
			return check(inv, now, network, selfDID)
		}
		if firstErr == nil || (errors.Is(firstErr, ErrMalformed) && !errors.Is(err, ErrMalformed)) {
			firstErr = err // the most specific complaint about the most link-like candidate
		}
	}
	if firstErr == nil {
		return nil, ErrMalformed
	}
	return nil, firstErr
}

// check applies the checks that depend on the reader.
func check(inv *Invite, now time.Time, network NetworkID, selfDID identity.DID) (*Invite, error) {
	if selfDID != "" && inv.DID() == selfDID {
		return inv, ErrOwnInvite
	}
	if inv.Network != network {
		return inv, &WrongNetworkError{Invite: inv.Network, Local: network}
	}
	if !now.Before(inv.Expires) {
		return inv, &ExpiredError{Expired: inv.Expires}
	}
	return inv, nil
}

// indexFold is strings.Index for an ASCII needle, ignoring ASCII case.
func indexFold(s, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			if upper(s[i+j]) != needle[j] {
				break
			}
		}
		if j == n {
			return i
		}
	}
	return -1
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isBase32(c byte) bool { return ('A' <= c && c <= 'Z') || ('2' <= c && c <= '7') }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// symbols reads base32 characters (upper-cased) from s: a first run that
// starts right at s, then further runs separated from it only by white
// space, but only while fewer than want(collected) characters are at hand.
func symbols(s string, want func([]byte) int) []byte {
	var out []byte
	i := 0
	for {
		for i < len(s) && isBase32(upper(s[i])) {
			out = append(out, upper(s[i]))
			i++
		}
		if len(out) >= want(out) {
			return out
		}
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j == i || j == len(s) || !isBase32(upper(s[j])) {
			return out
		}
		i = j
	}
}

// wantSymbols is how many base32 characters a link whose first characters
// are sym needs: at least the fixed part, then the whole of it once the name
// length byte is known. For a name length that cannot be, it asks for no
// more than it has, so collecting stops.
func wantSymbols(sym []byte) int {
	head := encodedLen(fixedSize)
	if len(sym) < head {
		return head
	}
	nameLen := int(decodePrefix(sym[:head])[offNameLen])
	if nameLen > MaxNameBytes {
		return len(sym)
	}
	return encodedLen(fixedSize + nameLen + checksumLen)
}

// decodePrefix decodes whole 8-character groups, and the bytes a shorter
// tail holds completely.
func decodePrefix(sym []byte) []byte {
	n := len(sym) * 5 / 8
	out := make([]byte, 0, n+5)
	var buf [5]byte
	for len(sym) >= 8 {
		linkEncoding.Decode(buf[:], sym[:8])
		out = append(out, buf[:]...)
		sym = sym[8:]
	}
	if len(sym) > 0 {
		tail := make([]byte, 8)
		copy(tail, sym)
		for k := len(sym); k < 8; k++ {
			tail[k] = 'A'
		}
		linkEncoding.Decode(buf[:], tail)
		out = append(out, buf[:]...)
	}
	return out[:n]
}

// parseAt decodes the link body right after the scheme.
func parseAt(s string) (*Invite, error) {
	sym := symbols(s, wantSymbols)
	if len(sym) == 0 {
		return nil, ErrMalformed
	}
	if len(sym) < 2 {
		return nil, ErrBadChecksum
	}
	switch v := decodePrefix(sym[:2])[0]; {
	case v == Version:
	case v > Version && v <= maxPlausibleVersion:
		return nil, ErrUnsupportedVersion
	default: // 0, or so far ahead that it is rather not an invite at all
		return nil, ErrMalformed
	}
	need := wantSymbols(sym)
	if len(sym) < encodedLen(fixedSize) {
		return nil, ErrBadChecksum // cut short
	}
	if nameLen := decodePrefix(sym[:encodedLen(fixedSize)])[offNameLen]; nameLen > MaxNameBytes {
		return nil, ErrBadChecksum // no valid link says so: a typo, most likely
	}
	if len(sym) < need {
		return nil, ErrBadChecksum // cut short
	}
	sym = sym[:need] // ignore letters glued to the end ("…XYZthanks"): the checksum decides
	payload, err := linkEncoding.DecodeString(string(sym))
	if err != nil {
		return nil, ErrBadChecksum
	}
	// A last character whose unused low bits are not zero is a typo too
	// (without this, two different strings would be the same invite).
	if linkEncoding.EncodeToString(payload) != string(sym) {
		return nil, ErrBadChecksum
	}
	body, sum := payload[:len(payload)-checksumLen], payload[len(payload)-checksumLen:]
	if !bytes.Equal(checksum(body), sum) {
		return nil, ErrBadChecksum
	}
	return decodeBody(body)
}

// decodeBody reads a checksummed version 1 payload.
func decodeBody(b []byte) (*Invite, error) {
	if b[offFlags]&^flagsKnown != 0 {
		return nil, ErrUnsupportedVersion // a newer writer uses flags this one does not know
	}
	inv := &Invite{
		Version:  b[offVersion],
		Observer: b[offFlags]&flagObserver != 0,
		DIDKey:   append(ed25519.PublicKey(nil), b[offDIDKey:offOnionKey]...),
		OnionKey: append(ed25519.PublicKey(nil), b[offOnionKey:offSecret]...),
		Expires:  time.Unix(int64(binary.BigEndian.Uint32(b[offExpires:offNetwork])), 0),
	}
	copy(inv.Secret[:], b[offSecret:offExpires])
	copy(inv.Network[:], b[offNetwork:offNameLen])
	inv.Name = CleanName(string(b[offName:]))
	if inv.Secret == [SecretSize]byte{} || inv.Expires.Unix() == 0 {
		return nil, ErrMalformed
	}
	if !identity.ValidPublicKey(inv.DIDKey) || !identity.ValidPublicKey(inv.OnionKey) {
		return nil, ErrMalformed
	}
	return inv, nil
}
