package invite

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Fixed inputs, so links and pictures are the same on every run.
var (
	testNow     = time.Date(2030, 3, 14, 15, 9, 26, 0, time.UTC)
	testDIDKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)
	testOnion   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32)).Public().(ed25519.PublicKey)
	testNetwork = NetworkIDFromAuthorities([]string{
		"6A2B2F7C1D4E5F60718293A4B5C6D7E8F9012345", "0123456789ABCDEF0123456789ABCDEF01234567",
	})
)

// fixedInvite is an invite with fixed keys, secret and expiry.
func fixedInvite(name string, observer bool, network NetworkID) *Invite {
	inv := &Invite{
		Version:  Version,
		Observer: observer,
		DIDKey:   testDIDKey,
		OnionKey: testOnion,
		Name:     CleanName(name),
		Expires:  time.Unix(testNow.Add(DefaultTTL).Unix(), 0),
		Network:  network,
	}
	for i := range inv.Secret {
		inv.Secret[i] = byte(0xa0 + i)
	}
	return inv
}

func otherDID() identity.DID {
	return identity.DIDFromPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)).Public().(ed25519.PublicKey))
}

func mustParse(t *testing.T, link string, network NetworkID) *Invite {
	t.Helper()
	inv, err := Parse(link, testNow, network, otherDID())
	if err != nil {
		t.Fatalf("Parse(%q): %v", link, err)
	}
	return inv
}

func assertSameInvite(t *testing.T, got, want *Invite) {
	t.Helper()
	switch {
	case got.Version != Version:
		t.Errorf("Version = %d", got.Version)
	case got.Observer != want.Observer:
		t.Errorf("Observer = %v, want %v", got.Observer, want.Observer)
	case !bytes.Equal(got.DIDKey, want.DIDKey):
		t.Errorf("DIDKey = %x, want %x", got.DIDKey, want.DIDKey)
	case !bytes.Equal(got.OnionKey, want.OnionKey):
		t.Errorf("OnionKey = %x, want %x", got.OnionKey, want.OnionKey)
	case got.Name != want.Name:
		t.Errorf("Name = %q, want %q", got.Name, want.Name)
	case got.Secret != want.Secret:
		t.Errorf("Secret = %x, want %x", got.Secret, want.Secret)
	case !got.Expires.Equal(want.Expires):
		t.Errorf("Expires = %v, want %v", got.Expires, want.Expires)
	case got.Network != want.Network:
		t.Errorf("Network = %v, want %v", got.Network, want.Network)
	case got.DID() != want.DID() || got.Onion() != want.Onion():
		t.Errorf("DID/Onion differ")
	}
}

func TestRoundTripEveryField(t *testing.T) {
	for _, c := range []struct {
		name     string
		observer bool
		network  NetworkID
	}{
		{"", false, LiveNetwork},
		{"Alice", true, LiveNetwork},
		{"Ørjan Hæggström 🌲", false, testNetwork},
		{strings.Repeat("x", MaxNameBytes), true, testNetwork},
	} {
		want, err := New(testDIDKey, testOnion, c.name, c.network, 90*time.Minute, c.observer, testNow)
		if err != nil {
			t.Fatal(err)
		}
		got := mustParse(t, want.Link(), c.network)
		assertSameInvite(t, got, want)
		if got.Link() != want.Link() {
			t.Errorf("re-encoded link differs")
		}
		if got.DID() != identity.DIDFromPublicKey(testDIDKey) {
			t.Errorf("DID = %s", got.DID())
		}
		if got.Onion() != identity.OnionAddressFromPublicKey(testOnion) || len(got.Onion()) != 56 {
			t.Errorf("Onion = %s", got.Onion())
		}
	}
}

func TestRoundTripRandomInvites(t *testing.T) {
	for i := 0; i < 20; i++ {
		k, err := identity.GenerateKeys()
		if err != nil {
			t.Fatal(err)
		}
		want, err := New(k.NodePublic(), k.OnionPublic(), fmt.Sprintf("node %d", i), LiveNetwork, 0, i%2 == 0, testNow)
		if err != nil {
			t.Fatal(err)
		}
		assertSameInvite(t, mustParse(t, want.Link(), LiveNetwork), want)
	}
}

func TestLinkShapeAndLength(t *testing.T) {
	for n := 0; n <= MaxNameBytes; n++ {
		link := fixedInvite(strings.Repeat("a", n), false, LiveNetwork).Link()
		if !strings.HasPrefix(link, "ARCHY://") {
			t.Fatalf("link %q does not start with ARCHY://", link)
		}
		for _, c := range link[len(Scheme):] {
			if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
				t.Fatalf("link has %q, not upper-case base32", c)
			}
		}
		if want := len(Scheme) + encodedLen(fixedSize+n+checksumLen); len(link) != want {
			t.Fatalf("name %d bytes: link length %d, want %d", n, len(link), want)
		}
	}
	t.Logf("link length: %d characters with an empty name, %d with a 5-byte name, %d with a 32-byte name",
		len(fixedInvite("", false, LiveNetwork).Link()), len(fixedInvite("Alice", false, LiveNetwork).Link()),
		len(fixedInvite(strings.Repeat("x", 32), false, LiveNetwork).Link()))
}

func TestQRVersionAtLevelM(t *testing.T) {
	typical := fixedInvite("Alice", false, LiveNetwork).Link()
	longest := fixedInvite(strings.Repeat("€", 10)+"xy", true, testNetwork).Link() // 32 bytes
	if n := len(fixedInvite(strings.Repeat("€", 10)+"xy", true, testNetwork).Name); n != 32 {
		t.Fatalf("name is %d bytes", n)
	}
	vt, vm := QRVersion(typical), QRVersion(longest)
	t.Logf("QR version at level M: typical invite (5-byte name, %d chars) = %d; 32-byte name (%d chars) = %d; "+
		"the same links in lower case (byte mode) = %d and %d",
		len(typical), vt, len(longest), vm, QRVersion(strings.ToLower(typical)), QRVersion(strings.ToLower(longest)))
	if vt < 1 || vt > 10 || vm < 1 || vm > 10 {
		t.Fatalf("QR versions %d and %d, want 1..10", vt, vm)
	}
	if vt != 7 || vm != 8 {
		t.Errorf("QR versions changed: typical %d (was 7), longest %d (was 8)", vt, vm)
	}
	if QRVersion(strings.ToLower(longest)) <= vm {
		t.Errorf("upper case should need a smaller code than lower case")
	}
	if QRVersion(strings.Repeat("A", 5000)) != 0 {
		t.Errorf("QRVersion of an impossible text should be 0")
	}
}

func TestParseAcceptsCaseWhitespaceAndSurroundingText(t *testing.T) {
	want := fixedInvite("Bob", false, LiveNetwork)
	link := want.Link()
	body := link[len(Scheme):]
	mixed := []byte(link)
	for i := range mixed {
		if i%3 == 0 {
			mixed[i] = bytes.ToLower(mixed[i : i+1])[0]
		}
	}
	for name, text := range map[string]string{
		"lower case":       strings.ToLower(link),
		"mixed case":       string(mixed),
		"scheme in lower":  "archy://" + body,
		"whitespace":       " \t\n" + link + "\r\n\n",
		"chat message":     "Join me: " + link + " see you!",
		"lower in chat":    "hey, join me at " + strings.ToLower(link) + ". thanks",
		"in brackets":      "<" + link + ">",
		"in parentheses":   "(" + link + ")",
		"with a full stop": "My invite is " + link + ".",
		"wrapped by chat":  link[:70] + "\n" + link[70:140] + "\r\n" + link[140:],
		"wrapped w/ space": link[:100] + " " + link[100:],
		"after a bad one":  "archy://NOPE and then " + link,
		"quoted":           `"` + link + `"`,
	} {
		got, err := Parse(text, testNow, LiveNetwork, otherDID())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		assertSameInvite(t, got, want)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, text := range []string{
		"",
		"   ",
		"hello",
		"https://example.com/invite",
		"archy://",
		"archy:// ",
		"ARCHY://!!!!",
		"archy:/AEAAAAAA",
		"archy//AEAAAAAA",
		strings.Repeat("x", 10000),
		"ARCHY://" + strings.Repeat("A", 200), // version byte 0
		"ARCHY://9999",
		"ARCHY://" + strings.Repeat("7", 200), // version byte 255: not a plausible version
	} {
		_, err := Parse(text, testNow, LiveNetwork, otherDID())
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%.40q) = %v, want ErrMalformed", text, err)
		}
	}
	if _, err := Parse(strings.Repeat("a", maxInputLen+1), testNow, LiveNetwork, ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("huge input: %v", err)
	}
}

// linkOf encodes an arbitrary payload with a valid checksum.
func linkOf(body []byte) string {
	return Scheme + linkEncoding.EncodeToString(append(append([]byte{}, body...), checksum(body)...))
}

func TestParseRejectsValidlyChecksummedNonsense(t *testing.T) {
	good := fixedInvite("Carol", false, LiveNetwork).Payload()
	body := good[:len(good)-checksumLen]
	mod := func(f func(b []byte)) string {
		b := append([]byte{}, body...)
		f(b)
		return linkOf(b)
	}
	cases := []struct {
		name string
		link string
		want error
	}{
		{"version 2", mod(func(b []byte) { b[offVersion] = 2 }), ErrUnsupportedVersion},
		{"unknown flag", mod(func(b []byte) { b[offFlags] |= 0x80 }), ErrUnsupportedVersion},
		{"zero secret", mod(func(b []byte) { clear(b[offSecret:offExpires]) }), ErrMalformed},
		{"zero expiry", mod(func(b []byte) { clear(b[offExpires:offNetwork]) }), ErrMalformed},
		{"identity point as DID key", mod(func(b []byte) {
			clear(b[offDIDKey:offOnionKey])
			b[offDIDKey] = 1
		}), ErrMalformed},
		{"off-curve onion key", mod(func(b []byte) {
			for i := offOnionKey; i < offSecret; i++ {
				b[i] = 0xff // y ≥ p: not canonical
			}
		}), ErrMalformed},
		{"name longer than allowed", func() string {
			b := append(append([]byte{}, body[:offNameLen]...), 40)
			return linkOf(append(b, bytes.Repeat([]byte("n"), 40)...))
		}(), ErrBadChecksum},
	}
	for _, c := range cases {
		_, err := Parse(c.link, testNow, LiveNetwork, otherDID())
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseBadChecksumOnEverySingleCharacterChange(t *testing.T) {
	link := fixedInvite("Dave", true, testNetwork).Link()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for pos := len(Scheme) + 2; pos < len(link); pos++ { // the first two characters hold the version
		for _, delta := range []int{1, 7, 31} {
			b := []byte(link)
			b[pos] = alphabet[(strings.IndexByte(alphabet, b[pos])+delta)%32]
			_, err := Parse(string(b), testNow, testNetwork, otherDID())
			if !errors.Is(err, ErrBadChecksum) {
				t.Fatalf("char %d changed %q→%q: %v, want ErrBadChecksum", pos, link[pos], b[pos], err)
			}
		}
	}
	// A changed version character says so (or that it is no invite at all).
	b := []byte(link)
	b[len(Scheme)+1] = 'I' // version byte 2
	if _, err := Parse(string(b), testNow, testNetwork, otherDID()); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("version changed: %v", err)
	}
}

func TestParseTruncatedOrExtended(t *testing.T) {
	link := fixedInvite("Erin", false, LiveNetwork).Link()
	for n := len(Scheme) + 2; n < len(link); n++ {
		_, err := Parse(link[:n], testNow, LiveNetwork, otherDID())
		if !errors.Is(err, ErrBadChecksum) {
			t.Fatalf("cut to %d of %d characters: %v, want ErrBadChecksum", n, len(link), err)
		}
	}
	// Letters glued to the end are ignored: the length is in the link and the checksum covers it all.
	if _, err := Parse(link+"thanks", testNow, LiveNetwork, otherDID()); err != nil {
		t.Errorf("glued text: %v", err)
	}
}

func TestParseExpired(t *testing.T) {
	inv := fixedInvite("Frank", false, LiveNetwork)
	link := inv.Link()
	if _, err := Parse(link, inv.Expires.Add(-time.Second), LiveNetwork, otherDID()); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	for _, now := range []time.Time{inv.Expires, inv.Expires.Add(time.Hour), inv.Expires.AddDate(1, 0, 0)} {
		got, err := Parse(link, now, LiveNetwork, otherDID())
		if !errors.Is(err, ErrExpired) {
			t.Fatalf("at %v: %v, want ErrExpired", now, err)
		}
		var ee *ExpiredError
		if !errors.As(err, &ee) || !ee.Expired.Equal(inv.Expires) {
			t.Fatalf("ExpiredError = %+v", ee)
		}
		if !strings.Contains(err.Error(), "expired on") || !strings.Contains(err.Error(), inv.Expires.Local().Format("2006")) {
			t.Errorf("message does not say when: %q", err)
		}
		if got == nil || got.Name != "Frank" {
			t.Errorf("the expired invite is not returned alongside the error")
		}
	}
}

func TestParseWrongNetwork(t *testing.T) {
	test := fixedInvite("Grace", false, testNetwork).Link()
	live := fixedInvite("Grace", false, LiveNetwork).Link()
	_, err := Parse(test, testNow, LiveNetwork, otherDID())
	var we *WrongNetworkError
	if !errors.Is(err, ErrWrongNetwork) || !errors.As(err, &we) || we.Invite != testNetwork || we.Local != LiveNetwork {
		t.Fatalf("test invite on live node: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, testNetwork.String()) || !strings.Contains(msg, "normal Tor network") {
		t.Errorf("message does not name both networks: %q", msg)
	}
	if _, err := Parse(live, testNow, testNetwork, otherDID()); !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("live invite on test node: %v", err)
	}
	other := NetworkIDFromAuthorities([]string{"FFFF"})
	if _, err := Parse(test, testNow, other, otherDID()); !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("test invite on another test network: %v", err)
	}
}

func TestParseOwnInvite(t *testing.T) {
	inv := fixedInvite("Heidi", false, LiveNetwork)
	got, err := Parse(inv.Link(), testNow, LiveNetwork, inv.DID())
	if !errors.Is(err, ErrOwnInvite) {
		t.Fatalf("own invite: %v", err)
	}
	if got == nil || got.DID() != inv.DID() {
		t.Fatal("the invite is not returned alongside ErrOwnInvite")
	}
	if !strings.Contains(err.Error(), "your own invite") {
		t.Errorf("message: %q", err)
	}
	// Even expired, the more useful message is that it is one's own.
	if _, err := Parse(inv.Link(), inv.Expires.Add(time.Hour), LiveNetwork, inv.DID()); !errors.Is(err, ErrOwnInvite) {
		t.Errorf("own expired invite: %v", err)
	}
	if _, err := Parse(inv.Link(), testNow, LiveNetwork, ""); err != nil {
		t.Errorf("no selfDID: %v", err)
	}
}

// Messages are shown to people as they are: plain words, no jargon.
func TestErrorMessagesArePlain(t *testing.T) {
	errs := []error{ErrMalformed, ErrUnsupportedVersion, ErrBadChecksum, ErrExpired, ErrWrongNetwork,
		ErrOwnInvite, ErrUsed, ErrNoQRCode, ErrNotInviteQR, ErrNotImage, ErrImageTooLarge, ErrTTLTooShort, ErrTTLTooLong,
		&ExpiredError{Expired: testNow}, &WrongNetworkError{Invite: testNetwork, Local: LiveNetwork}}
	seen := map[string]bool{}
	for _, e := range errs {
		msg := e.Error()
		for _, jargon := range []string{"checksum", "base32", "payload", "byte", "nil", "decode", "parse", "%!"} {
			if strings.Contains(strings.ToLower(msg), jargon) {
				t.Errorf("%q contains %q", msg, jargon)
			}
		}
		if seen[msg] {
			t.Errorf("two errors share the message %q", msg)
		}
		seen[msg] = true
	}
	if ErrUsed.Error() != "this invite was already used" {
		t.Errorf("ErrUsed: %q", ErrUsed)
	}
	if !strings.HasPrefix(ErrOwnInvite.Error(), "this is your own invite — send it to the other person") {
		t.Errorf("ErrOwnInvite: %q", ErrOwnInvite)
	}
}

func TestNew(t *testing.T) {
	inv, err := New(testDIDKey, testOnion, "  Ivan\n", LiveNetwork, 0, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Expires.Equal(testNow.Add(24*time.Hour)) || inv.Name != "Ivan" || inv.Version != Version {
		t.Errorf("defaults: %+v", inv)
	}
	again, _ := New(testDIDKey, testOnion, "Ivan", LiveNetwork, 0, false, testNow)
	if inv.Secret == again.Secret || inv.Secret == [SecretSize]byte{} {
		t.Error("secrets are not random")
	}
	odd := testNow.Add(700 * time.Millisecond)
	if inv, _ := New(testDIDKey, testOnion, "", LiveNetwork, time.Hour, false, odd); inv.Expires.Nanosecond() != 0 {
		t.Error("expiry is not whole seconds")
	}
	for _, c := range []struct {
		ttl  time.Duration
		want error
	}{
		{time.Minute, nil},
		{MaxTTL, nil},
		{59 * time.Second, ErrTTLTooShort},
		{-time.Hour, ErrTTLTooShort},
		{MaxTTL + time.Second, ErrTTLTooLong},
		{365 * 24 * time.Hour, ErrTTLTooLong},
	} {
		_, err := New(testDIDKey, testOnion, "", LiveNetwork, c.ttl, false, testNow)
		if !errors.Is(err, c.want) {
			t.Errorf("ttl %v: %v, want %v", c.ttl, err, c.want)
		}
	}
	identityPoint := make([]byte, 32)
	identityPoint[0] = 1
	for _, keys := range [][2]ed25519.PublicKey{
		{testDIDKey[:31], testOnion}, {testDIDKey, nil}, {identityPoint, testOnion}, {testDIDKey, identityPoint},
	} {
		if _, err := New(keys[0], keys[1], "", LiveNetwork, 0, false, testNow); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("keys %x/%x: %v", keys[0], keys[1], err)
		}
	}
}

func TestCleanName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Alice", "Alice"},
		{"  Alice  ", "Alice"},
		{"Al\nice\t!", "Al ice !"},
		{"evil\u202Eexe.txt", "evilexe.txt"}, // right-to-left override
		{"zero\u200Fmark\u2066x\u2069", "zeromarkx"},
		{"bell\x07\x00", "bell"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{strings.Repeat("a", 40), strings.Repeat("a", 32)},
		{strings.Repeat("ä", 17), strings.Repeat("ä", 16)},             // 2-byte runes: 34 → 32 bytes
		{strings.Repeat("€", 11), strings.Repeat("€", 10)},             // 3-byte runes: 33 → 30 bytes
		{strings.Repeat("🌲", 9), strings.Repeat("🌲", 8)},               // 4-byte runes: 36 → 32 bytes
		{strings.Repeat("a", 31) + "€", strings.Repeat("a", 31)},       // cut inside the euro sign
		{strings.Repeat("a", 30) + " " + "€", strings.Repeat("a", 30)}, // and the space before it
		{"0123456789012345678901234567890🌲", "0123456789012345678901234567890"},
	}
	for _, c := range cases {
		got := CleanName(c.in)
		if got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
		if len(got) > MaxNameBytes || !utf8.ValidString(got) {
			t.Errorf("CleanName(%q) = %q: %d bytes, valid=%v", c.in, got, len(got), utf8.ValidString(got))
		}
		// and what an invite carries is exactly that
		if inv := mustParse(t, fixedInvite(c.in, false, LiveNetwork).Link(), LiveNetwork); inv.Name != c.want {
			t.Errorf("name through a link: %q, want %q", inv.Name, c.want)
		}
	}
}

// hkdfSHA256 is RFC 5869 written out, to check ClientAuthKey independently.
func hkdfSHA256(ikm, salt, info []byte, n int) []byte {
	if salt == nil {
		salt = make([]byte, sha256.Size)
	}
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(sha256.New, prk)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

func TestClientAuthKey(t *testing.T) {
	inv := fixedInvite("Judy", false, LiveNetwork)
	priv := inv.ClientAuthKey()
	want := hkdfSHA256(inv.Secret[:], nil, []byte("archy-desktop/v1/invite-client-auth"), 32)
	want[0] &= 248
	want[31] &= 127
	want[31] |= 64
	if !bytes.Equal(priv[:], want) {
		t.Fatalf("ClientAuthKey = %x, want %x", priv, want)
	}
	// The public half, cross-checked with crypto/ecdh.
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		t.Fatal(err)
	}
	pub := inv.ClientAuthPublic()
	if !bytes.Equal(pub[:], k.PublicKey().Bytes()) {
		t.Fatalf("ClientAuthPublic = %x, want %x", pub, k.PublicKey().Bytes())
	}
	// It follows the secret, and a parsed invite yields the same key.
	parsed := mustParse(t, inv.Link(), LiveNetwork)
	if parsed.ClientAuthKey() != priv {
		t.Fatal("parsed invite gives another key")
	}
	other := fixedInvite("Judy", false, LiveNetwork)
	other.Secret[0] ^= 1
	if other.ClientAuthKey() == priv || other.ClientAuthPublic() == pub {
		t.Fatal("the key does not depend on the secret")
	}
}

func TestNetworkID(t *testing.T) {
	if LiveNetwork.String() != "live" || !LiveNetwork.IsLive() {
		t.Fatalf("live: %q", LiveNetwork)
	}
	if NetworkIDFromAuthorities(nil) != LiveNetwork || NetworkIDFromAuthorities([]string{" ", ""}) != LiveNetwork {
		t.Fatal("no authorities should mean the live network")
	}
	a := []string{"6A2B2F7C1D4E5F60718293A4B5C6D7E8F9012345", "0123456789ABCDEF0123456789ABCDEF01234567"}
	sum := sha256.Sum256([]byte(a[1] + "\n" + a[0]))
	want := hex.EncodeToString(sum[:4])
	if got := NetworkIDFromAuthorities(a).String(); got != want {
		t.Fatalf("NetworkIDFromAuthorities = %s, want %s", got, want)
	}
	if NetworkIDFromAuthorities([]string{strings.ToLower(a[1]), " " + a[0]}).String() != want {
		t.Fatal("order, case or spaces change the network id")
	}
	if NetworkIDFromAuthorities(a[:1]) == NetworkIDFromAuthorities(a) {
		t.Fatal("different authorities, same id")
	}
	if s := testNetwork.String(); len(s) != 8 || strings.Trim(s, "0123456789abcdef") != "" {
		t.Fatalf("String = %q", s)
	}
	var n NetworkID
	binary.BigEndian.PutUint32(n[:], 0x0a0b0c0d)
	if n.String() != "0a0b0c0d" {
		t.Fatal(n.String())
	}
}

// The test vector of docs/PROTOCOL.md.
func TestFormatVector(t *testing.T) {
	inv := fixedInvite("Alice", true, testNetwork)
	k, pub := inv.ClientAuthKey(), inv.ClientAuthPublic()
	got := map[string]string{
		"did":      string(inv.DID()),
		"onion":    inv.Onion(),
		"expires":  fmt.Sprint(inv.Expires.Unix()),
		"network":  inv.Network.String(),
		"payload":  hex.EncodeToString(inv.Payload()),
		"link":     inv.Link(),
		"auth key": hex.EncodeToString(k[:]),
		"auth pub": hex.EncodeToString(pub[:]),
		"safety":   SafetyPhrase(inv.DID(), didOfSeed(3)),
	}
	want := map[string]string{
		"did":      "did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX",
		"onion":    "qe4xodvipulv6vvdkrtmgtd6ztfy3curwtxdpis56yhvxd6jwokbr4qd",
		"expires":  "1899817766",
		"network":  "7a8fc55e",
		"payload":  "01018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394a0a1a2a3a4a5a6a7a8a9aaabacadaeaf713ceb267a8fc55e05416c69636562a1cca4",
		"link":     "ARCHY://AEAYVCHD3V2AT4MV7VJNWLJ4XJOXFSTHBG7R3FASDPZXJCABWQHW6XEBHF3Q5KD5C5PVNI2UM3BUY7WMZOGYVENU5Y32EXPWB5NY7SNTSSQKDIVDUSS2NJ5IVGVKXLFNV2XXCPHLEZ5I7RK6AVAWY2LDMVRKDTFE",
		"auth key": "f0cc2c88ad2145d8984a83d4b3b81b16df8e2facfc0cccfd354e1066859ca56b",
		"auth pub": "104339b983f15666d010dc01d118501a5318509570547f6ecd04f31c3de64a0b",
		"safety":   "bucket · pizza · finger · river",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	// The payload layout, field by field.
	p := inv.Payload()
	sum := sha256.Sum256(p[:len(p)-4])
	if p[0] != 1 || p[1] != 1 || !bytes.Equal(p[2:34], inv.DIDKey) || !bytes.Equal(p[34:66], inv.OnionKey) ||
		!bytes.Equal(p[66:82], inv.Secret[:]) || binary.BigEndian.Uint32(p[82:86]) != uint32(inv.Expires.Unix()) ||
		!bytes.Equal(p[86:90], inv.Network[:]) || p[90] != 5 || string(p[91:96]) != "Alice" || !bytes.Equal(p[96:], sum[:4]) {
		t.Errorf("payload layout differs from docs/PROTOCOL.md: %x", p)
	}
}
