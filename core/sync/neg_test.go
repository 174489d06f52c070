package sync

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"

	"github.com/archy-desktop/archy-desktop/core/store"
)

func itemsOf(ids ...int) []store.RecordItem {
	out := make([]store.RecordItem, 0, len(ids))
	for _, i := range ids {
		// The library's own test items: created_at = i, id = i in decimal, zero-padded to 64 digits.
		var id [32]byte
		b, _ := hex.DecodeString(fmt.Sprintf("%064d", i))
		copy(id[:], b)
		out = append(out, store.RecordItem{CreatedAt: int64(i), ID: id})
	}
	slices.SortFunc(out, store.CompareRecordItems)
	return out
}

// refFingerprint is the Negentropy fingerprint computed with math/big: the
// first 16 bytes of SHA-256(sum of ids as little-endian numbers mod 2^256,
// little-endian ‖ varint(count)).
func refFingerprint(items []store.RecordItem) string {
	sum := new(big.Int)
	for _, it := range items {
		le := slices.Clone(it.ID[:])
		slices.Reverse(le)
		sum.Add(sum, new(big.Int).SetBytes(le))
	}
	sum.Mod(sum, new(big.Int).Lsh(big.NewInt(1), 256))
	b := sum.FillBytes(make([]byte, 32))
	slices.Reverse(b)
	h := sha256.Sum256(append(b, negentropy.EncodeVarInt(len(items))...))
	return hex.EncodeToString(h[:16])
}

// Our prefix-sum storage must agree with the spec's fingerprint (checked with
// math/big), and with the library's own vector storage on bounds, lower
// bounds and (for random ids) fingerprints.
func TestItemSetMatchesReferenceAndLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var items []store.RecordItem
	vec := vector.New()
	for range 3000 {
		var id [32]byte
		for j := range id {
			id[j] = byte(rng.IntN(256))
		}
		ts := int64(1_700_000_000_000 + rng.IntN(500))
		items = append(items, store.RecordItem{CreatedAt: ts, ID: id})
		vec.Insert(nostr.Timestamp(ts), hex.EncodeToString(id[:]))
	}
	vec.Seal()
	slices.SortFunc(items, store.CompareRecordItems)
	set := newItemSet(items)
	if set.Size() != vec.Size() {
		t.Fatal("sizes differ")
	}
	for range 2000 {
		a, b := rng.IntN(len(items)+1), rng.IntN(len(items)+1)
		if a > b {
			a, b = b, a
		}
		if got, want := set.Fingerprint(a, b), vec.Fingerprint(a, b); got != want {
			t.Fatalf("Fingerprint(%d, %d) = %s, library %s", a, b, got, want)
		}
		if got, want := set.Fingerprint(a, b), refFingerprint(items[a:b]); got != want {
			t.Fatalf("Fingerprint(%d, %d) = %s, reference %s", a, b, got, want)
		}
		bound := vec.GetBound(a)
		if set.GetBound(a) != bound {
			t.Fatalf("GetBound(%d) differs", a)
		}
		bound.ID = bound.ID[:rng.IntN(len(bound.ID)+1)] // minimal bounds are id prefixes
		if got, want := set.FindLowerBound(0, len(items), bound), vec.FindLowerBound(0, len(items), bound); got != want {
			t.Fatalf("FindLowerBound = %d, library %d", got, want)
		}
	}
	if set.Fingerprint(0, 0) != vec.Fingerprint(0, 0) {
		t.Fatal("empty fingerprint differs")
	}
}

// Ids whose 32-bit limbs are all 0xffffffff make every limb addition carry.
// The library's vector accumulator drops a carry when both limbs are
// 0xffffffff and a carry comes in; ours follows the spec (the reference).
func TestItemSetFingerprintCarries(t *testing.T) {
	var items []store.RecordItem
	for i := range 5 {
		var id [32]byte
		for j := range id {
			id[j] = 0xff
		}
		id[0] = byte(0xf0 + i)
		items = append(items, store.RecordItem{CreatedAt: int64(i), ID: id})
	}
	set := newItemSet(items)
	for a := 0; a <= len(items); a++ {
		for b := a; b <= len(items); b++ {
			if got, want := set.Fingerprint(a, b), refFingerprint(items[a:b]); got != want {
				t.Fatalf("Fingerprint(%d, %d) = %s, reference %s", a, b, got, want)
			}
		}
	}
}

// reconcileSets runs a complete reconciliation between a client holding a and
// a stateless server holding b, returning what the client has and needs and
// the number of round trips.
func reconcileSets(t *testing.T, a, b []store.RecordItem) (haves, needs [][32]byte, rounds int) {
	t.Helper()
	client, server := newItemSet(a), newItemSet(b)
	cl := newNegClient(client)
	defer cl.abort()
	msg := cl.start()
	for {
		reply, err := serverReply(server, msg)
		if err != nil {
			t.Fatal(err)
		}
		rounds++
		next, done, err := cl.reconcile(reply)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if rounds > maxRounds {
			t.Fatal("reconciliation does not end")
		}
		msg = next
	}
	haves, needs = cl.result()
	return haves, needs, rounds
}

func rangeIDs(ranges [][]int) []int {
	var out []int
	for _, r := range ranges {
		for i := r[0]; i < r[1]; i++ {
			out = append(out, i)
		}
	}
	return out
}

func idSet(ids [][32]byte) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = hex.EncodeToString(id[:])
	}
	slices.Sort(out)
	return out
}

func wantIDs(ranges [][]int) []string {
	var out []string
	for _, i := range rangeIDs(ranges) {
		out = append(out, fmt.Sprintf("%064d", i))
	}
	slices.Sort(out)
	return out
}

// The library's own reconciliation cases (whatever_test.go), run through our
// storage and our stateless server: the same expected haves and needs.
func TestNegentropyLibraryCases(t *testing.T) {
	cases := []struct {
		name                   string
		n1, n2, n1Need, n1Have [][]int
	}{
		{"super small", [][]int{{0, 3}}, [][]int{{2, 4}}, [][]int{{3, 4}}, [][]int{{0, 2}}},
		{"no need to sync", [][]int{{0, 50}}, [][]int{{0, 50}}, nil, nil},
		{"small numbers", [][]int{{2, 15}}, [][]int{{0, 7}, {10, 20}}, [][]int{{0, 2}, {15, 20}}, [][]int{{7, 10}}},
		{"big numbers", [][]int{{20, 150}}, [][]int{{0, 70}, {100, 200}}, [][]int{{0, 20}, {150, 200}}, [][]int{{70, 100}}},
		{"much bigger numbers and confusion",
			[][]int{{20, 150}, {1700, 3400}, {7000, 8100}, {13800, 13816}, {13817, 14950}, {19800, 20000}},
			[][]int{{0, 2000}, {3000, 3600}, {10000, 12200}, {13799, 13801}, {14800, 19900}},
			[][]int{{0, 20}, {150, 1700}, {3400, 3600}, {10000, 12200}, {13799, 13800}, {14950, 19800}},
			[][]int{{2000, 3000}, {7000, 8100}, {13801, 13816}, {13817, 14800}, {19900, 20000}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			haves, needs, rounds := reconcileSets(t, itemsOf(rangeIDs(c.n1)...), itemsOf(rangeIDs(c.n2)...))
			if got, want := idSet(needs), wantIDs(c.n1Need); !slices.Equal(got, want) {
				t.Errorf("needs: %d ids, want %d", len(got), len(want))
			}
			if got, want := idSet(haves), wantIDs(c.n1Have); !slices.Equal(got, want) {
				t.Errorf("haves: %d ids, want %d", len(got), len(want))
			}
			t.Logf("%d round trips", rounds)
		})
	}
}

// The library's fuzz corpus (testdata/fuzz/FuzzWhatever: sectors, average
// sector size, percent chance, frame size limit) replayed against our
// storage: after reconciliation both sides hold the union.
func TestNegentropyFuzzCorpus(t *testing.T) {
	corpus := [][4]uint{
		{165, 108, 72, 54}, {26, 0, 58, 70}, {1, 17, 5, 4044}, {182, 303, 75, 25}, {17, 17, 39, 4115},
		{1, 10, 5, 0}, {300, 200, 50, 0}, {40, 500, 99, 0},
	}
	for _, c := range corpus {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			sectors, avg, pct := c[0], c[1]+1, c[2]%100
			rng := rand.New(rand.NewPCG(1, 1000))
			var a, b []store.RecordItem
			start := 0
			for range int(sectors) {
				diff := rng.Uint() % avg
				size := avg
				if rng.IntN(2) == 0 {
					size -= diff
				} else {
					size += diff
				}
				for i := range int(size) {
					item := start + i
					// As in the library's fuzz test: the two sides hold
					// different ids at the same times. (Ids are hashes: ids
					// differing in one bit would make the additive
					// fingerprints of two ranges collide on purpose.)
					ha := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("a"), uint64(item)))
					hb := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("b"), uint64(item)))
					if rng.IntN(100) < int(pct) {
						a = append(a, store.RecordItem{CreatedAt: int64(item), ID: ha})
					}
					if rng.IntN(100) < int(pct) {
						b = append(b, store.RecordItem{CreatedAt: int64(item), ID: hb})
					}
				}
				start += int(size)
			}
			slices.SortFunc(a, store.CompareRecordItems)
			slices.SortFunc(b, store.CompareRecordItems)
			haves, needs, _ := reconcileSets(t, a, b)
			if len(haves) != len(a) || len(needs) != len(b) { // disjoint by construction
				t.Fatalf("haves %d (want %d), needs %d (want %d)", len(haves), len(a), len(needs), len(b))
			}
			// And with half of them shared: only the differences come back.
			shared := append(slices.Clone(a), b[:len(b)/2]...)
			slices.SortFunc(shared, store.CompareRecordItems)
			haves, needs, _ = reconcileSets(t, shared, b)
			if len(haves) != len(a) || len(needs) != len(b)-len(b)/2 {
				t.Fatalf("overlap: haves %d (want %d), needs %d (want %d)", len(haves), len(a), len(needs), len(b)-len(b)/2)
			}
		})
	}
}

func TestEqualSetsAreOneRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 1000} {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = i
		}
		items := itemsOf(ids...)
		haves, needs, rounds := reconcileSets(t, items, items)
		if len(haves)+len(needs) != 0 || rounds != 1 {
			t.Errorf("n=%d: %d haves, %d needs, %d round trips", n, len(haves), len(needs), rounds)
		}
		// The server recognises equality from the first message.
		if string(newItemSet(items).startMsg()) != string(newNegClient(newItemSet(items)).start()) {
			t.Errorf("n=%d: start message is not deterministic", n)
		}
	}
}

func TestServerRejectsGarbage(t *testing.T) {
	set := newItemSet(itemsOf(1, 2, 3))
	for _, msg := range [][]byte{nil, {0x61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, {0x61, 0x00, 0x7f}, {0x61, 0x01, 0x20, 0x01}} {
		if _, err := serverReply(set, msg); err == nil {
			t.Errorf("serverReply(%x) accepted", msg)
		}
	}
	// A different protocol version gets our version back (the spec's answer).
	if out, err := serverReply(set, []byte{0x62}); err != nil || len(out) != 1 || out[0] != 0x61 {
		t.Errorf("version mismatch answer: %x, %v", out, err)
	}
	_ = negentropy.InfiniteBound
}
