package sync

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Register adds federation.sync, federation.reconcile, records.fetch and
// records.push to srv, all authenticated.
func (e *Engine) Register(srv *rpc.Server) {
	srv.Register(MethodSync, e.handleSync)
	srv.Register(MethodReconcile, e.handleReconcile)
	srv.Register(MethodFetch, e.handleFetch)
	srv.Register(MethodPush, e.handlePush)
}

// caller returns the calling peer as our store knows it. The RPC server's
// Authorize normally refused strangers already; this is the same rule again,
// close to the data.
func (e *Engine) caller(call *rpc.Call) (*store.Peer, error) {
	if call.Caller == "" || call.Caller == e.cfg.Self {
		return nil, rpc.ErrUnknownPeer
	}
	var p *store.Peer
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		p, err = tx.GetPeer(call.Caller)
		if errors.Is(err, store.ErrNotFound) {
			if tx.IsTombstoned(call.Caller) {
				return rpc.ErrRemovedPeer
			}
			return rpc.ErrUnknownPeer
		}
		return err
	})
	return p, err
}

// calleeScope checks a scope proposed by peer and returns the one we
// reconcile with: the caller's records are in it iff we regard the caller as
// trusted; ours are in it as the caller proposed (the caller knows whether it
// accepts them). Anything but a subset of {caller, us} without repetitions
// is invalid.
func (e *Engine) calleeScope(peer *store.Peer, proposed []identity.DID) ([]identity.DID, error) {
	if len(proposed) > 2 {
		return nil, rpc.ErrInvalidParams.WithData("authors: at most the caller and the callee")
	}
	var self, them bool
	for _, a := range proposed {
		switch {
		case a == e.cfg.Self && !self:
			self = true
		case a == peer.DID && !them:
			them = true
		default:
			return nil, rpc.ErrInvalidParams.WithData("authors: only the caller and the callee, once each")
		}
	}
	var out []identity.DID
	if self {
		out = append(out, e.cfg.Self)
	}
	if peer.Trust == store.Trusted {
		out = append(out, peer.DID)
	}
	return out, nil
}

func (e *Engine) handleSync(ctx context.Context, call *rpc.Call) (any, error) {
	peer, err := e.caller(call)
	if err != nil {
		return nil, err
	}
	var p SyncParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	authors, err := e.calleeScope(peer, p.Authors)
	if err != nil {
		return nil, err
	}
	e.keepSnapshot(peer, &p.Snapshot)
	snap, err := e.snapshotFor(peer)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Snapshot: snap, Trust: peer.Trust, Authors: authors}
	if !sameAuthors(authors, p.Authors) {
		return res, nil // the caller restarts over our scope
	}
	set, err := e.itemSetFor(authors)
	if err != nil {
		return nil, err
	}
	reply, err := serverReply(set, p.Msg)
	if err != nil {
		return nil, rpc.ErrInvalidParams.WithData(err.Error())
	}
	res.Msg = reply
	if bytes.Equal(p.Msg, set.startMsg()) {
		// Equal sets and both snapshots exchanged: for us this was a
		// complete sync with the caller too.
		e.inboundSynced(peer.DID)
	}
	return res, nil
}

// inboundSynced records a complete sync initiated by the peer, so our own
// scheduled sync with it waits another interval.
func (e *Engine) inboundSynced(did identity.DID) {
	now := e.cfg.Now()
	e.mu.Lock()
	ps, ok := e.peers[did]
	if !ok || ps.running || ps.requested {
		e.mu.Unlock()
		return
	}
	p := &ps.prog
	p.LastSync, p.NextSync = now, now.Add(e.interval())
	p.Failures, p.FailingSince, p.Error = 0, time.Time{}, ""
	p.RecordsDone, p.RecordsTotal, p.BytesDone, p.BytesTotal = 0, 0, 0, 0
	if !e.paused {
		p.Phase = PhaseSynced
	}
	st := e.persistable(did, ps)
	e.mu.Unlock()
	e.persist(st)
	e.emit(did)
}

func (e *Engine) handleReconcile(ctx context.Context, call *rpc.Call) (any, error) {
	peer, err := e.caller(call)
	if err != nil {
		return nil, err
	}
	var p ReconcileParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	authors, err := e.calleeScope(peer, p.Authors)
	if err != nil {
		return nil, err
	}
	if !sameAuthors(authors, p.Authors) {
		return nil, rpc.ErrInvalidParams.WithData("authors: not the scope of this pair; start again with federation.sync")
	}
	set, err := e.itemSetFor(authors)
	if err != nil {
		return nil, err
	}
	reply, err := serverReply(set, p.Msg)
	if err != nil {
		return nil, rpc.ErrInvalidParams.WithData(err.Error())
	}
	return &ReconcileResult{Msg: reply}, nil
}

func (e *Engine) handleFetch(ctx context.Context, call *rpc.Call) (any, error) {
	peer, err := e.caller(call)
	if err != nil {
		return nil, err
	}
	var p FetchParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	if len(p.IDs) == 0 || len(p.IDs) > MaxBatchRecords {
		return nil, rpc.ErrInvalidParams.WithData(fmt.Sprintf("ids: 1 to %d", MaxBatchRecords))
	}
	ids := make([][32]byte, len(p.IDs))
	for i, h := range p.IDs {
		if len(h) != 64 {
			return nil, rpc.ErrInvalidParams.WithData("ids: 64 hex characters each")
		}
		if _, err := hex.Decode(ids[i][:], []byte(h)); err != nil {
			return nil, rpc.ErrInvalidParams.WithData("ids: 64 hex characters each")
		}
	}
	res := &FetchResult{Records: []*Record{}}
	size := 0
	err = e.cfg.Store.View(func(tx *store.Tx) error {
		for i, id := range ids {
			res.Next = i + 1
			raw, err := tx.GetRecord(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			r, err := ParseRecord(raw)
			if err != nil {
				return fmt.Errorf("stored record %x: %w", id[:8], err)
			}
			// We serve our records and the caller's own, nobody else's.
			if r.Author != e.cfg.Self && r.Author != peer.DID {
				continue
			}
			n := len(r.Payload)*4/3 + 256 // its JSON size, near enough
			if len(res.Records) > 0 && size+n > MaxBatchBytes {
				res.Next = i
				return nil
			}
			res.Records = append(res.Records, r)
			size += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (e *Engine) handlePush(ctx context.Context, call *rpc.Call) (any, error) {
	peer, err := e.caller(call)
	if err != nil {
		return nil, err
	}
	if peer.Trust != store.Trusted {
		return nil, rpc.ErrNotTrusted.WithData("observers cannot push records")
	}
	var p PushParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	if len(p.Records) == 0 || len(p.Records) > MaxBatchRecords {
		return nil, rpc.ErrInvalidParams.WithData(fmt.Sprintf("records: 1 to %d", MaxBatchRecords))
	}
	res := &PushResult{}
	var good []*Record
	seen := map[[32]byte]bool{}
	for i, raw := range p.Records {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			res.Rejected = append(res.Rejected, Rejection{Index: i, Reason: "malformed: " + err.Error()})
			continue
		}
		id := r.ID()
		rej := Rejection{Index: i, ID: hex.EncodeToString(id[:])}
		if err := r.Verify(); err != nil {
			rej.Reason = err.Error()
			res.Rejected = append(res.Rejected, rej)
			continue
		}
		if r.Author != peer.DID && r.Author != e.cfg.Self {
			rej.Reason = "unknown author: only the caller's and the callee's records are accepted"
			res.Rejected = append(res.Rejected, rej)
			continue
		}
		res.Accepted++
		if !seen[id] {
			seen[id] = true
			good = append(good, &r)
		}
	}
	if len(res.Rejected) > 0 {
		e.log.WithField("peer", peer.DID.Short()).WithField("rejected", len(res.Rejected)).Warn("sync: refused pushed records")
	}
	n, err := e.storeBatch(good)
	if err != nil {
		return nil, err
	}
	res.Stored = n
	return res, nil
}

// AddRecord signs payload under protocol as this node, stores it, and has it
// pushed to every trusted peer within a few seconds.
func (e *Engine) AddRecord(protocol string, payload []byte) (*Record, error) {
	r, err := NewRecord(e.cfg.Key, protocol, payload, e.cfg.Now())
	if err != nil {
		return nil, err
	}
	if _, err := e.storeBatch([]*Record{r}); err != nil {
		return nil, err
	}
	e.soon(recordDebounce)
	return r, nil
}

// ListRecords returns stored records of protocol (all if ""), newest first,
// at most limit (≤ 0: all).
func (e *Engine) ListRecords(protocol string, limit int) ([]*Record, error) {
	var out []*Record
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		raws, err := tx.ListRecords(protocol, limit)
		if err != nil {
			return err
		}
		for _, raw := range raws {
			r, err := ParseRecord(raw)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// CountRecords is the number of stored records.
func (e *Engine) CountRecords() (int, error) {
	var n int
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.CountRecords()
		return err
	})
	return n, err
}

// PublishNodeIdentity adds this node's node-identity record unless the newest
// one it published already says the same; it reports whether it added one.
func (e *Engine) PublishNodeIdentity(name, onion, version string) (*Record, bool, error) {
	want := NodeIdentity{DID: e.cfg.Self, Name: name, Onion: onion, Version: version}
	var latest *Record
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		raws, err := tx.ListRecords(ProtocolNodeIdentity, 0)
		if err != nil {
			return err
		}
		for _, raw := range raws { // newest first
			if r, err := ParseRecord(raw); err == nil && r.Author == e.cfg.Self {
				latest = r
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if latest != nil {
		if ni, err := ParseNodeIdentity(latest); err == nil && *ni == want {
			return latest, false, nil
		}
	}
	r, err := NodeIdentityRecord(e.cfg.Key, name, onion, version, e.cfg.Now())
	if err != nil {
		return nil, false, err
	}
	if _, err := e.storeBatch([]*Record{r}); err != nil {
		return nil, false, err
	}
	e.soon(recordDebounce)
	return r, true, nil
}

// Suggestions are peers our trusted peers list that we are not paired with;
// see the package function Suggestions.
func (e *Engine) Suggestions() ([]Suggestion, error) {
	var out []Suggestion
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		out, err = Suggestions(tx, e.cfg.Self)
		return err
	})
	return out, err
}

// PeerSnapshot returns the latest snapshot did sent us, if any.
func (e *Engine) PeerSnapshot(did identity.DID) (*Snapshot, error) {
	var s *Snapshot
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		ss, err := tx.GetSnapshot(did)
		if err != nil {
			return err
		}
		s = new(Snapshot)
		return json.Unmarshal(ss.Data, s)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return s, err
}
