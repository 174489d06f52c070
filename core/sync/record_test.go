package sync

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

func seedKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
}

// The test vector of docs/PROTOCOL.md: key seed 32×0x01, protocol "note",
// created_at 1733356800123 ms, payload "hello".
const (
	vectorEncoding = "01" +
		"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" + // author public key
		"00000193941dc87b" + // created_at
		"04" + "6e6f7465" + // "note"
		"00000005" + "68656c6c6f" // "hello"
	vectorID     = "5d82a114527d6021455b897425b738c8b75a5b2ceda701e93c356772ed72f890"
	vectorAuthor = "did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX"
	vectorSig    = "d8df3707f78f26886d3189f0ed1b06ce10751d157175210374d088ba465e148e" +
		"954f94aebb7aabb7c0cdf1651131225ecdaaaa7d118031b98d856573e1970508"
)

func TestRecordVector(t *testing.T) {
	key := seedKey(1)
	r, err := NewRecord(key, "note", []byte("hello"), time.UnixMilli(1733356800123).Add(456*time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	if r.CreatedAt.UnixMilli() != 1733356800123 || r.CreatedAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("CreatedAt not truncated to ms: %v", r.CreatedAt)
	}
	if got := hex.EncodeToString(r.Encode()); got != vectorEncoding {
		t.Errorf("encoding\n got %s\nwant %s", got, vectorEncoding)
	}
	if got := r.IDHex(); got != vectorID {
		t.Errorf("id = %s, want %s", got, vectorID)
	}
	id := r.ID()
	if !ed25519.Verify(key.Public().(ed25519.PublicKey), identity.Transcript("record", id[:]), r.Sig) {
		t.Error("signature is not Ed25519 over Transcript(\"record\", id)")
	}
	if r.Author != vectorAuthor {
		t.Errorf("author = %s, want %s", r.Author, vectorAuthor)
	}
	if got := hex.EncodeToString(r.Sig); got != vectorSig { // Ed25519 is deterministic
		t.Errorf("sig = %s, want %s", got, vectorSig)
	}
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	// The wire form as docs/PROTOCOL.md shows it.
	wire := `{"author":"did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX","protocol":"note","created_at":1733356800123,` +
		`"payload":"aGVsbG8=","sig":"2N83B/ePJohtMYnw7RsGzhB1HRVxdSEDdNCIukZeFI6VT5Suu3qrt8DN8WURMSJezaqqfRGAMbmNhWVz4ZcFCA=="}`
	if js, _ := json.Marshal(r); string(js) != wire {
		t.Errorf("wire form\n got %s\nwant %s", js, wire)
	}
}

func TestRecordRoundTrips(t *testing.T) {
	r, err := NewRecord(seedKey(2), "app-deploy.v1", bytes.Repeat([]byte{0xfe}, MaxPayload), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bin, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRecord(bin)
	if err != nil || back.ID() != r.ID() || !bytes.Equal(back.Sig, r.Sig) || back.Author != r.Author || back.Verify() != nil {
		t.Fatalf("binary round trip: %+v, %v", back, err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Record
	if err := json.Unmarshal(js, &fromJSON); err != nil || fromJSON.ID() != r.ID() || fromJSON.Verify() != nil {
		t.Fatalf("JSON round trip: %v", err)
	}
	for _, field := range []string{`"author":"did:key:z6Mk`, `"protocol":"app-deploy.v1"`, `"created_at":`, `"payload":"/v7+`, `"sig":"`} {
		if !strings.Contains(string(js), field) {
			t.Errorf("JSON %.120s… lacks %s", js, field)
		}
	}
	// Empty payloads are fine.
	e, err := NewRecord(seedKey(2), "x", nil, time.Now())
	if err != nil || e.Verify() != nil {
		t.Fatalf("empty payload: %v", err)
	}
	js, _ = json.Marshal(e)
	if !strings.Contains(string(js), `"payload":""`) {
		t.Errorf("empty payload JSON: %s", js)
	}
	// Truncated or extended binary forms are refused.
	for _, b := range [][]byte{nil, bin[:10], bin[:len(bin)-1], append(bytes.Clone(bin), 0)} {
		if _, err := ParseRecord(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseRecord(%d bytes) = %v", len(b), err)
		}
	}
}

func TestRecordVerifyErrors(t *testing.T) {
	key := seedKey(3)
	good, _ := NewRecord(key, "note", []byte("x"), time.Now())
	other, _ := NewRecord(seedKey(4), "note", []byte("x"), time.Now())
	cases := map[string]struct {
		mut  func(r *Record)
		want error
	}{
		"payload changed":     {func(r *Record) { r.Payload = []byte("y") }, ErrSignature},
		"protocol changed":    {func(r *Record) { r.Protocol = "notes" }, ErrSignature},
		"time changed":        {func(r *Record) { r.CreatedAt = r.CreatedAt.Add(time.Millisecond) }, ErrSignature},
		"other author":        {func(r *Record) { r.Author = other.Author }, ErrSignature},
		"short signature":     {func(r *Record) { r.Sig = r.Sig[:10] }, ErrSignature},
		"no signature":        {func(r *Record) { r.Sig = nil }, ErrSignature},
		"upper-case protocol": {func(r *Record) { r.Protocol = "Note" }, ErrProtocol},
		"empty protocol":      {func(r *Record) { r.Protocol = "" }, ErrProtocol},
		"long protocol":       {func(r *Record) { r.Protocol = strings.Repeat("a", 65) }, ErrProtocol},
		"slash in protocol":   {func(r *Record) { r.Protocol = "a/b" }, ErrProtocol},
		"payload too large":   {func(r *Record) { r.Payload = make([]byte, MaxPayload+1) }, ErrPayloadTooLarge},
		"author not a DID":    {func(r *Record) { r.Author = "did:web:example.com" }, ErrAuthor},
		"negative time":       {func(r *Record) { r.CreatedAt = time.UnixMilli(-1) }, ErrCreatedAt},
		"time beyond 2^53":    {func(r *Record) { r.CreatedAt = time.UnixMilli(MaxCreatedAt + 1) }, ErrCreatedAt},
	}
	for name, c := range cases {
		r := *good
		r.Payload, r.Sig = bytes.Clone(good.Payload), bytes.Clone(good.Sig)
		c.mut(&r)
		if err := r.Verify(); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", name, err, c.want)
		}
	}
	if _, err := NewRecord(key, "Bad", nil, time.Now()); !errors.Is(err, ErrProtocol) {
		t.Errorf("NewRecord with a bad protocol: %v", err)
	}
	if _, err := NewRecord(key, "ok", make([]byte, MaxPayload+1), time.Now()); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("NewRecord with a huge payload: %v", err)
	}
	var r Record
	if err := json.Unmarshal([]byte(`{"author":"x","protocol":"p","created_at":-5,"payload":"","sig":""}`), &r); !errors.Is(err, ErrCreatedAt) {
		t.Errorf("JSON with negative created_at: %v", err)
	}
}

func TestNodeIdentityRecord(t *testing.T) {
	key := seedKey(5)
	r, err := NodeIdentityRecord(key, "desk", deskOnion, "1.2.3", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.Protocol != ProtocolNodeIdentity || r.Verify() != nil {
		t.Fatalf("record: %+v", r)
	}
	ni, err := ParseNodeIdentity(r)
	if err != nil {
		t.Fatal(err)
	}
	want := NodeIdentity{DID: r.Author, Name: "desk", Onion: deskOnion, Version: "1.2.3"}
	if *ni != want {
		t.Errorf("payload %+v, want %+v", ni, want)
	}
	var m map[string]any
	_ = json.Unmarshal(r.Payload, &m)
	for _, k := range []string{"did", "name", "onion", "version"} {
		if _, ok := m[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, r.Payload)
		}
	}
	// A node-identity record naming someone else is refused by ParseNodeIdentity.
	forged, _ := NewRecord(seedKey(6), ProtocolNodeIdentity, r.Payload, time.Now())
	if _, err := ParseNodeIdentity(forged); err == nil {
		t.Error("node-identity of another DID accepted")
	}
}

var deskOnion = strings.Repeat("desk", 14)
