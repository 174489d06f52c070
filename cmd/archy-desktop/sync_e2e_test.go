package main

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/node"
)

func (n *testNode) addRecord(protocol, payload string) node.RecordInfo {
	n.t.Helper()
	var info node.RecordInfo
	if err := n.control.Do("POST", "/v1/records", node.RecordRequest{Protocol: protocol, Payload: []byte(payload)}, &info); err != nil {
		n.t.Fatalf("%s: add record: %v", n.name, err)
	}
	return info
}

func (n *testNode) records(protocol string) []node.RecordInfo {
	n.t.Helper()
	var recs []node.RecordInfo
	if err := n.control.Do("GET", "/v1/records?limit=0&protocol="+protocol, nil, &recs); err != nil {
		n.t.Fatalf("%s: records: %v", n.name, err)
	}
	return recs
}

func authors(recs []node.RecordInfo) []identity.DID {
	var out []identity.DID
	for _, r := range recs {
		if !slices.Contains(out, r.Author) {
			out = append(out, r.Author)
		}
	}
	return out
}

// kill9 ends the node the hard way: no shutdown, no flush.
func (n *testNode) kill9() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
	n.log.Close()
	n.cmd = nil
}

func pair(t *testing.T, inviter, joiner *testNode) {
	t.Helper()
	link := inviter.invite()
	if out, err := joiner.cli("join", link); err != nil {
		t.Fatalf("%s joins %s: %v\n%s", joiner.name, inviter.name, err, out)
	}
	inviter.waitFor(joiner.name+" verified", 4*time.Minute, verifiedWith(joiner.did))
	joiner.waitFor(inviter.name+" verified", 4*time.Minute, verifiedWith(inviter.did))
}

func TestSyncOverTor(t *testing.T) {
	needE2E(t)
	a, b, c := newTestNode(t, "anna"), newTestNode(t, "ben"), newTestNode(t, "cleo")
	for _, n := range []*testNode{a, b, c} {
		n.waitFor("reachable", 3*time.Minute, func(st node.State) bool { return st.Tor.Reachable })
	}
	pair(t, a, b)
	pair(t, b, c)
	for _, n := range []*testNode{a, b, c} {
		n.addRecord("notes", "a note from "+n.name)
	}
	has := func(n *testNode, want ...*testNode) func(node.State) bool {
		return func(node.State) bool {
			got := authors(n.records("notes"))
			for _, w := range want {
				if !slices.Contains(got, w.did) {
					return false
				}
			}
			return true
		}
	}
	a.waitFor("ben's note", 4*time.Minute, has(a, a, b))
	b.waitFor("anna's and cleo's notes", 4*time.Minute, has(b, a, b, c))
	c.waitFor("ben's note", 4*time.Minute, has(c, b, c))
	// Records replicate between trusted peers, one hop: never to a peer's peers.
	if slices.Contains(authors(a.records("notes")), c.did) || slices.Contains(authors(c.records("notes")), a.did) {
		t.Error("a record travelled two hops")
	}
	// B's snapshot is visible on A and C; C is only a suggestion on A.
	b.control.Do("POST", "/v1/sync", node.PeerRequest{}, nil)
	for _, n := range []*testNode{a, c} {
		st := n.waitFor("ben's snapshot", 4*time.Minute, func(st node.State) bool {
			p := st.Peer(b.did)
			return p != nil && p.Snapshot != nil && p.Snapshot.NodeName == "ben" && p.Snapshot.MemTotalBytes > 0
		})
		if s := st.Peer(b.did).Snapshot; !s.TorActive || s.UptimeSecs == 0 {
			t.Errorf("%s sees ben's snapshot %+v", n.name, s)
		}
	}
	a.control.Do("POST", "/v1/sync", node.PeerRequest{DID: b.did}, nil)
	st := a.waitFor("cleo as a suggestion", 4*time.Minute, func(st node.State) bool {
		for _, s := range st.Suggestions {
			if s.DID == c.did && s.Via == b.did {
				return true
			}
		}
		return false
	})
	if st.Peer(c.did) != nil {
		t.Error("cleo was added to anna's peers instead of being suggested")
	}
	if o := st.Overall; o.TotalPeers != 1 || o.SyncedPeers != 1 || o.LastSync.IsZero() {
		t.Errorf("anna's overall sync %+v", o)
	}
}

func TestSyncSurvivesKillAndOutage(t *testing.T) {
	needE2E(t)
	const bulk = 5000
	a, b := newTestNode(t, "fred"), newTestNode(t, "gina")
	pair(t, a, b)
	start := time.Now()
	for i := 0; i < bulk; i++ {
		a.addRecord("bulk", fmt.Sprintf("record %d %s", i, strings.Repeat("x", 100)))
	}
	t.Logf("wrote %d records in %s", bulk, time.Since(start).Round(time.Millisecond))
	// Kill the receiving node in the middle of the transfer.
	b.waitFor("the transfer to start", 4*time.Minute, func(st node.State) bool {
		return st.Records > 10 && st.Records < bulk/2
	})
	before := b.status().Records
	b.kill9()
	t.Logf("killed gina with %d records stored", before)
	// The sender shows the peer failed, with a retry time.
	stA := a.waitFor("gina to show failed with a retry time", 4*time.Minute, func(st node.State) bool {
		p := st.Peer(b.did)
		return p != nil && p.Sync.Phase == node.SyncFailed && p.Sync.NextSync.After(time.Now()) && p.Sync.Error != ""
	})
	t.Logf("fred sees gina: %s (%s), retry at %s", stA.Peer(b.did).Sync.Phase, stA.Peer(b.did).Sync.Error, stA.Peer(b.did).Sync.NextSync.Format(time.TimeOnly))
	// Back up: the database opens, and the next attempts finish the job by
	// themselves (no "sync now").
	b.start()
	b.waitFor("every record", 8*time.Minute, func(st node.State) bool { return len(b.records("bulk")) == bulk })
	a.waitFor("gina synced", 4*time.Minute, func(st node.State) bool {
		p := st.Peer(b.did)
		return p != nil && p.Sync.Phase == node.SyncSynced
	})
	got, want := b.records("bulk"), a.records("bulk")
	ids := map[string]bool{}
	for _, r := range got {
		if ids[r.ID] {
			t.Fatalf("record %s stored twice", r.ID)
		}
		ids[r.ID] = true
	}
	for _, r := range want {
		if !ids[r.ID] {
			t.Fatalf("record %s lost", r.ID)
		}
	}
	if st := b.status(); st.Records != a.status().Records {
		t.Errorf("record counts differ: gina %d, fred %d", st.Records, a.status().Records)
	}
}
