package identity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
}

// keyDir is a fresh path for a key directory (t.TempDir itself is 0755).
func keyDir(t *testing.T) string { return filepath.Join(t.TempDir(), "keys") }

func TestLoadOrCreateCreatesThenLoadsTheSameKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "keys")
	k1, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	if bytes.Equal(k1.Node, k1.Onion) {
		t.Fatal("node and onion keys are the same key")
	}
	if runtime.GOOS != "windows" {
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, NodeKeyFile), 0o600)
		assertMode(t, filepath.Join(dir, OnionKeyFile), 0o600)
	}
	for i := 0; i < 2; i++ {
		k2, created, err := LoadOrCreate(dir)
		if err != nil || created {
			t.Fatalf("call %d: created=%v err=%v", i+2, created, err)
		}
		if !bytes.Equal(k1.Node, k2.Node) || !bytes.Equal(k1.Onion, k2.Onion) {
			t.Fatal("keys changed across LoadOrCreate calls")
		}
		if k1.DID() != k2.DID() || k1.OnionAddress() != k2.OnionAddress() {
			t.Fatal("DID or onion address changed")
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("key dir holds %v, want only the two key files", names)
	}
	data, _ := os.ReadFile(filepath.Join(dir, NodeKeyFile))
	for _, want := range []string{"-----BEGIN ARCHY ED25519 SEED-----", "Version: 1", "Purpose: node"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("node.key lacks %q:\n%s", want, data)
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s: mode %04o, want %04o", path, st.Mode().Perm(), want)
	}
}

func TestLoadOrCreateRefusesInsecureDirectory(t *testing.T) {
	skipOnWindows(t)
	dir := keyDir(t)
	if _, _, err := LoadOrCreate(dir); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701, 0o770} {
		os.Chmod(dir, mode)
		_, _, err := LoadOrCreate(dir)
		if !errors.Is(err, ErrInsecurePermissions) {
			t.Fatalf("mode %04o: err = %v, want ErrInsecurePermissions", mode, err)
		}
		if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "chmod 700") {
			t.Fatalf("message does not name the path and the fix: %s", msg)
		}
	}
	os.Chmod(dir, 0o700)
	if _, _, err := LoadOrCreate(dir); err != nil {
		t.Fatalf("after chmod 700: %v", err)
	}
}

func TestLoadOrCreateRefusesInsecureKeyFile(t *testing.T) {
	skipOnWindows(t)
	for _, name := range []string{NodeKeyFile, OnionKeyFile} {
		dir := keyDir(t)
		if _, _, err := LoadOrCreate(dir); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		before, _ := os.ReadFile(path)
		os.Chmod(path, 0o644)
		_, _, err := LoadOrCreate(dir)
		if !errors.Is(err, ErrInsecurePermissions) {
			t.Fatalf("%s 0644: err = %v", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "chmod 600") {
			t.Fatalf("message does not name the path and the fix: %s", msg)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Fatal("the key file was changed")
		}
	}
}

func TestLoadOrCreateCorruptFilesAreNeverOverwritten(t *testing.T) {
	good := keyDir(t)
	if _, _, err := LoadOrCreate(good); err != nil {
		t.Fatal(err)
	}
	valid, _ := os.ReadFile(filepath.Join(good, NodeKeyFile))
	validOnion, _ := os.ReadFile(filepath.Join(good, OnionKeyFile))

	cases := []struct {
		name    string
		content []byte
		want    error
	}{
		{"empty", nil, ErrKeyFileCorrupt},
		{"truncated", valid[:len(valid)/2], ErrKeyFileCorrupt},
		{"garbage", []byte("hello\n"), ErrKeyFileCorrupt},
		{"raw seed", make([]byte, 32), ErrKeyFileCorrupt},
		{"trailing data", append(append([]byte{}, valid...), "more"...), ErrKeyFileCorrupt},
		{"newer version", bytes.Replace(valid, []byte("Version: 1"), []byte("Version: 2"), 1), ErrKeyFileVersion},
		{"other purpose", validOnion, ErrKeyFileCorrupt},
		{"wrong type", bytes.ReplaceAll(valid, []byte("ARCHY ED25519 SEED"), []byte("PRIVATE KEY")), ErrKeyFileCorrupt},
		{"seed/public mismatch", swapPublicKey(t, valid, validOnion), ErrKeyFileCorrupt},
	}
	for _, c := range cases {
		dir := keyDir(t)
		os.Mkdir(dir, 0o700)
		path := filepath.Join(dir, NodeKeyFile)
		if err := os.WriteFile(path, c.content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(dir)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error does not name the file: %v", c.name, err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(after, c.content) {
			t.Errorf("%s: the corrupt file was modified", c.name)
		}
	}
}

// swapPublicKey puts other's Public-Key header into a's block.
func swapPublicKey(t *testing.T, a, other []byte) []byte {
	t.Helper()
	header := func(b []byte) string {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Public-Key: ") {
				return line
			}
		}
		t.Fatal("no Public-Key header")
		return ""
	}
	return []byte(strings.Replace(string(a), header(a), header(other), 1))
}

func TestLoadOrCreateCompletesAPartialDirectory(t *testing.T) {
	dir := keyDir(t)
	k1, _, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, OnionKeyFile)) // e.g. a crash between the two writes
	k2, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if k2.DID() != k1.DID() {
		t.Fatal("the node identity changed")
	}
	if k2.OnionAddress() == k1.OnionAddress() {
		t.Fatal("expected a new onion key")
	}
}

func TestLoadOrCreateConcurrentCallsAgree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	const n = 8
	keys := make([]*Keys, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			keys[i], _, errs[i] = LoadOrCreate(dir)
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if keys[i].DID() != keys[0].DID() || keys[i].OnionAddress() != keys[0].OnionAddress() {
			t.Fatal("concurrent LoadOrCreate calls returned different keys")
		}
	}
	final, _, err := LoadOrCreate(dir)
	if err != nil || final.DID() != keys[0].DID() {
		t.Fatal("the keys on disk are not the ones returned")
	}
}

func TestLoadOrCreateRejectsAFileAsDirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, []byte("x"), 0o600)
	if _, _, err := LoadOrCreate(f); err == nil {
		t.Fatal("a regular file was accepted as the key directory")
	}
}
