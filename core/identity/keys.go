package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Keys are the node's two long-term Ed25519 keys: Node (its did:key, signs
// everything the node says) and Onion (its v3 onion service, so the .onion
// address survives restarts). They are separate so the onion key can be
// handed to Tor without handing it the identity.
type Keys struct {
	Node  ed25519.PrivateKey
	Onion ed25519.PrivateKey
}

// DID is the node's did:key.
func (k *Keys) DID() DID { return DIDFromPublicKey(k.Node.Public().(ed25519.PublicKey)) }

// NodePublic is the public half of the node key.
func (k *Keys) NodePublic() ed25519.PublicKey { return k.Node.Public().(ed25519.PublicKey) }

// OnionPublic is the public half of the onion key.
func (k *Keys) OnionPublic() ed25519.PublicKey { return k.Onion.Public().(ed25519.PublicKey) }

// OnionAddress is the node's v3 onion address: 56 lower-case base32
// characters, without ".onion".
func (k *Keys) OnionAddress() string { return OnionAddressFromPublicKey(k.OnionPublic()) }

// OnionExpandedKey is the 64-byte expanded onion secret key in the form Tor's
// ADD_ONION wants after "ED25519-V3:" (base64-encode it); see ExpandOnionSeed.
func (k *Keys) OnionExpandedKey() []byte { return ExpandOnionSeed(k.Onion.Seed()) }

// GenerateKeys makes a fresh pair of keys from crypto/rand.
func GenerateKeys() (*Keys, error) {
	_, node, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	_, onion, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Keys{Node: node, Onion: onion}, nil
}

// Key file names inside the key directory.
const (
	NodeKeyFile  = "node.key"
	OnionKeyFile = "onion.key"
)

// Errors of LoadOrCreate; each returned error wraps one of them and names the file.
var (
	// ErrInsecurePermissions: the key directory or a key file can be read
	// (or written) by other users; the error says which chmod fixes it.
	ErrInsecurePermissions = errors.New("insecure permissions")
	// ErrKeyFileCorrupt: a key file exists but cannot be used (truncated,
	// edited, wrong type, seed and public key disagree). It is never
	// overwritten: the identity it holds may be the only copy.
	ErrKeyFileCorrupt = errors.New("key file is corrupt")
	// ErrKeyFileVersion: a key file written by a newer version.
	ErrKeyFileVersion = errors.New("key file has an unsupported version")
)

const (
	keyPEMType    = "ARCHY ED25519 SEED"
	keyFileFormat = "1"
)

// LoadOrCreate loads the node and onion keys from dir/node.key and
// dir/onion.key, creating whichever is missing (created is then true). The
// directory is created with mode 0700 and the files with 0600; an existing
// directory or file that other users can access is refused with
// ErrInsecurePermissions (not silently fixed). A key file that exists but
// cannot be read as a key is an error (ErrKeyFileCorrupt or
// ErrKeyFileVersion) and is never overwritten. New files are written to a
// temporary file, synced, and linked into place, so a crash never leaves a
// half-written key behind.
func LoadOrCreate(dir string) (*Keys, bool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating key directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, false, fmt.Errorf("key directory: %w", err)
	}
	if !st.IsDir() {
		return nil, false, fmt.Errorf("key directory %s is not a directory", dir)
	}
	if err := checkPerm(dir, st.Mode(), "700"); err != nil {
		return nil, false, err
	}
	node, c1, err := loadOrCreateKey(filepath.Join(dir, NodeKeyFile), "node")
	if err != nil {
		return nil, false, err
	}
	onion, c2, err := loadOrCreateKey(filepath.Join(dir, OnionKeyFile), "onion")
	if err != nil {
		return nil, false, err
	}
	return &Keys{Node: node, Onion: onion}, c1 || c2, nil
}

func checkPerm(path string, mode fs.FileMode, want string) error {
	if runtime.GOOS == "windows" { // POSIX mode bits mean nothing there
		return nil
	}
	if mode.Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, so other users on this computer can access it; "+
			"it must be private to you: run chmod %s %q and start again",
			ErrInsecurePermissions, path, mode.Perm(), want, path)
	}
	return nil
}

func loadOrCreateKey(path, purpose string) (ed25519.PrivateKey, bool, error) {
	for attempt := 0; attempt < 2; attempt++ {
		key, err := loadKey(path, purpose)
		if err == nil {
			return key, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		_, key, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, false, err
		}
		err = writeNewFile(path, encodeKey(key, purpose))
		if errors.Is(err, fs.ErrExist) {
			continue // another process created it first: load theirs
		}
		if err != nil {
			return nil, false, fmt.Errorf("writing %s: %w", path, err)
		}
		return key, true, nil
	}
	return nil, false, fmt.Errorf("%s keeps appearing and disappearing", path)
}

func encodeKey(key ed25519.PrivateKey, purpose string) []byte {
	return pem.EncodeToMemory(&pem.Block{
		Type: keyPEMType,
		Headers: map[string]string{
			"Version":    keyFileFormat,
			"Purpose":    purpose,
			"Public-Key": base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		},
		Bytes: key.Seed(),
	})
}

func loadKey(path, purpose string) (ed25519.PrivateKey, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err // fs.ErrNotExist included
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKeyFileCorrupt, path)
	}
	if err := checkPerm(path, st.Mode(), "600"); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := decodeKey(data, purpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (it was left untouched; move it away only if you accept a new identity)", path, err)
	}
	return key, nil
}

func decodeKey(data []byte, purpose string) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no key block (%d bytes)", ErrKeyFileCorrupt, len(data))
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: unexpected data after the key block", ErrKeyFileCorrupt)
	}
	if block.Type != keyPEMType {
		return nil, fmt.Errorf("%w: block type %q, want %q", ErrKeyFileCorrupt, block.Type, keyPEMType)
	}
	if v := block.Headers["Version"]; v != keyFileFormat {
		return nil, fmt.Errorf("%w: version %q (this program reads version %s)", ErrKeyFileVersion, v, keyFileFormat)
	}
	if p := block.Headers["Purpose"]; p != purpose {
		return nil, fmt.Errorf("%w: it holds the %q key, not the %q key", ErrKeyFileCorrupt, p, purpose)
	}
	if len(block.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrKeyFileCorrupt, len(block.Bytes), ed25519.SeedSize)
	}
	key := ed25519.NewKeyFromSeed(block.Bytes)
	want := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	if block.Headers["Public-Key"] != want {
		return nil, fmt.Errorf("%w: the seed does not match the recorded public key", ErrKeyFileCorrupt)
	}
	return key, nil
}

// writeNewFile writes data to path atomically and only if path does not
// exist yet (then it returns an error wrapping fs.ErrExist): a temporary file
// in the same directory is written, synced, hard-linked to path (which fails
// if path exists) and removed; then the directory is synced.
func writeNewFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// No hard links here (some file systems): rename, after checking;
		// the window between the check and the rename is accepted.
		if _, statErr := os.Lstat(path); statErr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmpName, path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
