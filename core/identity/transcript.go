package identity

import (
	"crypto/ed25519"
	"encoding/binary"
)

// transcriptTag prefixes every signed message, so a signature made for this
// protocol can never be replayed as a signature for anything else.
const transcriptTag = "archy-desktop/v1/"

// Transcript is the exact byte string that Sign signs: the protocol tag and
// the domain, then every field, each preceded by its length (uint32, big
// endian), so no two different field lists share an encoding.
func Transcript(domain string, fields ...[]byte) []byte {
	n := 4 + len(transcriptTag) + len(domain)
	for _, f := range fields {
		n += 4 + len(f)
	}
	buf := make([]byte, 0, n)
	buf = appendField(buf, []byte(transcriptTag+domain))
	for _, f := range fields {
		buf = appendField(buf, f)
	}
	return buf
}

func appendField(buf, f []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
	return append(buf, f...)
}

// Sign signs the domain-separated transcript of fields.
func Sign(priv ed25519.PrivateKey, domain string, fields ...[]byte) []byte {
	return ed25519.Sign(priv, Transcript(domain, fields...))
}

// Verify checks a signature made by Sign.
func Verify(pub ed25519.PublicKey, sig []byte, domain string, fields ...[]byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, Transcript(domain, fields...), sig)
}
