// Package rpc is Archy's JSON-RPC 2.0 over HTTP at POST /rpc/v1, with a
// signed request envelope carried in HTTP headers so the body stays plain
// JSON-RPC 2.0.
//
// A signed request carries
//
//	Archy-DID:       the caller's did:key
//	Archy-Timestamp: unix seconds, decimal, no sign or leading zeros
//	Archy-Nonce:     16 random bytes, base64url without padding
//	Archy-Signature: base64url (no padding) Ed25519 signature by the caller's
//	                 key over identity.Transcript("rpc-request",
//	                 callee DID, method, SHA-256(params bytes),
//	                 timestamp text, nonce bytes)
//
// where "params bytes" are the exact bytes of the request's "params" member
// as sent (empty if the member is absent). Binding the callee's DID stops a
// request to one node being replayed to another. See docs/PROTOCOL.md for the
// verification order and the error codes.
package rpc

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Wire constants.
const (
	// Path is the only endpoint.
	Path = "/rpc/v1"

	HeaderDID       = "Archy-DID"
	HeaderTimestamp = "Archy-Timestamp"
	HeaderNonce     = "Archy-Nonce"
	HeaderSignature = "Archy-Signature"

	// SignatureDomain is the identity.Transcript domain of request signatures.
	SignatureDomain = "rpc-request"

	// NonceSize is the length of the decoded Archy-Nonce.
	NonceSize = 16

	// MaxRequestBytes bounds a request body; MaxResponseBytes a response body.
	MaxRequestBytes  = 1 << 20
	MaxResponseBytes = 4 << 20

	// MaxClockSkew is how far Archy-Timestamp may be from the callee's clock,
	// either way.
	MaxClockSkew = 5 * time.Minute
	// NonceWindow is how long a seen nonce is remembered: the full width of
	// the accepted timestamp window.
	NonceWindow = 2 * MaxClockSkew
)

var b64 = base64.RawURLEncoding

// formatTimestamp is the canonical Archy-Timestamp text.
func formatTimestamp(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// parseTimestamp accepts only the canonical form formatTimestamp produces.
func parseTimestamp(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

func transcriptFields(callee identity.DID, method string, params []byte, timestamp string, nonce []byte) [][]byte {
	h := sha256.Sum256(params)
	return [][]byte{[]byte(callee), []byte(method), h[:], []byte(timestamp), nonce}
}

// signRequest returns the Archy-Signature value.
func signRequest(key ed25519.PrivateKey, callee identity.DID, method string, params []byte, timestamp string, nonce []byte) string {
	return b64.EncodeToString(identity.Sign(key, SignatureDomain, transcriptFields(callee, method, params, timestamp, nonce)...))
}

func verifyRequest(pub ed25519.PublicKey, sig []byte, callee identity.DID, method string, params []byte, timestamp string, nonce []byte) bool {
	return identity.Verify(pub, sig, SignatureDomain, transcriptFields(callee, method, params, timestamp, nonce)...)
}
