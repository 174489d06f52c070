// Package app is Archy Desktop's user interface: one Fyne window (status,
// your node and invite, peers, settings, logs, about) and a system-tray
// icon. It only renders the node's State, which comes with every Event, and
// calls the Backend; it never touches the network or the database, and never
// blocks the UI thread on the Backend.
//
// The caller creates the fyne.App (package app never imports
// fyne.io/fyne/v2/app, so it can be tested headless) and decides whether a
// tray can be shown with TrayAvailable.
package app

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/assets"
	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/node"
)

// Options configure the UI.
type Options struct {
	// StartHidden starts with the window hidden in the tray (only when a
	// tray is available; the "start hidden" preference does the same).
	StartHidden bool
	// TrayAvailable: show a system-tray icon; decide it with TrayAvailable().
	TrayAvailable bool
	// TrayWhyNot is TrayAvailable's reason when there is no tray; the UI says
	// it once.
	TrayWhyNot string

	Version    string // app version
	Commit     string // VCS commit of the build
	TorVersion string // version of the embedded Tor, if any

	// Log is the app's logger; the UI attaches a hook to show its output
	// (scrubbed) in the Logs tab. May be nil.
	Log *logrus.Logger

	// StartAtLogin is the hook that makes Archy start (or stop starting) at
	// login. Nil: the preference is only stored (the autostart writer comes
	// with a later issue).
	StartAtLogin func(enabled bool) error
}

// Preference keys (fyne Preferences: UI-only settings).
const (
	PrefStartHidden  = "startHidden"
	PrefStartAtLogin = "startAtLogin"
	PrefCloseToTray  = "closeToTray"
	PrefTheme        = "theme" // "", "light", "dark"
	PrefSyncInterval = "syncIntervalSeconds"
	prefTrayHint     = "trayHintShown"
	prefHiddenHint   = "hiddenHintShown"
)

// UI is the window, its tray icon and their link to the Backend.
type UI struct {
	app   fyne.App
	b     Backend
	opts  Options
	win   fyne.Window
	prefs fyne.Preferences
	tray  *tray
	tabs  *container.AppTabs

	// do runs f on the UI thread (fyne.Do; tests run it on theirs).
	do  func(f func())
	now func() time.Time

	// Only touched on the UI thread:
	state     node.State
	haveState bool
	header    *headerView
	card      *nodeCard
	peers     *peersView
	settings  *settingsView
	about     *aboutView
	logs      *logsView
	pair      *pairDialog // the open "Add a peer" dialog, if any
	joined    map[identity.DID]bool
	tabHome   *container.TabItem
	tabSet    *container.TabItem

	logBuf    *logBuffer
	logQueued atomic.Bool

	pendingMu sync.Mutex
	pendingEv *node.Event // latest plain state event not yet rendered
	cancel    func()
	stopTick  chan struct{}
	stopOnce  sync.Once
}

// hooks lets tests run the UI thread and the clock themselves.
type hooks struct {
	do       func(func())
	now      func() time.Time
	noTicker bool
}

// New builds the window (hidden until Run) and starts following the
// backend's events. Call it on the Fyne thread (before Run).
func New(a fyne.App, b Backend, opts Options) *UI {
	return newUI(a, b, opts, hooks{})
}

func newUI(a fyne.App, b Backend, opts Options, h hooks) *UI {
	u := &UI{
		app: a, b: b, opts: opts, prefs: a.Preferences(),
		do: h.do, now: h.now,
		joined:   map[identity.DID]bool{},
		stopTick: make(chan struct{}),
		logBuf:   newLogBuffer(2000),
	}
	if u.do == nil {
		u.do = fyne.Do
	}
	if u.now == nil {
		u.now = time.Now
	}
	a.SetIcon(assets.AppIconPNG)
	a.Settings().SetTheme(themeFor(u.prefs.String(PrefTheme)))

	u.win = a.NewWindow("Archy")
	u.win.SetIcon(assets.AppIconPNG)
	u.build()
	u.addShortcuts()
	u.win.Resize(fyne.NewSize(860, 640))
	u.win.SetCloseIntercept(u.closeWindow)
	u.win.SetOnDropped(u.dropped)

	if opts.TrayAvailable {
		if desk, ok := a.(desktop.App); ok {
			u.tray = newTray(u, desk)
			u.tray.start()
			// Left click on the icon shows the window; this also sets a
			// close intercept, so ours is set again after it.
			desk.SetSystemTrayWindow(u.win)
			u.win.SetCloseIntercept(u.closeWindow)
		}
	}

	if opts.Log != nil {
		opts.Log.AddHook(u.logBuf)
	}
	u.logBuf.setChanged(func() {
		if u.logQueued.CompareAndSwap(false, true) {
			u.do(func() {
				u.logQueued.Store(false)
				u.logs.refresh()
			})
		}
	})

	events, cancel := b.Subscribe()
	u.cancel = cancel
	go u.pump(events)
	u.background(func() any { return b.State() }, func(v any) {
		if !u.haveState { // an event may have come first: it is newer
			u.apply(v.(node.State))
		}
	})
	u.newInvite()
	u.settings.load()
	if !h.noTicker {
		go u.ticker()
	}
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Run shows the window (unless starting hidden in the tray) and runs the
// app until Quit. It returns after the event subscription ended.
func (u *UI) Run() {
	hidden := u.opts.StartHidden || u.prefs.Bool(PrefStartHidden)
	if hidden && u.tray == nil {
		u.logf(logrus.InfoLevel, "no tray icon, so the window is shown although start-hidden is on")
		hidden = false
	}
	if !hidden {
		u.win.Show()
		u.sayTrayHintOnce()
	}
	u.app.Run()
	u.shutdown()
}

func (u *UI) shutdown() {
	u.stopOnce.Do(func() {
		close(u.stopTick)
		if u.cancel != nil {
			u.cancel()
		}
	})
}

// ShowWindow brings the window forward. Call it on the Fyne thread (the
// node's EventShowWindow is handled there already).
func (u *UI) ShowWindow() {
	u.win.Show()
	u.win.RequestFocus()
	u.sayTrayHintOnce()
}

func (u *UI) quit() {
	u.shutdown()
	u.app.Quit()
}

// closeWindow: with a tray (and close-to-tray on) the window hides and Archy
// keeps running; otherwise closing quits.
func (u *UI) closeWindow() {
	if u.tray != nil && u.prefs.BoolWithFallback(PrefCloseToTray, true) {
		u.win.Hide()
		if !u.prefs.Bool(prefHiddenHint) {
			u.prefs.SetBool(prefHiddenHint, true)
			u.notify("Archy is still running", "Archy keeps your node online in the background. Use the tray icon to open it or to quit.")
		}
		return
	}
	u.quit()
}

func (u *UI) sayTrayHintOnce() {
	if u.tray != nil || u.opts.TrayWhyNot == "" || u.prefs.Bool(prefTrayHint) {
		return
	}
	u.prefs.SetBool(prefTrayHint, true)
	u.logf(logrus.InfoLevel, "no tray icon: %s", u.opts.TrayWhyNot)
	dialog.ShowInformation("No tray icon", sentence(u.opts.TrayWhyNot)+"\n\nClosing this window quits Archy.", u.win)
}

func (u *UI) logf(level logrus.Level, format string, args ...any) {
	if u.opts.Log != nil {
		u.opts.Log.Logf(level, "ui: "+format, args...)
	}
}

func (u *UI) notify(title, content string) {
	u.app.SendNotification(fyne.NewNotification(title, content))
}

// background runs work on its own goroutine and hands its result to done on
// the UI thread. Every Backend call that may block goes through here.
func (u *UI) background(work func() any, done func(any)) {
	go func() {
		v := work()
		if done != nil {
			u.do(func() { done(v) })
		}
	}()
}

// backgroundErr is background for calls that return only an error; a failure
// is shown in a dialog unless done handles it (done may be nil).
func (u *UI) backgroundErr(what string, work func() error, done func(error)) {
	u.background(func() any { return work() }, func(v any) {
		err, _ := v.(error)
		if err != nil {
			u.logf(logrus.WarnLevel, "%s: %v", what, err)
		}
		if done != nil {
			done(err)
			return
		}
		if err != nil {
			dialog.ShowInformation("Could not "+what, sentence(err.Error()), u.win)
		}
	})
}

// pump moves events to the UI thread. Plain state changes are coalesced: if
// the UI is behind, only the newest State is rendered.
func (u *UI) pump(events <-chan node.Event) {
	for ev := range events {
		if ev.Kind == node.EventState {
			u.pendingMu.Lock()
			queued := u.pendingEv != nil
			e := ev
			u.pendingEv = &e
			u.pendingMu.Unlock()
			if !queued {
				u.do(u.flushState)
			}
			continue
		}
		ev := ev
		u.do(func() {
			u.flushState() // keep the order: older state first
			u.handle(ev)
		})
	}
}

func (u *UI) flushState() {
	u.pendingMu.Lock()
	ev := u.pendingEv
	u.pendingEv = nil
	u.pendingMu.Unlock()
	if ev != nil {
		u.handle(*ev)
	}
}

// handle renders one event (UI thread).
func (u *UI) handle(ev node.Event) {
	if ev.State.DID != "" || ev.Kind == node.EventState {
		u.apply(ev.State)
	}
	switch ev.Kind {
	case node.EventPaired:
		name := u.peerName(ev.Peer)
		words := ""
		for _, p := range u.state.Peers {
			if p.DID == ev.Peer && len(p.SafetyWords) > 0 {
				words = " Safety words: " + SafetyWordsText(p.SafetyWords) + "."
			}
		}
		u.notify("Paired with "+name, "You and "+name+" are now connected."+words)
		if !u.joined[ev.Peer] {
			// Someone used our invite: it is spent, show a fresh one.
			u.newInvite()
		}
		if u.pair != nil {
			u.pair.paired(ev.Peer)
		}
	case node.EventPairingError:
		if u.pair != nil {
			u.pair.failed(ev.Peer, ev.Message)
		}
	case node.EventPeerFailing:
		name := u.peerName(ev.Peer)
		msg := ev.Message
		if msg == "" {
			msg = "Archy has not reached " + name + " for a long time. It keeps trying; " + name + "'s computer may be off."
		}
		u.notify("Can't reach "+name, sentence(msg))
	case node.EventTorWarning:
		u.notify("Tor needs attention", sentence(ev.Message))
	case node.EventShowWindow:
		u.ShowWindow()
	case node.EventStopped:
		u.logf(logrus.InfoLevel, "node stopped")
	}
}

func (u *UI) peerName(did identity.DID) string {
	for _, p := range u.state.Peers {
		if p.DID == did {
			return peerName(p)
		}
	}
	for _, p := range u.state.Pending {
		if p.DID == did && p.Name != "" {
			return p.Name
		}
	}
	if did == "" {
		return "a peer"
	}
	return did.Short()
}

// apply renders a State (UI thread).
func (u *UI) apply(st node.State) {
	u.state, u.haveState = st, true
	now := u.now()
	title := "Archy"
	if st.Name != "" {
		title = "Archy — " + st.Name
	}
	if u.win.Title() != title {
		u.win.SetTitle(title)
	}
	u.header.update(st)
	u.card.update(st)
	u.peers.update(st, now)
	u.settings.update(st)
	u.about.update(st)
	if u.tray != nil {
		u.tray.update(st)
	}
	if u.pair != nil {
		u.pair.stateChanged(st)
	}
}

// ticker refreshes relative times ("3 min ago", "retrying in 14 s") every
// second from the last State, without asking the backend.
func (u *UI) ticker() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-u.stopTick:
			return
		case <-t.C:
			u.do(u.tick)
		}
	}
}

func (u *UI) tick() {
	now := u.now()
	u.peers.tick(now)
	u.card.tick(now)
}

// dropped handles files dropped on the window: a QR picture opens the
// "Add a peer" dialog with it.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, uri := range uris {
		if uri.Scheme() != "file" {
			continue
		}
		u.tabs.Select(u.tabHome)
		u.openPairDialog().openImage(uri.Path())
		return
	}
}
