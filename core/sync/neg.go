package sync

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"sync"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"

	"github.com/archy-desktop/archy-desktop/core/store"
)

// Set reconciliation uses Negentropy protocol version 1 (0x61), as
// implemented by github.com/nbd-wtf/go-nostr/nip77/negentropy: items are
// (created_at in unix ms, record id). The library does the message handling;
// itemSet below is our storage for it.

// frameLimit bounds every negentropy message we produce (bytes before
// base64): its base64 form plus the JSON around it stays under the RPC
// request limit (1 MiB). The other side splits what does not fit into more
// rounds.
const frameLimit = 512 << 10

// maxRounds bounds the reconcile round trips of one sync.
const maxRounds = 64

// itemSet is an immutable, sorted set of items implementing
// negentropy.Storage. Fingerprints come from prefix sums (the sum of ids mod
// 2^256 is additive), so each costs O(1) and an itemSet may be shared by
// concurrent reconciliations.
type itemSet struct {
	items  []negentropy.Item // sorted by (Timestamp, ID); ID in lower-case hex
	prefix [][4]uint64       // prefix[i] = sum of ids[0:i] mod 2^256, as little-endian limbs

	startOnce sync.Once
	start     []byte // the initial message a client with exactly this set sends
}

func newItemSet(items []store.RecordItem) *itemSet {
	s := &itemSet{items: make([]negentropy.Item, len(items)), prefix: make([][4]uint64, len(items)+1)}
	var acc [4]uint64
	for i, it := range items {
		s.items[i] = negentropy.Item{Timestamp: nostr.Timestamp(it.CreatedAt), ID: hex.EncodeToString(it.ID[:])}
		acc = add256(acc, limbs(it.ID))
		s.prefix[i+1] = acc
	}
	return s
}

// limbs reads a 32-byte id as a little-endian 256-bit number.
func limbs(id [32]byte) [4]uint64 {
	return [4]uint64{
		binary.LittleEndian.Uint64(id[0:]), binary.LittleEndian.Uint64(id[8:]),
		binary.LittleEndian.Uint64(id[16:]), binary.LittleEndian.Uint64(id[24:]),
	}
}

func add256(a, b [4]uint64) [4]uint64 {
	var c uint64
	for i := range a {
		a[i], c = bits.Add64(a[i], b[i], c)
	}
	return a
}

func sub256(a, b [4]uint64) [4]uint64 {
	var c uint64
	for i := range a {
		a[i], c = bits.Sub64(a[i], b[i], c)
	}
	return a
}

func (s *itemSet) Size() int { return len(s.items) }

func (s *itemSet) Range(begin, end int) iter.Seq2[int, negentropy.Item] {
	return func(yield func(int, negentropy.Item) bool) {
		for i := begin; i < end; i++ {
			if !yield(i, s.items[i]) {
				return
			}
		}
	}
}

func (s *itemSet) FindLowerBound(begin, end int, bound negentropy.Bound) int {
	i, _ := slices.BinarySearchFunc(s.items[begin:end], bound.Item, negentropy.ItemCompare)
	return begin + i
}

func (s *itemSet) GetBound(i int) negentropy.Bound {
	if i < len(s.items) {
		return negentropy.Bound{Item: s.items[i]}
	}
	return negentropy.InfiniteBound
}

// Fingerprint is the Negentropy fingerprint of items[begin:end]: the first 16
// bytes of SHA-256(sum of ids mod 2^256, little-endian ‖ varint(count)).
func (s *itemSet) Fingerprint(begin, end int) string {
	sum := sub256(s.prefix[end], s.prefix[begin])
	var buf [32 + 10]byte
	for i, l := range sum {
		binary.LittleEndian.PutUint64(buf[i*8:], l)
	}
	in := append(buf[:32], negentropy.EncodeVarInt(end-begin)...)
	h := sha256.Sum256(in)
	return hex.EncodeToString(h[:negentropy.FingerprintSize])
}

// startMsg is the initial message of a client holding exactly this set; an
// incoming initial message equal to it means both sets are equal.
func (s *itemSet) startMsg() []byte {
	s.startOnce.Do(func() {
		n := negentropy.New(s, frameLimit)
		s.start, _ = hex.DecodeString(n.Start())
	})
	return s.start
}

var errBadMessage = errors.New("malformed negentropy message")

// serverReply answers one negentropy message as the server (stateless: each
// message is answered from the set alone).
func serverReply(s *itemSet, msg []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil { // the library indexes into hostile input
			out, err = nil, fmt.Errorf("%w: %v", errBadMessage, p)
		}
	}()
	if len(msg) == 0 {
		return nil, errBadMessage
	}
	n := negentropy.New(s, frameLimit)
	reply, err := n.Reconcile(hex.EncodeToString(msg))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadMessage, err)
	}
	return hex.DecodeString(reply)
}

// negClient is the initiator's side of one reconciliation. The library
// reports ids on two channels while Reconcile runs, so two goroutines drain
// them; they end when the library closes the channels (reconciliation
// complete) or when abort closes them.
type negClient struct {
	neg   *negentropy.Negentropy
	wg    sync.WaitGroup
	mu    sync.Mutex
	haves []string // we have, they lack
	needs []string // they have, we lack
	done  bool
}

func newNegClient(s *itemSet) *negClient {
	c := &negClient{neg: negentropy.New(s, frameLimit)}
	c.wg.Add(2)
	go c.drain(c.neg.Haves, &c.haves)
	go c.drain(c.neg.HaveNots, &c.needs)
	return c
}

func (c *negClient) drain(ch chan string, into *[]string) {
	defer c.wg.Done()
	for id := range ch {
		c.mu.Lock()
		*into = append(*into, id)
		c.mu.Unlock()
	}
}

// start returns the initial message.
func (c *negClient) start() []byte {
	b, _ := hex.DecodeString(c.neg.Start())
	return b
}

// reconcile processes the server's reply; done means the sets are
// reconciled and result may be called.
func (c *negClient) reconcile(msg []byte) (next []byte, done bool, err error) {
	if c.done {
		return nil, true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			next, done, err = nil, false, fmt.Errorf("%w: %v", errBadMessage, p)
		}
	}()
	if len(msg) == 0 {
		return nil, false, errBadMessage
	}
	out, err := c.neg.Reconcile(hex.EncodeToString(msg))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", errBadMessage, err)
	}
	if out == "" {
		c.done = true
		c.wg.Wait()
		return nil, true, nil
	}
	next, err = hex.DecodeString(out)
	return next, false, err
}

// result returns the deduplicated ids we have and they lack, and the ids they
// have and we lack. Only valid once reconcile reported done.
func (c *negClient) result() (haves, needs [][32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return decodeIDs(c.haves), decodeIDs(c.needs)
}

func decodeIDs(hexIDs []string) [][32]byte {
	seen := make(map[[32]byte]bool, len(hexIDs))
	out := make([][32]byte, 0, len(hexIDs))
	for _, h := range hexIDs {
		var id [32]byte
		if n, err := hex.Decode(id[:], []byte(h)); err != nil || n != 32 || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// abort ends an unfinished reconciliation and its goroutines. Reconcile is
// never called again, so closing the library's channels here is safe.
func (c *negClient) abort() {
	if c.done {
		return
	}
	c.done = true
	close(c.neg.Haves)
	close(c.neg.HaveNots)
	c.wg.Wait()
}
