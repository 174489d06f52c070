// Package identity holds the node's long-term keys: the Ed25519 node key
// (whose public half is the node's did:key), and the separate Ed25519 key of
// its onion service, so the .onion address stays the same across restarts.
package identity

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/mr-tron/base58"
)

// didKeyPrefix is "did:key:" followed by the multibase prefix for base58btc.
const didKeyPrefix = "did:key:z"

// ed25519Multicodec is the unsigned-varint multicodec code of ed25519-pub (0xed).
var ed25519Multicodec = []byte{0xed, 0x01}

// DID is a did:key identifier of an Ed25519 public key ("did:key:z6Mk…").
type DID string

// Errors returned by ParseDID.
var (
	ErrNotDIDKey    = errors.New("not a did:key identifier")
	ErrDIDEncoding  = errors.New("did:key is not valid base58btc")
	ErrDIDKeyType   = errors.New("did:key is not an Ed25519 key")
	ErrDIDKeyLength = errors.New("did:key has a wrong key length")
)

// DIDFromPublicKey returns the did:key of an Ed25519 public key.
func DIDFromPublicKey(pub ed25519.PublicKey) DID {
	buf := make([]byte, 0, len(ed25519Multicodec)+ed25519.PublicKeySize)
	buf = append(buf, ed25519Multicodec...)
	buf = append(buf, pub...)
	return DID(didKeyPrefix + base58.Encode(buf))
}

// ParseDID decodes a did:key of an Ed25519 key into its public key.
func ParseDID(s string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(s, didKeyPrefix) {
		return nil, ErrNotDIDKey
	}
	raw, err := base58.Decode(s[len(didKeyPrefix):])
	if err != nil {
		return nil, ErrDIDEncoding
	}
	if len(raw) < 2 || raw[0] != ed25519Multicodec[0] || raw[1] != ed25519Multicodec[1] {
		return nil, ErrDIDKeyType
	}
	if len(raw) != 2+ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes", ErrDIDKeyLength, len(raw)-2)
	}
	return ed25519.PublicKey(raw[2:]), nil
}

// PublicKey decodes d; see ParseDID.
func (d DID) PublicKey() (ed25519.PublicKey, error) { return ParseDID(string(d)) }

// Short is a log-safe abbreviation of the DID ("did:key:z6Mk…abcd").
func (d DID) Short() string {
	s := string(d)
	if len(s) <= 20 {
		return s
	}
	return s[:14] + "…" + s[len(s)-4:]
}

func (d DID) String() string { return string(d) }
