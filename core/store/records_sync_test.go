package store

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// testRecord is a record whose id and data derive from i; the store does not
// verify signatures, so the data needs no real signature.
func testRecord(author identity.DID, protocol string, i int) *Record {
	id := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(author), uint64(i)))
	return &Record{
		ID: id, Author: author, Protocol: protocol,
		CreatedAt: 1_700_000_000_000 + int64(i%50)*1000, // many equal timestamps: ties broken by id
		Data:      []byte(fmt.Sprintf("record %d of %s", i, author)),
	}
}

func TestMigrationV1ToV2KeepsDataAndAddsRecordBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archy.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })

	// A file as the first release wrote it.
	migrations = saved[:1]
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := testPeer(t, "alice")
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutPeer(p); err != nil {
			return err
		}
		return tx.PutSetting("name", "desk")
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx *Tx) error {
		_, err := tx.CountRecords()
		return err
	}); err == nil {
		t.Fatal("a v1 file has a record counter")
	}
	s.Close()

	migrations = saved
	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open v1 with v2 code: %v", err)
	}
	defer s.Close()
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readSchema(tx); v != 2 {
			t.Errorf("schema = %d, want 2", v)
		}
		for _, b := range [][]byte{bucketRecords, bucketRecordsAuthor, bucketRecordsProtocol, bucketSnapshots, bucketSyncState} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after v2 migration", b)
			}
		}
		return nil
	})
	author := newDID(t)
	if err := s.Update(func(tx *Tx) error {
		got, err := tx.GetPeer(p.DID)
		if err != nil || !samePeer(got, p) {
			t.Errorf("peer after migration: %+v, %v", got, err)
		}
		var name string
		if ok, err := tx.GetSetting("name", &name); !ok || err != nil || name != "desk" {
			t.Errorf("setting after migration: %q %v %v", name, ok, err)
		}
		if n, err := tx.CountRecords(); n != 0 || err != nil {
			t.Errorf("CountRecords = %d, %v; want 0", n, err)
		}
		_, err = tx.PutRecord(testRecord(author, "note", 1))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestRecordsPutIsIdempotentAndIndexed(t *testing.T) {
	s, _ := openTemp(t)
	alice, bob, carol := newDID(t), newDID(t), newDID(t)
	var all []*Record
	for i := range 60 {
		all = append(all, testRecord(alice, "note", i), testRecord(bob, "node-identity", i))
		if i < 10 {
			all = append(all, testRecord(carol, "note", i))
		}
	}
	if err := s.Update(func(tx *Tx) error {
		n, err := tx.PutRecords(all)
		if n != len(all) {
			t.Errorf("PutRecords added %d of %d", n, len(all))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Again, twice: nothing new.
	for range 2 {
		if err := s.Update(func(tx *Tx) error {
			n, err := tx.PutRecords(all)
			if n != 0 {
				t.Errorf("second PutRecords added %d", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.View(func(tx *Tx) error {
		if n, err := tx.CountRecords(); n != len(all) || err != nil {
			t.Errorf("CountRecords = %d, %v; want %d", n, err, len(all))
		}
		if err := tx.CheckRecords(); err != nil {
			t.Error(err)
		}
		for _, r := range all {
			got, err := tx.GetRecord(r.ID)
			if err != nil || string(got) != string(r.Data) {
				t.Fatalf("GetRecord: %q, %v", got, err)
			}
			if !tx.HasRecord(r.ID) {
				t.Fatal("HasRecord false for a stored record")
			}
		}
		if _, err := tx.GetRecord([32]byte{1}); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRecord(unknown) = %v", err)
		}
		if tx.HasRecord([32]byte{1}) {
			t.Error("HasRecord true for an unknown id")
		}

		// ItemsForAuthors: exactly the authors' records, sorted.
		items, err := tx.ItemsForAuthors([]identity.DID{alice, carol, alice})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 70 {
			t.Fatalf("ItemsForAuthors(alice, carol) = %d items, want 70", len(items))
		}
		if !slices.IsSortedFunc(items, CompareRecordItems) {
			t.Error("items not sorted by (created_at, id)")
		}
		want := map[[32]byte]bool{}
		for _, r := range all {
			if r.Author != bob {
				want[r.ID] = true
			}
		}
		for _, it := range items {
			if !want[it.ID] {
				t.Fatalf("item %x is not alice's or carol's", it.ID[:4])
			}
		}
		if items, _ := tx.ItemsForAuthors([]identity.DID{newDID(t)}); len(items) != 0 {
			t.Errorf("unknown author has %d items", len(items))
		}
		if _, err := tx.ItemsForAuthors([]identity.DID{"did:key:nope"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad author: %v", err)
		}

		// ListRecords: newest first, per protocol, limited.
		notes, err := tx.ListRecords("note", 5)
		if err != nil || len(notes) != 5 {
			t.Fatalf("ListRecords(note, 5) = %d, %v", len(notes), err)
		}
		allNotes, _ := tx.ListRecords("note", 0)
		if len(allNotes) != 70 {
			t.Errorf("ListRecords(note) = %d, want 70", len(allNotes))
		}
		ids, _ := tx.ListRecords("node-identity", 0)
		if len(ids) != 60 {
			t.Errorf("ListRecords(node-identity) = %d, want 60", len(ids))
		}
		if none, _ := tx.ListRecords("not", 0); len(none) != 0 {
			t.Errorf("prefix of a protocol matched %d records", len(none))
		}
		everything, _ := tx.ListRecords("", 0)
		if len(everything) != len(all) {
			t.Errorf("ListRecords(\"\") = %d, want %d", len(everything), len(all))
		}
		return nil
	})
	// Newest first: the first listed note has the largest created_at.
	_ = s.View(func(tx *Tx) error {
		byData := map[string]*Record{}
		for _, r := range all {
			byData[string(r.Data)] = r
		}
		list, _ := tx.ListRecords("note", 0)
		for i := 1; i < len(list); i++ {
			a, b := byData[string(list[i-1])], byData[string(list[i])]
			if a.CreatedAt < b.CreatedAt {
				t.Fatalf("ListRecords not newest first at %d", i)
			}
		}
		return nil
	})
}

func TestPutRecordValidates(t *testing.T) {
	s, _ := openTemp(t)
	author := newDID(t)
	for name, mut := range map[string]func(*Record){
		"zero id":        func(r *Record) { r.ID = [32]byte{} },
		"bad author":     func(r *Record) { r.Author = "did:key:nope" },
		"empty protocol": func(r *Record) { r.Protocol = "" },
		"long protocol":  func(r *Record) { r.Protocol = strings.Repeat("a", MaxProtocolLen+1) },
		"nul protocol":   func(r *Record) { r.Protocol = "a\x00b" },
		"negative time":  func(r *Record) { r.CreatedAt = -1 },
		"no data":        func(r *Record) { r.Data = nil },
		"huge data":      func(r *Record) { r.Data = make([]byte, MaxRecordData+1) },
	} {
		r := testRecord(author, "note", 1)
		mut(r)
		err := s.Update(func(tx *Tx) error { _, err := tx.PutRecord(r); return err })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	_ = s.View(func(tx *Tx) error {
		if n, _ := tx.CountRecords(); n != 0 {
			t.Errorf("invalid records were counted: %d", n)
		}
		return tx.CheckRecords()
	})
}

func TestSnapshotNewestWins(t *testing.T) {
	s, _ := openTemp(t)
	peer := newDID(t)
	put := func(ts time.Time, name string) bool {
		var ok bool
		if err := s.Update(func(tx *Tx) error {
			var err error
			ok, err = tx.PutSnapshot(&Snapshot{PeerDID: peer, Timestamp: ts, ReceivedAt: t0,
				Data: json.RawMessage(fmt.Sprintf(`{"node_name":%q}`, name))})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !put(t0, "first") {
		t.Fatal("first snapshot not stored")
	}
	if !put(t0.Add(time.Minute), "newer") {
		t.Fatal("newer snapshot not stored")
	}
	if put(t0.Add(30*time.Second), "older") {
		t.Fatal("older snapshot replaced a newer one")
	}
	if put(t0.Add(time.Minute), "same time") {
		t.Fatal("snapshot with the same timestamp replaced the stored one")
	}
	_ = s.View(func(tx *Tx) error {
		got, err := tx.GetSnapshot(peer)
		if err != nil || !strings.Contains(string(got.Data), "newer") || !got.Timestamp.Equal(t0.Add(time.Minute)) {
			t.Errorf("GetSnapshot = %+v, %v", got, err)
		}
		list, _ := tx.ListSnapshots()
		if len(list) != 1 {
			t.Errorf("ListSnapshots = %d", len(list))
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error {
		if _, err := tx.PutSnapshot(&Snapshot{PeerDID: peer, Data: json.RawMessage(`{}`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("zero timestamp: %v", err)
		}
		if _, err := tx.PutSnapshot(&Snapshot{PeerDID: peer, Timestamp: t0, Data: json.RawMessage(`{`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad JSON: %v", err)
		}
		return tx.DeleteSnapshot(peer)
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, err := tx.GetSnapshot(peer); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		return nil
	})
}

func TestSyncStateCRUD(t *testing.T) {
	s, _ := openTemp(t)
	st := &SyncState{PeerDID: newDID(t), LastSync: t0, NextAttempt: t0.Add(5 * time.Minute), Failures: 2,
		FailingSince: t0.Add(-time.Hour), LastError: "timeout", RemoteTrust: Observer}
	if err := s.Update(func(tx *Tx) error { return tx.PutSyncState(st) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		got, err := tx.GetSyncState(st.PeerDID)
		if err != nil || got.Failures != 2 || got.LastError != "timeout" || !got.NextAttempt.Equal(st.NextAttempt) || got.RemoteTrust != Observer {
			t.Errorf("GetSyncState = %+v, %v", got, err)
		}
		list, _ := tx.ListSyncStates()
		if len(list) != 1 {
			t.Errorf("ListSyncStates = %d", len(list))
		}
		return nil
	})
	for name, bad := range map[string]*SyncState{
		"bad DID":   {PeerDID: "x"},
		"bad trust": {PeerDID: st.PeerDID, RemoteTrust: "friend"},
		"negative":  {PeerDID: st.PeerDID, Failures: -1},
	} {
		if err := s.Update(func(tx *Tx) error { return tx.PutSyncState(bad) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := s.Update(func(tx *Tx) error { return tx.DeleteSyncState(st.PeerDID) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, err := tx.GetSyncState(st.PeerDID); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		return nil
	})
}

// Crash safety: a child process writes batches of records, one transaction
// per batch, as fast as it can; the parent kills it with SIGKILL at a random
// moment (usually mid-transaction), reopens the file and checks that exactly
// the committed batches are there, indexes consistent, and that writing every
// batch again from the start completes the set without duplicates.

const (
	crashEnvPath  = "ARCHY_STORE_CRASH_HELPER_DB"
	crashBatch    = 200
	crashBatches  = 60
	crashAuthorSd = "archy-store-crash-test-author-seed"
)

func crashAuthor() identity.DID {
	seed := sha256.Sum256([]byte(crashAuthorSd))
	return identity.DIDFromPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
}

func crashBatchRecords(b int) []*Record {
	author := crashAuthor()
	out := make([]*Record, crashBatch)
	for i := range out {
		r := testRecord(author, "crash", b*crashBatch+i)
		r.Data = append(r.Data, make([]byte, 700)...) // a few pages per batch
		out[i] = r
	}
	return out
}

func TestCrashHelperProcess(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("helper for TestCrashMidBatchLosesNothing")
	}
	s, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	for b := 0; ; b = (b + 1) % crashBatches {
		if err := s.Update(func(tx *Tx) error { _, err := tx.PutRecords(crashBatchRecords(b)); return err }); err != nil {
			fmt.Println("update:", err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", b)
	}
}

func TestCrashMidBatchLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "archy.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvPath+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lastCommitted := -1
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "committed "); ok {
				lastCommitted, _ = strconv.Atoi(n)
				if lastCommitted >= 3+round*7 {
					break
				}
			} else if strings.HasPrefix(line, "open:") || strings.HasPrefix(line, "update:") {
				t.Fatalf("helper: %s", line)
			}
		}
		// Let it get into the middle of the next transaction, then kill it.
		time.Sleep(time.Duration(round) * 3 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if lastCommitted < 0 {
			t.Fatal("helper committed nothing")
		}

		s, err := Open(path)
		if err != nil {
			t.Fatalf("reopen after kill -9: %v", err)
		}
		if err := s.View(func(tx *Tx) error {
			if err := tx.CheckRecords(); err != nil {
				return err
			}
			n, _ := tx.CountRecords()
			if n%crashBatch != 0 {
				t.Errorf("round %d: %d records is not a whole number of batches", round, n)
			}
			// Batches are written in order: every batch up to the last
			// reported one is complete.
			for b := 0; b <= lastCommitted; b++ {
				for _, r := range crashBatchRecords(b) {
					if !tx.HasRecord(r.ID) {
						t.Fatalf("round %d: committed batch %d lost record", round, b)
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Resume: write everything again; ids make it idempotent.
		for b := range crashBatches {
			if err := s.Update(func(tx *Tx) error { _, err := tx.PutRecords(crashBatchRecords(b)); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.View(func(tx *Tx) error {
			if n, _ := tx.CountRecords(); n != crashBatch*crashBatches {
				t.Errorf("round %d: %d records after resuming, want %d", round, n, crashBatch*crashBatches)
			}
			items, _ := tx.ItemsForAuthors([]identity.DID{crashAuthor()})
			if len(items) != crashBatch*crashBatches {
				t.Errorf("round %d: author index has %d items", round, len(items))
			}
			return tx.CheckRecords()
		}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if round < 2 { // start the next round from an empty file again
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
}
