package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Schema 2: signed records, peers' state snapshots, per-peer sync state.
//
// Buckets and key layouts (all integers big-endian):
//
//	records              id (32)                                    → Record.Data
//	records_by_author    author public key (32) ‖ created_at (8) ‖ id (32)  → empty
//	records_by_protocol  protocol ‖ 0x00 ‖ created_at (8) ‖ id (32)          → empty
//	meta/record_count    uint64: number of keys in records
//	snapshots            peer DID → Snapshot (JSON)
//	sync_state           peer DID → SyncState (JSON)
//
// A record and its two index entries and the counter are written in the same
// transaction, so after a crash (bbolt commits atomically) either all of them
// exist or none does. Ids are content hashes, so writing a record again is a
// no-op: retrying a batch after a crash neither loses nor duplicates anything.

// MaxProtocolLen is the longest protocol name the store indexes.
const MaxProtocolLen = 64

// MaxRecordData bounds Record.Data (a sanity limit well above what core/sync
// produces: a 64 KiB payload plus its header and signature).
const MaxRecordData = 256 << 10

// Record is a signed record as the store keeps it: Data is its complete
// encoding (core/sync's format, signature included), the other fields are
// what the indexes need. The store does not interpret Data: core/sync
// verifies the signature and computes ID before calling PutRecord.
type Record struct {
	ID        [32]byte
	Author    identity.DID
	Protocol  string
	CreatedAt int64 // unix milliseconds, ≥ 0
	Data      []byte
}

// RecordItem is what set reconciliation needs of a record.
type RecordItem struct {
	CreatedAt int64 // unix milliseconds
	ID        [32]byte
}

// CompareRecordItems orders items by CreatedAt, then by ID (bytewise): the
// order ItemsForAuthors returns and Negentropy requires.
func CompareRecordItems(a, b RecordItem) int {
	return cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), bytes.Compare(a.ID[:], b.ID[:]))
}

func (r *Record) validate() ([]byte, error) {
	if r.ID == ([32]byte{}) {
		return nil, invalid("record without id")
	}
	pub, err := identity.ParseDID(string(r.Author))
	if err != nil {
		return nil, invalid("record author %q: %v", r.Author, err)
	}
	if r.Protocol == "" || len(r.Protocol) > MaxProtocolLen || strings.IndexByte(r.Protocol, 0) >= 0 {
		return nil, invalid("record protocol %q", r.Protocol)
	}
	if r.CreatedAt < 0 {
		return nil, invalid("record created_at %d is negative", r.CreatedAt)
	}
	if len(r.Data) == 0 || len(r.Data) > MaxRecordData {
		return nil, invalid("record data of %d bytes", len(r.Data))
	}
	return pub, nil
}

func authorIndexKey(pub []byte, createdAt int64, id [32]byte) []byte {
	k := make([]byte, 0, 32+8+32)
	k = append(k, pub...)
	k = binary.BigEndian.AppendUint64(k, uint64(createdAt))
	return append(k, id[:]...)
}

func protocolIndexKey(protocol string, createdAt int64, id [32]byte) []byte {
	k := make([]byte, 0, len(protocol)+1+8+32)
	k = append(k, protocol...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, uint64(createdAt))
	return append(k, id[:]...)
}

// itemFromKeyTail decodes created_at ‖ id from the last 40 bytes of an index key.
func itemFromKeyTail(k []byte) RecordItem {
	tail := k[len(k)-40:]
	it := RecordItem{CreatedAt: int64(binary.BigEndian.Uint64(tail[:8]))}
	copy(it.ID[:], tail[8:])
	return it
}

func (t *Tx) addRecordCount(delta int64) error {
	meta, err := t.bucket(bucketMeta)
	if err != nil {
		return err
	}
	var n uint64
	if raw := meta.Get(keyRecordCount); len(raw) == 8 {
		n = binary.BigEndian.Uint64(raw)
	}
	n = uint64(int64(n) + delta)
	return meta.Put(keyRecordCount, binary.BigEndian.AppendUint64(nil, n))
}

// PutRecord stores r and indexes it by author and by protocol. It is
// idempotent: if a record with r.ID is already stored it writes nothing and
// reports false. It validates the fields (ErrInvalid) but not the signature
// or the id: callers (core/sync) must have verified the record.
func (t *Tx) PutRecord(r *Record) (bool, error) {
	pub, err := r.validate()
	if err != nil {
		return false, err
	}
	recs, err := t.bucket(bucketRecords)
	if err != nil {
		return false, err
	}
	if recs.Get(r.ID[:]) != nil {
		return false, nil
	}
	byAuthor, err := t.bucket(bucketRecordsAuthor)
	if err != nil {
		return false, err
	}
	byProto, err := t.bucket(bucketRecordsProtocol)
	if err != nil {
		return false, err
	}
	if err := recs.Put(bytes.Clone(r.ID[:]), bytes.Clone(r.Data)); err != nil {
		return false, err
	}
	if err := byAuthor.Put(authorIndexKey(pub, r.CreatedAt, r.ID), []byte{}); err != nil {
		return false, err
	}
	if err := byProto.Put(protocolIndexKey(r.Protocol, r.CreatedAt, r.ID), []byte{}); err != nil {
		return false, err
	}
	return true, t.addRecordCount(1)
}

// PutRecords stores every record (see PutRecord) and returns how many were
// new. Call it inside one Update per batch: the batch commits as a whole.
func (t *Tx) PutRecords(rs []*Record) (int, error) {
	added := 0
	for _, r := range rs {
		ok, err := t.PutRecord(r)
		if err != nil {
			return added, err
		}
		if ok {
			added++
		}
	}
	return added, nil
}

// GetRecord returns a copy of the stored encoding of the record with that id,
// or ErrNotFound.
func (t *Tx) GetRecord(id [32]byte) ([]byte, error) {
	recs, err := t.bucket(bucketRecords)
	if err != nil {
		return nil, err
	}
	raw := recs.Get(id[:])
	if raw == nil {
		return nil, ErrNotFound
	}
	return bytes.Clone(raw), nil
}

// HasRecord reports whether a record with that id is stored.
func (t *Tx) HasRecord(id [32]byte) bool { return t.has(bucketRecords, id[:]) }

// CountRecords returns the number of stored records (a counter kept in the
// same transactions as the records, so it is exact and O(1)).
func (t *Tx) CountRecords() (int, error) {
	meta, err := t.bucket(bucketMeta)
	if err != nil {
		return 0, err
	}
	raw := meta.Get(keyRecordCount)
	if len(raw) != 8 {
		return 0, fmt.Errorf("store: record counter missing")
	}
	return int(binary.BigEndian.Uint64(raw)), nil
}

// ItemsForAuthors returns (created_at, id) of every record whose author is
// one of authors, sorted by CompareRecordItems. Duplicate authors are
// ignored; an author that is not a valid did:key fails with ErrInvalid.
func (t *Tx) ItemsForAuthors(authors []identity.DID) ([]RecordItem, error) {
	byAuthor, err := t.bucket(bucketRecordsAuthor)
	if err != nil {
		return nil, err
	}
	seen := make(map[identity.DID]bool, len(authors))
	var out []RecordItem
	for _, a := range authors {
		if seen[a] {
			continue
		}
		seen[a] = true
		pub, err := identity.ParseDID(string(a))
		if err != nil {
			return nil, invalid("author %q: %v", a, err)
		}
		c := byAuthor.Cursor()
		for k, _ := c.Seek(pub); k != nil && bytes.HasPrefix(k, pub); k, _ = c.Next() {
			if len(k) != 32+8+32 {
				return nil, fmt.Errorf("store: malformed author index key of %d bytes", len(k))
			}
			out = append(out, itemFromKeyTail(k))
		}
	}
	if len(seen) > 1 {
		slices.SortFunc(out, CompareRecordItems)
	}
	return out, nil
}

// ListRecords returns the stored encodings of the newest records of protocol
// (every protocol if it is empty), newest first, at most limit of them
// (limit ≤ 0: all).
func (t *Tx) ListRecords(protocol string, limit int) ([][]byte, error) {
	byProto, err := t.bucket(bucketRecordsProtocol)
	if err != nil {
		return nil, err
	}
	var items []RecordItem
	c := byProto.Cursor()
	if protocol == "" {
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 41 {
				return nil, fmt.Errorf("store: malformed protocol index key")
			}
			items = append(items, itemFromKeyTail(k))
		}
		slices.SortFunc(items, func(a, b RecordItem) int { return CompareRecordItems(b, a) })
		if limit > 0 && len(items) > limit {
			items = items[:limit]
		}
	} else {
		prefix := append([]byte(protocol), 0)
		// Walk backwards from the end of the prefix range: newest first.
		end := append([]byte(protocol), 1)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if len(k) != len(prefix)+40 {
				return nil, fmt.Errorf("store: malformed protocol index key")
			}
			items = append(items, itemFromKeyTail(k))
			if limit > 0 && len(items) == limit {
				break
			}
		}
	}
	out := make([][]byte, 0, len(items))
	for _, it := range items {
		raw, err := t.GetRecord(it.ID)
		if err != nil {
			return nil, fmt.Errorf("store: protocol index names missing record %x: %w", it.ID[:8], err)
		}
		out = append(out, raw)
	}
	return out, nil
}

// CheckRecords verifies that the record counter, the records bucket and both
// indexes agree (every index entry names a stored record, every record has
// exactly one entry in each index). It is for tests and diagnostics; it reads
// everything.
func (t *Tx) CheckRecords() error {
	recs, err := t.bucket(bucketRecords)
	if err != nil {
		return err
	}
	n := 0
	if err := recs.ForEach(func(k, v []byte) error {
		if len(k) != 32 || len(v) == 0 {
			return fmt.Errorf("store: malformed record entry")
		}
		n++
		return nil
	}); err != nil {
		return err
	}
	count, err := t.CountRecords()
	if err != nil {
		return err
	}
	if count != n {
		return fmt.Errorf("store: record counter says %d, records bucket holds %d", count, n)
	}
	for _, name := range [][]byte{bucketRecordsAuthor, bucketRecordsProtocol} {
		b, err := t.bucket(name)
		if err != nil {
			return err
		}
		seen := make(map[[32]byte]bool, n)
		if err := b.ForEach(func(k, _ []byte) error {
			if len(k) < 40 {
				return fmt.Errorf("store: malformed %s key", name)
			}
			it := itemFromKeyTail(k)
			if seen[it.ID] {
				return fmt.Errorf("store: %s lists record %x twice", name, it.ID[:8])
			}
			seen[it.ID] = true
			if recs.Get(it.ID[:]) == nil {
				return fmt.Errorf("store: %s names missing record %x", name, it.ID[:8])
			}
			return nil
		}); err != nil {
			return err
		}
		if len(seen) != n {
			return fmt.Errorf("store: %s has %d entries for %d records", name, len(seen), n)
		}
	}
	return nil
}

// Snapshot is a peer's latest state snapshot as it sent it. Data is the
// snapshot's JSON (core/sync's Snapshot); Timestamp is the snapshot's own
// timestamp, by which the newest one wins.
type Snapshot struct {
	PeerDID    identity.DID
	Timestamp  time.Time
	ReceivedAt time.Time
	Data       json.RawMessage
}

// PutSnapshot stores s unless the stored snapshot of the same peer is as new
// or newer (by Timestamp); it reports whether s was stored.
func (t *Tx) PutSnapshot(s *Snapshot) (bool, error) {
	if err := validDID(s.PeerDID); err != nil {
		return false, err
	}
	if s.Timestamp.IsZero() {
		return false, invalid("snapshot without timestamp")
	}
	if !json.Valid(s.Data) {
		return false, invalid("snapshot data is not JSON")
	}
	old, err := t.GetSnapshot(s.PeerDID)
	switch {
	case err == nil:
		if !s.Timestamp.After(old.Timestamp) {
			return false, nil
		}
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	return true, t.put(bucketSnapshots, []byte(s.PeerDID), s)
}

// GetSnapshot returns the stored snapshot of did, or ErrNotFound.
func (t *Tx) GetSnapshot(did identity.DID) (*Snapshot, error) {
	s := new(Snapshot)
	if err := t.get(bucketSnapshots, []byte(did), s); err != nil {
		return nil, err
	}
	return s, nil
}

// ListSnapshots returns every stored snapshot ordered by peer DID.
func (t *Tx) ListSnapshots() ([]*Snapshot, error) {
	var out []*Snapshot
	if err := each(t, bucketSnapshots, func(s *Snapshot) { out = append(out, s) }); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSnapshot removes did's snapshot; removing an absent one is not an
// error.
func (t *Tx) DeleteSnapshot(did identity.DID) error { return t.del(bucketSnapshots, []byte(did)) }

// SyncState is what the sync scheduler remembers about one peer across
// restarts.
type SyncState struct {
	PeerDID      identity.DID
	LastSync     time.Time // last successful sync
	LastAttempt  time.Time
	NextAttempt  time.Time
	Failures     int // consecutive failed attempts
	FailingSince time.Time
	LastError    string
	// RemoteTrust is how the peer told us it regards us ("" until it did).
	RemoteTrust Trust `json:",omitempty"`
}

// PutSyncState inserts or replaces the state keyed by s.PeerDID.
func (t *Tx) PutSyncState(s *SyncState) error {
	if err := validDID(s.PeerDID); err != nil {
		return err
	}
	if s.RemoteTrust != "" && !s.RemoteTrust.Valid() {
		return invalid("remote trust %q", s.RemoteTrust)
	}
	if s.Failures < 0 {
		return invalid("negative failure count")
	}
	return t.put(bucketSyncState, []byte(s.PeerDID), s)
}

// GetSyncState returns the sync state of did, or ErrNotFound.
func (t *Tx) GetSyncState(did identity.DID) (*SyncState, error) {
	s := new(SyncState)
	if err := t.get(bucketSyncState, []byte(did), s); err != nil {
		return nil, err
	}
	return s, nil
}

// ListSyncStates returns every stored sync state ordered by peer DID.
func (t *Tx) ListSyncStates() ([]*SyncState, error) {
	var out []*SyncState
	if err := each(t, bucketSyncState, func(s *SyncState) { out = append(out, s) }); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSyncState removes did's sync state; removing an absent one is not an
// error.
func (t *Tx) DeleteSyncState(did identity.DID) error { return t.del(bucketSyncState, []byte(did)) }
