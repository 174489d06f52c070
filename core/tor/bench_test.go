package tor_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/tor"
)

// TestBenchProviders measures, side by side on the private Tor network, the
// embedded and the exec provider: time to bootstrapped, time until another
// Tor client reaches the onion, and memory; each cold (empty DataDirectory)
// and warm (the same DataDirectory again). It prints a table and runs only
// with ARCHY_BENCH=1 (`make bench`): timings are figures, not assertions.
func TestBenchProviders(t *testing.T) {
	if os.Getenv("ARCHY_BENCH") == "" {
		t.Skip("benchmark: set ARCHY_BENCH=1 (make bench)")
	}
	needNetwork(t)
	needEmbedded(t)
	client, err := tor.Start(context.Background(), tor.Config{DataDir: filepath.Join(t.TempDir(), "client"), Network: network.Network, Provider: tor.Embedded})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := client.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	type row struct {
		provider, start  string
		ready, reachable time.Duration
		rssKB            int
	}
	var rows []row
	for _, provider := range []tor.Provider{tor.Embedded, tor.Exec} {
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "onion.seed")
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		os.WriteFile(keyFile, priv.Seed(), 0o600)
		clientPriv, clientPub := newClientKey(t)
		for _, start := range []string{"cold", "warm"} {
			t0 := time.Now()
			h := startHelper(t, keyFile, filepath.Join(dir, "tor"), clientPub, "ARCHY_PROVIDER="+string(provider))
			h.expect(t, "READY")
			ready := time.Since(t0)
			if err := client.AddClientAuth(h.address, clientPriv); err != nil {
				t.Fatal(err)
			}
			fetch(t, client, h.address)
			reachable := time.Since(t0)
			rows = append(rows, row{string(provider), start, ready, reachable, treeRSS(h.cmd.Process.Pid)})
			h.stop()
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| provider | start | bootstrapped | onion reachable | RSS (process tree) |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.1f s | %.1f s | %d MB |\n", r.provider, r.start, r.ready.Seconds(), r.reachable.Seconds(), r.rssKB/1024)
	}
	fmt.Print(b.String())
}

// treeRSS sums VmRSS over pid and its descendants (the exec provider's tor).
func treeRSS(pid int) int {
	total := 0
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			total += kb
		}
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		raw, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(raw)) {
			if child, err := strconv.Atoi(c); err == nil {
				total += treeRSS(child)
			}
		}
	}
	return total
}
