// Package node is the node as one object: it owns the keys, the database,
// the Tor engine, the onion service, the RPC server, pairing and sync, and
// turns everything that happens into one stream of Events carrying the full
// State. The UI and the CLI only observe that stream and call methods here.
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/internal/fanout"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/peers"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
	fedsync "github.com/archy-desktop/archy-desktop/core/sync"
	"github.com/archy-desktop/archy-desktop/core/tor"
)

// Config configures a node.
type Config struct {
	// DataDir holds keys/, archy.db, tor/ and control.sock (created 0700).
	DataDir string
	// Network is the Tor network to join (tor.Live by default).
	Network tor.Network
	// TorProvider and TorPath choose how Tor runs (see package tor).
	TorProvider tor.Provider
	TorPath     string
	// AppVersion is reported to peers and shown in the UI.
	AppVersion string
	// DefaultName is the node's name until the user picks one.
	DefaultName string
	Log         *logrus.Logger
}

// Settings keys in the store.
const (
	settingName         = "name"
	settingBridges      = "bridges"
	settingSyncInterval = "sync_interval"
	settingSelfClient   = "self_client_key"
)

// Node is a running Archy node.
type Node struct {
	cfg    Config
	log    *logrus.Entry
	keys   *identity.Keys
	store  *store.Store
	peers  *peers.Manager
	netID  invite.NetworkID
	rpcSrv *rpc.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ln      net.Listener
	httpSrv *http.Server

	mu         sync.Mutex
	engine     *tor.Engine
	onion      *tor.Onion
	torState   TorState
	clientAuth map[string][32]byte // onion → key Tor has for dialing it
	authorized [][32]byte          // keys our onion currently authorises
	started    time.Time
	selfClient [32]byte

	clientsDirty chan struct{}
	torRestart   chan bool // true: reset Tor's state first

	sync      *fedsync.Engine
	collector *fedsync.Collector
	syncFlags syncFlags

	hub        fanout.Hub[Event] // a slow subscriber loses old events, never the latest State
	stateDirty chan struct{}
}

// Open loads (or creates) the node's keys and database. It starts nothing.
func Open(cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("node: no data directory")
	}
	if cfg.Log == nil {
		cfg.Log = logrus.StandardLogger()
	}
	if cfg.DefaultName == "" {
		cfg.DefaultName = defaultName()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	keys, created, err := identity.LoadOrCreate(filepath.Join(cfg.DataDir, "keys"))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "archy.db"))
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, log: cfg.Log.WithField("component", "node"), keys: keys, store: st,
		netID:        invite.NetworkIDFromAuthorities(cfg.Network.V3Idents()),
		clientAuth:   map[string][32]byte{},
		clientsDirty: make(chan struct{}, 1),
		torRestart:   make(chan bool, 1),
		stateDirty:   make(chan struct{}, 1),
		torState:     TorState{Phase: TorStopped},
		syncFlags:    syncFlags{notified: map[identity.DID]bool{}},
	}
	if err := n.loadSelfClient(); err != nil {
		st.Close()
		return nil, err
	}
	if created {
		n.log.WithField("did", keys.DID().Short()).Info("created a new node identity")
	}
	n.peers = peers.New(peers.Config{
		Store: st, Keys: keys, Network: n.netID, Name: n.Name, Version: cfg.AppVersion,
		Call: n.call, ClientsChanged: n.clientsChanged, Notify: n.onPeersEvent, Log: n.log,
	}, n.selfClient)
	n.rpcSrv = rpc.NewServer(rpc.ServerConfig{Self: keys.DID(), Authorize: n.peers.Authorize, Log: n.log})
	n.peers.Register(n.rpcSrv)
	if err := n.newSyncEngine(); err != nil {
		st.Close()
		return nil, err
	}
	return n, nil
}

func defaultName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "Archy node"
}

// loadSelfClient reads our own x25519 client key (or makes one).
func (n *Node) loadSelfClient() error {
	return n.store.Update(func(tx *store.Tx) error {
		var k []byte
		ok, err := tx.GetSetting(settingSelfClient, &k)
		if err != nil {
			return err
		}
		if ok && len(k) == 32 {
			n.selfClient = [32]byte(k)
			return nil
		}
		n.selfClient = peers.NewX25519Key()
		return tx.PutSetting(settingSelfClient, n.selfClient[:])
	})
}

// DID is the node's did:key.
func (n *Node) DID() identity.DID { return n.keys.DID() }

// Onion is the node's onion address (without .onion).
func (n *Node) Onion() string { return n.keys.OnionAddress() }

// DataDir is the node's data folder.
func (n *Node) DataDir() string { return n.cfg.DataDir }

// Name is the node's display name.
func (n *Node) Name() string {
	var name string
	n.store.View(func(tx *store.Tx) error {
		_, err := tx.GetSetting(settingName, &name)
		return err
	})
	if name == "" {
		return invite.CleanName(n.cfg.DefaultName)
	}
	return name
}

// SetName changes the node's display name.
func (n *Node) SetName(name string) error {
	name = invite.CleanName(strings.TrimSpace(name))
	if name == "" {
		return errors.New("the name is empty")
	}
	if err := n.store.Update(func(tx *store.Tx) error { return tx.PutSetting(settingName, name) }); err != nil {
		return err
	}
	if n.sync != nil {
		n.publishIdentity()
	}
	n.emit(EventState, "", "")
	return nil
}

// Start brings the node up in the background: Tor, the onion service, the
// RPC server, pairing and sync. It returns at once; watch Events.
func (n *Node) Start() error {
	n.ctx, n.cancel = context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("rpc listener: %w", err)
	}
	n.ln = ln
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, n.rpcSrv)
	n.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 5 * time.Minute}
	n.started = time.Now()
	n.log.WithFields(logrus.Fields{"did": n.DID().Short(), "onion": n.Onion()[:8] + "…", "network": n.netID.String()}).Info("node starting")
	n.goRun(func() { n.httpSrv.Serve(ln) })
	n.goRun(n.torLoop)
	n.goRun(n.clientsLoop)
	n.goRun(func() { n.peers.Run(n.ctx) })
	n.goRun(func() { n.sync.Run(n.ctx) })
	n.goRun(n.stateLoop)
	n.publishIdentity()
	n.emit(EventState, "", "")
	return nil
}

func (n *Node) goRun(fn func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		fn()
	}()
}

// Close stops everything and closes the database.
func (n *Node) Close() error {
	if n.cancel != nil {
		n.cancel()
	}
	if n.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n.httpSrv.Shutdown(ctx)
		cancel()
	}
	n.wg.Wait()
	n.emit(EventStopped, "", "")
	n.hub.Close()
	return n.store.Close()
}

// Wait blocks until the node has stopped (after Close or a fatal error).
func (n *Node) Done() <-chan struct{} { return n.ctx.Done() }

// ---------------------------------------------------------------------------
// Tor: start, publish, self-check, restart.

func (n *Node) bridges() []string {
	var lines []string
	n.store.View(func(tx *store.Tx) error {
		_, err := tx.GetSetting(settingBridges, &lines)
		return err
	})
	return lines
}

// Bridges are the configured Tor bridge lines.
func (n *Node) Bridges() []string { return n.bridges() }

// SetBridges stores bridge lines and restarts Tor with them.
func (n *Node) SetBridges(lines []string) error {
	var clean []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			clean = append(clean, l)
		}
	}
	if err := n.store.Update(func(tx *store.Tx) error { return tx.PutSetting(settingBridges, clean) }); err != nil {
		return err
	}
	n.restartTor(false)
	return nil
}

// ResetTor deletes Tor's cached state (our keys are kept) and restarts Tor.
func (n *Node) ResetTor() error {
	n.restartTor(true)
	return nil
}

func (n *Node) restartTor(reset bool) {
	select {
	case n.torRestart <- reset:
	default:
	}
}

func (n *Node) setTor(fn func(*TorState)) {
	n.mu.Lock()
	fn(&n.torState)
	n.mu.Unlock()
	n.emit(EventState, "", "")
}

// torLoop runs Tor, restarts it when asked or when it dies (with backoff),
// and keeps our onion published.
func (n *Node) torLoop() {
	failures := 0
	for n.ctx.Err() == nil {
		reset, err := n.runTor()
		if n.ctx.Err() != nil {
			return
		}
		delay := time.Duration(0)
		if err != nil {
			failures++
			delay = peers.Backoff(failures)
			n.log.WithError(err).WithField("retry_in", delay.Round(time.Second)).Error("Tor failed")
			n.setTor(func(s *TorState) { s.Phase, s.Error = TorStopped, err.Error() })
		} else {
			failures = 0
		}
		if reset {
			if err := tor.ResetState(filepath.Join(n.cfg.DataDir, "tor")); err != nil {
				n.log.WithError(err).Error("reset Tor state")
			} else {
				n.log.Info("Tor state reset (keys kept)")
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// runTor runs one Tor until it stops or a restart is requested.
func (n *Node) runTor() (reset bool, err error) {
	n.setTor(func(s *TorState) { *s = TorState{Phase: TorStarting} })
	eng, err := tor.Start(n.ctx, tor.Config{
		DataDir: filepath.Join(n.cfg.DataDir, "tor"), Network: n.cfg.Network, Bridges: n.bridges(),
		Provider: n.cfg.TorProvider, TorPath: n.cfg.TorPath, Log: n.log,
	})
	if err != nil {
		return false, err
	}
	events, unsubscribe := eng.Events()
	defer unsubscribe()
	n.mu.Lock()
	n.engine = eng
	n.clientAuth = map[string][32]byte{}
	n.torState.Version, n.torState.Provider = eng.Version(), string(eng.Provider())
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.engine, n.onion = nil, nil
		n.mu.Unlock()
		eng.Close()
		n.setTor(func(s *TorState) { s.Phase, s.Reachable = TorStopped, false })
	}()
	n.applyStatus(eng.Status())

	// ADD_ONION works before bootstrap finishes and returns the address at
	// once; the descriptor goes up when Tor can.
	clients, err := n.peers.AuthorizedClients()
	if err != nil {
		return false, err
	}
	onion, err := eng.Publish(tor.OnionConfig{Key: n.keys.Onion, Port: 80, Target: n.ln.Addr().String(), AuthorizedClients: clients})
	if err != nil {
		return false, err
	}
	if err := eng.AddClientAuth(onion.Address(), n.selfClient); err != nil {
		return false, err
	}
	n.mu.Lock()
	n.onion, n.authorized = onion, clients
	n.clientAuth[onion.Address()] = n.selfClient
	n.mu.Unlock()
	uploaded := onion.Uploaded()
	for {
		select {
		case <-n.ctx.Done():
			return false, nil
		case reset := <-n.torRestart:
			n.log.WithField("reset", reset).Info("restarting Tor")
			return reset, nil
		case <-uploaded:
			uploaded = nil // fires once
			n.setTor(func(s *TorState) {
				if s.Phase == TorPublishing || s.Phase == TorBootstrapping {
					s.Phase = TorOnline
				}
			})
			go n.selfCheck(eng)
		case ev, ok := <-events:
			if !ok {
				return false, errors.New("tor stopped")
			}
			switch ev := ev.(type) {
			case tor.Stopped:
				if ev.Err != nil {
					return false, ev.Err
				}
				return false, errors.New("tor stopped")
			case tor.Warning:
				n.setTor(func(s *TorState) { s.Warning = ev.Message })
				if ev.Action == "DANGEROUS_VERSION" {
					n.emit(EventTorWarning, "", ev.Message)
				}
			case tor.Bootstrap, tor.Ready, tor.Stalled:
				n.applyStatus(eng.Status())
			}
		}
	}
}

// applyStatus maps the engine's bootstrap status onto TorState.
func (n *Node) applyStatus(st tor.Status) {
	n.setTor(func(s *TorState) {
		b := st.Bootstrap
		s.Percent, s.Tag, s.Summary = b.Percent, b.Tag, b.Summary
		switch {
		case s.Phase == TorOnline:
		case st.Ready:
			s.Phase = TorPublishing
		case st.Stalled:
			s.Phase = TorStalled
		default:
			s.Phase = TorBootstrapping
		}
		switch {
		case b.Warning != "":
			s.Warning = "Tor has trouble connecting: " + b.Warning
		case st.Ready:
			s.Warning = ""
		}
		s.Error = ""
	})
}

// selfCheck dials our own onion through Tor (as a client would) until it
// answers node.did with our identity: only then is the node "reachable".
func (n *Node) selfCheck(eng *tor.Engine) {
	for attempt := 1; n.ctx.Err() == nil; attempt++ {
		ctx, cancel := context.WithTimeout(n.ctx, 90*time.Second)
		var info peers.DIDInfo
		err := n.call(ctx, n.Onion(), n.selfClient[:], "", peers.MethodDID, struct{}{}, &info)
		cancel()
		if err == nil && info.DID == n.DID() {
			n.log.WithField("attempts", attempt).Info("self-check: our onion is reachable")
			n.setTor(func(s *TorState) { s.Phase, s.Reachable = TorOnline, true })
			return
		}
		n.log.WithError(err).Debug("self-check failed; retrying")
		select {
		case <-n.ctx.Done():
			return
		case <-eng.Done():
			return
		case <-time.After(peers.Backoff(attempt)):
		}
	}
}

// clientsChanged is called by pairing when our onion must authorise a
// different set of client keys.
func (n *Node) clientsChanged() {
	select {
	case n.clientsDirty <- struct{}{}:
	default:
	}
}

// clientsLoop republishes the onion with the current client keys: debounced
// (a pairing's confirm answer goes out first) and re-checked every minute
// (invites expire).
func (n *Node) clientsLoop() {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.clientsDirty:
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		case <-tick.C:
		}
		clients, err := n.peers.AuthorizedClients()
		if err != nil {
			n.log.WithError(err).Error("client keys")
			continue
		}
		n.mu.Lock()
		onion, same := n.onion, sameKeys(clients, n.authorized)
		n.mu.Unlock()
		if onion == nil || same {
			continue
		}
		if err := onion.SetAuthorizedClients(clients); err != nil {
			n.log.WithError(err).Error("update onion client keys")
			continue
		}
		n.mu.Lock()
		n.authorized = clients
		n.mu.Unlock()
		n.log.WithField("clients", len(clients)).Info("onion service republished with updated client keys")
	}
}

func sameKeys(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	cmp := func(x, y [32]byte) int { return strings.Compare(string(x[:]), string(y[:])) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

// ---------------------------------------------------------------------------
// Calls to peers over Tor.

// ErrTorNotRunning is returned by calls while Tor is down.
var ErrTorNotRunning = errors.New("Tor is not running")

// httpClient returns an HTTP client that reaches onion through Tor, with the
// v3 client-authorization key dialKey given to Tor first. Streams to one
// onion share a circuit (SOCKS isolation by onion).
func (n *Node) httpClient(onion string, dialKey []byte, keepAlive bool) (*http.Client, error) {
	n.mu.Lock()
	eng := n.engine
	have, known := n.clientAuth[onion]
	n.mu.Unlock()
	if eng == nil {
		return nil, ErrTorNotRunning
	}
	if len(dialKey) == 32 && (!known || have != [32]byte(dialKey)) {
		if err := eng.AddClientAuth(onion, [32]byte(dialKey)); err != nil {
			return nil, err
		}
		n.mu.Lock()
		n.clientAuth[onion] = [32]byte(dialKey)
		n.mu.Unlock()
	}
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: !keepAlive,
		MaxConnsPerHost:   1,
		IdleConnTimeout:   2 * time.Minute,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return eng.Dial(ctx, addr, "peer:"+onion)
		},
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, nil
}

// call makes one RPC call to onion (see peers.Caller).
func (n *Node) call(ctx context.Context, onion string, dialKey []byte, callee identity.DID, method string, params, result any) error {
	hc, err := n.httpClient(onion, dialKey, false)
	if err != nil {
		return err
	}
	c := rpc.NewClient(n.keys.Node, hc)
	base := "http://" + onion + ".onion"
	if callee == "" {
		err = c.CallUnauthenticated(ctx, base, method, params, result)
	} else {
		err = c.Call(ctx, base, callee, method, params, result)
	}
	return scrubURL(err)
}

// scrubURL drops the request URL (it holds the peer's full onion address)
// from transport errors, so they can be logged and shown.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("rpc call: %w", ue.Err)
	}
	return err
}
