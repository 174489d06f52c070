package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"filippo.io/edwards25519"
	"strings"
	"testing"
)

// RFC 8032 test 1 and its onion address, as published by Tor's unit tests
// (test_hs_common.c, test_build_address). The expanded key was checked
// against Debian's tor: "ADD_ONION ED25519-V3:<rfc8032Expanded> Port=80,…"
// on a control port answered "250-ServiceID=<rfc8032Onion>".
const (
	rfc8032Seed     = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8032Public   = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	rfc8032Onion    = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid"
	rfc8032Expanded = "MHyDhk8oM8tCei7xwAoBPP3/J2jZgMCjpSDwBpBN6U+bTwr+KAt0aneGhOdUQlAgV7dHOgPwj5b1o46Sh+Afjw=="
)

// A pair produced by Debian's tor 0.4.x on this project's dev machine:
// tor --HiddenServiceDir D --HiddenServicePort 80 --SocksPort 0 --DisableNetwork 1
// D/hostname, D/hs_ed25519_public_key and D/hs_ed25519_secret_key (both files
// carry a 32-byte "== ed25519v1-…: type0 ==" header, stripped here).
const (
	torHostname = "cezykgci3v2xarw5rkprugzkpaeki7uyeuot2jvkoshah6cabvcdlfid"
	torPublic   = "1133851848dd757046dd8a9f1a1b2a7808a47e98251d3d26aa748e03f8400d44"
	torSecret   = "PT0gZWQyNTUxOXYxLXNlY3JldDogdHlwZTAgPT0AAABoJn6V9j0cQBQAAWlX2norc11epgMcXh5pxtxHSF0Jb6aMhkKSqk+NIA+IlbPOG8gowWbiHz4Z31vNdTRMv8Er"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scalarBaseMult computes [a]B for a clamped little-endian scalar with
// filippo.io/edwards25519, independently of crypto/ed25519.
func scalarBaseMult(t *testing.T, scalarLE []byte) []byte {
	t.Helper()
	sc, err := edwards25519.NewScalar().SetBytesWithClamping(scalarLE)
	if err != nil {
		t.Fatal(err)
	}
	return new(edwards25519.Point).ScalarBaseMult(sc).Bytes()
}

func TestOnionAddressKnownVectors(t *testing.T) {
	if got := OnionAddressFromPublicKey(mustHex(t, rfc8032Public)); got != rfc8032Onion {
		t.Errorf("RFC 8032 key: %s, want %s", got, rfc8032Onion)
	}
	if got := OnionAddressFromPublicKey(mustHex(t, torPublic)); got != torHostname {
		t.Errorf("tor-made key: %s, want %s", got, torHostname)
	}
	keys := &Keys{Node: ed25519.NewKeyFromSeed(make([]byte, 32)), Onion: ed25519.NewKeyFromSeed(mustHex(t, rfc8032Seed))}
	if got := keys.OnionAddress(); got != rfc8032Onion {
		t.Errorf("Keys.OnionAddress = %s", got)
	}
	if len(keys.OnionAddress()) != OnionAddressLength || strings.ToLower(keys.OnionAddress()) != keys.OnionAddress() {
		t.Errorf("address shape: %q", keys.OnionAddress())
	}
}

func TestOnionExpandedKey(t *testing.T) {
	keys := &Keys{Node: ed25519.NewKeyFromSeed(make([]byte, 32)), Onion: ed25519.NewKeyFromSeed(mustHex(t, rfc8032Seed))}
	exp := keys.OnionExpandedKey()
	if got := base64.StdEncoding.EncodeToString(exp); got != rfc8032Expanded {
		t.Fatalf("expanded key = %s, want %s", got, rfc8032Expanded)
	}
	// The clamped first half is the secret scalar of the public key.
	if pub := scalarBaseMult(t, exp[:32]); !bytes.Equal(pub, mustHex(t, rfc8032Public)) {
		t.Fatalf("[a]B = %x, want the RFC 8032 public key", pub)
	}
	for i := 0; i < 5; i++ {
		k, err := GenerateKeys()
		if err != nil {
			t.Fatal(err)
		}
		e := k.OnionExpandedKey()
		if len(e) != 64 || e[0]&7 != 0 || e[31]&0x80 != 0 || e[31]&0x40 == 0 {
			t.Fatalf("not clamped: %x", e)
		}
		if !bytes.Equal(scalarBaseMult(t, e[:32]), k.OnionPublic()) {
			t.Fatal("expanded key's scalar does not give the onion public key")
		}
	}
}

// Tor's own secret key file holds the expanded key: its scalar must give
// Tor's public key under the test-only group code, which cross-checks that
// code against Tor.
func TestTorSecretKeyFileMatchesPublic(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(torSecret)
	if err != nil || len(raw) != 96 || !bytes.HasPrefix(raw, []byte("== ed25519v1-secret: type0 ==")) {
		t.Fatalf("bad fixture: %v", err)
	}
	if got := scalarBaseMult(t, raw[32:64]); !bytes.Equal(got, mustHex(t, torPublic)) {
		t.Fatalf("[a]B = %x, want %s", got, torPublic)
	}
}

func TestParseOnionAddress(t *testing.T) {
	want := mustHex(t, rfc8032Public)
	for _, in := range []string{
		rfc8032Onion,
		rfc8032Onion + ".onion",
		strings.ToUpper(rfc8032Onion) + ".ONION",
		"  " + rfc8032Onion + ".onion\n",
	} {
		pub, err := ParseOnionAddress(in)
		if err != nil || !bytes.Equal(pub, want) {
			t.Errorf("ParseOnionAddress(%q) = %x, %v", in, pub, err)
		}
	}
	for i := 0; i < 20; i++ {
		k, _ := GenerateKeys()
		pub, err := ParseOnionAddress(k.OnionAddress())
		if err != nil || !bytes.Equal(pub, k.OnionPublic()) {
			t.Fatalf("round trip: %v", err)
		}
	}
}

func TestParseOnionAddressErrors(t *testing.T) {
	pub := mustHex(t, rfc8032Public)
	build := func(pub []byte, version byte, sum []byte) string {
		b := append(append(append([]byte{}, pub...), sum...), version)
		return onionEncoding.EncodeToString(b)
	}
	identityPoint := make([]byte, 32)
	identityPoint[0] = 1
	// P + T with T of order 4 (y = 0): a valid curve point with a torsion
	// component, which crypto/ed25519 accepts but Tor refuses.
	p, err1 := new(edwards25519.Point).SetBytes(pub)
	tors, err2 := new(edwards25519.Point).SetBytes(make([]byte, 32))
	ok := err1 == nil && err2 == nil
	if !ok {
		t.Fatal("order-4 point does not decode")
	}
	torsioned := new(edwards25519.Point).Add(p, tors).Bytes()
	// A y with no x on the curve.
	var offCurve []byte
	for y := byte(2); ; y++ {
		b := make([]byte, 32)
		b[0] = y
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			offCurve = b
			break
		}
	}
	flipped := []byte(rfc8032Onion)
	flipped[10] = 'a' + (flipped[10]-'a'+1)%26
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrOnionLength},
		{rfc8032Onion[:55], ErrOnionLength},
		{rfc8032Onion + "a", ErrOnionLength},
		{rfc8032Onion + ".onion.onion", ErrOnionLength},
		{"expyuzz4wqqyqhjn.onion", ErrOnionLength}, // a v2 address
		{"0" + rfc8032Onion[1:], ErrOnionEncoding},
		{"1" + rfc8032Onion[1:], ErrOnionEncoding},
		{build(pub, 0x02, onionChecksum(pub)), ErrOnionVersion},
		{string(flipped), ErrOnionChecksum},
		{build(pub, 0x03, []byte{0, 0}), ErrOnionChecksum},
		{build(identityPoint, 0x03, onionChecksum(identityPoint)), ErrOnionKey},
		{build(torsioned, 0x03, onionChecksum(torsioned)), ErrOnionKey},
		{build(offCurve, 0x03, onionChecksum(offCurve)), ErrOnionKey},
	}
	for _, c := range cases {
		_, err := ParseOnionAddress(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("ParseOnionAddress(%q) = %v, want %v", c.in, err, c.want)
		}
	}
	if ValidPublicKey(torsioned) || ValidPublicKey(identityPoint) || !ValidPublicKey(pub) || ValidPublicKey(pub[:31]) {
		t.Error("ValidPublicKey disagrees with ParseOnionAddress")
	}
}

func TestRealKeysAreValidPoints(t *testing.T) {
	for i := 0; i < 10; i++ {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		exp := ExpandOnionSeed(priv.Seed())
		if !bytes.Equal(scalarBaseMult(t, exp[:32]), pub) {
			t.Fatal("the expanded key does not give the public key")
		}
		if !validPrimeOrderPoint(pub) {
			t.Fatal("a real public key was refused")
		}
	}
}
