package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

func TestRecordsReachEveryTrustedPeerAndNoOneElse(t *testing.T) {
	nw := newNetwork(t)
	a, b, c := nw.node("alice"), nw.node("bob"), nw.node("carol")
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, b, c, store.Trusted, store.Trusted)

	ra := a.add(t, "note", "from alice")
	rb := b.add(t, "note", "from bob")
	rc := c.add(t, "note", "from carol")
	ida, _, err := a.eng.PublishNodeIdentity("alice", a.onion, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if again, added, _ := a.eng.PublishNodeIdentity("alice", a.onion, "1.0"); added || again.ID() != ida.ID() {
		t.Error("unchanged node identity published twice")
	}

	a.clearEvents()
	a.sync(t, b) // alice ⇄ bob
	b.sync(t, c) // bob ⇄ carol
	c.sync(t, b)
	a.sync(t, b)
	b.sync(t, a)

	want := map[*node][]*Record{a: {ra, rb, ida}, b: {ra, rb, rc, ida}, c: {rb, rc}}
	notWant := map[*node][]*Record{a: {rc}, c: {ra, ida}}
	for n, rs := range want {
		for _, r := range rs {
			if !n.has(r) {
				t.Errorf("%s lacks %q by %s", n.name, r.Payload, r.Author.Short())
			}
		}
		if got := n.count(t); got != len(rs) {
			t.Errorf("%s holds %d records, want %d", n.name, got, len(rs))
		}
	}
	for n, rs := range notWant {
		for _, r := range rs {
			if n.has(r) {
				t.Errorf("%s got %q by %s, whom it is not paired with", n.name, r.Payload, r.Author.Short())
			}
		}
	}
	// Alice's first sync went through every phase, in order.
	got := a.phases(b.did)
	wantPhases := []Phase{PhaseQueued, PhaseConnecting, PhaseVerifying, PhaseReconciling, PhaseTransferring, PhaseSynced}
	if len(got) < len(wantPhases) || !slices.Equal(got[:len(wantPhases)], wantPhases) {
		t.Errorf("phases %v, want %v first", got, wantPhases)
	}
	p := a.eng.Progress(b.did)
	if p.Phase != PhaseSynced || p.LastSync.IsZero() || p.Failures != 0 || !p.NextSync.After(p.LastSync) {
		t.Errorf("progress after sync: %+v", p)
	}
	if d := p.NextSync.Sub(p.LastSync); d < 270*time.Second || d > 330*time.Second {
		t.Errorf("next sync in %v, want 5 min ± 10 %%", d)
	}
	// What a record looks like after the trip: intact and verified.
	list, err := c.eng.ListRecords("note", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListRecords = %d, %v", len(list), err)
	}
	for _, r := range list {
		if r.Verify() != nil {
			t.Error("stored record does not verify")
		}
	}
	if o := b.eng.Overall(); o.TotalPeers != 2 || o.SyncedPeers != 2 || o.Failing != 0 || o.LastSync.IsZero() {
		t.Errorf("bob's overall: %+v", o)
	}
}

func TestNoChangeSyncIsOneRequestAndOneResponse(t *testing.T) {
	for _, n := range []int{0, 5, 200} {
		t.Run(fmt.Sprint(n, " records each"), func(t *testing.T) {
			nw := newNetwork(t)
			a, b := nw.node("alice"), nw.node("bob")
			pair(t, a, b, store.Trusted, store.Trusted)
			a.addMany(t, n, func(i int) string { return fmt.Sprint("a", i) })
			b.addMany(t, n, func(i int) string { return fmt.Sprint("b", i) })
			a.sync(t, b)
			if a.count(t) != 2*n || b.count(t) != 2*n {
				t.Fatalf("after the first sync: %d and %d records", a.count(t), b.count(t))
			}
			for _, dir := range [][2]*node{{a, b}, {b, a}} {
				from, to := dir[0], dir[1]
				to.requests.Store(0)
				from.calls.Store(0)
				from.sync(t, to)
				if r, c := to.requests.Load(), from.calls.Load(); r != 1 || c != 1 {
					t.Errorf("%s → %s with nothing to do: %d HTTP requests, %d calls; want 1 and 1", from.name, to.name, r, c)
				}
			}
			// The callee saw equal sets and counts it as a sync too.
			if p := b.eng.Progress(a.did); p.Phase != PhaseSynced || p.LastSync.IsZero() {
				t.Errorf("callee's progress: %+v", p)
			}
		})
	}
}

func TestObserverOnlyReceives(t *testing.T) {
	nw := newNetwork(t)
	a, o := nw.node("alice"), nw.node("olga")
	// Alice invited Olga as an observer; Olga trusts Alice.
	pair(t, a, o, store.Observer, store.Trusted)
	ra := a.add(t, "note", "alice's")
	ro := o.add(t, "note", "olga's")

	o.sync(t, a) // first time: Alice corrects the scope (one more call)
	if !o.has(ra) {
		t.Error("the observer did not receive alice's record")
	}
	if a.has(ro) {
		t.Error("alice accepted a record from an observer")
	}
	o.calls.Store(0)
	a.requests.Store(0)
	o.sync(t, a) // the scope is remembered: one call
	if c := o.calls.Load(); c != 1 {
		t.Errorf("observer's second sync: %d calls, want 1", c)
	}
	ra2 := a.add(t, "note", "alice's second")
	a.sync(t, o) // alice pushes, fetches nothing
	if !o.has(ra2) || a.has(ro) {
		t.Errorf("after alice → olga: olga has ra2 %v, alice has ro %v", o.has(ra2), a.has(ro))
	}
	a.calls.Store(0)
	a.sync(t, o)
	if c := a.calls.Load(); c != 1 {
		t.Errorf("alice → olga with nothing to do: %d calls, want 1", c)
	}

	// Pushing directly is refused as not trusted, with nothing stored.
	before := a.count(t)
	err := RPCSession(o.client(), a.hs.URL, a.did).Call(context.Background(), MethodPush, &PushParams{Records: []json.RawMessage{mustJSON(t, ro)}}, nil)
	if !errors.Is(err, rpc.ErrNotTrusted) {
		t.Errorf("observer's records.push: %v, want ErrNotTrusted", err)
	}
	if a.count(t) != before {
		t.Error("refused push changed the store")
	}
	// Snapshots: alice keeps none of olga's; olga has alice's, without alice's peer list.
	if s, _ := a.eng.PeerSnapshot(o.did); s != nil {
		t.Error("alice stored an observer's snapshot")
	}
	s, _ := o.eng.PeerSnapshot(a.did)
	if s == nil || s.NodeName != "alice" || len(s.FederatedPeers) != 0 {
		t.Errorf("olga's copy of alice's snapshot: %+v", s)
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInvalidRecordsAreRejectedWithoutStateChange(t *testing.T) {
	nw := newNetwork(t)
	a, b, c := nw.node("alice"), nw.node("bob"), nw.node("carol")
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, b, c, store.Trusted, store.Trusted)
	push := func(recs ...json.RawMessage) (*PushResult, error) {
		var res PushResult
		err := RPCSession(b.client(), a.hs.URL, a.did).Call(context.Background(), MethodPush, &PushParams{Records: recs}, &res)
		return &res, err
	}

	good, _ := NewRecord(b.key, "note", []byte("genuine"), time.Now())
	tampered := *good
	tampered.Payload = []byte("forged")
	byCarol, _ := NewRecord(c.key, "note", []byte("carol is not alice's peer"), time.Now())
	badProto := *good
	badProto.Protocol = "NOTE"

	res, err := push(mustJSON(t, &tampered), mustJSON(t, byCarol), json.RawMessage(`{"author":1}`), mustJSON(t, &badProto))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 0 || res.Stored != 0 || len(res.Rejected) != 4 {
		t.Fatalf("push result %+v", res)
	}
	for i, want := range []string{"signature", "unknown author", "malformed", "protocol"} {
		if !strings.Contains(res.Rejected[i].Reason, want) {
			t.Errorf("rejection %d: %q, want it to mention %q", i, res.Rejected[i].Reason, want)
		}
	}
	if n := a.count(t); n != 0 {
		t.Fatalf("alice stored %d rejected records", n)
	}
	res, err = push(mustJSON(t, good), mustJSON(t, good), mustJSON(t, &tampered))
	if err != nil || res.Accepted != 2 || res.Stored != 1 || len(res.Rejected) != 1 {
		t.Fatalf("mixed push: %+v, %v", res, err)
	}
	if !a.has(good) || a.count(t) != 1 {
		t.Error("the genuine record was not stored exactly once")
	}

	// Bob serves only his and alice's records: carol's stays with him.
	if err := b.st.Update(func(tx *store.Tx) error {
		sr, _ := byCarol.storeRecord()
		_, err := tx.PutRecord(sr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	bobs := b.add(t, "note", "bob's own")
	var fr FetchResult
	if err := RPCSession(a.client(), b.hs.URL, b.did).Call(context.Background(), MethodFetch,
		&FetchParams{IDs: []string{byCarol.IDHex(), bobs.IDHex()}}, &fr); err != nil {
		t.Fatal(err)
	}
	if len(fr.Records) != 1 || fr.Records[0].ID() != bobs.ID() || fr.Next != 2 {
		t.Errorf("fetch served %d records (next %d), want only bob's", len(fr.Records), fr.Next)
	}

	// A record with a broken signature in bob's store (disk corruption, or
	// a bug): alice fetches it during sync, refuses it, and says so.
	forged := tampered
	if err := b.st.Update(func(tx *store.Tx) error {
		sr, _ := forged.storeRecord()
		_, err := tx.PutRecord(sr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	bobsOwn := b.add(t, "note", "fine")
	err = a.eng.Sync(context.Background(), b.did)
	if err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("sync with a peer serving a forged record: %v", err)
	}
	if a.has(&forged) {
		t.Error("alice stored the forged record")
	}
	if !a.has(bobsOwn) {
		t.Error("the valid record of the same batch was lost")
	}
	if p := a.eng.Progress(b.did); p.Phase != PhaseFailed || !strings.Contains(p.Error, "invalid") || p.NextSync.IsZero() {
		t.Errorf("progress: %+v", p)
	}
}

func TestSnapshotsNewestWinsAndListOnlyTrustedPeers(t *testing.T) {
	nw := newNetwork(t)
	var clockMu sync.Mutex
	aNow := time.Now()
	a := nw.node("alice", func(c *Config) {
		c.Now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return aNow }
	})
	b, d, o := nw.node("bob"), nw.node("dave"), nw.node("olga")
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, a, d, store.Trusted, store.Trusted)
	pair(t, a, o, store.Observer, store.Trusted)

	a.sync(t, b)
	s, err := b.eng.PeerSnapshot(a.did)
	if err != nil || s == nil {
		t.Fatalf("bob has no snapshot of alice: %v", err)
	}
	if s.NodeName != "alice" || !s.TorActive || len(s.Apps) != 1 || s.Timestamp.Sub(aNow).Abs() > time.Millisecond {
		t.Errorf("snapshot: %+v", s)
	}
	if len(s.FederatedPeers) != 1 || s.FederatedPeers[0].DID != d.did || s.FederatedPeers[0].Onion != d.onion {
		t.Errorf("alice's federated_peers as bob sees them: %+v (want dave only: not bob himself, not the observer)", s.FederatedPeers)
	}
	first := s.Timestamp

	// An older snapshot (alice's clock went back) does not replace it...
	clockMu.Lock()
	aNow = aNow.Add(-time.Minute)
	clockMu.Unlock()
	a.sync(t, b)
	if s, _ := b.eng.PeerSnapshot(a.did); !s.Timestamp.Equal(first) {
		t.Errorf("older snapshot won: %v, want %v", s.Timestamp, first)
	}
	// ...a newer one does.
	clockMu.Lock()
	aNow = aNow.Add(2 * time.Minute)
	clockMu.Unlock()
	a.sync(t, b)
	if s, _ := b.eng.PeerSnapshot(a.did); !s.Timestamp.After(first) {
		t.Errorf("newer snapshot lost: %v", s.Timestamp)
	}
	// One from far in the future is not kept at all.
	clockMu.Lock()
	aNow = aNow.Add(time.Hour)
	clockMu.Unlock()
	a.sync(t, b)
	if s, _ := b.eng.PeerSnapshot(a.did); s.Timestamp.After(time.Now().Add(10 * time.Minute)) {
		t.Error("a snapshot dated an hour ahead was stored")
	}
}

// A newer node may add snapshot fields; federation.sync must still work.
func TestSyncAcceptsUnknownSnapshotFields(t *testing.T) {
	nw := newNetwork(t)
	a, b := nw.node("alice"), nw.node("bob")
	pair(t, a, b, store.Trusted, store.Trusted)
	set, err := a.eng.itemSetFor([]identity.DID{a.did, b.did})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]any{
		"snapshot": map[string]any{"timestamp": time.Now(), "node_name": "alice", "gpu_usage_percent": 12, "federated_peers": []any{}},
		"authors":  []identity.DID{a.did, b.did},
		"msg":      set.startMsg(),
	}
	var res SyncResult
	if err := RPCSession(a.client(), b.hs.URL, b.did).Call(context.Background(), MethodSync, params, &res); err != nil {
		t.Fatal(err)
	}
	if s, _ := b.eng.PeerSnapshot(a.did); s == nil || s.NodeName != "alice" {
		t.Errorf("snapshot with an unknown field not stored: %+v", s)
	}
	// Unknown top-level params are still refused.
	params["extra"] = 1
	if err := RPCSession(a.client(), b.hs.URL, b.did).Call(context.Background(), MethodSync, params, &res); !errors.Is(err, rpc.ErrInvalidParams) {
		t.Errorf("unknown param: %v", err)
	}
}

func TestSuggestionsAreOneHopAndNeverReexported(t *testing.T) {
	nw := newNetwork(t)
	a, b, c, d, o := nw.node("alice"), nw.node("bob"), nw.node("carol"), nw.node("dave"), nw.node("olga")
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, b, c, store.Trusted, store.Trusted)
	pair(t, b, o, store.Observer, store.Trusted) // bob's observer: never listed
	pair(t, a, d, store.Trusted, store.Trusted)

	a.sync(t, b)
	sugg, err := a.eng.Suggestions()
	if err != nil {
		t.Fatal(err)
	}
	if len(sugg) != 1 || sugg[0].DID != c.did || sugg[0].Via != b.did || sugg[0].Name != "carol" || sugg[0].Onion != c.onion {
		t.Fatalf("alice's suggestions: %+v, want carol via bob", sugg)
	}
	// Never re-exported: alice's snapshot to dave lists bob (trusted), not carol.
	a.sync(t, d)
	s, _ := d.eng.PeerSnapshot(a.did)
	if s == nil {
		t.Fatal("dave has no snapshot of alice")
	}
	for _, h := range s.FederatedPeers {
		if h.DID == c.did {
			t.Error("alice re-exported a suggestion")
		}
	}
	if len(s.FederatedPeers) != 1 || s.FederatedPeers[0].DID != b.did {
		t.Errorf("alice's hints for dave: %+v", s.FederatedPeers)
	}
	// Dave sees bob as a suggestion (one hop from alice), not carol (two hops).
	ds, _ := d.eng.Suggestions()
	if len(ds) != 1 || ds[0].DID != b.did {
		t.Errorf("dave's suggestions: %+v", ds)
	}

	// Tombstoned: gone.
	if err := a.st.Update(func(tx *store.Tx) error {
		return tx.PutTombstone(&store.Tombstone{DID: c.did, RemovedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if sugg, _ := a.eng.Suggestions(); len(sugg) != 0 {
		t.Errorf("tombstoned peer suggested: %+v", sugg)
	}
	if err := a.st.Update(func(tx *store.Tx) error { return tx.DeleteTombstone(c.did) }); err != nil {
		t.Fatal(err)
	}
	// Already paired: gone.
	pair(t, a, c, store.Observer, store.Trusted)
	if sugg, _ := a.eng.Suggestions(); len(sugg) != 0 {
		t.Errorf("paired peer suggested: %+v", sugg)
	}
	// A snapshot from a peer we regard as observer does not count.
	nw2 := newNetwork(t)
	x, y, z := nw2.node("xavier"), nw2.node("yann"), nw2.node("zoe")
	pair(t, x, y, store.Observer, store.Trusted)
	pair(t, y, z, store.Trusted, store.Trusted)
	x.sync(t, y)
	if sugg, _ := x.eng.Suggestions(); len(sugg) != 0 {
		t.Errorf("suggestions from an observer's snapshot: %+v", sugg)
	}
}

func TestBackoffSchedule(t *testing.T) {
	lo, hi := DefaultRetryMin, DefaultRetryMax
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, d := range want {
		f := i + 1
		shortest, longest := Backoff(f, lo, hi, 0), Backoff(f, lo, hi, 0.999999)
		if shortest != time.Duration(0.9*float64(d)) {
			t.Errorf("failure %d: shortest %v, want %v", f, shortest, time.Duration(0.9*float64(d)))
		}
		if longest > hi || longest < time.Duration(0.99*float64(min(time.Duration(1.1*float64(d)), hi))) {
			t.Errorf("failure %d: longest %v (base %v, cap %v)", f, longest, d, hi)
		}
	}
	if Backoff(1000, lo, hi, 0.5) > hi {
		t.Error("backoff above the cap")
	}
}

func TestFailedSyncBacksOffAndRetriesByItself(t *testing.T) {
	nw := newNetwork(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := nw.node("alice", func(c *Config) { c.Now = clock; c.Rand = func() float64 { return 0.5 } })
	b := nw.node("bob")
	pair(t, a, b, store.Trusted, store.Trusted)
	b.add(t, "note", "waiting for alice")
	down := true
	a.dialHook = func(s Session) (Session, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return nil, fmt.Errorf("tor: cannot reach %s.onion: %w", b.onion, errDown)
		}
		return s, nil
	}
	// Backoff grows 15 s, 30 s, 1 min, 2 min, 4 min, 5 min (jitter fixed at the middle).
	for i, base := range []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute} {
		if err := a.eng.Sync(context.Background(), b.did); !errors.Is(err, errDown) && !strings.Contains(fmt.Sprint(err), errDown.Error()) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		p := a.eng.Progress(b.did)
		wantNext := base
		if base < DefaultRetryMax {
			wantNext = base // 0.9 + 0.2·0.5 = 1.0
		} else {
			wantNext = time.Duration(0.95 * float64(base)) // [0.9, 1.0]·cap, middle
		}
		if p.Phase != PhaseFailed || p.Failures != i+1 || p.NextSync.Sub(clock()) != wantNext {
			t.Errorf("after failure %d: phase %s failures %d next in %v, want %v", i+1, p.Phase, p.Failures, p.NextSync.Sub(clock()), wantNext)
		}
		if strings.Contains(p.Error, b.onion) || !strings.Contains(p.Error, "circuit closed") {
			t.Errorf("error for people: %q (must explain, must not show the full onion)", p.Error)
		}
		if !p.FailingSince.Equal(now) {
			t.Errorf("FailingSince %v, want the first failure", p.FailingSince)
		}
	}
	// Persisted across a restart.
	a.close()
	a.open(func(c *Config) { c.Now = clock })
	if p := a.eng.Progress(b.did); p.Failures != 6 || p.Phase != PhaseFailed || p.NextSync.IsZero() {
		t.Errorf("after restart: %+v", p)
	}

	// With the scheduler running (real clock, short delays), the peer comes
	// back and the sync succeeds without anybody asking.
	c := nw.node("carol", func(c *Config) { c.RetryMin, c.RetryMax = 20*time.Millisecond, 100*time.Millisecond })
	d := nw.node("dave")
	pair(t, c, d, store.Trusted, store.Trusted)
	d.add(t, "note", "waiting for carol")
	c.dialHook = func(s Session) (Session, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return nil, errDown
		}
		return s, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.eng.Run(ctx) }()
	waitFor(t, "failures with a retry time", 5*time.Second, func() bool {
		p := c.eng.Progress(d.did)
		return p.Phase == PhaseFailed && p.Failures >= 3 && p.NextSync.After(p.FailingSince)
	})
	mu.Lock()
	down = false
	mu.Unlock()
	waitFor(t, "the retry to succeed", 5*time.Second, func() bool {
		p := c.eng.Progress(d.did)
		return p.Phase == PhaseSynced && p.Failures == 0 && c.count(t) == 1
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if p := c.phases(d.did); !slices.Contains(p, PhaseFailed) || p[len(p)-1] != PhaseSynced {
		t.Errorf("phases %v", p)
	}
}

func TestInterruptedTransferResumesWithoutLossOrDuplicates(t *testing.T) {
	nw := newNetwork(t)
	a, b := nw.node("alice"), nw.node("bob")
	pair(t, a, b, store.Trusted, store.Trusted)
	const n = 700
	var payload = strings.Repeat("x", 1000)
	a.addMany(t, n, func(i int) string { return fmt.Sprint(i, payload) })
	// The circuit breaks after federation.sync and two records.fetch.
	var mu sync.Mutex
	budget := 3
	b.dialHook = func(s Session) (Session, error) { return failingSession{Session: s, mu: &mu, after: &budget}, nil }
	if err := b.eng.Sync(context.Background(), a.did); err == nil {
		t.Fatal("sync over a breaking circuit succeeded")
	}
	got := b.count(t)
	if got == 0 || got >= n || got%MaxBatchRecords != 0 {
		t.Fatalf("after the break bob holds %d records: want whole batches of %d, not all %d", got, MaxBatchRecords, n)
	}
	// Bob's process dies here; the database is reopened.
	b.close()
	b.dialHook = nil
	b.open()
	if err := b.st.View(func(tx *store.Tx) error { return tx.CheckRecords() }); err != nil {
		t.Fatal(err)
	}
	b.calls.Store(0)
	if err := b.eng.Sync(context.Background(), a.did); err != nil {
		t.Fatal(err)
	}
	if c := b.count(t); c != n {
		t.Fatalf("after resuming bob holds %d records, want %d", c, n)
	}
	if err := b.st.View(func(tx *store.Tx) error { return tx.CheckRecords() }); err != nil {
		t.Fatal(err)
	}
	// Only what was missing moved: ⌈(n−got)/256⌉ fetches plus reconciliation.
	if c := b.calls.Load(); c > int64(1+3+(n-got+MaxBatchRecords-1)/MaxBatchRecords) {
		t.Errorf("resume took %d calls", c)
	}
	if p := b.eng.Progress(a.did); p.RecordsTotal != n-got || p.RecordsDone != n-got || p.BytesDone <= int64(n-got)*1000 {
		t.Errorf("progress counts: %+v (want %d records)", p, n-got)
	}
}

func TestPauseSyncNowAndRemove(t *testing.T) {
	nw := newNetwork(t)
	a, b, c := nw.node("alice", func(c *Config) { c.Interval = time.Hour }), nw.node("bob"), nw.node("carol")
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, a, c, store.Trusted, store.Trusted)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { _ = a.eng.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// New peers are synced at once.
	waitFor(t, "first syncs", 5*time.Second, func() bool {
		return a.eng.Progress(b.did).Phase == PhaseSynced && a.eng.Progress(c.did).Phase == PhaseSynced
	})
	a.eng.Pause(true)
	if p := a.eng.Progress(b.did); p.Phase != PhasePaused || !a.eng.Paused() {
		t.Errorf("paused: %+v", p)
	}
	b.requests.Store(0)
	a.eng.SyncNow("")
	time.Sleep(100 * time.Millisecond)
	if r := b.requests.Load(); r != 0 {
		t.Errorf("%d requests while paused", r)
	}
	rb := b.add(t, "note", "while alice was paused")
	a.eng.Pause(false)
	waitFor(t, "the requested sync after resuming", 5*time.Second, func() bool { return a.has(rb) })
	waitFor(t, "both synced", 5*time.Second, func() bool {
		return a.eng.Progress(b.did).Phase == PhaseSynced && a.eng.Progress(c.did).Phase == PhaseSynced
	})

	// A new local record reaches the peers within seconds, without SyncNow.
	ra := a.add(t, "note", "news")
	waitFor(t, "the new record to be pushed", 10*time.Second, func() bool { return b.has(ra) && c.has(ra) })

	// Removal forgets the peer's state and snapshot.
	if s, _ := a.eng.PeerSnapshot(c.did); s == nil {
		t.Fatal("no snapshot of carol before removal")
	}
	if err := a.st.Update(func(tx *store.Tx) error {
		if err := tx.DeletePeer(c.did); err != nil {
			return err
		}
		return tx.PutTombstone(&store.Tombstone{DID: c.did, RemovedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	a.eng.PeerRemoved(c.did)
	if p := a.eng.Progress(c.did); p.Phase != PhaseIdle || !p.LastSync.IsZero() {
		t.Errorf("removed peer's progress: %+v", p)
	}
	if s, _ := a.eng.PeerSnapshot(c.did); s != nil {
		t.Error("removed peer's snapshot kept")
	}
	if o := a.eng.Overall(); o.TotalPeers != 1 {
		t.Errorf("overall after removal: %+v", o)
	}
	// And a removed peer calling us is told so.
	err := RPCSession(c.client(), a.hs.URL, a.did).Call(context.Background(), MethodSync, &SyncParams{}, nil)
	if !errors.Is(err, rpc.ErrRemovedPeer) {
		t.Errorf("removed peer's federation.sync: %v", err)
	}
}

func TestSetIntervalReschedules(t *testing.T) {
	nw := newNetwork(t)
	a, b := nw.node("alice", func(c *Config) { c.Interval = 24 * time.Hour }), nw.node("bob")
	pair(t, a, b, store.Trusted, store.Trusted)
	a.sync(t, b)
	if next := time.Until(a.eng.Progress(b.did).NextSync); next < 20*time.Hour {
		t.Fatalf("next sync in %v with a 24 h interval", next)
	}
	a.eng.SetInterval(time.Minute)
	if next := time.Until(a.eng.Progress(b.did).NextSync); next > 70*time.Second || next < 50*time.Second {
		t.Errorf("next sync in %v after SetInterval(1 min)", next)
	}
	a.sync(t, b)
	if next := time.Until(a.eng.Progress(b.did).NextSync); next > 70*time.Second {
		t.Errorf("next sync in %v after a sync with a 1 min interval", next)
	}
}

// Three engines running their schedulers at once, with short intervals,
// converge (and -race watches them).
func TestThreeRunningEnginesConverge(t *testing.T) {
	nw := newNetwork(t)
	fast := func(c *Config) { c.Interval = 50 * time.Millisecond }
	a, b, c := nw.node("alice", fast), nw.node("bob", fast), nw.node("carol", fast)
	pair(t, a, b, store.Trusted, store.Trusted)
	pair(t, b, c, store.Trusted, store.Trusted)
	pair(t, a, c, store.Trusted, store.Observer) // carol regards alice as an observer
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range []*node{a, b, c} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = n.eng.Run(ctx) }()
	}
	var recs = map[*node][]*Record{}
	for i := range 20 {
		for _, n := range []*node{a, b, c} {
			recs[n] = append(recs[n], n.add(t, "note", fmt.Sprint(n.name, i)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "convergence", 20*time.Second, func() bool {
		return a.count(t) == 60 && b.count(t) == 60 && c.count(t) == 40
	})
	cancel()
	wg.Wait()
	// Carol never took alice's records (she regards alice as an observer);
	// alice has carol's (alice trusts carol).
	for _, r := range recs[a] {
		if c.has(r) {
			t.Fatal("carol accepted a record from alice, whom she regards as an observer")
		}
	}
	for _, r := range recs[c] {
		if !a.has(r) {
			t.Fatal("alice lacks carol's record")
		}
	}
}
