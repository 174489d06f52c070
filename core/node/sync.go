package node

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
	fedsync "github.com/archy-desktop/archy-desktop/core/sync"
)

// DefaultSyncInterval is how often each peer is synced.
const DefaultSyncInterval = fedsync.DefaultInterval

// FailingNotifyAfter is how long a peer must have failed, without a single
// success, before the UI is told (never for a flapping connection).
var FailingNotifyAfter = 30 * time.Minute

// syncFlags remembers which failing peers the UI was already told about.
type syncFlags struct {
	mu       sync.Mutex
	notified map[identity.DID]bool
}

func (n *Node) newSyncEngine() error {
	n.collector = fedsync.NewCollector(n.cfg.DataDir)
	eng, err := fedsync.New(fedsync.Config{
		Store: n.store, Key: n.keys.Node, Self: n.DID(), Dial: n.dialSession,
		Snapshot: n.localSnapshot, Interval: n.SyncInterval(), Log: n.log, OnProgress: n.onSyncProgress,
	})
	if err != nil {
		return err
	}
	eng.Register(n.rpcSrv)
	n.sync = eng
	return nil
}

// dialSession opens one connection to a peer's onion, kept alive for every
// call of one sync.
func (n *Node) dialSession(ctx context.Context, p *store.Peer) (fedsync.Session, error) {
	hc, err := n.httpClient(p.Onion, p.DialKey, true)
	if err != nil {
		return nil, err
	}
	return &torSession{
		Session: fedsync.RPCSession(rpc.NewClient(n.keys.Node, hc), "http://"+p.Onion+".onion", p.DID),
		hc:      hc,
	}, nil
}

type torSession struct {
	fedsync.Session
	hc *http.Client
}

func (s *torSession) Call(ctx context.Context, method string, params, result any) error {
	return scrubURL(s.Session.Call(ctx, method, params, result))
}

func (s *torSession) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

// localSnapshot is this node's NodeStateSnapshot (the engine adds the
// timestamp and the trusted peers).
func (n *Node) localSnapshot() fedsync.Snapshot {
	n.mu.Lock()
	torActive := n.torState.Phase == TorOnline
	n.mu.Unlock()
	return n.collector.Collect(fedsync.Snapshot{NodeName: n.Name(), Version: n.cfg.AppVersion, Apps: []string{}, TorActive: torActive})
}

func (n *Node) onSyncProgress(did identity.DID, p fedsync.Progress) {
	// A long, unbroken failure is worth a notification once; a flapping
	// connection (it succeeds in between) never is.
	n.syncFlags.mu.Lock()
	notify := false
	if p.Phase == fedsync.PhaseFailed && !p.FailingSince.IsZero() && time.Since(p.FailingSince) >= FailingNotifyAfter && !n.syncFlags.notified[did] {
		n.syncFlags.notified[did] = true
		notify = true
	}
	if p.Phase == fedsync.PhaseSynced {
		delete(n.syncFlags.notified, did)
	}
	n.syncFlags.mu.Unlock()
	if notify {
		go n.emit(EventPeerFailing, did, "cannot reach this peer for a long time: "+p.Error)
	}
	n.emitState()
}

// SyncInterval is the configured sync interval.
func (n *Node) SyncInterval() time.Duration {
	var d time.Duration
	n.store.View(func(tx *store.Tx) error {
		_, err := tx.GetSetting(settingSyncInterval, &d)
		return err
	})
	if d <= 0 {
		return DefaultSyncInterval
	}
	return d
}

// SetSyncInterval changes how often peers are synced (1 min … 24 h).
func (n *Node) SetSyncInterval(d time.Duration) error {
	if d < time.Minute || d > 24*time.Hour {
		return errors.New("the sync interval must be between 1 minute and 24 hours")
	}
	if err := n.store.Update(func(tx *store.Tx) error { return tx.PutSetting(settingSyncInterval, d) }); err != nil {
		return err
	}
	n.sync.SetInterval(d)
	n.emit(EventState, "", "")
	return nil
}

// SyncNow syncs one peer now, or every peer when did is "".
func (n *Node) SyncNow(did identity.DID) { n.sync.SyncNow(did) }

// SetSyncPaused pauses or resumes sync.
func (n *Node) SetSyncPaused(paused bool) {
	n.sync.Pause(paused)
	n.emit(EventState, "", "")
}

// fillSync adds sync progress, snapshots, suggestions and counts to st.
func (n *Node) fillSync(st *State) {
	if n.sync == nil {
		return
	}
	for i := range st.Peers {
		p := &st.Peers[i]
		p.Sync = n.sync.Progress(p.DID)
		p.Sync.Error = friendlyError(p.Sync.Error)
		if snap, err := n.sync.PeerSnapshot(p.DID); err == nil {
			p.Snapshot = snap
		}
		// Online: answered recently, and the last attempt did not fail.
		p.Online = p.Sync.Phase != SyncFailed && !p.Sync.LastSync.IsZero() &&
			time.Since(p.Sync.LastSync) < 2*n.SyncInterval()+time.Minute
	}
	st.Suggestions, _ = n.sync.Suggestions()
	st.Overall = n.sync.Overall()
	st.Records, _ = n.sync.CountRecords()
	st.SyncPaused = n.sync.Paused()
}

// friendlyErrors turn the usual transport failures into words for people;
// the technical text stays in the log.
var friendlyErrors = []struct{ match, say string }{
	{"onion service not found", "their node is offline or not reachable through Tor right now"},
	{"introduction timed out", "their node did not answer through Tor in time"},
	{"introduction failed", "Tor could not reach their node right now"},
	{"rendezvous failed", "Tor could not reach their node right now"},
	{"client authorization", "their node does not accept this one (yet, or any more)"},
	{"general failure", "Tor could not reach their node right now"},
	{"context deadline exceeded", "their node did not answer in time"},
	{"connection refused", "Tor could not reach their node right now"},
	{"Tor is not running", "Tor is not running on this computer"},
	{"EOF", "the connection broke off"},
}

func friendlyError(msg string) string {
	if msg == "" {
		return ""
	}
	for _, f := range friendlyErrors {
		if strings.Contains(msg, f.match) {
			return f.say
		}
	}
	return msg
}

func recordInfo(r *fedsync.Record) RecordInfo {
	id := r.ID()
	return RecordInfo{ID: hex.EncodeToString(id[:]), Author: r.Author, Protocol: r.Protocol, CreatedAt: r.CreatedAt, Size: len(r.Payload)}
}

// AddRecord signs and stores a record of this node, to be replicated to
// every trusted peer.
func (n *Node) AddRecord(protocol string, payload []byte) (*RecordInfo, error) {
	r, err := n.sync.AddRecord(protocol, payload)
	if err != nil {
		return nil, err
	}
	info := recordInfo(r)
	n.emitState()
	return &info, nil
}

// ListRecords lists stored records of protocol ("" = all), newest first.
func (n *Node) ListRecords(protocol string, limit int) ([]RecordInfo, error) {
	recs, err := n.sync.ListRecords(protocol, limit)
	if err != nil {
		return nil, err
	}
	out := make([]RecordInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, recordInfo(r))
	}
	return out, nil
}

// publishIdentity (re)publishes our node-identity record when it changed.
func (n *Node) publishIdentity() {
	if _, added, err := n.sync.PublishNodeIdentity(n.Name(), n.Onion(), n.cfg.AppVersion); err != nil {
		n.log.WithError(err).Warn("node-identity record")
	} else if added {
		n.log.Info("published our node-identity record")
	}
}
