package app

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"

	"github.com/archy-desktop/archy-desktop/assets"
	"github.com/archy-desktop/archy-desktop/core/node"
)

// statusNotifierWatcher is the D-Bus name of the tray host on Linux desktops
// (KDE, XFCE, Cinnamon, …; GNOME only with the AppIndicator extension).
const statusNotifierWatcher = "org.kde.StatusNotifierWatcher"

// TrayHowTo says how to get a tray icon where there is none.
const TrayHowTo = "To get a tray icon on GNOME, install the “AppIndicator and KStatusNotifierItem Support” extension, then restart Archy."

// TrayAvailable reports whether a system tray icon can be shown, and if not,
// why not, in words for people. On Linux the tray needs a reachable D-Bus
// session bus (without one, Fyne's tray panics on Quit: fyne-io/fyne#6403)
// and a StatusNotifierWatcher on it (without one the icon never appears). It
// never starts a bus itself.
func TrayAvailable() (bool, string) {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return true, ""
	}
	return trayOnSessionBus(3 * time.Second)
}

func trayOnSessionBus(timeout time.Duration) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// NoAutoStartup: takes DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus,
	// and never launches a bus (which would outlive the app).
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return false, "there is no desktop session bus (D-Bus) to show a tray icon on, so Archy keeps its window open."
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false, "the desktop session bus (D-Bus) refused Archy, so Archy keeps its window open."
	}
	if err := conn.Hello(); err != nil {
		return false, "the desktop session bus (D-Bus) does not answer, so Archy keeps its window open."
	}
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, statusNotifierWatcher).Store(&has)
	if err != nil {
		return false, fmt.Sprintf("the desktop session bus (D-Bus) does not answer (%v), so Archy keeps its window open.", err)
	}
	if !has {
		return false, "this desktop shows no tray icons, so Archy keeps its window open. " + TrayHowTo
	}
	return true, ""
}

// trayIconResource is the bitmap the tray shows for an icon state.
func trayIconResource(i TrayIcon) fyne.Resource {
	switch i {
	case TrayOnline:
		return assets.TrayOnlinePNG
	case TraySyncing:
		return assets.TraySyncingPNG
	case TrayAttention:
		return assets.TrayAttentionPNG
	case TrayPaused:
		return assets.TrayPausedPNG
	}
	return assets.TrayStartingPNG
}

// headerIconResource is the same state drawn for the window (SVG).
func headerIconResource(i TrayIcon) fyne.Resource {
	switch i {
	case TrayOnline:
		return assets.TrayOnline
	case TraySyncing:
		return assets.TraySyncing
	case TrayAttention:
		return assets.TrayAttention
	case TrayPaused:
		return assets.TrayPaused
	}
	return assets.TrayStarting
}

// tray is the system tray icon and its menu.
type tray struct {
	ui   *UI
	desk desktop.App

	status *fyne.MenuItem
	pause  *fyne.MenuItem
	menu   *fyne.Menu

	icon   TrayIcon
	line   string
	paused bool
	shown  bool // icon set at least once
}

func newTray(u *UI, desk desktop.App) *tray {
	t := &tray{ui: u, desk: desk}
	t.status = fyne.NewMenuItem("Starting…", nil)
	t.status.Disabled = true
	show := fyne.NewMenuItem("Show window", u.ShowWindow)
	copyLink := fyne.NewMenuItem("Copy invite link", u.copyInviteLink)
	syncNow := fyne.NewMenuItem("Sync now", func() { u.syncNow("") })
	t.pause = fyne.NewMenuItem("Pause sync", func() { u.setSyncPaused(!t.paused) })
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("Archy", t.status, fyne.NewMenuItemSeparator(), show, copyLink, syncNow, t.pause, fyne.NewMenuItemSeparator(), quit)
	return t
}

// start installs the icon and menu. Only call it once TrayAvailable said yes.
func (t *tray) start() {
	t.desk.SetSystemTrayIcon(trayIconResource(TrayStarting))
	t.desk.SetSystemTrayMenu(t.menu)
	t.shown = true
}

// update re-renders the status line, the icon and Pause/Resume; it touches
// the tray only when something visible changed (each menu refresh rebuilds
// the D-Bus menu).
func (t *tray) update(st node.State) {
	line, icon := TrayStatus(st)
	if icon != t.icon || !t.shown {
		t.icon = icon
		t.desk.SetSystemTrayIcon(trayIconResource(icon))
	}
	if line != t.line || st.SyncPaused != t.paused {
		t.line, t.paused = line, st.SyncPaused
		t.status.Label = line
		t.pause.Label = "Pause sync"
		if st.SyncPaused {
			t.pause.Label = "Resume sync"
		}
		t.desk.SetSystemTrayMenu(t.menu)
	}
	t.shown = true
}
