package sync

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Record limits.
const (
	// MaxPayload is the largest record payload: 64 KiB.
	MaxPayload = 64 << 10
	// MaxProtocolLen is the longest protocol name.
	MaxProtocolLen = 64
	// MaxCreatedAt is the largest created_at in unix milliseconds (2^53−1,
	// so it survives JSON numbers in every language).
	MaxCreatedAt = 1<<53 - 1

	// recordVersion is the first byte of the canonical encoding.
	recordVersion = 0x01
	// SignatureDomain is the identity.Sign domain of record signatures.
	SignatureDomain = "record"
)

// Errors of Verify and of decoding a record. Compare with errors.Is.
var (
	ErrProtocol        = errors.New("record protocol must be 1–64 characters of a–z, 0–9, '-' and '.'")
	ErrPayloadTooLarge = errors.New("record payload is larger than 64 KiB")
	ErrAuthor          = errors.New("record author is not a valid Ed25519 did:key")
	ErrCreatedAt       = errors.New("record created_at is out of range")
	ErrSignature       = errors.New("record signature does not verify")
	ErrMalformed       = errors.New("malformed record encoding")
)

// Record is a signed record (DWN-style): an author's statement under a
// protocol. Records are immutable and identified by the SHA-256 of their
// canonical encoding (see docs/PROTOCOL.md).
type Record struct {
	Author    identity.DID
	Protocol  string
	CreatedAt time.Time // unix millisecond precision
	Payload   []byte    // ≤ MaxPayload
	Sig       []byte    // Ed25519, identity.Sign(authorKey, "record", id)
}

// NewRecord makes and signs a record by key's owner. now is truncated to the
// millisecond.
func NewRecord(key ed25519.PrivateKey, protocol string, payload []byte, now time.Time) (*Record, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sync: NewRecord: not an Ed25519 private key")
	}
	r := &Record{
		Author:    identity.DIDFromPublicKey(key.Public().(ed25519.PublicKey)),
		Protocol:  protocol,
		CreatedAt: time.UnixMilli(now.UnixMilli()),
		Payload:   append([]byte(nil), payload...),
	}
	if err := r.checkFields(); err != nil {
		return nil, err
	}
	id := r.ID()
	r.Sig = identity.Sign(key, SignatureDomain, id[:])
	return r, nil
}

// ValidProtocol reports whether name is a valid protocol name: 1–64
// characters of a–z, 0–9, '-' and '.'.
func ValidProtocol(name string) bool {
	if len(name) == 0 || len(name) > MaxProtocolLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkFields checks everything but the signature.
func (r *Record) checkFields() error {
	_, err := r.authorKey()
	if err != nil {
		return err
	}
	if !ValidProtocol(r.Protocol) {
		return fmt.Errorf("%w: %q", ErrProtocol, r.Protocol)
	}
	if len(r.Payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, len(r.Payload))
	}
	if ms := r.CreatedAt.UnixMilli(); ms < 0 || ms > MaxCreatedAt {
		return fmt.Errorf("%w: %d ms", ErrCreatedAt, ms)
	}
	return nil
}

func (r *Record) authorKey() (ed25519.PublicKey, error) {
	pub, err := identity.ParseDID(string(r.Author))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthor, err)
	}
	if identity.DIDFromPublicKey(pub) != r.Author { // canonical form only
		return nil, fmt.Errorf("%w: not in canonical form", ErrAuthor)
	}
	return pub, nil
}

// Encode returns the canonical encoding of (author, protocol, created_at,
// payload), without the signature:
//
//	0x01 ‖ author Ed25519 public key (32) ‖ created_at unix ms (uint64 BE)
//	‖ len(protocol) (uint8) ‖ protocol ‖ len(payload) (uint32 BE) ‖ payload
//
// It does not validate; an author that is not a did:key encodes as 32 zero
// bytes (and such a record never verifies).
func (r *Record) Encode() []byte {
	pub, _ := identity.ParseDID(string(r.Author))
	if len(pub) != ed25519.PublicKeySize {
		pub = make([]byte, ed25519.PublicKeySize)
	}
	b := make([]byte, 0, 1+32+8+1+len(r.Protocol)+4+len(r.Payload)+ed25519.SignatureSize)
	b = append(b, recordVersion)
	b = append(b, pub...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.CreatedAt.UnixMilli()))
	b = append(b, byte(len(r.Protocol)))
	b = append(b, r.Protocol...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Payload)))
	return append(b, r.Payload...)
}

// ID is the SHA-256 of the canonical encoding.
func (r *Record) ID() [32]byte { return sha256.Sum256(r.Encode()) }

// IDHex is ID in lower-case hex.
func (r *Record) IDHex() string {
	id := r.ID()
	return hex.EncodeToString(id[:])
}

// Verify checks the protocol name, the payload size, created_at, that the
// author is a canonical Ed25519 did:key, and the signature. Its errors wrap
// ErrProtocol, ErrPayloadTooLarge, ErrCreatedAt, ErrAuthor or ErrSignature.
func (r *Record) Verify() error {
	if err := r.checkFields(); err != nil {
		return err
	}
	pub, _ := r.authorKey()
	id := r.ID()
	if !identity.Verify(pub, r.Sig, SignatureDomain, id[:]) {
		return ErrSignature
	}
	return nil
}

// MarshalBinary is the stored form: the canonical encoding followed by the
// 64-byte signature.
func (r *Record) MarshalBinary() ([]byte, error) {
	if len(r.Sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(r.Sig))
	}
	return append(r.Encode(), r.Sig...), nil
}

// UnmarshalBinary decodes the stored form. It checks the layout, not the
// signature (call Verify).
func (r *Record) UnmarshalBinary(b []byte) error {
	const fixed = 1 + 32 + 8 + 1
	if len(b) < fixed+4+ed25519.SignatureSize || b[0] != recordVersion {
		return ErrMalformed
	}
	pub := b[1:33]
	ms := binary.BigEndian.Uint64(b[33:41])
	plen := int(b[41])
	rest := b[fixed:]
	if len(rest) < plen+4 {
		return ErrMalformed
	}
	protocol := string(rest[:plen])
	rest = rest[plen:]
	n := binary.BigEndian.Uint32(rest[:4])
	rest = rest[4:]
	if uint64(len(rest)) != uint64(n)+ed25519.SignatureSize {
		return ErrMalformed
	}
	if ms > MaxCreatedAt {
		return fmt.Errorf("%w: %d ms", ErrCreatedAt, ms)
	}
	*r = Record{
		Author:    identity.DIDFromPublicKey(ed25519.PublicKey(append([]byte(nil), pub...))),
		Protocol:  protocol,
		CreatedAt: time.UnixMilli(int64(ms)),
		Payload:   append([]byte(nil), rest[:n]...),
		Sig:       append([]byte(nil), rest[n:]...),
	}
	return nil
}

// ParseRecord decodes the stored form (see UnmarshalBinary).
func ParseRecord(b []byte) (*Record, error) {
	r := new(Record)
	if err := r.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return r, nil
}

// recordJSON is the wire form inside JSON-RPC messages.
type recordJSON struct {
	Author    identity.DID `json:"author"`
	Protocol  string       `json:"protocol"`
	CreatedAt int64        `json:"created_at"` // unix milliseconds
	Payload   []byte       `json:"payload"`    // standard base64 with padding
	Sig       []byte       `json:"sig"`        // standard base64 with padding
}

// MarshalJSON encodes the wire form {author, protocol, created_at (unix ms),
// payload (base64), sig (base64)}.
func (r Record) MarshalJSON() ([]byte, error) {
	p := r.Payload
	if p == nil {
		p = []byte{}
	}
	return json.Marshal(recordJSON{Author: r.Author, Protocol: r.Protocol, CreatedAt: r.CreatedAt.UnixMilli(), Payload: p, Sig: r.Sig})
}

// UnmarshalJSON decodes the wire form; it does not verify.
func (r *Record) UnmarshalJSON(b []byte) error {
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.CreatedAt < 0 || j.CreatedAt > MaxCreatedAt {
		return fmt.Errorf("%w: %d ms", ErrCreatedAt, j.CreatedAt)
	}
	*r = Record{Author: j.Author, Protocol: j.Protocol, CreatedAt: time.UnixMilli(j.CreatedAt), Payload: j.Payload, Sig: j.Sig}
	return nil
}

// storeRecord is the store's view of a verified record.
func (r *Record) storeRecord() (*store.Record, error) {
	data, err := r.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &store.Record{ID: r.ID(), Author: r.Author, Protocol: r.Protocol, CreatedAt: r.CreatedAt.UnixMilli(), Data: data}, nil
}

// ProtocolNodeIdentity is the protocol of a node's announcement of itself.
const ProtocolNodeIdentity = "node-identity"

// NodeIdentity is the payload of a node-identity record (JSON).
type NodeIdentity struct {
	DID     identity.DID `json:"did"`
	Name    string       `json:"name"`
	Onion   string       `json:"onion"` // 56 characters, without ".onion"
	Version string       `json:"version"`
}

// NodeIdentityRecord makes the node's signed node-identity announcement.
func NodeIdentityRecord(key ed25519.PrivateKey, name, onion, version string, now time.Time) (*Record, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sync: NodeIdentityRecord: not an Ed25519 private key")
	}
	payload, err := json.Marshal(NodeIdentity{
		DID: identity.DIDFromPublicKey(key.Public().(ed25519.PublicKey)), Name: name, Onion: onion, Version: version,
	})
	if err != nil {
		return nil, err
	}
	return NewRecord(key, ProtocolNodeIdentity, payload, now)
}

// ParseNodeIdentity decodes a node-identity record's payload and checks that
// it names the record's author.
func ParseNodeIdentity(r *Record) (*NodeIdentity, error) {
	if r.Protocol != ProtocolNodeIdentity {
		return nil, fmt.Errorf("sync: record protocol is %q, not %q", r.Protocol, ProtocolNodeIdentity)
	}
	var ni NodeIdentity
	if err := json.Unmarshal(r.Payload, &ni); err != nil {
		return nil, fmt.Errorf("sync: node-identity payload: %w", err)
	}
	if ni.DID != r.Author {
		return nil, errors.New("sync: node-identity names another DID than its author")
	}
	return &ni, nil
}
