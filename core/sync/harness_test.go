package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// The harness: every node is a real Engine on its own bbolt file, serving a
// real rpc.Server through httptest; sessions are real rpc.Clients signing
// with the node's key. Only Tor is missing.

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

type network struct {
	t     *testing.T
	mu    sync.Mutex
	nodes map[identity.DID]*node
}

func newNetwork(t *testing.T) *network {
	return &network{t: t, nodes: map[identity.DID]*node{}}
}

type node struct {
	name  string
	net   *network
	key   ed25519.PrivateKey
	did   identity.DID
	onion string
	path  string
	st    *store.Store
	eng   *Engine
	srv   *rpc.Server
	hs    *httptest.Server

	requests atomic.Int64 // HTTP requests this node served
	calls    atomic.Int64 // RPC calls this node made (sessions)
	wire     *byteCounter // bytes this node's client sent and received

	// dialHook, if set, may fail or wrap a session.
	dialHook func(Session) (Session, error)

	eventsMu sync.Mutex
	events   map[identity.DID][]Progress
}

// byteCounter counts the bytes over the client's TCP connections (HTTP
// headers included).
type byteCounter struct{ in, out atomic.Int64 }

type countingConn struct {
	net.Conn
	c *byteCounter
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.c.in.Add(int64(n))
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.c.out.Add(int64(n))
	return n, err
}

type nodeOpt func(*Config)

func onionFor(name string) string {
	// 56 base32 characters, distinct per name.
	s := strings.Repeat("a", 56)
	n := strings.ToLower(name)
	var b strings.Builder
	for _, c := range n {
		if c >= 'a' && c <= 'z' || c >= '2' && c <= '7' {
			b.WriteRune(c)
		}
	}
	return (b.String() + s)[:56]
}

func (nw *network) node(name string, opts ...nodeOpt) *node {
	nw.t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		nw.t.Fatal(err)
	}
	return nw.nodeWith(name, key, "", opts...)
}

// nodeWith makes a node with the given key whose database starts as a copy
// of seedFile (if not empty).
func (nw *network) nodeWith(name string, key ed25519.PrivateKey, seedFile string, opts ...nodeOpt) *node {
	t := nw.t
	t.Helper()
	n := &node{name: name, net: nw, key: key, did: identity.DIDFromPublicKey(key.Public().(ed25519.PublicKey)),
		onion: onionFor(name), wire: &byteCounter{}, events: map[identity.DID][]Progress{}}
	n.path = filepath.Join(t.TempDir(), name+".db")
	if seedFile != "" {
		b, err := os.ReadFile(seedFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(n.path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n.open(opts...)
	nw.mu.Lock()
	nw.nodes[n.did] = n
	nw.mu.Unlock()
	t.Cleanup(func() { n.close() })
	return n
}

// open (re)opens the node's store, engine and server.
func (n *node) open(opts ...nodeOpt) {
	t := n.net.t
	t.Helper()
	st, err := store.Open(n.path)
	if err != nil {
		t.Fatal(err)
	}
	n.st = st
	cfg := Config{
		Store: st, Key: n.key, Self: n.did, Log: quietLog(),
		Dial: n.dial,
		Snapshot: func() Snapshot {
			return Snapshot{NodeName: n.name, Version: "test", Apps: []string{"bitcoind"}, TorActive: true}
		},
		OnProgress: func(did identity.DID, p Progress) {
			n.eventsMu.Lock()
			n.events[did] = append(n.events[did], p)
			n.eventsMu.Unlock()
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.eng = eng
	n.srv = rpc.NewServer(rpc.ServerConfig{
		Self: n.did, Log: quietLog(),
		Authorize: func(d identity.DID) error {
			return st.View(func(tx *store.Tx) error {
				if _, err := tx.GetPeer(d); err == nil {
					return nil
				}
				if tx.IsTombstoned(d) {
					return rpc.ErrRemovedPeer
				}
				return rpc.ErrUnknownPeer
			})
		},
	})
	eng.Register(n.srv)
	n.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.requests.Add(1)
		n.srv.ServeHTTP(w, r)
	}))
}

func (n *node) close() {
	if n.hs != nil {
		n.hs.Close()
		n.hs = nil
	}
	if n.st != nil {
		_ = n.st.Close()
		n.st = nil
	}
}

// client is an rpc.Client signing as n whose connections are counted.
func (n *node) client() *rpc.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, c: n.wire}, nil
		},
		DisableCompression: true,
	}
	return rpc.NewClient(n.key, &http.Client{Transport: tr, Timeout: time.Minute})
}

type countingSession struct {
	Session
	n *node
}

func (s countingSession) Call(ctx context.Context, method string, params, result any) error {
	s.n.calls.Add(1)
	return s.Session.Call(ctx, method, params, result)
}

func (n *node) dial(ctx context.Context, p *store.Peer) (Session, error) {
	n.net.mu.Lock()
	peer := n.net.nodes[p.DID]
	n.net.mu.Unlock()
	if peer == nil || peer.hs == nil {
		return nil, fmt.Errorf("no route to %s.onion", p.Onion)
	}
	var s Session = countingSession{Session: RPCSession(n.client(), peer.hs.URL, p.DID), n: n}
	if n.dialHook != nil {
		return n.dialHook(s)
	}
	return s, nil
}

// pair stores each node as the other's peer: a regards b with ta, b regards a with tb.
func pair(t *testing.T, a, b *node, ta, tb store.Trust) {
	t.Helper()
	put := func(x, y *node, tr store.Trust) {
		if err := x.st.Update(func(tx *store.Tx) error {
			return tx.PutPeer(&store.Peer{DID: y.did, Onion: y.onion, Name: y.name, Trust: tr, PairedAt: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		x.eng.PeerAdded(y.did)
	}
	put(a, b, ta)
	put(b, a, tb)
}

func (n *node) add(t *testing.T, protocol, payload string) *Record {
	t.Helper()
	r, err := n.eng.AddRecord(protocol, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// addMany stores count records of n in batches (faster than AddRecord).
func (n *node) addMany(t *testing.T, count int, payload func(i int) string) []*Record {
	t.Helper()
	var out []*Record
	now := time.Now()
	for i := 0; i < count; i += MaxBatchRecords {
		var batch []*Record
		for j := i; j < min(count, i+MaxBatchRecords); j++ {
			r, err := NewRecord(n.key, "note", []byte(payload(j)), now.Add(time.Duration(j)*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, r)
		}
		if _, err := n.eng.storeBatch(batch); err != nil {
			t.Fatal(err)
		}
		out = append(out, batch...)
	}
	return out
}

func (n *node) has(r *Record) bool {
	id := r.ID()
	var ok bool
	_ = n.st.View(func(tx *store.Tx) error { ok = tx.HasRecord(id); return nil })
	return ok
}

func (n *node) count(t *testing.T) int {
	t.Helper()
	c, err := n.eng.CountRecords()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (n *node) sync(t *testing.T, peer *node) {
	t.Helper()
	if err := n.eng.Sync(context.Background(), peer.did); err != nil {
		t.Fatalf("%s → %s: %v", n.name, peer.name, err)
	}
}

func (n *node) phases(did identity.DID) []Phase {
	n.eventsMu.Lock()
	defer n.eventsMu.Unlock()
	var out []Phase
	for _, p := range n.events[did] {
		if len(out) == 0 || out[len(out)-1] != p.Phase {
			out = append(out, p.Phase)
		}
	}
	return out
}

func (n *node) clearEvents() {
	n.eventsMu.Lock()
	n.events = map[identity.DID][]Progress{}
	n.eventsMu.Unlock()
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var errDown = errors.New("circuit closed")

// failingSession fails every call after `after` successful ones.
type failingSession struct {
	Session
	mu    *sync.Mutex
	after *int
}

func (s failingSession) Call(ctx context.Context, method string, params, result any) error {
	s.mu.Lock()
	if *s.after <= 0 {
		s.mu.Unlock()
		return errDown
	}
	*s.after--
	s.mu.Unlock()
	return s.Session.Call(ctx, method, params, result)
}
