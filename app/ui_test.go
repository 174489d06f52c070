package app

import (
	"crypto/ed25519"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/archy-desktop/archy-desktop/assets"
	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

func TestPairDialogValidLinkShowsNameAndSafetyWordsThenJoins(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	link, did := inviteFrom(t, "Alice", invite.LiveNetwork, time.Hour, testStart)

	p := h.ui.openPairDialog()
	test.Type(p.entry, link)
	h.waitFor("the preview", func() bool { return p.preview.Visible() })

	if got, want := p.from.Text, "Invite from Alice"; got != want {
		t.Errorf("from = %q, want %q", got, want)
	}
	words := invite.SafetyWords(h.fb.self, did)
	if got, want := p.words.Text, strings.Join(words, " · "); got != want {
		t.Errorf("safety words = %q, want %q", got, want)
	}
	if p.message.Visible() {
		t.Errorf("message shown for a valid link: %q", p.message.Text)
	}
	if p.joinBtn.Disabled() {
		t.Fatal("Join is disabled for a valid link")
	}

	test.Tap(p.joinBtn)
	h.waitFor("Join", func() bool { return len(h.fb.Calls("Join ")) == 1 })
	if got := h.fb.Calls("Join ")[0]; got != "Join "+link {
		t.Errorf("joined %q, want the pasted link", got)
	}
	h.waitFor("the waiting message", func() bool { return strings.HasPrefix(p.message.Text, "Waiting for Alice") })

	// Live progress: the pairing shows up as pending, then completes.
	st := h.fb.State()
	st.Pending = []node.PendingState{{ID: "p1", Role: "joiner", DID: did, Name: "Alice", Stage: "verifying", Attempts: 1, SafetyWords: words}}
	h.send(node.EventState, st, "", "")
	if got, want := p.message.Text, "Pairing with Alice — verifying…"; got != want {
		t.Errorf("progress = %q, want %q", got, want)
	}
	st.Pending = nil
	st.Peers = []node.PeerState{{DID: did, Name: "Alice", Trust: store.Trusted, Verified: true, Online: true, SafetyWords: words}}
	h.send(node.EventPaired, st, did, "Paired with Alice")
	if !p.done || !strings.HasPrefix(p.message.Text, "Paired with Alice.") {
		t.Errorf("after EventPaired: done=%v message=%q", p.done, p.message.Text)
	}
	if p.joinBtn.Visible() {
		t.Error("Join still visible after pairing")
	}
	// We joined them: our own invite was not used, so it is not replaced.
	if n := len(h.fb.Calls("CreateInvite")); n != 1 {
		t.Errorf("CreateInvite called %d times, want 1", n)
	}
	if notes := h.app.notifications(); len(notes) != 1 || !strings.HasPrefix(notes[0], "Paired with Alice: ") {
		t.Errorf("notifications = %q", notes)
	}
}

func TestPairDialogInvalidInvites(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	good, _ := inviteFrom(t, "Bob", invite.LiveNetwork, time.Hour, testStart)
	used, _ := inviteFrom(t, "Carol", invite.LiveNetwork, time.Hour, testStart)
	h.fb.used[used] = true
	expired, _ := inviteFrom(t, "Dan", invite.LiveNetwork, time.Hour, testStart.Add(-3*time.Hour))
	wrongNet, _ := inviteFrom(t, "Erin", invite.NetworkID{1, 2, 3, 4}, time.Hour, testStart)
	onion, _, _ := ed25519.GenerateKey(nil)
	ownInv, err := invite.New(h.fb.selfPK, onion, "Maria's laptop", invite.LiveNetwork, time.Hour, false, testStart)
	if err != nil {
		t.Fatal(err)
	}
	// A typo in the middle of the link breaks its checksum.
	i := len(good) / 2
	typo := good[:i] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", good[i])+1)%32]) + good[i+1:]

	cases := []struct {
		name, link, want string
	}{
		{"malformed", "hi! here is my invite: (forgot to paste it)", "That is not an Archy invite link. Copy the whole link, from ARCHY:// to the end."},
		{"bad checksum", typo, "This link is incomplete or has a typo — copy the whole link again, or open a picture of its QR code."},
		{"expired", expired, "This invite has expired — ask for a new one."},
		{"used", used, "This invite was already used — ask for a new one."},
		{"wrong network", wrongNet, "This invite is for a different Tor network than the one this computer uses."},
		{"own invite", ownInv.Link(), "This is your own invite — send it to the other person."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := h.ui.openPairDialog()
			test.Type(p.entry, c.link)
			h.waitFor("an answer", func() bool { return p.message.Visible() || p.preview.Visible() })
			if got := p.message.Text; got != c.want {
				t.Errorf("message = %q, want %q", got, c.want)
			}
			if p.message.Importance != widget.DangerImportance {
				t.Errorf("message importance = %v, want danger", p.message.Importance)
			}
			if p.preview.Visible() || !p.joinBtn.Disabled() {
				t.Errorf("preview shown (%v) or Join enabled (%v)", p.preview.Visible(), !p.joinBtn.Disabled())
			}
			test.Tap(p.joinBtn)
			p.join() // even called directly it must not join
			h.settle()
			if calls := h.fb.Calls("Join"); len(calls) != 0 {
				t.Errorf("Join called: %q", calls)
			}
			p.close()
			if h.ui.pair != nil {
				t.Error("dialog still registered after close")
			}
		})
	}
}

func TestPairDialogFromPictureAndDrop(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	link, _ := inviteFrom(t, "Frank", invite.LiveNetwork, time.Hour, testStart)
	h.fb.images["/tmp/screenshot.png"] = link
	h.fb.images["/tmp/cat.png"] = ""

	// Dropping a picture on the window opens the dialog with it.
	h.ui.dropped(fyne.NewPos(10, 10), []fyne.URI{fileURI("/tmp/cat.png")})
	p := h.ui.pair
	if p == nil {
		t.Fatal("drop did not open the dialog")
	}
	h.waitFor("an answer", func() bool { return p.message.Importance == widget.DangerImportance })
	if want := "No QR code found in this picture — try a sharper screenshot, cropped to the code."; p.message.Text != want {
		t.Errorf("message = %q, want %q", p.message.Text, want)
	}
	h.ui.dropped(fyne.NewPos(10, 10), []fyne.URI{fileURI("/tmp/screenshot.png")})
	h.waitFor("the preview", func() bool { return p.preview.Visible() })
	if p.from.Text != "Invite from Frank" || p.source.Text != "From picture: screenshot.png" {
		t.Errorf("from=%q source=%q", p.from.Text, p.source.Text)
	}
	// A failing Join says why in plain words and lets the user retry.
	h.fb.joinErr = invite.ErrUsed
	test.Tap(p.joinBtn)
	h.waitFor("the join error", func() bool { return p.message.Importance == widget.DangerImportance })
	if want := "This invite was already used — ask for a new one."; p.message.Text != want {
		t.Errorf("message = %q, want %q", p.message.Text, want)
	}
	if p.joining || p.entry.Disabled() {
		t.Error("dialog still joining after the error")
	}
}

func fileURI(path string) fyne.URI { return storage.NewFileURI(path) }

// peerState builds a peer for the tests.
func peerState(name string, trust store.Trust) node.PeerState {
	pub, _, _ := ed25519.GenerateKey(nil)
	return node.PeerState{DID: identity.DIDFromPublicKey(pub), Name: name, Trust: trust, Verified: true}
}

func TestPeerRowFollowsSyncEvents(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	now := testStart
	bob := peerState("Bob", store.Trusted)
	bob.Online = true
	bob.Sync = node.SyncState{Phase: node.SyncIdle, LastSync: now.Add(-3 * time.Minute), NextSync: now.Add(2 * time.Minute)}
	st := h.fb.State()
	st.Tor = node.TorState{Phase: node.TorOnline, Reachable: true}
	st.Peers = []node.PeerState{bob}
	h.send(node.EventState, st, "", "")

	row := h.ui.peers.rows[bob.DID]
	if row == nil {
		t.Fatal("no row for Bob")
	}
	check := func(step, status, errText string, bar bool) {
		t.Helper()
		if row.status.Text != status {
			t.Errorf("%s: status = %q, want %q", step, row.status.Text, status)
		}
		if row.errText.Text != errText || row.errText.Visible() != (errText != "") {
			t.Errorf("%s: error = %q (visible %v), want %q", step, row.errText.Text, row.errText.Visible(), errText)
		}
		if row.bar.Visible() != bar {
			t.Errorf("%s: progress bar visible = %v, want %v", step, row.bar.Visible(), bar)
		}
	}
	check("idle", "Last sync 3 min ago · next sync in 2 min", "", false)
	if got := h.ui.win.Title(); got != "Archy — Maria's laptop" {
		t.Errorf("window title = %q", got)
	}
	if row.name.Text != "Bob" || row.trust.Text != "online · trusted" || !row.dot.on {
		t.Errorf("name=%q trust=%q online=%v", row.name.Text, row.trust.Text, row.dot.on)
	}

	steps := []struct {
		sync   node.SyncState
		status string
		bar    bool
	}{
		{node.SyncState{Phase: node.SyncConnecting}, "Connecting through Tor…", true},
		{node.SyncState{Phase: node.SyncVerifying}, "Checking it is really Bob…", true},
		{node.SyncState{Phase: node.SyncReconciling}, "Comparing records…", true},
		{node.SyncState{Phase: node.SyncTransferring, RecordsDone: 40, RecordsTotal: 100, BytesDone: 12_000, BytesTotal: 30_000}, "Syncing: records 40 of 100 · 12.0 kB of 30.0 kB", true},
		{node.SyncState{Phase: node.SyncTransferring, RecordsDone: 100, RecordsTotal: 100, BytesDone: 30_000, BytesTotal: 30_000}, "Syncing: records 100 of 100 · 30.0 kB of 30.0 kB", true},
		{node.SyncState{Phase: node.SyncSynced, LastSync: now, NextSync: now.Add(5 * time.Minute)}, "Last sync just now · next sync in 5 min", false},
	}
	for _, s := range steps {
		bob.Sync = s.sync
		st.Peers = []node.PeerState{bob}
		st.Overall = node.Overall{TotalPeers: 1, Syncing: s.bar}
		h.send(node.EventState, st, "", "")
		check(string(s.sync.Phase), s.status, "", s.bar)
		if s.sync.RecordsTotal > 0 {
			if want := 0.3 + 0.7*float64(s.sync.RecordsDone)/float64(s.sync.RecordsTotal); row.bar.value != want {
				t.Errorf("bar at %d of %d = %v, want %v", s.sync.RecordsDone, s.sync.RecordsTotal, row.bar.value, want)
			}
		}
	}

	// Failing: the error and a retry countdown that the ticker updates.
	bob.Online = false
	bob.Sync = node.SyncState{Phase: node.SyncFailed, LastSync: now.Add(-10 * time.Minute), NextSync: now.Add(14 * time.Second),
		Error: "peer did not answer through Tor", Failures: 3, FailingSince: now.Add(-6 * time.Minute)}
	st.Peers = []node.PeerState{bob}
	h.send(node.EventState, st, "", "")
	check("failed", "Last sync 10 min ago", "Peer did not answer through Tor. (3 failed attempts, since 6 min ago) — retrying in 14 s", false)
	if row.trust.Text != "offline · trusted" || row.dot.on {
		t.Errorf("offline: trust=%q dot=%v", row.trust.Text, row.dot.on)
	}

	calls := len(h.fb.Calls(""))
	h.clock.advance(4 * time.Second)
	h.ui.tick()
	check("4 s later", "Last sync 10 min ago", "Peer did not answer through Tor. (3 failed attempts, since 6 min ago) — retrying in 10 s", false)
	h.clock.advance(11 * time.Second)
	h.ui.tick()
	if !strings.HasSuffix(row.errText.Text, "— retrying now") {
		t.Errorf("after the deadline: %q", row.errText.Text)
	}
	if n := len(h.fb.Calls("")); n != calls {
		t.Errorf("the ticker called the backend: %q", h.fb.Calls("")[calls:])
	}

	// Row actions reach the backend (off the UI thread).
	test.Tap(row.syncBtn)
	h.waitFor("SyncNow", func() bool { return len(h.fb.Calls("SyncNow")) == 1 })
	if got := h.fb.Calls("SyncNow")[0]; got != "SyncNow "+string(bob.DID) {
		t.Errorf("SyncNow call = %q", got)
	}
	row.setTrust(store.Observer)
	h.waitFor("SetTrust", func() bool { return len(h.fb.Calls("SetTrust")) == 1 })
	row.remove() // asks first
	h.settle()
	if len(h.fb.Calls("RemovePeer")) != 0 {
		t.Error("removed without confirmation")
	}
	confirm := findButton(h.ui.win.Canvas(), "Yes")
	if confirm == nil {
		t.Fatal("no confirmation dialog")
	}
	test.Tap(confirm)
	h.waitFor("RemovePeer", func() bool { return len(h.fb.Calls("RemovePeer")) == 1 })
}

func TestPendingAndSuggestions(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	alice := peerState("Alice", store.Trusted)
	carol := peerState("Carol", store.Observer)
	st := h.fb.State()
	st.Peers = []node.PeerState{alice}
	st.Pending = []node.PendingState{{ID: "pend-1", Role: "joiner", DID: carol.DID, Name: "Carol", Stage: "waiting for Carol's node",
		Attempts: 3, NextAttempt: testStart.Add(40 * time.Second), LastError: "Carol's node is not reachable yet", SafetyWords: []string{"apple", "river", "stone", "owl"}}}
	st.Suggestions = []node.Suggestion{{DID: "did:key:z6MkDave", Name: "Dave", Via: alice.DID}}
	h.send(node.EventState, st, "", "")

	r := h.ui.peers.pending["pend-1"]
	if r == nil {
		t.Fatal("no pending row")
	}
	if want := "Pairing — waiting for Carol's node (attempt 3) · next try in 40 s"; r.line.Text != want {
		t.Errorf("pending line = %q, want %q", r.line.Text, want)
	}
	if want := "Safety words: apple · river · stone · owl"; r.words.Text != want {
		t.Errorf("words = %q", r.words.Text)
	}
	markup := test.RenderObjectToMarkup(h.ui.peers.list)
	if !strings.Contains(markup, "Suggested by Alice.") || !strings.Contains(markup, "Dave") {
		t.Error("the suggestion (with the peer that suggested it) is not shown")
	}
	r.cancel()
	test.Tap(findButton(h.ui.win.Canvas(), "Yes"))
	h.waitFor("CancelPending", func() bool { return len(h.fb.Calls("CancelPending pend-1")) == 1 })
}

func TestStatusHeaderThroughTorPhases(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		tor          node.TorState
		title        string
		bridges      bool
		icon         fyne.Resource
		detailPrefix string
	}{
		{node.TorState{Phase: node.TorStarting}, "Starting Tor…", false, assets.TrayStarting, "The first start"},
		{node.TorState{Phase: node.TorBootstrapping, Percent: 45, Tag: "loading_descriptors", Summary: "Loading relay descriptors"}, "Connecting to Tor… 45 % (Loading relay descriptors)", false, assets.TrayStarting, "Archy talks"},
		{node.TorState{Phase: node.TorStalled, Percent: 10, Summary: "Finishing handshake with directory server"}, "Connecting to Tor is stuck at 10 %", true, assets.TrayAttention, "Stuck at: Finishing handshake with directory server. Your network may be blocking Tor"},
		{node.TorState{Phase: node.TorPublishing, Percent: 100}, "Publishing your address…", false, assets.TrayStarting, "Tor is connected"},
		{node.TorState{Phase: node.TorOnline}, "Online — checking that others can reach you…", false, assets.TrayStarting, "Your address is published"},
		{node.TorState{Phase: node.TorOnline, Reachable: true}, "Online — reachable", false, assets.TrayOnline, "Your peers can reach"},
		{node.TorState{Phase: node.TorOnline, Reachable: true, Warning: "this version of Tor is obsolete"}, "Online — reachable", false, assets.TrayAttention, "Tor says: This version of Tor is obsolete."},
		{node.TorState{Phase: node.TorBootstrapping, Percent: 14, Summary: "Handshaking with a relay", Warning: "DONE"}, "Connecting to Tor… 14 % (Handshaking with a relay)", false, assets.TrayStarting, "Tor had trouble: a relay closed the connection. It keeps trying."},
		{node.TorState{Phase: node.TorStopped, Error: "tor exited: could not bind port"}, "Tor stopped", false, assets.TrayAttention, "Tor exited: could not bind port."},
		{node.TorState{Phase: node.TorStopped}, "Offline", false, assets.TrayPaused, "Tor is not running."},
	}
	for _, c := range cases {
		st := h.fb.State()
		st.Tor = c.tor
		h.send(node.EventState, st, "", "")
		hv := h.ui.header
		if hv.title.Text != c.title {
			t.Errorf("%s: title = %q, want %q", c.tor.Phase, hv.title.Text, c.title)
		}
		if !strings.HasPrefix(hv.detail.Text, c.detailPrefix) {
			t.Errorf("%s: detail = %q, want it to start with %q", c.tor.Phase, hv.detail.Text, c.detailPrefix)
		}
		if hv.bridges.Visible() != c.bridges {
			t.Errorf("%s: bridges button visible = %v", c.tor.Phase, hv.bridges.Visible())
		}
		if hv.icon.Resource != c.icon {
			t.Errorf("%s: icon = %s, want %s", c.tor.Phase, hv.icon.Resource.Name(), c.icon.Name())
		}
	}
	// "Use bridges…" opens the bridge settings.
	st := h.fb.State()
	st.Tor = node.TorState{Phase: node.TorStalled, Percent: 10}
	h.send(node.EventState, st, "", "")
	test.Tap(h.ui.header.bridges)
	if h.ui.tabs.Selected() != h.ui.tabSet {
		t.Error("Use bridges did not open the settings")
	}
}

func TestTrayStatusAndIcon(t *testing.T) {
	peers := func(synced, total, failing int) node.Overall {
		return node.Overall{SyncedPeers: synced, TotalPeers: total, Failing: failing}
	}
	online := node.TorState{Phase: node.TorOnline, Reachable: true}
	cases := []struct {
		st   node.State
		line string
		icon TrayIcon
	}{
		{node.State{Tor: node.TorState{Phase: node.TorStarting}}, "Starting Tor…", TrayStarting},
		{node.State{Tor: node.TorState{Phase: node.TorBootstrapping, Percent: 45}}, "Connecting to Tor… 45 %", TrayStarting},
		{node.State{Tor: node.TorState{Phase: node.TorStalled, Percent: 45}}, "Tor connection stuck — open Archy", TrayAttention},
		{node.State{Tor: node.TorState{Phase: node.TorPublishing}}, "Publishing your address…", TrayStarting},
		{node.State{Tor: node.TorState{Phase: node.TorOnline}}, "Online · checking reachability", TrayStarting},
		{node.State{Tor: online, Overall: peers(0, 0, 0)}, "Online · no peers yet", TrayOnline},
		{node.State{Tor: online, Overall: peers(2, 3, 0)}, "Online · 2 of 3 peers synced", TrayOnline},
		{node.State{Tor: online, Overall: peers(1, 1, 0)}, "Online · 1 of 1 peer synced", TrayOnline},
		{node.State{Tor: online, Overall: peers(2, 3, 1)}, "Online · 2 of 3 peers synced, 1 unreachable", TrayOnline},
		{node.State{Tor: online, Overall: node.Overall{SyncedPeers: 1, TotalPeers: 3, Syncing: true}}, "Syncing · 1 of 3 peers synced", TraySyncing},
		{node.State{Tor: online, SyncPaused: true, Overall: peers(3, 3, 0)}, "Sync paused · 3 of 3 peers synced", TrayPaused},
		{node.State{Tor: node.TorState{Phase: node.TorOnline, Reachable: true, Warning: "obsolete"}}, "Tor needs attention — open Archy", TrayAttention},
		{node.State{Tor: node.TorState{Phase: node.TorBootstrapping, Percent: 14, Warning: "DONE"}}, "Connecting to Tor… 14 %", TrayStarting},
		{node.State{Tor: node.TorState{Phase: node.TorStopped, Error: "crashed"}}, "Tor stopped — open Archy", TrayAttention},
		{node.State{Tor: node.TorState{Phase: node.TorStopped}}, "Offline", TrayPaused},
	}
	for _, c := range cases {
		line, icon := TrayStatus(c.st)
		if line != c.line || icon != c.icon {
			t.Errorf("TrayStatus(%+v) = %q, %s; want %q, %s", c.st.Tor, line, icon, c.line, c.icon)
		}
	}
	// Every state has its own tray bitmap; only "attention" is coloured.
	seen := map[fyne.Resource]bool{}
	for i := TrayStarting; i <= TrayPaused; i++ {
		r := trayIconResource(i)
		if seen[r] {
			t.Errorf("icon %s shares its bitmap", i)
		}
		seen[r] = true
		if !strings.HasSuffix(r.Name(), ".png") {
			t.Errorf("tray icon %s is %s, want a PNG (the tray needs a bitmap)", i, r.Name())
		}
	}
}

func TestTrayMenuFollowsState(t *testing.T) {
	h := newHarness(t, harnessOpts{tray: true})
	tr := h.tray
	if tr.menu == nil || len(tr.icons) == 0 || tr.trayWin != h.ui.win {
		t.Fatalf("tray not set up: menu=%v icons=%d window=%v", tr.menu, len(tr.icons), tr.trayWin)
	}
	var labels []string
	for _, it := range tr.menu.Items {
		if it.IsSeparator {
			labels = append(labels, "—")
			continue
		}
		labels = append(labels, it.Label)
	}
	if got, want := strings.Join(labels, "|"), "Starting Tor…|—|Show window|Copy invite link|Sync now|Pause sync|—|Quit"; got != want {
		t.Errorf("menu = %s, want %s", got, want)
	}
	if !tr.menu.Items[0].Disabled {
		t.Error("the status line is clickable")
	}

	st := h.fb.State()
	st.Tor = node.TorState{Phase: node.TorOnline, Reachable: true}
	st.Overall = node.Overall{SyncedPeers: 2, TotalPeers: 3}
	h.send(node.EventState, st, "", "")
	if got := tr.menu.Items[0].Label; got != "Online · 2 of 3 peers synced" {
		t.Errorf("status line = %q", got)
	}
	if got := tr.icons[len(tr.icons)-1]; got != assets.TrayOnlinePNG {
		t.Errorf("icon = %s", got.Name())
	}
	menus, icons := tr.menus, len(tr.icons)
	h.send(node.EventState, st, "", "") // nothing visible changed
	if tr.menus != menus || len(tr.icons) != icons {
		t.Error("the tray was refreshed although nothing changed")
	}

	st.SyncPaused = true
	h.send(node.EventState, st, "", "")
	if got := tr.menu.Items[5].Label; got != "Resume sync" {
		t.Errorf("pause item = %q", got)
	}
	if got := tr.icons[len(tr.icons)-1]; got != assets.TrayPausedPNG {
		t.Errorf("icon = %s", got.Name())
	}
	tr.menu.Items[5].Action()
	h.waitFor("SetSyncPaused", func() bool { return len(h.fb.Calls("SetSyncPaused false")) == 1 })
	tr.menu.Items[4].Action()
	h.waitFor("SyncNow", func() bool { return len(h.fb.Calls("SyncNow ")) == 1 })

	// Copy invite link puts the current invite on the clipboard.
	tr.menu.Items[3].Action()
	if got := h.app.Clipboard().Content(); got != h.ui.card.invite.Link {
		t.Errorf("clipboard = %q", got)
	}

	// Closing the window hides it to the tray (and says so once).
	h.ui.win.Show()
	h.ui.closeWindow()
	if h.app.quits != 0 || h.app.win.visible {
		t.Errorf("closing the window: quits=%d visible=%v, want it hidden in the tray", h.app.quits, h.app.win.visible)
	}
	h.ui.closeWindow()
	if n := len(h.app.notifications()); n != 1 {
		t.Errorf("%d notifications about running in the tray, want 1", n)
	}
	// A second launch shows the window.
	h.send(node.EventShowWindow, st, "", "")
	if !h.app.win.visible {
		t.Error("EventShowWindow did not show the window")
	}
	// Quit from the tray quits.
	tr.menu.Items[len(tr.menu.Items)-1].Action()
	if h.app.quits != 1 {
		t.Error("Quit did not quit")
	}
}

func TestWithoutTrayClosingQuitsAndTheHintIsSaidOnce(t *testing.T) {
	why := "this desktop shows no tray icons, so Archy keeps its window open. " + TrayHowTo
	h := newHarness(t, harnessOpts{opts: Options{TrayWhyNot: why, StartHidden: true}})
	if h.ui.tray != nil {
		t.Fatal("tray set up although TrayAvailable is false")
	}
	h.ui.sayTrayHintOnce()
	h.ui.sayTrayHintOnce()
	markup := test.RenderToMarkup(h.ui.win.Canvas())
	if n := strings.Count(markup, "No tray icon"); n != 1 {
		t.Errorf("tray hint shown %d times, want once", n)
	}
	if !strings.Contains(markup, "AppIndicator") {
		t.Error("the hint does not say how to get a tray icon")
	}
	if !h.ui.settings.closeToTray.Disabled() {
		t.Error("close-to-tray can be turned on without a tray")
	}
	h.ui.closeWindow()
	if h.app.quits != 1 {
		t.Error("closing the window did not quit without a tray")
	}
}

func TestNotificationsOnlyForWhatMatters(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	bob := peerState("Bob", store.Trusted)
	st := h.fb.State()
	st.Peers = []node.PeerState{bob}
	h.send(node.EventState, st, "", "")
	h.send(node.EventPairingError, st, bob.DID, "timeout")
	if n := h.app.notifications(); len(n) != 0 {
		t.Fatalf("notified for a state change or pairing retry: %q", n)
	}
	h.send(node.EventPeerFailing, st, bob.DID, "")
	h.send(node.EventTorWarning, st, "", "this version of Tor is obsolete")
	h.send(node.EventPaired, st, bob.DID, "Paired with Bob")
	n := h.app.notifications()
	if len(n) != 3 || !strings.HasPrefix(n[0], "Can't reach Bob: ") || n[1] != "Tor needs attention: This version of Tor is obsolete." || !strings.HasPrefix(n[2], "Paired with Bob: ") {
		t.Errorf("notifications = %q", n)
	}
	// Someone used our invite: a fresh one replaces it.
	h.waitFor("a new invite", func() bool { return len(h.fb.Calls("CreateInvite")) == 2 })
}

func TestInviteCardAndNewInvite(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.ui.card
	if !c.qr.Visible() || c.qr.Resource == nil {
		t.Fatal("no QR code shown")
	}
	if want := "Single use · expires in 24 h"; c.expiry.Text != want {
		t.Errorf("expiry = %q, want %q", c.expiry.Text, want)
	}
	test.Tap(c.copyBtn)
	if got := h.app.Clipboard().Content(); got != c.invite.Link || !strings.HasPrefix(got, "ARCHY://") {
		t.Errorf("clipboard = %q", got)
	}
	// "New invite…" with observer and 7 days.
	c.observer, c.ttl = true, 7*24*time.Hour
	h.ui.newInvite()
	h.waitFor("the observer invite", func() bool { return c.invite != nil && c.invite.Observer })
	if got := h.fb.Calls("CreateInvite")[1]; got != "CreateInvite true 168h0m0s" {
		t.Errorf("call = %q", got)
	}
	// An expired invite is replaced on the next tick.
	h.clock.advance(7*24*time.Hour + time.Second)
	h.ui.tick()
	h.waitFor("a renewed invite", func() bool { return len(h.fb.Calls("CreateInvite")) == 3 })
}

func TestSettingsReachTheBackend(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	s := h.ui.settings
	h.waitFor("the data folder", func() bool { return s.dataDir.Text != "" })

	s.name.SetText("Studio")
	s.name.OnSubmitted("Studio")
	h.waitFor("SetName", func() bool { return len(h.fb.Calls("SetName Studio")) == 1 })

	s.bridges.SetText("obfs4 192.0.2.1:443 0123456789ABCDEF cert=abc iat-mode=0\n\n  snowflake 192.0.2.3:80 2B280B23\n")
	s.saveBridges()
	h.waitFor("SetBridges", func() bool { return len(h.fb.Calls("SetBridges")) == 1 })
	if got, want := h.fb.Calls("SetBridges")[0], "SetBridges obfs4 192.0.2.1:443 0123456789ABCDEF cert=abc iat-mode=0|snowflake 192.0.2.3:80 2B280B23"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	s.bridges.SetText("please help")
	s.saveBridges()
	h.settle()
	if len(h.fb.Calls("SetBridges")) != 1 || s.bridgeMsg.Importance != widget.DangerImportance {
		t.Errorf("a non-bridge line was saved (%q)", s.bridgeMsg.Text)
	}

	s.interval.SetSelected("every 15 minutes")
	h.waitFor("SetSyncInterval", func() bool { return len(h.fb.Calls("SetSyncInterval 15m0s")) == 1 })
	if got := h.ui.prefs.Int(PrefSyncInterval); got != 900 {
		t.Errorf("interval preference = %d", got)
	}

	var autostart []bool
	h.ui.opts.StartAtLogin = func(on bool) error { autostart = append(autostart, on); return nil }
	test.Tap(s.startLogin)
	h.settle()
	if !h.ui.prefs.Bool(PrefStartAtLogin) || len(autostart) != 1 || !autostart[0] {
		t.Errorf("start at login: pref=%v hook=%v", h.ui.prefs.Bool(PrefStartAtLogin), autostart)
	}

	s.resetTor()
	test.Tap(findButton(h.ui.win.Canvas(), "Yes"))
	h.waitFor("ResetTor", func() bool { return len(h.fb.Calls("ResetTor")) == 1 })
}

func TestLogViewScrubsAndExports(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.ui.logBuf.add("12:00:00 INFO joined ARCHY://AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QCAQUJ from did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK at pqrstuvwxyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklm.onion")
	h.settle()
	lines := h.ui.logs.lines
	if len(lines) != 1 {
		t.Fatalf("log lines = %q", lines)
	}
	want := "12:00:00 INFO joined [invite] from did:key:z6MkhaXg… at pqrstuvw….onion"
	if lines[0] != want {
		t.Errorf("log line = %q, want %q", lines[0], want)
	}
}

func TestExportDiagnostics(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	path := filepath.Join(t.TempDir(), "diag.json")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	h.ui.logs.exportTo(w)
	h.waitFor("the export", func() bool { return findButton(h.ui.win.Canvas(), "OK") != nil })
	b, err := os.ReadFile(path)
	if err != nil || string(b) != `{"diagnostics":true}` {
		t.Errorf("file = %q, %v", b, err)
	}
	if !strings.Contains(test.RenderToMarkup(h.ui.win.Canvas()), "Diagnostics saved") {
		t.Error("no confirmation shown")
	}
}

func TestMainWindowScreenshots(t *testing.T) {
	dir := screenshotDir(t)
	for _, th := range []string{"light", "dark"} {
		t.Run(th, func(t *testing.T) {
			h := newHarness(t, harnessOpts{theme: th, tray: true})
			st := demoState(h)
			h.send(node.EventState, st, "", "")
			w := h.ui.win
			w.Resize(fyne.NewSize(800, 600))
			if min := w.Content().MinSize(); min.Width > 800 || min.Height > 600 {
				t.Errorf("window content needs %v, more than 800×600", min)
			}
			shot := func(name string) {
				t.Helper()
				img := w.Canvas().Capture()
				f, err := os.Create(filepath.Join(dir, name+"-"+th+".png"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
			}
			shot("main")
			h.ui.tabs.Select(h.ui.tabSet)
			shot("settings")
			h.ui.openBridgeSettings()
			shot("settings-tor")
			h.ui.opts.Log = nil
			for _, l := range []string{"tor: bootstrapped 100% (done)", "sync: Bob: 40 of 100 records", "pairing: ARCHY://AEBAGBAFAYDQQCIK from did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"} {
				h.ui.logBuf.add(testStart.Format("15:04:05") + " INFO " + l)
			}
			h.settle()
			h.ui.tabs.SelectIndex(2)
			shot("logs")
			h.ui.tabs.SelectIndex(3)
			shot("about")
			h.ui.tabs.SelectIndex(0)
			p := h.ui.openPairDialog()
			link, _ := inviteFrom(t, "Alice's Archipelago", invite.LiveNetwork, time.Hour, testStart)
			test.Type(p.entry, link)
			h.waitFor("the preview", func() bool { return p.preview.Visible() })
			shot("add-peer")
			p.close()
			st.Tor = node.TorState{Phase: node.TorStalled, Percent: 10, Summary: "Finishing handshake with directory server"}
			h.send(node.EventState, st, "", "")
			shot("stalled")
		})
	}
	t.Logf("screenshots in %s", dir)
}

// demoState is a busy node: online, peers in every kind of state, a pending
// pairing and a suggestion.
func demoState(h *harness) node.State {
	now := testStart
	st := h.fb.State()
	st.Tor = node.TorState{Phase: node.TorOnline, Reachable: true, Version: "0.4.9.3", Provider: "embedded"}
	a := peerState("Alice's Archipelago", store.Trusted)
	a.Online = true
	a.Sync = node.SyncState{Phase: node.SyncSynced, LastSync: now.Add(-3 * time.Minute), NextSync: now.Add(2 * time.Minute)}
	b := peerState("Bob (office)", store.Trusted)
	b.Online = true
	b.Sync = node.SyncState{Phase: node.SyncTransferring, RecordsDone: 40, RecordsTotal: 100, BytesDone: 12_000, BytesTotal: 30_000, LastSync: now.Add(-time.Hour)}
	c := peerState("Carol", store.Observer)
	c.Sync = node.SyncState{Phase: node.SyncFailed, LastSync: now.Add(-26 * time.Hour), NextSync: now.Add(14 * time.Second),
		Error: "Carol's node did not answer through Tor", Failures: 5, FailingSince: now.Add(-25 * time.Hour)}
	st.Peers = []node.PeerState{a, b, c}
	dan := peerState("Dan", store.Trusted)
	st.Pending = []node.PendingState{{ID: "p1", Role: "joiner", DID: dan.DID, Name: "Dan", Stage: "waiting for Dan's node", Attempts: 2,
		NextAttempt: now.Add(40 * time.Second), SafetyWords: []string{"apple", "river", "stone", "owl"}}}
	st.Suggestions = []node.Suggestion{{DID: "did:key:z6MkErinErinErinErin", Name: "Erin", Via: a.DID}}
	st.Overall = node.Overall{SyncedPeers: 1, TotalPeers: 3, Syncing: true, Failing: 1, LastSync: now.Add(-3 * time.Minute)}
	return st
}

// findButton finds a visible button by its text anywhere on the canvas
// (dialogs included).
func findButton(c fyne.Canvas, text string) *widget.Button {
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(x).Objects() {
				walk(ch)
			}
		}
	}
	for i := len(c.Overlays().List()) - 1; i >= 0; i-- {
		walk(c.Overlays().List()[i])
	}
	if found == nil {
		walk(c.Content())
	}
	return found
}

func TestStartHidden(t *testing.T) {
	h := newHarness(t, harnessOpts{tray: true, opts: Options{StartHidden: true}})
	h.ui.Run() // the test app's Run returns at once
	if h.app.win.visible {
		t.Error("window shown although starting hidden in the tray")
	}
	// Without a tray there would be no way back to the window: show it.
	h = newHarness(t, harnessOpts{opts: Options{StartHidden: true}})
	h.ui.Run()
	if !h.app.win.visible {
		t.Error("window hidden although there is no tray")
	}
	// The preference does the same as the option.
	h = newHarness(t, harnessOpts{tray: true})
	h.ui.prefs.SetBool(PrefStartHidden, true)
	h.ui.Run()
	if h.app.win.visible {
		t.Error("window shown although the start-hidden preference is on")
	}
}
