package tor

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadNetworkFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	good := write("good", "# comment\n\nTestingTorNetwork 1\n"+
		"DirAuthority auth0 orport=5000 no-v2 v3ident=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 127.0.0.1:5001 FFFF\n"+
		"DirAuthority auth1 orport=5002 no-v2 v3ident=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:5003 EEEE\n")
	n, err := LoadNetworkFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.DirAuthorities) != 2 || n.IsLive() {
		t.Fatalf("got %+v", n)
	}
	if ids := n.V3Idents(); ids[0] != strings.Repeat("A", 40) || ids[1] != strings.Repeat("B", 40) {
		t.Errorf("v3idents %v", ids)
	}
	if id := n.ID(); len(id) != 8 || id == Live.ID() {
		t.Errorf("id %q", id)
	}
	args := strings.Join(n.args(), " ")
	if !strings.Contains(args, "--TestingTorNetwork 1") || strings.Count(args, "--DirAuthority") != 2 {
		t.Errorf("args %q", args)
	}
	for name, body := range map[string]string{
		"empty":      "# nothing\n",
		"other":      "DirAuthority a orport=1 v3ident=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 127.0.0.1:2 F\nSocksPort 9050\n",
		"no-v3ident": "DirAuthority a orport=1 127.0.0.1:2 F\n",
	} {
		if _, err := LoadNetworkFile(write(name, body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadNetworkFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	if Live.args() != nil || Live.ID() != "live" {
		t.Error("live network has arguments")
	}
}

func TestStatusArgs(t *testing.T) {
	got := statusArgs(`NOTICE BOOTSTRAP PROGRESS=45 TAG=requesting_descriptors SUMMARY="Asking for relay descriptors" WARNING="a \"quoted\" word" HOSTADDR=1.2.3.4:443`)
	want := map[string]string{"PROGRESS": "45", "TAG": "requesting_descriptors", "SUMMARY": "Asking for relay descriptors", "WARNING": `a "quoted" word`, "HOSTADDR": "1.2.3.4:443"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(statusArgs("WARN DANGEROUS_VERSION")) != 0 {
		t.Error("no arguments expected")
	}
}

func TestBridgeArgs(t *testing.T) {
	args, err := bridgeArgs([]string{"Bridge 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567", "  ", "198.51.100.7:9001 FEDCBA9876543210FEDCBA9876543210FEDCBA98"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(args, "|") != "--UseBridges|1|--Bridge|192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567|--Bridge|198.51.100.7:9001 FEDCBA9876543210FEDCBA9876543210FEDCBA98" {
		t.Errorf("args %q", args)
	}
	t.Setenv("PATH", t.TempDir()) // no transport clients
	if _, err := bridgeArgs([]string{"obfs4 192.0.2.1:443 FP cert=x iat-mode=0"}); !errors.Is(err, ErrNoTransport) {
		t.Errorf("obfs4 without a client: %v", err)
	}
	if _, err := bridgeArgs([]string{"carrier-pigeon 192.0.2.1:443"}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unknown transport: %v", err)
	}
}

// fakeSOCKS answers one SOCKS5 CONNECT with the given reply code.
func fakeSOCKS(t *testing.T, code byte, wantUser string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		io.ReadFull(c, buf[:3])
		c.Write([]byte{5, buf[2]})
		if buf[2] == 2 {
			io.ReadFull(c, buf[:2])
			user := make([]byte, buf[1])
			io.ReadFull(c, user)
			io.ReadFull(c, buf[:1])
			io.ReadFull(c, buf[:buf[0]])
			if string(user) != wantUser {
				c.Write([]byte{1, 1})
				return
			}
			c.Write([]byte{1, 0})
		}
		io.ReadFull(c, buf[:5])
		io.ReadFull(c, buf[:int(buf[4])+2])
		c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
		if code == 0 {
			c.Write([]byte("hello"))
		}
	}()
	return ln.Addr().String()
}

func TestSOCKSDial(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := socksDial(ctx, fakeSOCKS(t, 0, "iso"), "iso", "example.onion:80")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	io.ReadFull(conn, b)
	conn.Close()
	if string(b) != "hello" {
		t.Errorf("read %q", b)
	}
	for code, want := range map[byte]error{0xF0: ErrOnionNotFound, 0xF4: ErrOnionNeedsAuth, 0xF5: ErrOnionBadAuth, 0xF7: ErrOnionIntroTimedOut} {
		_, err := socksDial(ctx, fakeSOCKS(t, code, ""), "", "x.onion:80")
		if !errors.Is(err, want) {
			t.Errorf("code %#x: %v", code, err)
		}
	}
	if _, err := socksDial(ctx, fakeSOCKS(t, 0, ""), "", "no-port"); err == nil {
		t.Error("address without port accepted")
	}
}
