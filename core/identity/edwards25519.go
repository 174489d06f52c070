package identity

import (
	"bytes"

	"filippo.io/edwards25519"
)

// minusOne is the scalar L-1 (L: the order of the prime-order subgroup).
var minusOne = func() *edwards25519.Scalar {
	one, err := edwards25519.NewScalar().SetCanonicalBytes(append([]byte{1}, make([]byte, 31)...))
	if err != nil {
		panic(err)
	}
	return edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), one)
}()

// validPrimeOrderPoint reports whether b is the canonical encoding of an
// Ed25519 point of the prime-order subgroup other than the identity: Tor
// refuses an onion key that is not, so we refuse it first, with a clearer
// error. Public values only (variable time is fine).
func validPrimeOrderPoint(b []byte) bool {
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil || !bytes.Equal(p.Bytes(), b) {
		return false
	}
	identity := edwards25519.NewIdentityPoint()
	if p.Equal(identity) == 1 {
		return false
	}
	// [L]P = [L-1]P + P is the identity exactly when P has no small-order
	// component.
	q := new(edwards25519.Point).ScalarMult(minusOne, p)
	return q.Add(q, p).Equal(identity) == 1
}
