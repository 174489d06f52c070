package identity

import (
	"crypto/ed25519"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// OnionAddressLength is the length of a v3 onion address without ".onion".
const OnionAddressLength = 56

const (
	onionVersion        = 0x03
	onionChecksumPrefix = ".onion checksum"
)

// onionEncoding is RFC 4648 base32, lower case, without padding, as Tor
// writes onion addresses (35 bytes encode to exactly 56 characters).
var onionEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Errors returned by ParseOnionAddress.
var (
	ErrOnionLength   = errors.New("onion address must be 56 base32 characters (plus optional \".onion\")")
	ErrOnionEncoding = errors.New("onion address is not valid base32")
	ErrOnionVersion  = errors.New("onion address is not a version 3 address")
	ErrOnionChecksum = errors.New("onion address checksum does not match (mistyped?)")
	ErrOnionKey      = errors.New("onion address does not hold a valid Ed25519 key")
)

func onionChecksum(pub []byte) []byte {
	h := sha3.New256()
	h.Write([]byte(onionChecksumPrefix))
	h.Write(pub)
	h.Write([]byte{onionVersion})
	return h.Sum(nil)[:2]
}

// OnionAddressFromPublicKey returns the v3 onion address of an onion
// service's Ed25519 public key, without ".onion" (rend-spec-v3 §6):
// base32(pubkey || SHA3-256(".onion checksum" || pubkey || 0x03)[:2] || 0x03).
func OnionAddressFromPublicKey(pub ed25519.PublicKey) string {
	buf := make([]byte, 0, ed25519.PublicKeySize+3)
	buf = append(buf, pub...)
	buf = append(buf, onionChecksum(pub)...)
	buf = append(buf, onionVersion)
	return onionEncoding.EncodeToString(buf)
}

// ParseOnionAddress decodes a v3 onion address ("…xyz.onion" or without the
// suffix, any case) into the service's public key. Like Tor, it checks the
// version byte, the checksum, and that the key is a valid point of the
// prime-order subgroup (not the identity, no torsion component).
func ParseOnionAddress(s string) (ed25519.PublicKey, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, ".onion")
	if len(s) != OnionAddressLength {
		return nil, fmt.Errorf("%w: got %d", ErrOnionLength, len(s))
	}
	raw, err := onionEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize+3 {
		return nil, ErrOnionEncoding
	}
	pub, sum, version := raw[:32], raw[32:34], raw[34]
	if version != onionVersion {
		return nil, fmt.Errorf("%w (version byte %d)", ErrOnionVersion, version)
	}
	want := onionChecksum(pub)
	if sum[0] != want[0] || sum[1] != want[1] {
		return nil, ErrOnionChecksum
	}
	if !validPrimeOrderPoint(pub) {
		return nil, ErrOnionKey
	}
	return ed25519.PublicKey(pub), nil
}

// ValidPublicKey reports whether pub is the canonical encoding of an Ed25519
// point of the prime-order subgroup other than the identity: the check Tor
// applies to an onion service key (see ParseOnionAddress), and a sound one
// for any public key received from elsewhere.
func ValidPublicKey(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && validPrimeOrderPoint(pub)
}

// ExpandOnionSeed returns the 64-byte expanded secret key that Tor's
// ADD_ONION command takes as "ED25519-V3:<base64>": SHA-512 of the seed, the
// first half clamped as an X25519/Ed25519 scalar (h[0] &= 248, h[31] &= 127,
// h[31] |= 64), the second half left as it is (the signing nonce prefix).
// Tor's own hs_ed25519_secret_key file holds the same 64 bytes after its
// 32-byte header.
func ExpandOnionSeed(seed []byte) []byte {
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	return h[:]
}
