package invite

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

func editDistance(a, b string) int {
	d := make([]int, len(b)+1)
	for j := range d {
		d[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := d[0]
		d[0] = i
		for j := 1; j <= len(b); j++ {
			cur := d[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[j] = min(d[j]+1, d[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return d[len(b)]
}

func TestSafetyWordList(t *testing.T) {
	seen := map[string]bool{}
	for i, w := range safetyWordList {
		if len(w) < 3 || len(w) > 8 || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("word %d %q: want 3–8 lower-case letters", i, w)
		}
		if seen[w] {
			t.Errorf("word %q twice", w)
		}
		seen[w] = true
	}
	if len(seen) != 256 {
		t.Fatalf("%d distinct words, want 256", len(seen))
	}
	// No two words one typo (or one misheard letter) apart.
	for i := range safetyWordList {
		for j := i + 1; j < len(safetyWordList); j++ {
			if editDistance(safetyWordList[i], safetyWordList[j]) < 2 {
				t.Errorf("%q and %q are too alike", safetyWordList[i], safetyWordList[j])
			}
		}
	}
}

func didOfSeed(b byte) identity.DID {
	return identity.DIDFromPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32)).Public().(ed25519.PublicKey))
}

func TestSafetyWordsAreSymmetricAndStable(t *testing.T) {
	a, b := didOfSeed(1), didOfSeed(2)
	ab, ba := SafetyWords(a, b), SafetyWords(b, a)
	if len(ab) != SafetyWordCount || strings.Join(ab, " ") != strings.Join(ba, " ") {
		t.Fatalf("SafetyWords(a,b) = %v, SafetyWords(b,a) = %v", ab, ba)
	}
	// Pinned: a change here changes what every user compares.
	if got := strings.Join(ab, " "); got != pinnedSafetyWords {
		t.Fatalf("safety words of the fixed pair = %q, want %q", got, pinnedSafetyWords)
	}
	if SafetyPhrase(a, b) != strings.Join(ab, " · ") || SafetyPhrase(b, a) != SafetyPhrase(a, b) {
		t.Fatalf("SafetyPhrase = %q", SafetyPhrase(a, b))
	}
	if strings.Join(SafetyWords(a, didOfSeed(3)), " ") == strings.Join(ab, " ") {
		t.Fatal("another peer, the same words")
	}
}

const pinnedSafetyWords = "crayon compass pepper bridge"

func TestSafetyWordsDifferAcrossPairs(t *testing.T) {
	me := didOfSeed(9)
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		p := SafetyPhrase(me, identity.DIDFromPublicKey(pub))
		if seen[p] {
			t.Fatalf("phrase %q repeated among %d random peers", p, i)
		}
		seen[p] = true
	}
}
