package guitest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/tor"
)

// TestGUIPairing: two app instances with windows on one X display pair
// through the GUI, the way two people would on one screen — Alice copies
// her invite link with the window's "Copy invite link" (Ctrl+Shift+C, the
// X clipboard), Bob opens "Add a peer" (Ctrl+N), pastes it (Ctrl+V), sees
// Alice's name and the safety words and joins (Shift+Enter). Both must end
// up paired and synced, per their CLI status and per what their windows
// show (screenshots, read back with OCR).
func TestGUIPairing(t *testing.T) {
	e := setup(t)
	alice := newApp(t, e, "Alice's laptop")
	bob := newApp(t, e, "Bob's desktop")

	// The window's first invite carries the node's name at that moment:
	// name Alice's node (CLI, on the running node) in a short headless run
	// before her window starts, so Bob sees "Invite from Alice's laptop".
	alice.start(appOpts{headless: true})
	alice.mustCLI("name", alice.name)
	alice.stop()

	// Bob starts cold (a new data folder): his first screen is Tor connecting.
	bob.start(appOpts{noTray: true})
	bWin := bob.window(45 * time.Second)
	connectingShot(t, e, bob, bWin)
	bob.mustCLI("name", bob.name)

	alice.start(appOpts{noTray: true})
	aWin := alice.window(45 * time.Second)
	moveWindow(t, aWin, 0, 0)
	moveWindow(t, bWin, 900, 0)
	waitWindowName(t, aWin, "Archy — "+alice.name)
	waitWindowName(t, bWin, "Archy — "+bob.name)

	stA := alice.waitFor("Tor online and reachable", 3*time.Minute, onlineReachable)
	stB := bob.waitFor("Tor online and reachable", 3*time.Minute, onlineReachable)
	seeText(t, e, aWin, "e2e-2-online", 30*time.Second, "online", "reachable", "no peers yet", alice.name[:5])
	for _, a := range []*app{alice, bob} {
		if out := a.mustCLI("status"); !strings.Contains(out, "online — reachable") {
			t.Fatalf("%s: CLI status does not say online — reachable:\n%s", a.name, out)
		}
	}

	// Alice: "Copy invite link" in her window puts her invite on the X
	// clipboard.
	keys(t, aWin, "ctrl+shift+c")
	var link string
	waitTrue(t, "an invite link on the clipboard", 10*time.Second, func() bool {
		link = strings.TrimSpace(clipboard(t))
		return strings.HasPrefix(link, invite.Scheme)
	})
	inv := parseInvite(t, e, link)
	if inv.DID() != stA.DID || inv.Name != alice.name {
		t.Fatalf("the clipboard holds an invite from %s %q, want Alice's (%s)", inv.DID(), inv.Name, stA.DID)
	}
	t.Logf("Alice's window copied her invite to the clipboard: %s…", link[:24])
	if st := bob.status(); len(st.Peers)+len(st.Pending) != 0 {
		t.Fatalf("Bob has peers or pairings before joining: %+v %+v", st.Peers, st.Pending)
	}

	// Bob: Add a peer, paste, check the preview, join.
	keys(t, bWin, "ctrl+n")
	seeText(t, e, bWin, "e2e-3-add-peer", 20*time.Second, "add a peer", "paste the invite link")
	keys(t, bWin, "ctrl+v")
	words := invite.SafetyWords(stA.DID, stB.DID)
	want := append([]string{"add a peer", "invite from alice", "safety words"}, words...)
	seeText(t, e, bWin, "e2e-3-add-peer", 20*time.Second, want...)
	if st := bob.status(); len(st.Peers)+len(st.Pending) != 0 {
		t.Fatal("pasting the link alone started a pairing")
	}
	keys(t, bWin, "shift+Return")
	bob.waitFor("the pairing the GUI's Join started", 20*time.Second, func(st node.State) bool {
		return st.Peer(stA.DID) != nil || st.PendingWith(stA.DID) != nil
	})
	t.Log("Bob's window joined (Shift+Enter): the pairing is under way")

	synced := func(did identity.DID) func(node.State) bool {
		return func(st node.State) bool {
			p := st.Peer(did)
			return p != nil && p.Verified && p.Sync.Phase == node.SyncSynced && !p.Sync.LastSync.IsZero()
		}
	}
	stB = bob.waitFor("Alice verified and synced", 4*time.Minute, synced(stA.DID))
	stA = alice.waitFor("Bob verified and synced", 4*time.Minute, synced(stB.DID))
	pa, pb := stA.Peer(stB.DID), stB.Peer(stA.DID)
	if pa.Name != bob.name || pb.Name != alice.name {
		t.Errorf("names: Alice sees %q, Bob sees %q", pa.Name, pb.Name)
	}
	if strings.Join(pa.SafetyWords, " ") != strings.Join(words, " ") || strings.Join(pb.SafetyWords, " ") != strings.Join(words, " ") {
		t.Errorf("safety words: Alice %v, Bob %v, Bob's window showed %v", pa.SafetyWords, pb.SafetyWords, words)
	}

	// Records, so that sync has something to carry.
	recordsEqual := func(n int) func() bool {
		return func() bool {
			a, b := alice.status().Records, bob.status().Records
			return a == b && (n < 0 || a == n)
		}
	}
	waitTrue(t, "both nodes to hold the same records", time.Minute, recordsEqual(-1))
	base := alice.status().Records
	for i, text := range []string{"Shopping: bread, tea", "Meeting on Friday at 10", "The spare key is with Carol"} {
		f := filepath.Join(e.work, fmt.Sprintf("note-%d.txt", i))
		os.WriteFile(f, []byte(text), 0o600)
		alice.mustCLI("records", "add", "--protocol", "notes", f)
	}
	f := filepath.Join(e.work, "note-bob.txt")
	os.WriteFile(f, []byte("Bob was here"), 0o600)
	bob.mustCLI("records", "add", "--protocol", "notes", f)
	alice.mustCLI("sync")
	waitTrue(t, "the 4 new records on both nodes", 3*time.Minute, recordsEqual(base+4))
	if out := bob.mustCLI("records", "list", "--protocol", "notes"); strings.Count(out, stA.DID.Short()) != 3 {
		t.Errorf("Bob's notes do not list Alice's 3 records:\n%s", out)
	}
	t.Logf("records synced: %d on each node", base+4)

	// Bob closes the dialog: the focus is on "Done" (Space).
	keys(t, bWin, "space")
	stA = alice.waitFor("Bob synced", time.Minute, synced(stB.DID))
	stB = bob.waitFor("Alice synced", time.Minute, synced(stA.DID))
	textB := seeText(t, e, bWin, "e2e-4-paired-bob", 30*time.Second, "alice", "online", "trusted", "last sync")
	if strings.Contains(textB, "paste the invite link") {
		t.Errorf("Bob's “Add a peer” dialog is still open after Space on Done:\n%s", textB)
	}
	seeText(t, e, aWin, "e2e-4-paired-alice", 30*time.Second, "bob", "online", "trusted", "last sync")
	mustRun(t, 20*time.Second, "import", "-window", "root", "-crop", "1760x640+0+0", filepath.Join(e.shots, "e2e-4-paired-both.png"))
	for _, a := range []*app{alice, bob} {
		out := a.mustCLI("status")
		if !strings.Contains(out, "1 of 1 peers synced") {
			t.Errorf("%s: CLI status:\n%s", a.name, out)
		}
		t.Logf("%s — archy-desktop status:\n%s", a.name, indent(out))
	}

	// Bob's computer goes off: Alice's window shows the failing peer and
	// when it retries.
	bob.stop()
	alice.mustCLI("sync")
	stA = alice.waitFor("the sync with Bob to fail", 4*time.Minute, func(st node.State) bool {
		p := st.Peer(stB.DID)
		return p != nil && p.Sync.Phase == node.SyncFailed && p.Sync.Error != ""
	})
	t.Logf("Alice's sync with Bob failed: %s", stA.Peer(stB.DID).Sync.Error)
	seeText(t, e, aWin, "e2e-5-peer-failing", 30*time.Second, "bob", "retrying in")
	alice.stop()
	noOrphansBut(t)
}

// connectingShot keeps a screenshot of the window while Tor connects, as
// e2e-1-connecting.png. The window's first frame says only "Starting…"
// (no state yet), so it looks again until the header shows Tor's progress;
// if Tor got online first, there is no such screenshot (a note says so).
func connectingShot(t *testing.T, e *env, a *app, id string) {
	t.Helper()
	path := firstShot(t, e, id, "e2e-1-connecting")
	for i := 0; ; i++ {
		text := ocr(t, path)
		if containsAny(squeeze(text), "startingtor", "connectingtotor", "publishingyouraddress") {
			t.Logf("screenshot %s shows %q", path, firstLine(text))
			return
		}
		if st := a.status(); st.Tor.Phase == node.TorOnline || i == 20 {
			os.Remove(path)
			t.Logf("note: no screenshot of Tor connecting: the window said %q, then Tor was %s", firstLine(text), st.Tor.Phase)
			return
		}
		path = shot(t, e, id, "e2e-1-connecting")
	}
}

func parseInvite(t *testing.T, e *env, link string) *invite.Invite {
	t.Helper()
	if !strings.HasPrefix(link, invite.Scheme) {
		t.Fatalf("the clipboard holds %q, not an invite link", link)
	}
	nw, err := tor.LoadNetworkFile(e.netFile)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := invite.Parse(link, time.Now(), invite.NetworkIDFromAuthorities(nw.V3Idents()), "")
	if err != nil {
		t.Fatalf("the clipboard's link: %v", err)
	}
	return inv
}

func waitTrue(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
