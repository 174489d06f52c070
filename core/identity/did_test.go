package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/mr-tron/base58"
)

// The W3C CCG did:key specification's Ed25519 test vectors
// (test-vectors/ed25519-x25519.json): the seeds are the 32-byte big-endian
// integers 0, 1 and 2.
func TestDIDKeySpecVectors(t *testing.T) {
	vectors := []struct {
		seedHex string
		did     DID
	}{
		{"0000000000000000000000000000000000000000000000000000000000000000", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"},
		{"0000000000000000000000000000000000000000000000000000000000000001", "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"},
		{"0000000000000000000000000000000000000000000000000000000000000002", "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf"},
	}
	for _, v := range vectors {
		seed, _ := hex.DecodeString(v.seedHex)
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if got := DIDFromPublicKey(pub); got != v.did {
			t.Errorf("seed %s: DID = %s, want %s", v.seedHex, got, v.did)
		}
		back, err := ParseDID(string(v.did))
		if err != nil || !bytes.Equal(back, pub) {
			t.Errorf("ParseDID(%s) = %x, %v; want %x", v.did, back, err, pub)
		}
		keys := &Keys{Node: ed25519.NewKeyFromSeed(seed), Onion: ed25519.NewKeyFromSeed(seed)}
		if keys.DID() != v.did {
			t.Errorf("Keys.DID() = %s, want %s", keys.DID(), v.did)
		}
	}
}

// The spec's example DID (used throughout its text): decoding must yield the
// multicodec-prefixed key bytes, and re-encoding must give the same string.
func TestDIDKeySpecExample(t *testing.T) {
	const did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	raw, err := base58.Decode(did[len("did:key:z"):])
	if err != nil || len(raw) != 34 || raw[0] != 0xed || raw[1] != 0x01 {
		t.Fatalf("independent base58 decode: %x, %v", raw, err)
	}
	pub, err := ParseDID(did)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, raw[2:]) {
		t.Fatalf("ParseDID = %x, want %x", pub, raw[2:])
	}
	if got := hex.EncodeToString(pub); got != "2e6fcce36701dc791488e0d0b1745cc1e33a4c1c9fcc41c63bd343dbbe0970e6" {
		t.Fatalf("public key = %s", got)
	}
	if got := DIDFromPublicKey(pub); got != did {
		t.Fatalf("round trip = %s", got)
	}
	if p2, err := DID(did).PublicKey(); err != nil || !bytes.Equal(p2, pub) {
		t.Fatalf("DID.PublicKey = %x, %v", p2, err)
	}
}

func TestDIDRoundTripRandom(t *testing.T) {
	for i := 0; i < 200; i++ {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		d := DIDFromPublicKey(pub)
		if len(d) < 50 || string(d[:12]) != "did:key:z6Mk" {
			t.Fatalf("unexpected DID shape %q", d)
		}
		back, err := ParseDID(string(d))
		if err != nil || !bytes.Equal(back, pub) {
			t.Fatalf("round trip of %x: %x, %v", pub, back, err)
		}
	}
}

func TestParseDIDErrors(t *testing.T) {
	pub := make([]byte, 32)
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrNotDIDKey},
		{"did:web:example.com", ErrNotDIDKey},
		{"did:key:", ErrNotDIDKey},
		{"did:key:f6d6b6579", ErrNotDIDKey},          // multibase base16, not base58btc
		{"DID:KEY:z6MkiTBz1ymuepAQ4H", ErrNotDIDKey}, // method names are case-sensitive
		{"did:key:z", ErrDIDEncoding},
		{"did:key:z0OIl", ErrDIDEncoding}, // not in the base58 alphabet
		{"did:key:z" + base58.Encode([]byte{0xed}), ErrDIDKeyType},
		{"did:key:z" + base58.Encode(append([]byte{0xe7, 0x01}, make([]byte, 33)...)), ErrDIDKeyType}, // secp256k1-pub
		{"did:key:z" + base58.Encode(append([]byte{0xec, 0x01}, pub...)), ErrDIDKeyType},              // x25519-pub
		{"did:key:z" + base58.Encode(append([]byte{0xed, 0x01}, pub[:31]...)), ErrDIDKeyLength},
		{"did:key:z" + base58.Encode(append([]byte{0xed, 0x01}, make([]byte, 33)...)), ErrDIDKeyLength},
		{"did:key:z" + base58.Encode([]byte{0xed, 0x01}), ErrDIDKeyLength},
	}
	for _, c := range cases {
		_, err := ParseDID(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("ParseDID(%q) = %v, want %v", c.in, err, c.want)
		}
	}
}

func TestDIDShort(t *testing.T) {
	d := DID("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	if got := d.Short(); got != "did:key:z6MkiT…ooWp" {
		t.Fatalf("Short = %q", got)
	}
	if d.String() != string(d) {
		t.Fatal("String")
	}
}
