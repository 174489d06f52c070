package main

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/node"
)

// TestBenchSyncOverTor measures the wall time of syncs between two real
// nodes over the private Tor network: the initial transfer of n records,
// a sync with no change, and syncs with d = 10 / 100 / 1 000 new records.
// Runs only with ARCHY_BENCH=1 (make bench); n is $ARCHY_BENCH_N (100 000).
func TestBenchSyncOverTor(t *testing.T) {
	if os.Getenv("ARCHY_BENCH") == "" {
		t.Skip("benchmark: set ARCHY_BENCH=1 (make bench)")
	}
	needE2E(t)
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("ARCHY_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	a, b := newTestNode(t, "bench-a"), newTestNode(t, "bench-b")
	pair(t, a, b)
	count := func(x *testNode) int { return x.status().Records }
	synced := func() time.Time {
		p := a.status().Peer(b.did)
		if p == nil {
			return time.Time{}
		}
		return p.Sync.LastSync
	}
	// waitSync asks A to sync B now and waits until B holds want records
	// and A has finished a sync after t0.
	waitSync := func(want int) time.Duration {
		t0 := time.Now()
		a.control.Do("POST", "/v1/sync", node.PeerRequest{DID: b.did}, nil)
		deadline := t0.Add(30 * time.Minute)
		for time.Now().Before(deadline) {
			if count(b) >= want && synced().After(t0) {
				return time.Since(t0)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("sync did not finish (b has %d of %d)", count(b), want)
		return 0
	}
	for i := 0; i < n; i++ {
		a.addRecord("bench", fmt.Sprintf("record %d", i))
	}
	base := count(a)
	initial := waitSync(base)
	rows := []string{fmt.Sprintf("| initial transfer of %d records | %.1f s |", n, initial.Seconds())}
	for _, d := range []int{0, 10, 100, 1000} {
		// Let any sync the new records triggered by themselves pass first.
		time.Sleep(4 * time.Second)
		for i := 0; i < d; i++ {
			a.addRecord("bench", fmt.Sprintf("new %d %d", d, i))
		}
		base += d
		took := waitSync(base)
		label := "no change"
		if d > 0 {
			label = fmt.Sprintf("d = %d new records", d)
		}
		rows = append(rows, fmt.Sprintf("| %s (n = %d) | %.2f s |", label, n, took.Seconds()))
	}
	fmt.Printf("\n| sync over the private Tor network | wall time |\n|---|---|\n")
	for _, r := range rows {
		fmt.Println(r)
	}
}
