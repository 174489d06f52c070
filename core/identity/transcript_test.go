package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
)

func TestTranscriptDomainSeparation(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("hello")

	sig := Sign(priv, "pair/request", msg)
	if !Verify(pub, sig, "pair/request", msg) {
		t.Fatal("a signature does not verify in its own domain")
	}
	if Verify(pub, sig, "pair/confirm", msg) {
		t.Fatal("a signature for one domain verifies for another")
	}
	if Verify(pub, sig, "pair/request", []byte("hellO")) {
		t.Fatal("a signature verifies for another message")
	}
	// The protocol tag is part of what is signed: a plain ed25519 signature of
	// the bare message does not pass, nor does Sign's output verify as one.
	if ed25519.Verify(pub, msg, sig) {
		t.Fatal("Sign produced a signature over the bare message")
	}
	if Verify(pub, ed25519.Sign(priv, msg), "pair/request", msg) {
		t.Fatal("a bare signature verified as a transcript signature")
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if Verify(other, sig, "pair/request", msg) {
		t.Fatal("verified with another key")
	}
}

func TestTranscriptFieldBoundaries(t *testing.T) {
	a := Transcript("d", []byte("ab"), []byte("c"))
	b := Transcript("d", []byte("a"), []byte("bc"))
	if bytes.Equal(a, b) {
		t.Fatal(`fields ["ab","c"] and ["a","bc"] share a transcript`)
	}
	// A domain cannot absorb a field either.
	if bytes.Equal(Transcript("da", []byte("b")), Transcript("d", []byte("ab"))) {
		t.Fatal("domain/field boundary is ambiguous")
	}
	if bytes.Equal(Transcript("d"), Transcript("d", []byte{})) {
		t.Fatal("no field and one empty field share a transcript")
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	sig := Sign(priv, "d", []byte("ab"), []byte("c"))
	if Verify(pub, sig, "d", []byte("a"), []byte("bc")) {
		t.Fatal(`signature over ["ab","c"] verifies for ["a","bc"]`)
	}
	if !bytes.HasPrefix(a[4:], []byte("archy-desktop/v1/d")) {
		t.Fatalf("transcript does not start with the protocol tag: %q", a)
	}
}

func TestVerifyRejectsMalformedInputs(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sig := Sign(priv, "x")
	if Verify(pub[:31], sig, "x") {
		t.Fatal("short public key accepted")
	}
	if Verify(pub, sig[:63], "x") {
		t.Fatal("short signature accepted")
	}
	if Verify(nil, nil, "x") {
		t.Fatal("nil accepted")
	}
}
