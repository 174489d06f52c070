package invite

import (
	"crypto/sha256"
	"strings"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// SafetyWordCount is how many words SafetyWords returns (32 bits).
const SafetyWordCount = 4

// SafetyWords are four words both sides of a pairing see, to compare by
// voice or side by side: if they match, each side holds the other's real
// DID. They are bytes 0–3 of SHA-256(identity.Transcript("safety-words",
// lower, higher)), where lower and higher are the two DIDs in byte order, each
// byte picking one of the 256 words of the embedded list — so the words and
// their order do not depend on who asks.
func SafetyWords(a, b identity.DID) []string {
	lo, hi := string(a), string(b)
	if hi < lo {
		lo, hi = hi, lo
	}
	sum := sha256.Sum256(identity.Transcript("safety-words", []byte(lo), []byte(hi)))
	words := make([]string, SafetyWordCount)
	for k := range words {
		words[k] = safetyWordList[sum[k]]
	}
	return words
}

// SafetyPhrase is SafetyWords joined with " · ".
func SafetyPhrase(a, b identity.DID) string {
	return strings.Join(SafetyWords(a, b), " · ")
}
