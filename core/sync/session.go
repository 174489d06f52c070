package sync

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// scope is the reconciliation scope of a pair (see docs/PROTOCOL.md): a node's
// records are in it when the other side accepts them.
//
//	self ∈ scope  ⇔ the peer regards us as trusted (remote)
//	peer ∈ scope  ⇔ we regard the peer as trusted (local)
//
// An unknown remote view counts as trusted; the callee corrects it.
func scope(self, peer identity.DID, local, remote store.Trust) []identity.DID {
	var out []identity.DID
	if remote == "" || remote == store.Trusted {
		out = append(out, self)
	}
	if local == store.Trusted {
		out = append(out, peer)
	}
	return out
}

// itemSetFor returns the reconciliation set of authors, from the cache if no
// record was written since it was built.
func (e *Engine) itemSetFor(authors []identity.DID) (*itemSet, error) {
	key := scopeKey(authors)
	gen := e.gen.Load()
	e.cacheMu.Lock()
	if c, ok := e.cache[key]; ok && c.gen == gen {
		e.cacheMu.Unlock()
		return c.set, nil
	}
	e.cacheMu.Unlock()
	var items []store.RecordItem
	if err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		items, err = tx.ItemsForAuthors(authors)
		return err
	}); err != nil {
		return nil, err
	}
	set := newItemSet(items)
	e.cacheMu.Lock()
	for k, c := range e.cache {
		if c.gen != gen || len(e.cache) > 16 {
			delete(e.cache, k)
		}
	}
	e.cache[key] = &cachedSet{gen: gen, set: set}
	e.cacheMu.Unlock()
	return set, nil
}

// snapshotFor is our snapshot as sent to p: FederatedPeers lists our trusted
// peers (other than p) only if p is trusted; observers get none.
func (e *Engine) snapshotFor(p *store.Peer) (Snapshot, error) {
	var s Snapshot
	if e.cfg.Snapshot != nil {
		s = e.cfg.Snapshot()
	}
	s.Timestamp = e.cfg.Now()
	s.FederatedPeers = []PeerHint{}
	if s.Apps == nil {
		s.Apps = []string{}
	}
	if p.Trust != store.Trusted {
		return s, nil
	}
	err := e.cfg.Store.View(func(tx *store.Tx) error {
		peers, err := tx.ListPeers()
		for _, q := range peers {
			if q.Trust == store.Trusted && q.DID != p.DID && q.DID != e.cfg.Self {
				s.FederatedPeers = append(s.FederatedPeers, hintFor(q))
			}
		}
		return err
	})
	return s, err
}

// keepSnapshot stores p's snapshot if we regard p as trusted and it is newer
// than the one we have.
func (e *Engine) keepSnapshot(p *store.Peer, s *Snapshot) {
	log := e.log.WithField("peer", p.DID.Short())
	if p.Trust != store.Trusted {
		return // observers only receive
	}
	if err := s.check(e.cfg.Now()); err != nil {
		log.WithError(err).Info("sync: ignoring the peer's snapshot")
		return
	}
	data, err := json.Marshal(s)
	if err != nil {
		return
	}
	err = e.cfg.Store.Update(func(tx *store.Tx) error {
		_, err := tx.PutSnapshot(&store.Snapshot{PeerDID: p.DID, Timestamp: s.Timestamp, ReceivedAt: e.cfg.Now(), Data: data})
		return err
	})
	if err != nil {
		log.WithError(err).Warn("sync: storing the peer's snapshot failed")
	}
}

// storeBatch writes verified records in one transaction and returns how many
// were new.
func (e *Engine) storeBatch(recs []*Record) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	srs := make([]*store.Record, 0, len(recs))
	for _, r := range recs {
		sr, err := r.storeRecord()
		if err != nil {
			return 0, err
		}
		srs = append(srs, sr)
	}
	var added int
	err := e.cfg.Store.Update(func(tx *store.Tx) error {
		var err error
		added, err = tx.PutRecords(srs)
		return err
	})
	if err == nil && added > 0 {
		e.gen.Add(1)
	}
	return added, err
}

// call is one call of a sync, bounded by CallTimeout.
func (e *Engine) call(ctx context.Context, s Session, method string, params, result any) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
	defer cancel()
	if err := s.Call(ctx, method, params, result); err != nil {
		return errorf("%s: %w", method, err)
	}
	return nil
}

// syncPeer runs one sync with did as the initiator.
func (e *Engine) syncPeer(ctx context.Context, did identity.DID) error {
	var peer *store.Peer
	if err := e.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		peer, err = tx.GetPeer(did)
		return err
	}); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	e.update(did, func(p *Progress) { p.Phase = PhaseConnecting })
	sess, err := e.cfg.Dial(ctx, peer)
	if err != nil {
		return errorf("connect: %w", err)
	}
	defer sess.Close()
	return e.runSession(ctx, peer, sess)
}

func (e *Engine) remoteTrust(did identity.DID) store.Trust {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps, ok := e.peers[did]; ok {
		return ps.remoteTrust
	}
	return ""
}

func (e *Engine) setRemoteTrust(did identity.DID, t store.Trust) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps, ok := e.peers[did]; ok {
		ps.remoteTrust = t
	}
}

func (e *Engine) runSession(ctx context.Context, peer *store.Peer, sess Session) error {
	self := e.cfg.Self
	authors := scope(self, peer.DID, peer.Trust, e.remoteTrust(peer.DID))
	set, err := e.itemSetFor(authors)
	if err != nil {
		return err
	}
	cl := newNegClient(set)
	defer func() { cl.abort() }()

	snap, err := e.snapshotFor(peer)
	if err != nil {
		return err
	}
	var res SyncResult
	if err := e.call(ctx, sess, MethodSync, &SyncParams{Snapshot: snap, Authors: authors, Msg: cl.start()}, &res); err != nil {
		return err
	}
	e.update(peer.DID, func(p *Progress) { p.Phase = PhaseVerifying })
	if !res.Trust.Valid() {
		return fmt.Errorf("%s: peer sent trust %q", MethodSync, res.Trust)
	}
	e.setRemoteTrust(peer.DID, res.Trust)
	e.keepSnapshot(peer, &res.Snapshot)

	e.update(peer.DID, func(p *Progress) { p.Phase = PhaseReconciling })
	msg := res.Msg
	if msg == nil {
		// The callee corrected the scope (it regards us differently than we
		// remembered): restart over its scope, which may only differ in us.
		want := scope(self, peer.DID, peer.Trust, res.Trust)
		if !sameAuthors(res.Authors, want) {
			return fmt.Errorf("%s: peer proposed scope %v, expected %v", MethodSync, shorts(res.Authors), shorts(want))
		}
		authors = want
		if set, err = e.itemSetFor(authors); err != nil {
			return err
		}
		cl.abort()
		cl = newNegClient(set)
		var rr ReconcileResult
		if err := e.call(ctx, sess, MethodReconcile, &ReconcileParams{Authors: authors, Msg: cl.start()}, &rr); err != nil {
			return err
		}
		msg = rr.Msg
	} else if !sameAuthors(res.Authors, authors) {
		return fmt.Errorf("%s: peer answered for scope %v, asked %v", MethodSync, shorts(res.Authors), shorts(authors))
	}
	for round := 0; ; round++ {
		next, done, err := cl.reconcile(msg)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if done {
			break
		}
		if round >= maxRounds {
			return fmt.Errorf("reconcile: no result after %d rounds", maxRounds)
		}
		var rr ReconcileResult
		if err := e.call(ctx, sess, MethodReconcile, &ReconcileParams{Authors: authors, Msg: next}, &rr); err != nil {
			return err
		}
		msg = rr.Msg
	}
	haves, needs := cl.result()
	if peer.Trust != store.Trusted {
		needs = nil // we take nothing from observers
	}
	if res.Trust != store.Trusted {
		haves = nil // it takes nothing from us
	}
	if len(haves)+len(needs) == 0 {
		return nil
	}
	return e.transfer(ctx, peer, sess, authors, haves, needs)
}

// transfer fetches needs and pushes haves, in batches.
func (e *Engine) transfer(ctx context.Context, peer *store.Peer, sess Session, authors []identity.DID, haves, needs [][32]byte) error {
	// What we push, loaded up front: sizes are known, so is BytesTotal.
	var push []*Record
	var pushBytes int64
	if len(haves) > 0 {
		err := e.cfg.Store.View(func(tx *store.Tx) error {
			for _, id := range haves {
				raw, err := tx.GetRecord(id)
				if err != nil {
					continue // gone since the set was built (cannot happen today: records are never deleted)
				}
				r, err := ParseRecord(raw)
				if err != nil {
					return fmt.Errorf("stored record %x: %w", id[:8], err)
				}
				push = append(push, r)
				pushBytes += int64(len(raw))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	e.update(peer.DID, func(p *Progress) {
		p.Phase = PhaseTransferring
		p.RecordsTotal = len(needs) + len(push)
		p.BytesTotal = pushBytes
	})
	var problems []string
	if len(needs) > 0 {
		n, err := e.fetch(ctx, peer, sess, authors, needs)
		if err != nil {
			return err
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("peer sent %d invalid records", n))
		}
	}
	if len(push) > 0 {
		n, err := e.push(ctx, peer, sess, push)
		if err != nil {
			return err
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("peer refused %d of our records", n))
		}
	}
	if len(problems) > 0 {
		return errors.New(joinProblems(problems))
	}
	return nil
}

// fetch asks for needs in batches of MaxBatchRecords, verifies what comes
// back and stores each batch in one transaction. It returns how many records
// were invalid (not stored).
func (e *Engine) fetch(ctx context.Context, peer *store.Peer, sess Session, authors []identity.DID, needs [][32]byte) (int, error) {
	log := e.log.WithField("peer", peer.DID.Short())
	invalid := 0
	for len(needs) > 0 {
		batch := needs[:min(len(needs), MaxBatchRecords)]
		ids := make([]string, len(batch))
		wanted := make(map[[32]byte]bool, len(batch))
		for i, id := range batch {
			ids[i] = hex.EncodeToString(id[:])
			wanted[id] = true
		}
		var res FetchResult
		if err := e.call(ctx, sess, MethodFetch, &FetchParams{IDs: ids}, &res); err != nil {
			return invalid, err
		}
		if res.Next <= 0 || res.Next > len(batch) {
			return invalid, fmt.Errorf("%s: peer answered next=%d for %d ids", MethodFetch, res.Next, len(batch))
		}
		var good []*Record
		var bytes int64
		for _, r := range res.Records {
			if r == nil {
				invalid++
				continue
			}
			id := r.ID()
			if err := e.acceptable(r, authors); err != nil || !wanted[id] {
				if err == nil {
					err = errors.New("not requested")
				}
				invalid++
				log.WithField("record", hex.EncodeToString(id[:8])).Warnf("sync: refusing fetched record: %v", err)
				continue
			}
			delete(wanted, id)
			good = append(good, r)
			bytes += int64(len(r.Encode()) + len(r.Sig))
		}
		if _, err := e.storeBatch(good); err != nil {
			return invalid, err
		}
		e.update(peer.DID, func(p *Progress) {
			p.RecordsDone += res.Next
			p.BytesDone += bytes
			p.BytesTotal += bytes
		})
		needs = needs[res.Next:]
	}
	return invalid, nil
}

// acceptable checks a record received from a peer: valid, and its author in
// the reconciliation scope (the peer or us).
func (e *Engine) acceptable(r *Record, authors []identity.DID) error {
	if err := r.Verify(); err != nil {
		return err
	}
	if !slices.Contains(authors, r.Author) {
		return fmt.Errorf("author %s is outside this sync's scope", r.Author.Short())
	}
	return nil
}

// push sends records in batches of at most MaxBatchRecords and MaxBatchBytes;
// it returns how many the peer refused.
func (e *Engine) push(ctx context.Context, peer *store.Peer, sess Session, recs []*Record) (int, error) {
	log := e.log.WithField("peer", peer.DID.Short())
	refused := 0
	for len(recs) > 0 {
		var batch []json.RawMessage
		var size int
		var bytes int64
		n := 0
		for n < len(recs) && len(batch) < MaxBatchRecords {
			raw, err := json.Marshal(recs[n])
			if err != nil {
				return refused, err
			}
			if len(batch) > 0 && size+len(raw)+1 > MaxBatchBytes {
				break
			}
			batch = append(batch, raw)
			size += len(raw) + 1
			bytes += int64(len(recs[n].Encode()) + len(recs[n].Sig))
			n++
		}
		var res PushResult
		if err := e.call(ctx, sess, MethodPush, &PushParams{Records: batch}, &res); err != nil {
			return refused, err
		}
		for _, rj := range res.Rejected {
			log.WithField("record", rj.ID).Warnf("sync: peer refused our record: %s", rj.Reason)
		}
		refused += len(res.Rejected)
		e.update(peer.DID, func(p *Progress) {
			p.RecordsDone += n
			p.BytesDone += bytes
		})
		recs = recs[n:]
	}
	return refused, nil
}

func sameAuthors(a, b []identity.DID) bool {
	return scopeKey(a) == scopeKey(b) && len(a) == len(b)
}

func shorts(ds []identity.DID) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Short()
	}
	return out
}

func joinProblems(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += "; " + x
	}
	return s
}
