package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
	"github.com/archy-desktop/archy-desktop/core/tor"
	"github.com/archy-desktop/archy-desktop/core/tor/libtor"
	"github.com/archy-desktop/archy-desktop/core/tor/testnet"
)

// End-to-end tests: every node is the real archy-desktop binary in its own
// process (Tor runs once per process) with its own data folder, on the
// private Tor network, driven through its CLI and control socket.

var (
	binary  string
	network *testnet.Network
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("ARCHY_SKIP_INTEGRATION") != "" || !libtor.Available {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "archy-e2e-")
	if err != nil {
		panic(err)
	}
	// make test passes the binary it built; otherwise build one without
	// the GUI (the nodes here run headless).
	if binary = os.Getenv("ARCHY_BINARY"); binary == "" {
		binary = filepath.Join(dir, "archy-desktop")
		build := exec.Command("go", "build", "-tags", "embedtor nogui", "-o", binary, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build:", err)
			os.Exit(1)
		}
	}
	n, stop, err := testnet.Shared(context.Background(), filepath.Join(dir, "net"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "private Tor network:", err)
		os.Exit(1)
	}
	network = n
	code := m.Run()
	stop()
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "e2e files kept in", dir)
	}
	os.Exit(code)
}

func needE2E(t *testing.T) {
	t.Helper()
	if network == nil {
		t.Skip("end-to-end: needs -tags embedtor and the private Tor network (make test)")
	}
}

type testNode struct {
	t       *testing.T
	name    string
	dir     string
	cmd     *exec.Cmd
	log     *os.File
	control *node.ControlClient
	did     identity.DID
}

func newTestNode(t *testing.T, name string) *testNode {
	n := &testNode{t: t, name: name, dir: filepath.Join(t.TempDir(), name)}
	n.control = node.NewControlClient(n.dir)
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *testNode) start() {
	n.t.Helper()
	logf, err := os.OpenFile(n.dir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	n.log = logf
	n.cmd = exec.Command(binary, "--headless", "--data-dir", n.dir, "--tor-network", network.NetworkFile, "--log-level", "debug")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.waitFor("control socket", time.Minute, func(st node.State) bool { return true })
	if n.did == "" {
		if err := n.control.Do("POST", "/v1/name", map[string]string{"name": n.name}, nil); err != nil {
			n.t.Fatalf("%s: set name: %v", n.name, err)
		}
		n.did = n.status().DID
	}
}

// stop ends the node like a user would (SIGTERM) and waits for it.
func (n *testNode) stop() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-done
		n.t.Errorf("%s did not stop within 30 s of SIGTERM", n.name)
	}
	n.log.Close()
	n.cmd = nil
}

func (n *testNode) status() node.State {
	n.t.Helper()
	var st node.State
	if err := n.control.Do("GET", "/v1/status", nil, &st); err != nil {
		n.t.Fatalf("%s: status: %v", n.name, err)
	}
	return st
}

func (n *testNode) cli(args ...string) (string, error) {
	cmd := exec.Command(binary, append([]string{"--data-dir", n.dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (n *testNode) waitFor(what string, timeout time.Duration, cond func(node.State) bool) node.State {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		var st node.State
		if last = n.control.Do("GET", "/v1/status", nil, &st); last == nil && cond(st) {
			return st
		}
		time.Sleep(500 * time.Millisecond)
	}
	log, _ := os.ReadFile(n.dir + ".log")
	n.t.Fatalf("%s: timed out waiting for %s (last error %v); log tail:\n%s", n.name, what, last, tail(string(log), 40))
	return node.State{}
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

func (n *testNode) invite(args ...string) string {
	n.t.Helper()
	var info node.InviteInfo
	req := node.InviteRequest{}
	for _, a := range args {
		if a == "--observer" {
			req.Observer = true
		}
	}
	if err := n.control.Do("POST", "/v1/invite", req, &info); err != nil {
		n.t.Fatalf("%s: invite: %v", n.name, err)
	}
	return info.Link
}

func verifiedWith(did identity.DID) func(node.State) bool {
	return func(st node.State) bool { p := st.Peer(did); return p != nil && p.Verified }
}

func TestPairingOverTor(t *testing.T) {
	needE2E(t)
	a := newTestNode(t, "alice")
	b := newTestNode(t, "bob")
	c := newTestNode(t, "carol")
	online := func(st node.State) bool { return st.Tor.Phase == node.TorOnline && st.Tor.Reachable }
	a.waitFor("Tor online and reachable", 3*time.Minute, online)

	link := a.invite()
	if out, err := b.cli("join", link); err != nil {
		t.Fatalf("bob join: %v\n%s", err, out)
	}
	stA := a.waitFor("bob verified", 4*time.Minute, verifiedWith(b.did))
	stB := b.waitFor("alice verified", 4*time.Minute, verifiedWith(a.did))
	pa, pb := stA.Peer(b.did), stB.Peer(a.did)
	if pa.Trust != store.Trusted || pb.Trust != store.Trusted {
		t.Errorf("trust: alice sees bob as %s, bob sees alice as %s; want trusted both", pa.Trust, pb.Trust)
	}
	if pa.Name != "bob" || pb.Name != "alice" {
		t.Errorf("names: %q, %q", pa.Name, pb.Name)
	}
	if strings.Join(pa.SafetyWords, " ") != strings.Join(pb.SafetyWords, " ") || len(pa.SafetyWords) == 0 {
		t.Errorf("safety words differ: alice %v, bob %v", pa.SafetyWords, pb.SafetyWords)
	}

	t.Run("reused invite", func(t *testing.T) {
		if out, err := c.cli("join", link); err != nil {
			t.Fatalf("carol join (accepted locally, refused by alice): %v\n%s", err, out)
		}
		st := c.waitFor("carol's pairing to fail", 4*time.Minute, func(st node.State) bool {
			p := st.PendingWith(a.did)
			return p != nil && p.Stage == "failed"
		})
		if p := st.PendingWith(a.did); !strings.Contains(p.LastError, "already used") {
			t.Errorf("carol's error %q, want it to say the invite was already used", p.LastError)
		}
		if a.status().Peer(c.did) != nil {
			t.Error("alice paired with carol through a used invite")
		}
	})

	t.Run("tampered and expired invites", func(t *testing.T) {
		fresh := a.invite()
		i := len(fresh) - 5
		flipped := fresh[:i] + string("ABCDEFG"[(strings.IndexByte("ABCDEFG", fresh[i])+1)%7]) + fresh[i+1:]
		if fresh[i] < 'A' || fresh[i] > 'G' {
			flipped = fresh[:i] + "A" + fresh[i+1:]
		}
		out, err := c.cli("join", flipped)
		if err == nil || !strings.Contains(out, invite.ErrBadChecksum.Error()) {
			t.Errorf("tampered invite: err %v, output %q; want a bad-checksum error", err, out)
		}
		// An expired invite of alice's (same keys, expiry in the past).
		didKey, _ := a.did.PublicKey()
		onionKey, err := identity.ParseOnionAddress(a.status().Onion)
		if err != nil {
			t.Fatal(err)
		}
		old, err := invite.New(didKey, ed25519.PublicKey(onionKey), "alice", invite.NetworkIDFromAuthorities(network.Network.V3Idents()), time.Hour, false, time.Now().Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out, err = c.cli("join", old.Link())
		if err == nil || !strings.Contains(out, "expired") {
			t.Errorf("expired invite: err %v, output %q", err, out)
		}
		// Our own invite.
		out, err = a.cli("join", fresh)
		if err == nil || !strings.Contains(out, "your own invite") {
			t.Errorf("own invite: err %v, output %q", err, out)
		}
	})

	t.Run("no client key, no connection", func(t *testing.T) {
		// A Tor client that knows alice's onion address but holds no key
		// authorised by it cannot even decrypt her descriptor.
		e, err := tor.Start(context.Background(), tor.Config{DataDir: filepath.Join(t.TempDir(), "tor"), Network: network.Network, Provider: tor.Embedded})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := e.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		conn, err := e.Dial(ctx, a.status().Onion+".onion:80", "outsider")
		if err == nil {
			conn.Close()
			t.Fatal("an outsider without a client key connected to alice's onion")
		}
		if !errors.Is(err, tor.ErrOnionNeedsAuth) && !errors.Is(err, tor.ErrOnionBadAuth) {
			t.Errorf("outsider got %v; want Tor's client-authorization error", err)
		}
	})

	t.Run("removal survives restarts", func(t *testing.T) {
		if out, err := a.cli("remove", string(b.did)); err != nil {
			t.Fatalf("remove: %v\n%s", err, out)
		}
		b.waitFor("bob to learn alice removed him", 4*time.Minute, func(st node.State) bool { return st.Peer(a.did) == nil })
		a.stop()
		b.stop()
		a.start()
		b.start()
		for _, n := range []*testNode{a, b} {
			n.waitFor("Tor online", 3*time.Minute, func(st node.State) bool { return st.Tor.Phase == node.TorOnline })
		}
		time.Sleep(5 * time.Second) // room for any background re-adding to happen
		if a.status().Peer(b.did) != nil || b.status().Peer(a.did) != nil {
			t.Fatal("a removed peer came back after restart")
		}
	})
}

func TestPairingWhileInviterOffline(t *testing.T) {
	needE2E(t)
	a := newTestNode(t, "dave")
	b := newTestNode(t, "erin")
	a.waitFor("Tor online and reachable", 3*time.Minute, func(st node.State) bool { return st.Tor.Reachable })
	link := a.invite()
	a.stop()
	if out, err := b.cli("join", link); err != nil {
		t.Fatalf("join: %v\n%s", err, out)
	}
	b.waitFor("a failed attempt while dave is offline", 3*time.Minute, func(st node.State) bool {
		p := st.PendingWith(a.did)
		return p != nil && p.Attempts >= 1 && p.Stage == "joining"
	})
	a.start()
	b.waitFor("the pending pairing to complete by itself", 5*time.Minute, verifiedWith(a.did))
	a.waitFor("erin verified", 3*time.Minute, verifiedWith(b.did))
}
