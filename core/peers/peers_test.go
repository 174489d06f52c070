package peers_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/peers"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// The pairing protocol between real Managers, real bbolt stores, real keys
// and real RPC over HTTP. Only Tor is replaced: onion addresses are routed
// to the nodes' httptest servers, and the dial key each call presents is
// checked against the callee's authorised client keys the way Tor would.

type net struct {
	mu    sync.Mutex
	nodes map[string]*tnode // by onion
	down  map[string]bool
}

type tnode struct {
	name   string
	keys   *identity.Keys
	store  *store.Store
	mgr    *peers.Manager
	srv    *httptest.Server
	self   [32]byte
	now    time.Time
	mu     sync.Mutex
	events []peers.Event
}

var errNoAuth = errors.New("tor: onion service refused our client authorization key")

func (n *net) call(from *tnode) peers.Caller {
	return func(ctx context.Context, onion string, dialKey []byte, callee identity.DID, method string, params, result any) error {
		n.mu.Lock()
		to, down := n.nodes[onion], n.down[onion]
		n.mu.Unlock()
		if to == nil || down {
			return errors.New("tor: onion service not found")
		}
		// v3 client authorization, as Tor enforces it.
		clients, err := to.mgr.AuthorizedClients()
		if err != nil {
			return err
		}
		ok := false
		for _, c := range clients {
			if len(dialKey) == 32 && c == peers.X25519Public([32]byte(dialKey)) {
				ok = true
			}
		}
		if !ok {
			return errNoAuth
		}
		c := rpc.NewClient(from.keys.Node, to.srv.Client())
		if callee == "" {
			return c.CallUnauthenticated(ctx, to.srv.URL, method, params, result)
		}
		return c.Call(ctx, to.srv.URL, callee, method, params, result)
	}
}

func newNet() *net { return &net{nodes: map[string]*tnode{}, down: map[string]bool{}} }

func (n *net) add(t *testing.T, name string, network invite.NetworkID) *tnode {
	t.Helper()
	dir := t.TempDir()
	keys, _, err := identity.LoadOrCreate(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tn := &tnode{name: name, keys: keys, store: st, self: peers.NewX25519Key(), now: time.Now()}
	tn.mgr = peers.New(peers.Config{
		Store: st, Keys: keys, Network: network, Name: func() string { return name }, Version: "test",
		Call: n.call(tn), Notify: func(ev peers.Event) { tn.mu.Lock(); tn.events = append(tn.events, ev); tn.mu.Unlock() },
	}, tn.self)
	srv := rpc.NewServer(rpc.ServerConfig{Self: keys.DID(), Authorize: tn.mgr.Authorize})
	tn.mgr.Register(srv)
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	tn.srv = httptest.NewServer(mux)
	t.Cleanup(tn.srv.Close)
	n.mu.Lock()
	n.nodes[keys.OnionAddress()] = tn
	n.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go tn.mgr.Run(ctx)
	return tn
}

func (tn *tnode) peer(did identity.DID) *store.Peer {
	var p *store.Peer
	tn.store.View(func(tx *store.Tx) error {
		p, _ = tx.GetPeer(did)
		return nil
	})
	return p
}

func (tn *tnode) pending() []*store.Pending {
	var ps []*store.Pending
	tn.store.View(func(tx *store.Tx) error {
		ps, _ = tx.ListPending()
		return nil
	})
	return ps
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func init() {
	peers.RetryBase = 50 * time.Millisecond
	peers.RetryCap = 200 * time.Millisecond
	peers.VerifyDelay = 0
}

func verified(a, b *tnode) func() bool {
	return func() bool { p := a.peer(b.keys.DID()); return p != nil && p.Verified }
}

func TestPairingHappyPath(t *testing.T) {
	n := newNet()
	a, b := n.add(t, "alice", invite.LiveNetwork), n.add(t, "bob", invite.LiveNetwork)
	inv, err := a.mgr.CreateInvite(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := a.mgr.AuthorizedClients()
	if len(clients) != 2 {
		t.Fatalf("alice authorises %d keys, want her own + the invite's", len(clients))
	}
	if _, err := b.mgr.Join(inv.Link()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice verified bob", verified(a, b))
	waitFor(t, "bob verified alice", verified(b, a))
	pa, pb := a.peer(b.keys.DID()), b.peer(a.keys.DID())
	if pa.Trust != store.Trusted || pb.Trust != store.Trusted || pa.Name != "bob" || pb.Name != "alice" {
		t.Errorf("peers: %+v / %+v", pa, pb)
	}
	// Each side authorises exactly the key the other dials with.
	if peers.X25519Public([32]byte(pb.DialKey)) != [32]byte(pa.AuthorizedKey) ||
		peers.X25519Public([32]byte(pa.DialKey)) != [32]byte(pb.AuthorizedKey) {
		t.Error("client keys do not match across the pair")
	}
	var used *store.Invite
	a.store.View(func(tx *store.Tx) error {
		used, _ = tx.GetInvite(sha256.Sum256(inv.Secret[:]))
		return nil
	})
	if used == nil || used.UsedBy != b.keys.DID() {
		t.Errorf("invite not burnt by bob: %+v", used)
	}
	if len(a.pending())+len(b.pending()) != 0 {
		t.Errorf("pending pairings left: %v %v", a.pending(), b.pending())
	}
}

func TestPairingRefusals(t *testing.T) {
	n := newNet()
	a, b, c := n.add(t, "alice", invite.LiveNetwork), n.add(t, "bob", invite.LiveNetwork), n.add(t, "carol", invite.LiveNetwork)
	inv, _ := a.mgr.CreateInvite(false, 0)
	if _, err := b.mgr.Join(inv.Link()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pairing", verified(b, a))

	t.Run("used invite", func(t *testing.T) {
		if _, err := c.mgr.Join(inv.Link()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "carol's pairing to fail", func() bool {
			ps := c.pending()
			return len(ps) == 1 && ps[0].Stage == peers.StageFailed
		})
		if e := c.pending()[0].LastError; !strings.Contains(e, "already used") {
			t.Errorf("error %q", e)
		}
		if a.peer(c.keys.DID()) != nil {
			t.Error("alice added carol through a used invite")
		}
	})
	t.Run("own invite", func(t *testing.T) {
		own, _ := c.mgr.CreateInvite(false, 0)
		if _, err := c.mgr.Join(own.Link()); !errors.Is(err, invite.ErrOwnInvite) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("wrong network", func(t *testing.T) {
		d := n.add(t, "dave", invite.NetworkID{1, 2, 3, 4})
		dinv, _ := d.mgr.CreateInvite(false, 0)
		if _, err := c.mgr.Join(dinv.Link()); !errors.Is(err, invite.ErrWrongNetwork) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown secret", func(t *testing.T) {
		// A well-formed invite of alice's that alice never issued.
		forged, _ := invite.New(a.keys.NodePublic(), a.keys.OnionPublic(), "alice", invite.LiveNetwork, 0, false, time.Now())
		// Tor would refuse the unknown client key before alice even sees it.
		if _, err := c.mgr.Join(forged.Link()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "attempts", func() bool {
			for _, p := range c.pending() {
				if p.PeerDID == a.keys.DID() && p.Stage == peers.StageJoining && p.Attempts > 0 {
					return strings.Contains(p.LastError, "client authorization")
				}
			}
			return false
		})
	})
}

func TestRemovalLeavesTombstoneAndTellsThePeer(t *testing.T) {
	n := newNet()
	a, b := n.add(t, "alice", invite.LiveNetwork), n.add(t, "bob", invite.LiveNetwork)
	inv, _ := a.mgr.CreateInvite(false, 0)
	b.mgr.Join(inv.Link())
	waitFor(t, "pairing", verified(a, b))
	waitFor(t, "pairing", verified(b, a))
	bobKey := [32]byte(a.peer(b.keys.DID()).AuthorizedKey)
	if err := a.mgr.Remove(b.keys.DID()); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Authorize(b.keys.DID()); !errors.Is(err, rpc.ErrRemovedPeer) {
		t.Errorf("alice authorises a removed peer: %v", err)
	}
	waitFor(t, "bob to remove alice", func() bool { return b.peer(a.keys.DID()) == nil })
	var ts *store.Tombstone
	waitFor(t, "alice's tombstone marked notified", func() bool {
		a.store.View(func(tx *store.Tx) error { ts, _ = tx.GetTombstone(b.keys.DID()); return nil })
		return ts != nil && ts.Notified && len(ts.DialKey) == 0
	})
	clients, _ := a.mgr.AuthorizedClients()
	for _, k := range clients {
		if k == bobKey {
			t.Error("bob's key still authorised")
		}
	}
}

func TestRemovedWhileOfflineIsToldLater(t *testing.T) {
	n := newNet()
	a, b := n.add(t, "alice", invite.LiveNetwork), n.add(t, "bob", invite.LiveNetwork)
	inv, _ := a.mgr.CreateInvite(false, 0)
	b.mgr.Join(inv.Link())
	waitFor(t, "pairing", verified(b, a))
	n.mu.Lock()
	n.down[b.keys.OnionAddress()] = true
	n.mu.Unlock()
	a.mgr.Remove(b.keys.DID())
	time.Sleep(300 * time.Millisecond)
	if b.peer(a.keys.DID()) == nil {
		t.Fatal("bob learnt of the removal while offline")
	}
	n.mu.Lock()
	n.down[b.keys.OnionAddress()] = false
	n.mu.Unlock()
	a.mgr.Wake()
	waitFor(t, "bob to learn of the removal once back", func() bool { return b.peer(a.keys.DID()) == nil })
}

func TestPendingPairingRetriesUntilInviterIsBack(t *testing.T) {
	n := newNet()
	a, b := n.add(t, "alice", invite.LiveNetwork), n.add(t, "bob", invite.LiveNetwork)
	inv, _ := a.mgr.CreateInvite(true, 0) // observer invite
	n.mu.Lock()
	n.down[a.keys.OnionAddress()] = true
	n.mu.Unlock()
	b.mgr.Join(inv.Link())
	waitFor(t, "failed attempts", func() bool { ps := b.pending(); return len(ps) == 1 && ps[0].Attempts >= 2 })
	n.mu.Lock()
	n.down[a.keys.OnionAddress()] = false
	n.mu.Unlock()
	waitFor(t, "pairing after alice is back", verified(b, a))
	waitFor(t, "alice verified bob", verified(a, b))
	if tr := a.peer(b.keys.DID()).Trust; tr != store.Observer {
		t.Errorf("alice sees bob as %s, want observer (invite option)", tr)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	prevMax := time.Duration(0)
	for i := 1; i <= 12; i++ {
		d := peers.BackoffWith(5*time.Second, 5*time.Minute, i)
		want := 5 * time.Second << (i - 1)
		if want > 5*time.Minute || want <= 0 {
			want = 5 * time.Minute
		}
		if d < want*8/10 || d > want*12/10 {
			t.Errorf("attempt %d: %v, want %v ±20%%", i, d, want)
		}
		if max := want * 12 / 10; max < prevMax {
			t.Errorf("backoff shrank at attempt %d", i)
		} else {
			prevMax = max
		}
	}
}
