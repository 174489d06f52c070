package identity

import (
	"math/big"
)

// A small, slow, variable-time implementation of the Edwards25519 group,
// used only to validate public keys (never with secrets): Tor refuses an
// onion address whose key is not a canonical point of the prime-order
// subgroup, so we refuse it before Tor does, with a clearer error.

var (
	edP = func() *big.Int { // 2^255 - 19
		p := new(big.Int).Lsh(big.NewInt(1), 255)
		return p.Sub(p, big.NewInt(19))
	}()
	// edL is the order of the prime-order subgroup: 2^252 + 27742317777372353535851937790883648493.
	edL = func() *big.Int {
		l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
		return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
	}()
	// edD = -121665/121666 mod p.
	edD = func() *big.Int {
		inv := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d := new(big.Int).Mul(big.NewInt(-121665), inv)
		return d.Mod(d, edP)
	}()
	// edSqrtM1 = 2^((p-1)/4) mod p, a square root of -1.
	edSqrtM1 = func() *big.Int {
		e := new(big.Int).Sub(edP, big.NewInt(1))
		e.Rsh(e, 2)
		return new(big.Int).Exp(big.NewInt(2), e, edP)
	}()
)

// edPoint is an affine point (x, y) on -x^2 + y^2 = 1 + d x^2 y^2.
type edPoint struct{ x, y *big.Int }

func edIdentity() edPoint { return edPoint{big.NewInt(0), big.NewInt(1)} }

func (p edPoint) isIdentity() bool { return p.x.Sign() == 0 && p.y.Cmp(big.NewInt(1)) == 0 }

// edDecode decodes a 32-byte point encoding (RFC 8032, 5.1.3); ok is false
// for a non-canonical y or a y that is not on the curve.
func edDecode(b []byte) (edPoint, bool) {
	if len(b) != 32 {
		return edPoint{}, false
	}
	le := make([]byte, 32)
	for i := range b {
		le[31-i] = b[i] // to big endian
	}
	sign := le[0] >> 7
	le[0] &= 0x7f
	y := new(big.Int).SetBytes(le)
	if y.Cmp(edP) >= 0 {
		return edPoint{}, false
	}
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, edP)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, edP)
	v := new(big.Int).Mul(edD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, edP)
	// x = (u/v)^((p+3)/8)
	x2 := new(big.Int).Mul(u, new(big.Int).ModInverse(v, edP))
	x2.Mod(x2, edP)
	e := new(big.Int).Add(edP, big.NewInt(3))
	e.Rsh(e, 3)
	x := new(big.Int).Exp(x2, e, edP)
	check := new(big.Int).Mul(x, x)
	check.Mod(check, edP)
	if check.Cmp(x2) != 0 {
		x.Mul(x, edSqrtM1)
		x.Mod(x, edP)
		check.Mul(x, x)
		check.Mod(check, edP)
		if check.Cmp(x2) != 0 {
			return edPoint{}, false
		}
	}
	if x.Sign() == 0 && sign == 1 {
		return edPoint{}, false
	}
	if uint8(x.Bit(0)) != sign {
		x.Sub(edP, x)
	}
	return edPoint{x, y}, true
}

// edEncode is the inverse of edDecode.
func edEncode(p edPoint) []byte {
	out := make([]byte, 32)
	p.y.FillBytes(out)
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	out[31] |= byte(p.x.Bit(0)) << 7
	return out
}

// edAdd is the complete twisted Edwards addition law (a = -1).
func edAdd(p, q edPoint) edPoint {
	x1y2 := new(big.Int).Mul(p.x, q.y)
	y1x2 := new(big.Int).Mul(p.y, q.x)
	y1y2 := new(big.Int).Mul(p.y, q.y)
	x1x2 := new(big.Int).Mul(p.x, q.x)
	dxxyy := new(big.Int).Mul(x1x2, y1y2)
	dxxyy.Mul(dxxyy, edD)
	dxxyy.Mod(dxxyy, edP)

	xn := x1y2.Add(x1y2, y1x2)
	xd := new(big.Int).Add(big.NewInt(1), dxxyy)
	yn := y1y2.Add(y1y2, x1x2)
	yd := new(big.Int).Sub(big.NewInt(1), dxxyy)
	yd.Mod(yd, edP)

	xd.Mod(xd, edP)
	x := new(big.Int).Mul(xn, new(big.Int).ModInverse(xd, edP))
	y := new(big.Int).Mul(yn, new(big.Int).ModInverse(yd, edP))
	return edPoint{x.Mod(x, edP), y.Mod(y, edP)}
}

// edScalarMult returns [k]p (double-and-add, variable time: public data only).
func edScalarMult(k *big.Int, p edPoint) edPoint {
	r := edIdentity()
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = edAdd(r, r)
		if k.Bit(i) == 1 {
			r = edAdd(r, p)
		}
	}
	return r
}

// validPrimeOrderPoint reports whether b is the canonical encoding of a
// point of the prime-order subgroup other than the identity — the check Tor
// applies to an onion service's public key (ed25519_validate_pubkey).
func validPrimeOrderPoint(b []byte) bool {
	p, ok := edDecode(b)
	if !ok || p.isIdentity() {
		return false
	}
	return edScalarMult(edL, p).isIdentity()
}
