package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Tx is one transaction, valid only inside the function given to Store.Update
// or Store.View. Write methods fail inside View.
type Tx struct {
	tx *bolt.Tx
}

func (t *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	b := t.tx.Bucket(name)
	if b == nil {
		// Only possible if the file was not migrated: a bug, not user error.
		return nil, fmt.Errorf("store: bucket %q missing", name)
	}
	return b, nil
}

func (t *Tx) get(bucket, key []byte, v any) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: decode %s record: %w", bucket, err)
	}
	return nil
}

func (t *Tx) has(bucket, key []byte) bool {
	b := t.tx.Bucket(bucket)
	return b != nil && b.Get(key) != nil
}

func (t *Tx) put(bucket, key []byte, v any) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s record: %w", bucket, err)
	}
	return b.Put(key, raw)
}

// del removes key; deleting an absent key is not an error.
func (t *Tx) del(bucket, key []byte) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

// each decodes every value of bucket, in key order, and hands it to fn.
func each[T any](t *Tx, bucket []byte, fn func(*T)) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return b.ForEach(func(k, raw []byte) error {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("store: decode %s record %q: %w", bucket, k, err)
		}
		fn(v)
		return nil
	})
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("store: %w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// GetSetting decodes the setting key into v; it reports false (and leaves v
// alone) if the setting was never stored.
func (t *Tx) GetSetting(key string, v any) (bool, error) {
	if key == "" {
		return false, invalid("empty setting key")
	}
	err := t.get(bucketSettings, []byte(key), v)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PutSetting stores v (JSON-encoded) under key.
func (t *Tx) PutSetting(key string, v any) error {
	if key == "" {
		return invalid("empty setting key")
	}
	return t.put(bucketSettings, []byte(key), v)
}

// DeleteSetting removes a setting; removing an absent one is not an error.
func (t *Tx) DeleteSetting(key string) error {
	return t.del(bucketSettings, []byte(key))
}
