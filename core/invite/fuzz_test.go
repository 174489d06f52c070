package invite

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, fails only with its documented errors, and
// whatever it accepts survives a round trip through Link. Seeds are in
// testdata/fuzz/FuzzParse (valid links, truncated, bit-flipped, empty, huge).
func FuzzParse(f *testing.F) {
	for _, inv := range []*Invite{
		fixedInvite("", false, LiveNetwork),
		fixedInvite("Alice", true, LiveNetwork),
		fixedInvite(strings.Repeat("🌲", 8), false, testNetwork),
	} {
		f.Add(inv.Link())
		f.Add("Join me: " + strings.ToLower(inv.Link()) + " see you")
	}
	known := []error{ErrMalformed, ErrUnsupportedVersion, ErrBadChecksum, ErrExpired, ErrWrongNetwork, ErrOwnInvite}
	self := didOfSeed(1) // fixedInvite's own DID: some seeds are "own" invites
	f.Fuzz(func(t *testing.T, text string) {
		inv, err := Parse(text, testNow, LiveNetwork, self)
		if err != nil {
			ok := false
			for _, k := range known {
				ok = ok || errors.Is(err, k)
			}
			if !ok {
				t.Fatalf("undocumented error %v", err)
			}
			semantic := errors.Is(err, ErrExpired) || errors.Is(err, ErrWrongNetwork) || errors.Is(err, ErrOwnInvite)
			if (inv != nil) != semantic {
				t.Fatalf("err %v with invite %v", err, inv)
			}
		}
		if inv == nil {
			return
		}
		if len(inv.Name) > MaxNameBytes || !utf8.ValidString(inv.Name) || inv.Name != CleanName(inv.Name) {
			t.Fatalf("bad name %q", inv.Name)
		}
		again, err2 := Parse(inv.Link(), testNow, LiveNetwork, self)
		if (err2 == nil) != (err == nil) || again == nil {
			t.Fatalf("round trip: %v then %v", err, err2)
		}
		if again.Link() != inv.Link() || again.DID() != inv.DID() || again.Secret != inv.Secret ||
			!again.Expires.Equal(inv.Expires) || again.Name != inv.Name || again.Network != inv.Network {
			t.Fatalf("round trip changed the invite")
		}
	})
}

// FuzzParsePayload fuzzes what is behind the checksum: any byte string,
// given a valid checksum and encoded as a link, must be read or refused
// without a panic (FuzzParse rarely gets past the checksum by mutation).
func FuzzParsePayload(f *testing.F) {
	for _, inv := range []*Invite{fixedInvite("", true, LiveNetwork), fixedInvite("Zoë", false, testNetwork)} {
		p := inv.Payload()
		f.Add(p[:len(p)-checksumLen])
	}
	f.Add([]byte{1})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		inv, err := Parse(linkOf(body), testNow, LiveNetwork, "")
		if inv != nil {
			if again, _ := Parse(inv.Link(), testNow, inv.Network, ""); again == nil || again.Link() != inv.Link() {
				t.Fatalf("round trip failed for %x (%v)", body, err)
			}
		}
	})
}
