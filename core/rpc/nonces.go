package rpc

import (
	"sync"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// DefaultNonceCacheSize is the nonce cache capacity when ServerConfig leaves
// it zero: enough for ~100 authenticated requests per second sustained over
// the whole NonceWindow.
const DefaultNonceCacheSize = 1 << 16

type nonceKey struct {
	did   identity.DID
	nonce [NonceSize]byte
}

type nonceEntry struct {
	key     nonceKey
	ts      int64     // the request's Archy-Timestamp
	expires time.Time // when recorded + NonceWindow
}

// nonceCache remembers the nonces of verified requests for NonceWindow. It is
// bounded: entries live in a FIFO ring of fixed capacity. When the ring is
// full of unexpired entries the oldest is evicted and its timestamp raises a
// floor: from then on a request whose timestamp is not above the floor is
// refused as stale, because its nonce might be one we forgot. Under normal
// load nothing is evicted early and the floor never matters.
type nonceCache struct {
	mu    sync.Mutex
	seen  map[nonceKey]struct{}
	ring  []nonceEntry
	head  int // index of the oldest entry
	n     int // number of entries
	floor int64
	// hasFloor: floor is only meaningful once something was evicted early.
	hasFloor bool
}

func newNonceCache(size int) *nonceCache {
	if size <= 0 {
		size = DefaultNonceCacheSize
	}
	return &nonceCache{seen: make(map[nonceKey]struct{}), ring: make([]nonceEntry, size)}
}

func (c *nonceCache) popOldest() nonceEntry {
	e := c.ring[c.head]
	c.ring[c.head] = nonceEntry{}
	c.head = (c.head + 1) % len(c.ring)
	c.n--
	delete(c.seen, e.key)
	return e
}

// add records key (a verified request's DID and nonce, with its timestamp)
// or refuses it with ErrReplayedNonce, or ErrStaleTimestamp when its
// timestamp is at or below the eviction floor.
func (c *nonceCache) add(key nonceKey, ts int64, now time.Time) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.n > 0 && !now.Before(c.ring[c.head].expires) {
		c.popOldest()
	}
	if _, ok := c.seen[key]; ok {
		return ErrReplayedNonce
	}
	if c.hasFloor && ts <= c.floor {
		return ErrStaleTimestamp.WithData("nonce cache saturated; retry with a newer timestamp")
	}
	if c.n == len(c.ring) {
		e := c.popOldest()
		if !c.hasFloor || e.ts > c.floor {
			c.floor, c.hasFloor = e.ts, true
		}
	}
	c.ring[(c.head+c.n)%len(c.ring)] = nonceEntry{key: key, ts: ts, expires: now.Add(NonceWindow)}
	c.n++
	c.seen[key] = struct{}{}
	return nil
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
