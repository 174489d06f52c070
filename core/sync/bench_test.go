package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// TestSyncBenchTable measures bytes on the wire and round trips of a sync
// between two nodes holding n = 100 000 records, for d = 0 / 10 / 100 / 1 000
// differences, against a naive exchange of the full id list; over loopback
// (httptest), real rpc, real bbolt. It prints a Markdown table (the one in
// docs/PERFORMANCE.md). Run it with
//
//	ARCHY_BENCH=1 go test -run '^TestSyncBenchTable$' -v -timeout 30m ./core/sync
//
// ARCHY_BENCH_N overrides n; ARCHY_BENCH_OUT=file also writes the table there.
func TestSyncBenchTable(t *testing.T) {
	if os.Getenv("ARCHY_BENCH") == "" {
		t.Skip("set ARCHY_BENCH=1 to run the sync benchmark")
	}
	n := 100_000
	if v := os.Getenv("ARCHY_BENCH_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	diffs := []int{0, 10, 100, 1000}
	maxD := slices.Max(diffs)
	keyA, keyB := seedKey(0xa1), seedKey(0xb2)

	// One template database with the n − maxD/2 records both sides share
	// (half authored by each), copied for every scenario.
	setupStart := time.Now()
	tmpl := filepath.Join(t.TempDir(), "template.db")
	st, err := store.Open(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	gen := newRecordGen(keyA, keyB, n+maxD)
	common := n - maxD/2
	if err := writeRecords(st, gen.records(0, common)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	t.Logf("template of %d records in %v", common, time.Since(setupStart).Round(time.Millisecond))

	var rows []benchRow
	for _, d := range diffs {
		nw := newNetwork(t)
		a := nw.nodeWith("alice", keyA, tmpl)
		b := nw.nodeWith("bob", keyB, tmpl)
		pair(t, a, b, store.Trusted, store.Trusted)
		// Fill both up to n; then d/2 records only alice has, d/2 only bob.
		filler := gen.records(common, common+maxD/2-d/2)
		onlyA := gen.records(n, n+d/2)
		onlyB := gen.records(n+maxD/2, n+maxD/2+d-d/2)
		if _, err := a.eng.storeBatch(append(slices.Clone(filler), onlyA...)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.eng.storeBatch(append(slices.Clone(filler), onlyB...)); err != nil {
			t.Fatal(err)
		}
		if a.count(t) != n || b.count(t) != n {
			t.Fatalf("setup: %d and %d records, want %d each", a.count(t), b.count(t), n)
		}
		// Warm both sides' set caches (as in a running node, where the set is
		// built once per change): the measured sync is the protocol, not the
		// first bbolt scan.
		for _, x := range []*node{a, b} {
			start := time.Now()
			if _, err := x.eng.itemSetFor([]identity.DID{a.did, b.did}); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: reconciliation set of %d records built in %v", x.name, n, time.Since(start).Round(time.Millisecond))
		}

		row := benchRow{d: d, n: n}
		// Naive first, on the differing sets: alice uploads her whole id
		// list; bob answers with what each lacks.
		row.naiveBytes, row.naiveTrips, row.naiveTime = naiveExchange(t, a, b, d)

		per := map[string]*methodStats{}
		a.dialHook = func(s Session) (Session, error) { return &statSession{Session: s, wire: a.wire, per: per}, nil }
		b.requests.Store(0)
		start := time.Now()
		if err := a.eng.Sync(context.Background(), b.did); err != nil {
			t.Fatal(err)
		}
		row.negTime = time.Since(start)
		if d == 0 {
			for m, s := range per {
				t.Logf("no-change sync: %s %d bytes on the wire", m, s.bytes)
			}
			snap, _ := a.eng.snapshotFor(&store.Peer{DID: b.did, Trust: store.Trusted})
			js, _ := json.Marshal(snap)
			t.Logf("no-change sync: one snapshot is %d bytes of JSON", len(js))
		}
		row.requests = b.requests.Load()
		for m, s := range per {
			switch m {
			case MethodSync, MethodReconcile:
				row.recBytes += s.bytes
				row.recTrips += s.calls
			default:
				row.xferBytes += s.bytes
				row.xferTrips += s.calls
			}
		}
		if a.count(t) != n+d-d/2 || b.count(t) != n+d/2 {
			t.Fatalf("d=%d: after sync %d and %d records", d, a.count(t), b.count(t))
		}
		rows = append(rows, row)
		t.Logf("d=%d done", d)
	}
	table := benchTable(rows)
	fmt.Println(table)
	if out := os.Getenv("ARCHY_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type benchRow struct {
	n, d                int
	recBytes, xferBytes int64
	recTrips, xferTrips int
	requests            int64
	negTime             time.Duration
	naiveBytes          int64
	naiveTrips          int
	naiveTime           time.Duration
}

func benchTable(rows []benchRow) string {
	var b strings.Builder
	b.WriteString("| n | d | reconcile, Negentropy | reconcile, naive id list | record transfer (same for both) | total, Negentropy | total, naive | HTTP requests, Negentropy | loopback time, Negentropy / naive id list |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s in %d RT | %s in %d RT | %s in %d RT | %s in %d RT | %s in %d RT | %d | %v / %v |\n",
			num(r.n), num(r.d),
			size(r.recBytes), r.recTrips, size(r.naiveBytes), r.naiveTrips, size(r.xferBytes), r.xferTrips,
			size(r.recBytes+r.xferBytes), r.recTrips+r.xferTrips, size(r.naiveBytes+r.xferBytes), r.naiveTrips+r.xferTrips,
			r.requests, r.negTime.Round(time.Millisecond), r.naiveTime.Round(time.Millisecond))
	}
	return b.String()
}

func num(n int) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), " ")
}

func size(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// recordGen makes deterministic records, alternating authors, spread over a
// year of created_at values.
type recordGen struct {
	keys  [2]ed25519.PrivateKey
	total int
	mu    sync.Mutex
	cache map[int]*Record
}

func newRecordGen(a, b ed25519.PrivateKey, total int) *recordGen {
	return &recordGen{keys: [2]ed25519.PrivateKey{a, b}, total: total, cache: map[int]*Record{}}
}

func (g *recordGen) records(from, to int) []*Record {
	out := make([]*Record, to-from)
	var wg sync.WaitGroup
	chunk := 4096
	for lo := from; lo < to; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			span := 365 * 24 * time.Hour
			for i := lo; i < hi; i++ {
				at := base.Add(time.Duration(int64(span) / int64(g.total) * int64(i)))
				payload := fmt.Sprintf(`{"n":%d,"text":"benchmark record number %d, about a hundred bytes of JSON payload"}`, i, i)
				r, err := NewRecord(g.keys[i%2], "note", []byte(payload), at)
				if err != nil {
					panic(err)
				}
				out[i-from] = r
			}
		}(lo, min(lo+chunk, to))
	}
	wg.Wait()
	return out
}

func writeRecords(st *store.Store, recs []*Record) error {
	for len(recs) > 0 {
		batch := recs[:min(len(recs), 10_000)]
		recs = recs[len(batch):]
		srs := make([]*store.Record, len(batch))
		for i, r := range batch {
			sr, err := r.storeRecord()
			if err != nil {
				return err
			}
			srs[i] = sr
		}
		if err := st.Update(func(tx *store.Tx) error { _, err := tx.PutRecords(srs); return err }); err != nil {
			return err
		}
	}
	return nil
}

type methodStats struct {
	calls int
	bytes int64
}

// statSession attributes the bytes of each call (request and response, with
// HTTP headers, as counted on the TCP connection) to its method.
type statSession struct {
	Session
	wire *byteCounter
	mu   sync.Mutex
	per  map[string]*methodStats
}

func (s *statSession) Call(ctx context.Context, method string, params, result any) error {
	before := s.wire.in.Load() + s.wire.out.Load()
	err := s.Session.Call(ctx, method, params, result)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.per[method]
	if st == nil {
		st = &methodStats{}
		s.per[method] = st
	}
	st.calls++
	st.bytes += s.wire.in.Load() + s.wire.out.Load() - before
	return err
}

// The naive protocol: the caller uploads its full id list (raw 32-byte ids,
// base64 in JSON, as dense as our Negentropy messages) in chunks that fit the
// 1 MiB request limit; the callee answers the last chunk with the ids the
// caller lacks and the ids it lacks itself.
const naiveMethod = "bench.ids"

type naiveParams struct {
	IDs  []byte `json:"ids"`
	Last bool   `json:"last"`
}

type naiveResult struct {
	YouLack []byte `json:"you_lack,omitempty"`
	ILack   []byte `json:"i_lack,omitempty"`
}

func naiveExchange(t *testing.T, a, b *node, d int) (int64, int, time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var got []byte
	b.srv.Register(naiveMethod, func(ctx context.Context, call *rpc.Call) (any, error) {
		var p naiveParams
		if err := call.DecodeParams(&p); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p.IDs...)
		if !p.Last {
			return naiveResult{}, nil
		}
		theirs := map[[32]byte]bool{}
		for i := 0; i+32 <= len(got); i += 32 {
			theirs[[32]byte(got[i:i+32])] = true
		}
		var res naiveResult
		var mine []store.RecordItem
		_ = b.st.View(func(tx *store.Tx) error {
			var err error
			mine, err = tx.ItemsForAuthors([]identity.DID{a.did, b.did})
			return err
		})
		for _, it := range mine {
			if theirs[it.ID] {
				delete(theirs, it.ID)
			} else {
				res.YouLack = append(res.YouLack, it.ID[:]...)
			}
		}
		for id := range theirs {
			res.ILack = append(res.ILack, id[:]...)
		}
		got = nil
		return res, nil
	})
	var items []store.RecordItem
	_ = a.st.View(func(tx *store.Tx) error {
		var err error
		items, err = tx.ItemsForAuthors([]identity.DID{a.did, b.did})
		return err
	})
	var all bytes.Buffer
	for _, it := range items {
		all.Write(it.ID[:])
	}
	ids := all.Bytes()
	const chunk = 20_000 * 32 // 640 KB raw, 853 KB base64: under the 1 MiB request limit
	sess := RPCSession(a.client(), b.hs.URL, b.did)
	before := a.wire.in.Load() + a.wire.out.Load()
	start := time.Now()
	trips := 0
	for off := 0; off < len(ids); off += chunk {
		end := min(off+chunk, len(ids))
		var res naiveResult
		if err := sess.Call(context.Background(), naiveMethod, &naiveParams{IDs: ids[off:end], Last: end == len(ids)}, &res); err != nil {
			t.Fatal(err)
		}
		trips++
		if end == len(ids) && len(res.YouLack)/32+len(res.ILack)/32 != d {
			t.Fatalf("naive exchange found %d + %d differences, want %d", len(res.YouLack)/32, len(res.ILack)/32, d)
		}
	}
	return a.wire.in.Load() + a.wire.out.Load() - before, trips, time.Since(start)
}
