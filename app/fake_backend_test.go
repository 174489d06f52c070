package app

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// fakeBackend stands in for *node.Node (which needs Tor): it records every
// call, parses invite links with the real invite package, and streams the
// events a test scripts with send.
type fakeBackend struct {
	t      testing.TB
	self   identity.DID
	selfPK ed25519.PublicKey
	now    func() time.Time

	mu      sync.Mutex
	calls   []string
	state   node.State
	used    map[string]bool // invite links the "inviter" has seen
	joinErr error
	images  map[string]string // picture path → link in it ("" = no QR code)
	bridges []string
	events  chan node.Event
	invites int
}

func newFakeBackend(t testing.TB, now func() time.Time) *fakeBackend {
	pub, _, _ := ed25519.GenerateKey(nil)
	f := &fakeBackend{
		t: t, selfPK: pub, self: identity.DIDFromPublicKey(pub), now: now,
		used: map[string]bool{}, images: map[string]string{},
		events: make(chan node.Event, 256),
	}
	f.state = node.State{
		DID: f.self, Name: "Maria's laptop", Network: "live",
		Onion: "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
		Tor:   node.TorState{Phase: node.TorStarting},
	}
	return f
}

func (f *fakeBackend) record(format string, args ...any) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// Calls returns the recorded calls whose text starts with prefix.
func (f *fakeBackend) Calls(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// send streams an event carrying st (the node sends a full State each time).
func (f *fakeBackend) send(kind node.EventKind, st node.State, peer identity.DID, msg string) {
	f.mu.Lock()
	f.state = st
	f.mu.Unlock()
	f.events <- node.Event{Kind: kind, State: st, Peer: peer, Message: msg, Time: f.now()}
}

func (f *fakeBackend) State() node.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

func (f *fakeBackend) Subscribe() (<-chan node.Event, func()) {
	var once sync.Once
	return f.events, func() { once.Do(func() { close(f.events) }) }
}

func (f *fakeBackend) CreateInvite(observer bool, ttl time.Duration) (*node.InviteInfo, error) {
	f.record("CreateInvite %v %v", observer, ttl)
	onion, _, _ := ed25519.GenerateKey(nil)
	inv, err := invite.New(f.selfPK, onion, f.state.Name, invite.LiveNetwork, ttl, observer, f.now())
	if err != nil {
		return nil, err
	}
	png, err := inv.QRPNG(512)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.invites++
	f.mu.Unlock()
	return &node.InviteInfo{Link: inv.Link(), QRPNG: png, Expires: inv.Expires, Observer: observer}, nil
}

func (f *fakeBackend) PreviewInvite(link string) (*node.InvitePreview, error) {
	f.record("PreviewInvite")
	inv, err := invite.Parse(link, f.now(), invite.LiveNetwork, f.self)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	used := f.used[inv.Link()]
	f.mu.Unlock()
	if used {
		return nil, invite.ErrUsed
	}
	return &node.InvitePreview{
		Link: link, Name: inv.Name, DID: inv.DID(), Observer: inv.Observer, Expires: inv.Expires,
		SafetyWords: invite.SafetyWords(f.self, inv.DID()),
	}, nil
}

func (f *fakeBackend) PreviewInviteImage(path string) (*node.InvitePreview, error) {
	f.record("PreviewInviteImage %s", path)
	f.mu.Lock()
	link, ok := f.images[path]
	f.mu.Unlock()
	if !ok {
		return nil, invite.ErrNotImage
	}
	if link == "" {
		return nil, invite.ErrNoQRCode
	}
	return f.PreviewInvite(link)
}

func (f *fakeBackend) Join(link string) error {
	f.record("Join %s", link)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.joinErr
}

func (f *fakeBackend) SetName(name string) error {
	f.record("SetName %s", name)
	return nil
}
func (f *fakeBackend) RenamePeer(did identity.DID, name string) error {
	f.record("RenamePeer %s %s", did, name)
	return nil
}
func (f *fakeBackend) SetTrust(did identity.DID, t store.Trust) error {
	f.record("SetTrust %s %s", did, t)
	return nil
}
func (f *fakeBackend) RemovePeer(did identity.DID) error {
	f.record("RemovePeer %s", did)
	return nil
}
func (f *fakeBackend) CancelPending(id string) error {
	f.record("CancelPending %s", id)
	return nil
}
func (f *fakeBackend) SyncNow(did identity.DID)    { f.record("SyncNow %s", did) }
func (f *fakeBackend) SetSyncPaused(paused bool)   { f.record("SetSyncPaused %v", paused) }
func (f *fakeBackend) SyncInterval() time.Duration { return 5 * time.Minute }

func (f *fakeBackend) SetSyncInterval(d time.Duration) error {
	f.record("SetSyncInterval %s", d)
	return nil
}
func (f *fakeBackend) SetBridges(lines []string) error {
	f.record("SetBridges %s", strings.Join(lines, "|"))
	f.mu.Lock()
	f.bridges = lines
	f.mu.Unlock()
	return nil
}
func (f *fakeBackend) Bridges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bridges...)
}
func (f *fakeBackend) ResetTor() error {
	f.record("ResetTor")
	return nil
}
func (f *fakeBackend) DataDir() string { return "/home/maria/.local/share/archy" }
func (f *fakeBackend) ExportDiagnostics(w io.Writer) error {
	f.record("ExportDiagnostics")
	_, err := io.WriteString(w, `{"diagnostics":true}`)
	return err
}

var _ Backend = (*fakeBackend)(nil)

// ---- test harness ----

// uiQueue is the UI thread of a test: the UI's goroutines (event pump,
// background calls) queue their UI work here and the test goroutine runs it,
// so widgets are only ever touched by the test goroutine.
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

// drain runs queued UI work until none is left; it reports whether any ran.
func (q *uiQueue) drain() bool {
	ran := false
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return ran
		}
		for _, f := range fns {
			f()
		}
		ran = true
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recApp wraps the test app to record notifications and quits; trayApp adds
// the desktop.App tray methods.
type recApp struct {
	fyne.App
	mu    sync.Mutex
	notes []*fyne.Notification
	quits int
	win   *recWindow
}

// recWindow records whether the window is shown.
type recWindow struct {
	fyne.Window
	visible bool
}

func (w *recWindow) Show() { w.visible = true; w.Window.Show() }
func (w *recWindow) Hide() { w.visible = false; w.Window.Hide() }

func (a *recApp) NewWindow(title string) fyne.Window {
	a.win = &recWindow{Window: a.App.NewWindow(title)}
	return a.win
}

func (a *recApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	a.notes = append(a.notes, n)
	a.mu.Unlock()
}

func (a *recApp) Quit() {
	a.mu.Lock()
	a.quits++
	a.mu.Unlock()
}

func (a *recApp) notifications() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, n := range a.notes {
		out = append(out, n.Title+": "+n.Content)
	}
	return out
}

type trayApp struct {
	*recApp
	icons   []fyne.Resource
	menu    *fyne.Menu
	menus   int
	trayWin fyne.Window
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m; a.menus++ }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icons = append(a.icons, r) }
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { a.trayWin = w }

type harness struct {
	t     *testing.T
	ui    *UI
	fb    *fakeBackend
	q     *uiQueue
	clock *clock
	app   *recApp
	tray  *trayApp // nil without a tray
}

type harnessOpts struct {
	tray  bool
	theme string // "light", "dark" or ""
	opts  Options
}

var testStart = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func newHarness(t *testing.T, ho harnessOpts) *harness {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // Fyne writes a font cache
	base := test.NewTempApp(t)
	if ho.theme != "" {
		base.Preferences().SetString(PrefTheme, ho.theme)
	}
	h := &harness{t: t, q: &uiQueue{}, clock: &clock{t: testStart}}
	h.fb = newFakeBackend(t, h.clock.now)
	h.app = &recApp{App: base}
	var a fyne.App = h.app
	if ho.tray {
		h.tray = &trayApp{recApp: h.app}
		a = h.tray
		ho.opts.TrayAvailable = true
	}
	h.ui = newUI(a, h.fb, ho.opts, hooks{do: h.q.do, now: h.clock.now, noTicker: true})
	t.Cleanup(func() {
		h.ui.shutdown()
		h.ui.win.Close()
	})
	h.waitFor("the first invite", func() bool { return h.ui.card.invite != nil })
	return h
}

// waitFor runs UI work until cond holds (or fails the test after 5 s).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.q.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle runs UI work until nothing happened for a little while.
func (h *harness) settle() {
	quiet := 0
	for quiet < 10 {
		if h.q.drain() {
			quiet = 0
		} else {
			quiet++
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sendState streams a state event and waits until the UI rendered it.
func (h *harness) send(kind node.EventKind, st node.State, peer identity.DID, msg string) {
	h.t.Helper()
	h.fb.send(kind, st, peer, msg)
	h.waitFor("event "+string(kind), func() bool { return len(h.fb.events) == 0 })
	h.settle()
}

// inviteFrom makes a real invite link from a new node called name.
func inviteFrom(t testing.TB, name string, network invite.NetworkID, ttl time.Duration, now time.Time) (link string, did identity.DID) {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(nil)
	onion, _, _ := ed25519.GenerateKey(nil)
	inv, err := invite.New(pub, onion, name, network, ttl, false, now)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Link(), inv.DID()
}

func screenshotDir(t *testing.T) string {
	if d := os.Getenv("ARCHY_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

var errBoom = errors.New("boom")
