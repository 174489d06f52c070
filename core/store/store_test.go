package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

func newDID(t *testing.T) identity.DID {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return identity.DIDFromPublicKey(pub)
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archy.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

var (
	onionA = strings.Repeat("a", 55) + "d"
	onionB = strings.Repeat("b", 55) + "d"
	key32  = bytes.Repeat([]byte{7}, 32)
	t0     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func testPeer(t *testing.T, name string) *Peer {
	return &Peer{
		DID: newDID(t), Onion: onionA, Name: name, Trust: Trusted,
		DialKey: key32, AuthorizedKey: key32, PairedAt: t0, LastSeen: t0.Add(time.Minute),
	}
}

func samePeer(a, b *Peer) bool {
	return a.DID == b.DID && a.Onion == b.Onion && a.Name == b.Name && a.Trust == b.Trust &&
		bytes.Equal(a.DialKey, b.DialKey) && bytes.Equal(a.AuthorizedKey, b.AuthorizedKey) &&
		a.PairedAt.Equal(b.PairedAt) && a.VerifiedAt.Equal(b.VerifiedAt) && a.LastSeen.Equal(b.LastSeen) &&
		a.Verified == b.Verified
}

func TestOpenCreatesPrivateFileAtCurrentSchema(t *testing.T) {
	s, path := openTemp(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("file mode %o, want 600", mode)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		v, err := readSchema(tx)
		if err != nil {
			return err
		}
		if v != SchemaVersion() {
			t.Errorf("schema %d, want %d", v, SchemaVersion())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTightensExistingFileMode(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	fi, _ := os.Stat(path)
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("file mode %o, want 600", mode)
	}
}

func TestOpenMissingParentDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "archy.db")
	if _, err := Open(path); err == nil {
		t.Fatal("Open in a missing folder succeeded")
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created the folder: %v", err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("second Open of an open database succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "another Archy Desktop is using this data folder") {
		t.Fatalf("error text %q lacks the clear message", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 10*time.Second {
		t.Fatalf("gave up after %v, want about 1s", d)
	}
}

func TestMigrationFromV0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archy.db")
	// A v0 file: a bbolt database with no meta bucket and an unrelated bucket.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("legacy"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open v0: %v", err)
	}
	defer s.Close()
	if err := s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readSchema(tx); v != SchemaVersion() {
			t.Errorf("schema after migration = %d, want %d", v, SchemaVersion())
		}
		for _, b := range [][]byte{bucketPeers, bucketInvites, bucketPending, bucketTombstones, bucketSettings} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration", b)
			}
		}
		if got := tx.Bucket([]byte("legacy")).Get([]byte("k")); string(got) != "v" {
			t.Errorf("migration lost unrelated data: %q", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// And the migrated store works.
	p := testPeer(t, "alice")
	if err := s.Update(func(tx *Tx) error { return tx.PutPeer(p) }); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archy.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(cloneMigrations(saved), func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("v2")); err != nil {
			return err
		}
		return errors.New("boom")
	})
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Open with failing migration: %v", err)
	}
	migrations = saved
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v, _ := readSchema(tx); v != uint64(len(saved)) {
			t.Errorf("schema = %d after failed migration, want %d", v, len(saved))
		}
		if tx.Bucket([]byte("v2")) != nil {
			t.Error("failed migration left its bucket behind")
		}
		return nil
	})
}

func cloneMigrations(m []migration) []migration { return append([]migration(nil), m...) }

func TestNewerSchemaIsRefusedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archy.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion()+1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	fiBefore, _ := os.Stat(path)

	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	after, _ := os.ReadFile(path)
	fiAfter, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !fiBefore.ModTime().Equal(fiAfter.ModTime()) || fiAfter.Mode() != fiBefore.Mode() {
		t.Fatal("Open modified a database with a newer schema")
	}
}

func TestPeerCRUD(t *testing.T) {
	s, _ := openTemp(t)
	p := testPeer(t, "alice")
	if err := s.Update(func(tx *Tx) error { return tx.PutPeer(p) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx *Tx) error {
		got, err := tx.GetPeer(p.DID)
		if err != nil {
			return err
		}
		if !samePeer(got, p) {
			t.Errorf("GetPeer = %+v, want %+v", got, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Update in place.
	p.Verified, p.VerifiedAt, p.Trust = true, t0.Add(time.Hour), Observer
	if err := s.Update(func(tx *Tx) error { return tx.PutPeer(p) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		got, err := tx.GetPeer(p.DID)
		if err != nil || !samePeer(got, p) {
			t.Errorf("after update GetPeer = %+v, %v", got, err)
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.DeletePeer(p.DID) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, err := tx.GetPeer(p.DID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetPeer after delete: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.DeletePeer(p.DID) }); err != nil {
		t.Fatalf("deleting an absent peer: %v", err)
	}
}

func TestPutPeerValidates(t *testing.T) {
	s, _ := openTemp(t)
	for name, mut := range map[string]func(*Peer){
		"bad DID":         func(p *Peer) { p.DID = "did:key:nope" },
		"onion suffix":    func(p *Peer) { p.Onion = onionA + ".onion" },
		"onion short":     func(p *Peer) { p.Onion = "abc" },
		"onion uppercase": func(p *Peer) { p.Onion = strings.ToUpper(onionA) },
		"trust":           func(p *Peer) { p.Trust = "admin" },
		"dial key":        func(p *Peer) { p.DialKey = []byte{1, 2, 3} },
		"authorized key":  func(p *Peer) { p.AuthorizedKey = make([]byte, 33) },
	} {
		p := testPeer(t, "x")
		mut(p)
		err := s.Update(func(tx *Tx) error { return tx.PutPeer(p) })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	_ = s.View(func(tx *Tx) error {
		if ps, _ := tx.ListPeers(); len(ps) != 0 {
			t.Errorf("invalid peers were stored: %d", len(ps))
		}
		return nil
	})
}

func TestListPeersSorted(t *testing.T) {
	s, _ := openTemp(t)
	names := []string{"carol", "Bob", "alice", "bob", "alice"}
	var peers []*Peer
	if err := s.Update(func(tx *Tx) error {
		for _, n := range names {
			p := testPeer(t, n)
			peers = append(peers, p)
			if err := tx.PutPeer(p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []*Peer
	_ = s.View(func(tx *Tx) error {
		var err error
		got, err = tx.ListPeers()
		return err
	})
	if len(got) != len(names) {
		t.Fatalf("ListPeers returned %d peers", len(got))
	}
	wantNames := []string{"alice", "alice", "Bob", "bob", "carol"}
	for i, p := range got {
		if p.Name != wantNames[i] {
			t.Fatalf("order %v, want names %v", namesOf(got), wantNames)
		}
	}
	if got[0].DID > got[1].DID {
		t.Fatalf("equal names not ordered by DID: %s > %s", got[0].DID, got[1].DID)
	}
}

func namesOf(ps []*Peer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestParseTrust(t *testing.T) {
	for in, want := range map[string]Trust{"trusted": Trusted, "observer": Observer} {
		if got, err := ParseTrust(in); err != nil || got != want {
			t.Errorf("ParseTrust(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "Trusted", "admin"} {
		if _, err := ParseTrust(in); err == nil {
			t.Errorf("ParseTrust(%q) succeeded", in)
		}
	}
}

func TestInvites(t *testing.T) {
	s, _ := openTemp(t)
	secret := []byte("the invite secret")
	hash := sha256.Sum256(secret)
	inv := &Invite{SecretHash: hash, CreatedAt: t0, Expires: t0.Add(24 * time.Hour), Observer: true, ClientAuthPublic: key32}
	other := &Invite{SecretHash: sha256.Sum256([]byte("other")), CreatedAt: t0.Add(-time.Hour), Expires: t0.Add(time.Hour)}
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutInvite(inv); err != nil {
			return err
		}
		return tx.PutInvite(other)
	}); err != nil {
		t.Fatal(err)
	}

	// The secret itself is nowhere in the file's invites bucket.
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInvites).ForEach(func(k, v []byte) error {
			if bytes.Contains(k, secret) || bytes.Contains(v, secret) {
				t.Error("invite secret stored in the database")
			}
			return nil
		})
	})

	_ = s.View(func(tx *Tx) error {
		got, err := tx.GetInvite(hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.SecretHash != hash || !got.Expires.Equal(inv.Expires) || !got.Observer || !bytes.Equal(got.ClientAuthPublic, key32) || got.Used() {
			t.Errorf("GetInvite = %+v", got)
		}
		list, err := tx.ListInvites()
		if err != nil || len(list) != 2 || list[0].SecretHash != other.SecretHash {
			t.Errorf("ListInvites = %v, %v (want oldest first)", list, err)
		}
		return nil
	})

	joiner := newDID(t)
	burnAt := t0.Add(time.Minute)
	if err := s.Update(func(tx *Tx) error { return tx.BurnInvite(hash, joiner, burnAt) }); err != nil {
		t.Fatalf("first burn: %v", err)
	}
	err := s.Update(func(tx *Tx) error { return tx.BurnInvite(hash, newDID(t), burnAt.Add(time.Second)) })
	if !errors.Is(err, ErrInviteUsed) {
		t.Fatalf("second burn: %v, want ErrInviteUsed", err)
	}
	_ = s.View(func(tx *Tx) error {
		got, _ := tx.GetInvite(hash)
		if got.UsedBy != joiner || !got.UsedAt.Equal(burnAt) {
			t.Errorf("after burns: used by %s at %v, want the first burner", got.UsedBy, got.UsedAt)
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.BurnInvite(sha256.Sum256([]byte("x")), joiner, burnAt) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("burn unknown: %v, want ErrNotFound", err)
	}
	if err := s.Update(func(tx *Tx) error { return tx.DeleteInvite(hash) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, err := tx.GetInvite(hash); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetInvite after delete: %v", err)
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.PutInvite(&Invite{}) }); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutInvite without hash: %v", err)
	}
}

func TestPending(t *testing.T) {
	s, _ := openTemp(t)
	a := &Pending{
		ID: "a1", Role: RoleJoiner, PeerDID: newDID(t), Onion: onionB, Name: "bob", Link: "archy://join/xyz",
		Stage: "join-sent", Attempts: 3, NextAttempt: t0.Add(time.Minute), LastError: "timeout",
		CreatedAt: t0, Data: json.RawMessage(`{"k":[1,2]}`),
	}
	b := &Pending{ID: "b2", Role: RoleInviter, CreatedAt: t0}
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutPending(b); err != nil {
			return err
		}
		return tx.PutPending(a)
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		got, err := tx.GetPending("a1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Role != a.Role || got.PeerDID != a.PeerDID || got.Link != a.Link || got.Attempts != 3 ||
			!got.NextAttempt.Equal(a.NextAttempt) || got.LastError != "timeout" || string(got.Data) != `{"k":[1,2]}` {
			t.Errorf("GetPending = %+v", got)
		}
		gb, _ := tx.GetPending("b2")
		if gb.Data != nil {
			t.Errorf("empty Data came back as %q", gb.Data)
		}
		list, _ := tx.ListPending()
		if len(list) != 2 || list[0].ID != "a1" || list[1].ID != "b2" {
			t.Errorf("ListPending order wrong: %v", list)
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.DeletePending("a1") }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if _, err := tx.GetPending("a1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetPending after delete: %v", err)
		}
		return nil
	})
	for _, bad := range []*Pending{{Role: RoleJoiner}, {ID: "x", Role: "spy"}, {ID: "x", Role: RoleJoiner, Data: json.RawMessage("{")}} {
		if err := s.Update(func(tx *Tx) error { return tx.PutPending(bad) }); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutPending(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestTombstones(t *testing.T) {
	s, _ := openTemp(t)
	did := newDID(t)
	ts := &Tombstone{DID: did, RemovedAt: t0, Onion: onionA, DialKey: key32}
	if err := s.Update(func(tx *Tx) error { return tx.PutTombstone(ts) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if !tx.IsTombstoned(did) || tx.IsTombstoned(newDID(t)) {
			t.Error("IsTombstoned wrong")
		}
		got, err := tx.GetTombstone(did)
		if err != nil || got.Onion != onionA || !bytes.Equal(got.DialKey, key32) || !got.RemovedAt.Equal(t0) || got.Notified {
			t.Errorf("GetTombstone = %+v, %v", got, err)
		}
		list, _ := tx.ListTombstones()
		if len(list) != 1 {
			t.Errorf("ListTombstones = %d", len(list))
		}
		return nil
	})
	ts.Notified = true
	if err := s.Update(func(tx *Tx) error { return tx.PutTombstone(ts) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if got, _ := tx.GetTombstone(did); !got.Notified {
			t.Error("Notified not updated")
		}
		return nil
	})
	if err := s.Update(func(tx *Tx) error { return tx.DeleteTombstone(did) }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		if tx.IsTombstoned(did) {
			t.Error("still tombstoned after delete")
		}
		if _, err := tx.GetTombstone(did); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetTombstone after delete: %v", err)
		}
		return nil
	})
}

func TestSettings(t *testing.T) {
	s, _ := openTemp(t)
	type cfg struct {
		Port  int
		Hosts []string
	}
	_ = s.View(func(tx *Tx) error {
		var c cfg
		ok, err := tx.GetSetting("net", &c)
		if ok || err != nil {
			t.Errorf("missing setting: ok=%v err=%v", ok, err)
		}
		return nil
	})
	want := cfg{Port: 9050, Hosts: []string{"a", "b"}}
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutSetting("net", want); err != nil {
			return err
		}
		return tx.PutSetting("name", "my node")
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		var c cfg
		var name string
		if ok, err := tx.GetSetting("net", &c); !ok || err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("GetSetting net = %+v %v %v", c, ok, err)
		}
		if ok, err := tx.GetSetting("name", &name); !ok || err != nil || name != "my node" {
			t.Errorf("GetSetting name = %q %v %v", name, ok, err)
		}
		return nil
	})
}

func TestViewCannotWrite(t *testing.T) {
	s, _ := openTemp(t)
	err := s.View(func(tx *Tx) error { return tx.PutSetting("k", 1) })
	if err == nil {
		t.Fatal("write inside View succeeded")
	}
}

// snapshot is every key/value of every bucket, for before/after comparisons.
func snapshot(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpdateErrorRollsBackEverything(t *testing.T) {
	s, _ := openTemp(t)
	existing := testPeer(t, "existing")
	hash := sha256.Sum256([]byte("secret"))
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutPeer(existing); err != nil {
			return err
		}
		return tx.PutInvite(&Invite{SecretHash: hash, CreatedAt: t0, Expires: t0.Add(time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)

	boom := errors.New("boom")
	joiner := testPeer(t, "joiner")
	err := s.Update(func(tx *Tx) error {
		// What the pairing code does: burn the invite and write the peer...
		if err := tx.BurnInvite(hash, joiner.DID, t0); err != nil {
			return err
		}
		if err := tx.PutPeer(joiner); err != nil {
			return err
		}
		// ...plus everything else a transaction can touch...
		existing.Name = "renamed"
		if err := tx.PutPeer(existing); err != nil {
			return err
		}
		if err := tx.PutPending(&Pending{ID: "p", Role: RoleInviter}); err != nil {
			return err
		}
		if err := tx.PutTombstone(&Tombstone{DID: newDID(t), RemovedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutSetting("k", "v"); err != nil {
			return err
		}
		// ...then fails.
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want boom", err)
	}
	if after := snapshot(t, s); !reflect.DeepEqual(before, after) {
		t.Fatalf("failed Update left changes:\nbefore %v\nafter  %v", before, after)
	}
	// The invite can still be burnt: the failed burn did not stick.
	if err := s.Update(func(tx *Tx) error { return tx.BurnInvite(hash, joiner.DID, t0) }); err != nil {
		t.Fatalf("burn after rolled-back burn: %v", err)
	}
}

func TestUpdatePanicRollsBack(t *testing.T) {
	s, _ := openTemp(t)
	before := snapshot(t, s)
	func() {
		defer func() { _ = recover() }()
		_ = s.Update(func(tx *Tx) error {
			if err := tx.PutSetting("k", "v"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if after := snapshot(t, s); !reflect.DeepEqual(before, after) {
		t.Fatal("panicking Update left changes")
	}
}

func TestReopenPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "archy.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := testPeer(t, "alice")
	hash := sha256.Sum256([]byte("s"))
	ts := &Tombstone{DID: newDID(t), RemovedAt: t0}
	if err := s.Update(func(tx *Tx) error {
		if err := tx.PutPeer(p); err != nil {
			return err
		}
		if err := tx.PutInvite(&Invite{SecretHash: hash, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutPending(&Pending{ID: "x", Role: RoleJoiner}); err != nil {
			return err
		}
		if err := tx.PutTombstone(ts); err != nil {
			return err
		}
		return tx.PutSetting("n", 42)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.View(func(tx *Tx) error {
		got, err := tx.GetPeer(p.DID)
		if err != nil || !samePeer(got, p) {
			t.Errorf("peer after reopen: %+v %v", got, err)
		}
		if _, err := tx.GetInvite(hash); err != nil {
			t.Errorf("invite after reopen: %v", err)
		}
		if _, err := tx.GetPending("x"); err != nil {
			t.Errorf("pending after reopen: %v", err)
		}
		if !tx.IsTombstoned(ts.DID) {
			t.Error("tombstone lost on reopen")
		}
		var n int
		if ok, err := tx.GetSetting("n", &n); !ok || err != nil || n != 42 {
			t.Errorf("setting after reopen: %d %v %v", n, ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
