// Package store is the node's one embedded database (bbolt): peers, invites
// we issued, pending pairings, tombstones of removed peers, settings, and
// (schema 2) signed records with their indexes, peers' state snapshots and
// per-peer sync state.
//
// All access goes through transactions (Store.Update / Store.View); every
// multi-step change belongs in one Update so it commits or rolls back as a
// whole. Values are JSON-encoded; keys are DIDs, ids, or invite-secret hashes.
//
// The file carries a schema version (bucket "meta", key "schema", a uint64 in
// big-endian). Open runs every migration the file has not seen yet, each in
// its own transaction, and refuses — without writing anything — a file whose
// schema is newer than this code knows.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Errors returned by Open and by Tx methods. Compare with errors.Is.
var (
	// ErrLocked: another process (or another Store in this process) holds
	// the database file.
	ErrLocked = errors.New("another Archy Desktop is using this data folder")
	// ErrSchemaTooNew: the file was written by a newer Archy Desktop.
	ErrSchemaTooNew = errors.New("the database was created by a newer version of Archy Desktop")
	// ErrNotFound: no record under that key.
	ErrNotFound = errors.New("not found")
	// ErrInviteUsed: BurnInvite on an invite that was already used.
	ErrInviteUsed = errors.New("invite already used")
	// ErrInvalid: a record failed validation before it was written.
	ErrInvalid = errors.New("invalid record")
)

// lockTimeout is how long Open waits for the bbolt file lock.
const lockTimeout = time.Second

// Bucket names.
var (
	bucketMeta       = []byte("meta")
	bucketPeers      = []byte("peers")
	bucketInvites    = []byte("invites")
	bucketPending    = []byte("pending")
	bucketTombstones = []byte("tombstones")
	bucketSettings   = []byte("settings")

	// Schema 2 (see records_sync.go).
	bucketRecords         = []byte("records")
	bucketRecordsAuthor   = []byte("records_by_author")
	bucketRecordsProtocol = []byte("records_by_protocol")
	bucketSnapshots       = []byte("snapshots")
	bucketSyncState       = []byte("sync_state")

	keySchema      = []byte("schema")
	keyRecordCount = []byte("record_count")
)

// migration brings a database from schema version i to i+1, where i is its
// index in migrations. It runs inside one read-write transaction together with
// the schema bump, so it either fully happens or not at all.
type migration func(tx *bolt.Tx) error

// migrations is the ordered list; len(migrations) is the schema version this
// code writes. Append only — never edit or reorder a released migration.
var migrations = []migration{
	migrateV1,
	migrateV2,
}

// SchemaVersion is the schema version this code creates and understands.
func SchemaVersion() uint64 { return uint64(len(migrations)) }

// v1: the buckets of the first release.
func migrateV1(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketPeers, bucketInvites, bucketPending, bucketTombstones, bucketSettings} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %q: %w", b, err)
		}
	}
	return nil
}

// v2: signed records (by id), their author and protocol indexes, the record
// counter, peers' snapshots and per-peer sync state.
func migrateV2(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketRecords, bucketRecordsAuthor, bucketRecordsProtocol, bucketSnapshots, bucketSyncState} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %q: %w", b, err)
		}
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if meta.Get(keyRecordCount) == nil {
		return meta.Put(keyRecordCount, binary.BigEndian.AppendUint64(nil, 0))
	}
	return nil
}

// Store is an open database. It is safe for concurrent use; bbolt allows many
// concurrent View transactions and one Update at a time.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating if needed, mode 0600) the database at path, whose
// parent directory must already exist, and migrates it to SchemaVersion.
//
// It waits about a second for the file lock and then fails with ErrLocked.
// A file with a newer schema fails with ErrSchemaTooNew and is left untouched
// (it is probed read-only first).
func Open(path string) (*Store, error) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: data folder %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("store: data folder %s is not a directory", dir)
	}

	// Probe an existing file read-only (shared lock): a newer schema must be
	// refused before we open it for writing.
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		if fi.IsDir() {
			return nil, fmt.Errorf("store: %s is a directory", path)
		}
		if err := probe(path); err != nil {
			return nil, err
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, openError(path, err)
	}
	// bbolt only applies the mode when it creates the file (and under the
	// umask); make sure an existing file is private too.
	if err := os.Chmod(path, 0o600); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openError(path string, err error) error {
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("store: %s: %w", path, ErrLocked)
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// probe reads the schema version of an existing file without writing.
func probe(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, ReadOnly: true})
	if err != nil {
		return openError(path, err)
	}
	defer db.Close()
	var v uint64
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = readSchema(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	if v > SchemaVersion() {
		return schemaTooNew(path, v)
	}
	return nil
}

func schemaTooNew(path string, v uint64) error {
	return fmt.Errorf("store: %s: %w (schema %d, this version knows up to %d)", path, ErrSchemaTooNew, v, SchemaVersion())
}

// readSchema returns the schema version; a file without it is version 0.
func readSchema(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("schema version has %d bytes, want 8", len(raw))
	}
	return binary.BigEndian.Uint64(raw), nil
}

func writeSchema(tx *bolt.Tx, v uint64) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, v))
}

// migrate runs every pending migration, each in its own transaction.
func (s *Store) migrate() error {
	for {
		var done bool
		err := s.db.Update(func(tx *bolt.Tx) error {
			v, err := readSchema(tx)
			if err != nil {
				return fmt.Errorf("store: %s: %w", s.path, err)
			}
			if v > SchemaVersion() { // written by a newer version since the probe
				return schemaTooNew(s.path, v)
			}
			if v == SchemaVersion() {
				done = true
				return nil
			}
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("store: migrate %s to schema %d: %w", s.path, v+1, err)
			}
			return writeSchema(tx, v+1)
		})
		if err != nil || done {
			return err
		}
	}
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database; the Store must not be used afterwards.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in one read-write transaction. If fn returns an error (or
// panics) every write it made is rolled back and the error is returned;
// otherwise the transaction commits. The Tx must not be used after fn returns.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// View runs fn in a read-only transaction; write methods of its Tx fail.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}
