// Package sync replicates signed records and state snapshots between paired
// nodes over their JSON-RPC (federation.sync, federation.reconcile,
// records.fetch, records.push), using Negentropy range-based set
// reconciliation so that a sync with nothing to do is one request and one
// response. Engine runs the per-peer schedule (interval with jitter,
// immediate syncs, exponential backoff) and reports named progress phases.
// docs/PROTOCOL.md is the wire specification.
package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Session is one connection to a peer (over Tor), reused for every call of
// one sync.
type Session interface {
	// Call makes a signed JSON-RPC call to the peer; see rpc.Client.Call.
	Call(ctx context.Context, method string, params, result any) error
	Close() error
}

// RPCSession is a Session making calls with client to the node at baseURL
// whose DID is callee. Close does nothing: the connection belongs to the
// client's transport.
func RPCSession(client *rpc.Client, baseURL string, callee identity.DID) Session {
	return &rpcSession{c: client, url: baseURL, callee: callee}
}

type rpcSession struct {
	c      *rpc.Client
	url    string
	callee identity.DID
}

func (s *rpcSession) Call(ctx context.Context, method string, params, result any) error {
	return s.c.Call(ctx, s.url, s.callee, method, params, result)
}
func (s *rpcSession) Close() error { return nil }

// Defaults.
const (
	DefaultInterval    = 5 * time.Minute
	DefaultRetryMin    = 15 * time.Second
	DefaultRetryMax    = 5 * time.Minute
	DefaultParallel    = 3
	DefaultCallTimeout = 2 * time.Minute
	// recordDebounce: after AddRecord, peers are synced within this delay.
	recordDebounce = 3 * time.Second
	// rescanEvery: the scheduler re-reads the peer list at least this often.
	rescanEvery = time.Minute
)

// Config configures an Engine. Store, Key, Self and Dial are required.
type Config struct {
	Store *store.Store
	Key   ed25519.PrivateKey
	Self  identity.DID
	// Dial opens a session to a peer; the engine closes it after the sync.
	Dial func(ctx context.Context, p *store.Peer) (Session, error)
	// Snapshot returns this node's current snapshot (a Collector fills the
	// measured fields). The engine sets Timestamp and FederatedPeers. Nil:
	// an empty snapshot.
	Snapshot func() Snapshot
	// Interval between syncs with each peer, jittered ±10 % (default 5 min).
	Interval time.Duration
	// RetryMin and RetryMax bound the backoff after failures (default 15 s
	// and 5 min).
	RetryMin, RetryMax time.Duration
	// Parallel is how many peers are synced at the same time (default 3).
	Parallel int
	// CallTimeout bounds each call of a sync (default 2 min).
	CallTimeout time.Duration
	Log         *logrus.Entry
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand returns uniform numbers in [0, 1) for jitter (default math/rand/v2).
	Rand func() float64
	// OnProgress is called after every change of a peer's Progress, one
	// call at a time, in order. It must not call Engine methods other than
	// Progress, Overall, Suggestions, ListRecords and CountRecords (start a
	// goroutine for anything else).
	OnProgress func(identity.DID, Progress)
}

// Phase is a peer's sync phase.
type Phase string

// Phases, in the order a sync goes through them.
const (
	PhaseIdle         Phase = "idle"         // nothing happened yet
	PhaseQueued       Phase = "queued"       // due or requested, waiting for a slot
	PhaseConnecting   Phase = "connecting"   // dialing and making the first call
	PhaseVerifying    Phase = "verifying"    // the first signed call succeeded; checking the answer
	PhaseReconciling  Phase = "reconciling"  // Negentropy rounds
	PhaseTransferring Phase = "transferring" // fetching / pushing records (counts)
	PhaseSynced       Phase = "synced"
	PhaseFailed       Phase = "failed" // Error says why, NextSync when it is retried
	PhasePaused       Phase = "paused"
)

// Progress is one peer's sync progress; its fields are node.SyncState's.
type Progress struct {
	Phase        Phase
	RecordsDone  int
	RecordsTotal int
	BytesDone    int64
	// BytesTotal is the bytes to push plus the bytes fetched so far (the
	// size of records still to fetch is unknown until they arrive).
	BytesTotal   int64
	LastSync     time.Time // last successful sync
	NextSync     time.Time // when the next attempt is due
	Error        string    // why the last attempt failed (Phase == PhaseFailed)
	Failures     int       // consecutive failures
	FailingSince time.Time
}

// Overall sums up sync for the tray: "k of n peers synced, last sync t".
type Overall struct {
	SyncedPeers int
	TotalPeers  int
	Syncing     bool
	Failing     int
	LastSync    time.Time
}

// Engine syncs with every paired peer and serves the sync RPC methods.
type Engine struct {
	cfg Config
	log *logrus.Entry

	mu      sync.Mutex
	peers   map[identity.DID]*peerState
	paused  bool
	running int
	wake    chan struct{}
	wg      sync.WaitGroup

	emitMu sync.Mutex

	gen     atomic.Uint64 // bumped after every record write; keys the set cache
	cacheMu sync.Mutex
	cache   map[string]*cachedSet
}

type peerState struct {
	prog        Progress
	requested   bool // SyncNow / PeerAdded / new record: run as soon as possible
	running     bool
	cancel      context.CancelFunc
	cancelled   bool        // cancelled by Pause/PeerRemoved: not a failure
	remoteTrust store.Trust // how the peer regards us, as it last said
	lastAttempt time.Time
}

type cachedSet struct {
	gen uint64
	set *itemSet
}

// New returns an engine; call Register to serve the RPC methods and Run to
// start syncing. It loads the persisted sync state of every paired peer.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Dial == nil {
		return nil, errors.New("sync: Config.Store and Config.Dial are required")
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("sync: Config.Key is not an Ed25519 private key")
	}
	if identity.DIDFromPublicKey(cfg.Key.Public().(ed25519.PublicKey)) != cfg.Self {
		return nil, errors.New("sync: Config.Self is not the DID of Config.Key")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(DefaultRetryMax, cfg.RetryMin)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	e := &Engine{
		cfg:   cfg,
		log:   cfg.Log.WithField("component", "sync"),
		peers: make(map[identity.DID]*peerState),
		wake:  make(chan struct{}, 1),
		cache: make(map[string]*cachedSet),
	}
	if err := e.rescan(); err != nil {
		return nil, err
	}
	return e, nil
}

// rescan brings the peer table in line with the store: new peers are added
// with their persisted state (due now if never synced), removed ones dropped.
func (e *Engine) rescan() error {
	var peers []*store.Peer
	states := map[identity.DID]*store.SyncState{}
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		if peers, err = tx.ListPeers(); err != nil {
			return err
		}
		list, err := tx.ListSyncStates()
		for _, s := range list {
			states[s.PeerDID] = s
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	now := e.cfg.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	present := map[identity.DID]bool{}
	for _, p := range peers {
		present[p.DID] = true
		if _, ok := e.peers[p.DID]; ok {
			continue
		}
		ps := &peerState{prog: Progress{Phase: PhaseIdle, NextSync: now}}
		if st := states[p.DID]; st != nil {
			ps.prog.LastSync, ps.prog.Failures, ps.prog.FailingSince = st.LastSync, st.Failures, st.FailingSince
			ps.prog.Error, ps.remoteTrust, ps.lastAttempt = st.LastError, st.RemoteTrust, st.LastAttempt
			if !st.NextAttempt.IsZero() {
				ps.prog.NextSync = st.NextAttempt
			}
			switch {
			case st.Failures > 0:
				ps.prog.Phase = PhaseFailed
			case !st.LastSync.IsZero():
				ps.prog.Phase = PhaseSynced
			}
		}
		if e.paused {
			ps.prog.Phase = PhasePaused
		}
		e.peers[p.DID] = ps
	}
	for did, ps := range e.peers {
		if !present[did] && !ps.running {
			delete(e.peers, did)
		}
	}
	return nil
}

func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// emit reports did's current progress to OnProgress.
func (e *Engine) emit(did identity.DID) {
	if e.cfg.OnProgress == nil {
		return
	}
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.mu.Lock()
	ps, ok := e.peers[did]
	var p Progress
	if ok {
		p = ps.prog
	}
	e.mu.Unlock()
	if ok {
		e.cfg.OnProgress(did, p)
	}
}

// update changes did's progress under the lock and reports it.
func (e *Engine) update(did identity.DID, fn func(*Progress)) {
	e.mu.Lock()
	ps, ok := e.peers[did]
	if ok {
		fn(&ps.prog)
	}
	e.mu.Unlock()
	if ok {
		e.emit(did)
	}
}

// Run syncs until ctx ends; then it cancels running syncs and waits for
// them. Call it once.
func (e *Engine) Run(ctx context.Context) error {
	defer func() {
		e.mu.Lock()
		for _, ps := range e.peers {
			if ps.cancel != nil {
				ps.cancelled = true
				ps.cancel()
			}
		}
		e.mu.Unlock()
		e.wg.Wait()
	}()
	lastScan := e.cfg.Now()
	for {
		if now := e.cfg.Now(); now.Sub(lastScan) >= rescanEvery {
			if err := e.rescan(); err != nil {
				e.log.WithError(err).Warn("sync: reading peers failed")
			}
			lastScan = now
		}
		wait := e.schedule(ctx)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// schedule starts every due sync there is a slot for and returns how long to
// sleep until the next one is due.
func (e *Engine) schedule(ctx context.Context) time.Duration {
	now := e.cfg.Now()
	var started, queued []identity.DID
	wait := rescanEvery
	e.mu.Lock()
	if !e.paused {
		// Requested syncs first, then the most overdue.
		dids := make([]identity.DID, 0, len(e.peers))
		for did := range e.peers {
			dids = append(dids, did)
		}
		slices.SortFunc(dids, func(a, b identity.DID) int {
			pa, pb := e.peers[a], e.peers[b]
			if pa.requested != pb.requested {
				if pa.requested {
					return -1
				}
				return 1
			}
			return pa.prog.NextSync.Compare(pb.prog.NextSync)
		})
		for _, did := range dids {
			ps := e.peers[did]
			if ps.running {
				continue
			}
			due := ps.requested || !now.Before(ps.prog.NextSync)
			if !due {
				wait = min(wait, ps.prog.NextSync.Sub(now))
				continue
			}
			if e.running >= e.cfg.Parallel {
				if ps.prog.Phase != PhaseQueued {
					ps.prog.Phase = PhaseQueued
					queued = append(queued, did)
				}
				continue
			}
			sctx := e.beginLocked(ctx, ps)
			started = append(started, did)
			go e.attempt(sctx, did)
		}
	}
	e.mu.Unlock()
	for _, did := range append(queued, started...) {
		e.emit(did)
	}
	return max(wait, time.Millisecond)
}

// beginLocked marks ps running; attempt must follow.
func (e *Engine) beginLocked(ctx context.Context, ps *peerState) context.Context {
	ps.running, ps.requested, ps.cancelled = true, false, false
	ps.prog.Phase = PhaseQueued
	ps.prog.RecordsDone, ps.prog.RecordsTotal, ps.prog.BytesDone, ps.prog.BytesTotal = 0, 0, 0, 0
	sctx, cancel := context.WithCancel(ctx)
	ps.cancel = cancel
	e.running++
	e.wg.Add(1)
	return sctx
}

// ErrBusy: Sync was called for a peer that is syncing already.
var ErrBusy = errors.New("a sync with this peer is already running")

// Sync runs one sync with did now and returns its outcome (also recorded in
// Progress and the schedule, as for a scheduled sync). It works with or
// without Run; it ignores Pause. ErrBusy if a sync with did is running.
func (e *Engine) Sync(ctx context.Context, did identity.DID) error {
	e.mu.Lock()
	ps, ok := e.peers[did]
	e.mu.Unlock()
	if !ok {
		if err := e.rescan(); err != nil {
			return err
		}
	}
	e.mu.Lock()
	if ps, ok = e.peers[did]; !ok {
		e.mu.Unlock()
		return fmt.Errorf("sync: %s is not a paired peer", did.Short())
	}
	if ps.running {
		e.mu.Unlock()
		return ErrBusy
	}
	sctx := e.beginLocked(ctx, ps)
	e.mu.Unlock()
	e.emit(did)
	return e.attempt(sctx, did)
}

// attempt runs one sync with did and records its outcome.
func (e *Engine) attempt(ctx context.Context, did identity.DID) error {
	defer e.wg.Done()
	start := e.cfg.Now()
	err := e.syncPeer(ctx, did)
	now := e.cfg.Now()
	log := e.log.WithField("peer", did.Short())

	e.mu.Lock()
	e.running--
	ps, ok := e.peers[did]
	if !ok { // removed meanwhile
		e.mu.Unlock()
		e.kick()
		return errors.Join(errors.New("sync: peer removed"), err)
	}
	cancelled := err != nil && (ps.cancelled || ctx.Err() != nil)
	ps.running, ps.lastAttempt, ps.cancelled = false, start, false
	if ps.cancel != nil {
		ps.cancel()
		ps.cancel = nil
	}
	p := &ps.prog
	switch {
	case cancelled:
		// Pause, removal or shutdown: not the peer's fault.
		p.Phase = PhaseIdle
		switch {
		case e.paused:
			p.Phase = PhasePaused
		case p.Failures > 0:
			p.Phase = PhaseFailed
		case !p.LastSync.IsZero():
			p.Phase = PhaseSynced
		}
		log.Debug("sync: cancelled")
	case err != nil:
		p.Failures++
		if p.Failures == 1 {
			p.FailingSince = start
		}
		p.Error = scrub(err.Error())
		p.NextSync = now.Add(e.backoff(p.Failures))
		p.Phase = PhaseFailed
		if e.paused {
			p.Phase = PhasePaused
		}
		log.WithField("failures", p.Failures).WithField("retry_in", p.NextSync.Sub(now).Round(time.Second)).
			Warnf("sync: failed: %s", p.Error)
	default:
		p.Failures, p.FailingSince, p.Error = 0, time.Time{}, ""
		p.LastSync = now
		p.NextSync = now.Add(e.interval())
		p.Phase = PhaseSynced
		if e.paused {
			p.Phase = PhasePaused
		}
		log.WithField("records", p.RecordsTotal).WithField("took", now.Sub(start).Round(time.Millisecond)).Debug("sync: done")
	}
	st := e.persistable(did, ps)
	e.mu.Unlock()
	e.persist(st)
	e.emit(did)
	e.kick()
	return err
}

func (e *Engine) persistable(did identity.DID, ps *peerState) *store.SyncState {
	return &store.SyncState{
		PeerDID: did, LastSync: ps.prog.LastSync, LastAttempt: ps.lastAttempt, NextAttempt: ps.prog.NextSync,
		Failures: ps.prog.Failures, FailingSince: ps.prog.FailingSince, LastError: ps.prog.Error,
		RemoteTrust: ps.remoteTrust,
	}
}

func (e *Engine) persist(st *store.SyncState) {
	err := e.cfg.Store.Update(func(tx *store.Tx) error {
		if _, err := tx.GetPeer(st.PeerDID); err != nil {
			return nil // removed meanwhile: keep nothing
		}
		return tx.PutSyncState(st)
	})
	if err != nil {
		e.log.WithError(err).WithField("peer", st.PeerDID.Short()).Warn("sync: saving sync state failed")
	}
}

// SetInterval changes the interval between syncs with each peer (d ≤ 0:
// DefaultInterval). Peers due later than one new interval from now are
// rescheduled to it.
func (e *Engine) SetInterval(d time.Duration) {
	if d <= 0 {
		d = DefaultInterval
	}
	e.mu.Lock()
	e.cfg.Interval = d
	latest := e.cfg.Now().Add(e.interval())
	for _, ps := range e.peers {
		if ps.prog.Failures == 0 && ps.prog.NextSync.After(latest) {
			ps.prog.NextSync = latest
		}
	}
	e.mu.Unlock()
	e.kick()
}

// interval is Interval jittered uniformly by ±10 %. Call with e.mu held.
func (e *Engine) interval() time.Duration {
	return time.Duration(float64(e.cfg.Interval) * (0.9 + 0.2*e.cfg.Rand()))
}

func (e *Engine) backoff(failures int) time.Duration {
	return Backoff(failures, e.cfg.RetryMin, e.cfg.RetryMax, e.cfg.Rand())
}

// Backoff is the delay before retry number `failures` (≥ 1): d =
// min(lo·2^(failures−1), hi), then a uniform pick (u in [0, 1)) in
// [0.9·d, min(1.1·d, hi)]. With the defaults: ~15 s, 30 s, 1 min, 2 min,
// 4 min, then 4.5–5 min.
func Backoff(failures int, lo, hi time.Duration, u float64) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	a, b := 0.9*float64(d), min(1.1*float64(d), float64(hi))
	return time.Duration(a + u*(b-a))
}

// PeerAdded starts a sync with a newly paired peer now.
func (e *Engine) PeerAdded(did identity.DID) {
	if err := e.rescan(); err != nil {
		e.log.WithError(err).Warn("sync: reading peers failed")
	}
	e.request(did)
}

// SyncNow syncs with did now, or with every peer if did is "". While paused
// the request waits for Pause(false).
func (e *Engine) SyncNow(did identity.DID) {
	if did == "" {
		e.mu.Lock()
		dids := make([]identity.DID, 0, len(e.peers))
		for d := range e.peers {
			dids = append(dids, d)
		}
		e.mu.Unlock()
		for _, d := range dids {
			e.request(d)
		}
		return
	}
	e.request(did)
}

func (e *Engine) request(did identity.DID) {
	e.mu.Lock()
	ps, ok := e.peers[did]
	changed := false
	if ok {
		ps.requested = true // if it is running, another sync follows it
		if !ps.running && !e.paused && ps.prog.Phase != PhaseQueued {
			ps.prog.Phase = PhaseQueued
			changed = true
		}
	}
	e.mu.Unlock()
	if changed {
		e.emit(did)
	}
	e.kick()
}

// soon makes every peer due within d (used after a local record was added),
// without shortening a failing peer's backoff.
func (e *Engine) soon(d time.Duration) {
	due := e.cfg.Now().Add(d)
	e.mu.Lock()
	for _, ps := range e.peers {
		if ps.prog.Failures == 0 && ps.prog.NextSync.After(due) {
			ps.prog.NextSync = due
		}
	}
	e.mu.Unlock()
	e.kick()
}

// PeerRemoved stops syncing with did and forgets its sync state and
// snapshot. (Records it authored stay.)
func (e *Engine) PeerRemoved(did identity.DID) {
	e.mu.Lock()
	if ps, ok := e.peers[did]; ok {
		if ps.cancel != nil {
			ps.cancelled = true
			ps.cancel()
		}
		delete(e.peers, did)
	}
	e.mu.Unlock()
	err := e.cfg.Store.Update(func(tx *store.Tx) error {
		if err := tx.DeleteSyncState(did); err != nil {
			return err
		}
		return tx.DeleteSnapshot(did)
	})
	if err != nil {
		e.log.WithError(err).WithField("peer", did.Short()).Warn("sync: forgetting peer failed")
	}
	e.kick()
}

// Pause stops (true) or resumes (false) outgoing syncs. Pausing cancels the
// syncs in progress (records already stored stay); incoming calls are still
// served.
func (e *Engine) Pause(paused bool) {
	e.mu.Lock()
	if e.paused == paused {
		e.mu.Unlock()
		return
	}
	e.paused = paused
	dids := make([]identity.DID, 0, len(e.peers))
	for did, ps := range e.peers {
		dids = append(dids, did)
		if paused {
			ps.prog.Phase = PhasePaused
			if ps.cancel != nil {
				ps.cancelled = true
				ps.requested = true // resume it first
				ps.cancel()
			}
			continue
		}
		switch {
		case ps.running:
			continue // its outcome sets the phase
		case ps.requested:
			ps.prog.Phase = PhaseQueued
		case ps.prog.Failures > 0:
			ps.prog.Phase = PhaseFailed
		case !ps.prog.LastSync.IsZero():
			ps.prog.Phase = PhaseSynced
		default:
			ps.prog.Phase = PhaseIdle
		}
	}
	e.mu.Unlock()
	for _, did := range dids {
		e.emit(did)
	}
	e.kick()
}

// Paused reports whether outgoing syncs are paused.
func (e *Engine) Paused() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.paused
}

// Progress returns did's progress (Phase idle for an unknown peer).
func (e *Engine) Progress(did identity.DID) Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps, ok := e.peers[did]; ok {
		return ps.prog
	}
	return Progress{Phase: PhaseIdle}
}

// Overall sums up every peer's progress.
func (e *Engine) Overall() Overall {
	e.mu.Lock()
	defer e.mu.Unlock()
	var o Overall
	for _, ps := range e.peers {
		p := ps.prog
		o.TotalPeers++
		if p.Failures > 0 {
			o.Failing++
		} else if !p.LastSync.IsZero() {
			o.SyncedPeers++
		}
		switch p.Phase {
		case PhaseConnecting, PhaseVerifying, PhaseReconciling, PhaseTransferring:
			o.Syncing = true
		}
		if p.LastSync.After(o.LastSync) {
			o.LastSync = p.LastSync
		}
	}
	return o
}

// onionRE matches v3 onion addresses (56 base32 characters).
var onionRE = regexp.MustCompile(`[a-z2-7]{56}(\.onion)?`)

// scrub shortens onion addresses in text meant for logs and the UI.
func scrub(s string) string {
	return onionRE.ReplaceAllStringFunc(s, func(m string) string { return m[:6] + "….onion" })
}

// errorf is fmt.Errorf with onion addresses scrubbed from the message.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if s := scrub(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}

// scopeKey identifies a set of authors in the set cache.
func scopeKey(authors []identity.DID) string {
	s := make([]string, len(authors))
	for i, a := range authors {
		s[i] = string(a)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}
