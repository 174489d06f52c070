package guitest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/assets"
	"github.com/archy-desktop/archy-desktop/core/node"
)

// TestTrayOverDBus checks the tray icon the way a desktop's tray host sees
// it: a StatusNotifierWatcher of our own on the private session bus, the
// item's properties and icon, its menu through com.canonical.dbusmenu, the
// icon and menu following the node's state, and the menu's items doing what
// they say — down to Quit ending the app with exit code 0.
func TestTrayOverDBus(t *testing.T) {
	e := setup(t)
	w := startWatcher(t)
	a := newApp(t, e, "Tray node")
	a.start(appOpts{hidden: true}) // in the tray only, as at login
	it := w.waitRegistered(t, 30*time.Second)
	t.Logf("tray: RegisterStatusNotifierItem from %s", it)
	if id := a.visibleWindow(); id != "" {
		t.Errorf("started with --hidden and a tray, yet window %s (%q) is shown", id, windowName(t, id))
	}
	sig := w.watchSignals(t, it)

	icons := map[string]pixmap{}
	for name, res := range map[string][]byte{
		"starting": assets.TrayStartingPNG.Content(), "online": assets.TrayOnlinePNG.Content(),
		"syncing": assets.TraySyncingPNG.Content(), "attention": assets.TrayAttentionPNG.Content(),
		"paused": assets.TrayPausedPNG.Content(),
	} {
		p, err := argb(res)
		if err != nil {
			t.Fatal(err)
		}
		icons[name] = p
	}
	iconName := func(p pixmap) string {
		for n, q := range icons {
			if p.W == q.W && p.H == q.H && bytes.Equal(p.Pix, q.Pix) {
				return n
			}
		}
		return "unknown"
	}

	// What the host shows right after registration.
	v := w.item(t, it)
	if v.Menu == "" || v.Icon.W == 0 {
		t.Fatalf("item without a menu or icon: %+v", v)
	}
	t.Logf("tray item: Id %q, Title %q, Status %q, ToolTip %q, IconName %q, IconPixmap %dx%d, Menu %s",
		v.ID, v.Title, v.Status, v.Tooltip, v.IconName, v.Icon.W, v.Icon.H, v.Menu)
	if v.Status != "Active" {
		t.Errorf("Status = %q, want Active", v.Status)
	}
	st := a.status()
	_, items := w.layout(t, it, v.Menu)
	checkMenu(t, items, "Pause sync")
	first := visible(items)[0].Label
	t.Logf("tray menu: %s (Tor: %s %d %%)", menuString(items), st.Tor.Phase, st.Tor.Percent)
	if !onlineReachable(st) && st.Tor.Phase != node.TorOnline {
		// "Starting…" is the line the tray is created with, before the
		// first state reaches it.
		if !containsAny(first, "Starting", "Connecting to Tor", "Publishing your address") {
			t.Errorf("while Tor is %s the status line says %q", st.Tor.Phase, first)
		}
		if n := iconName(v.Icon); n != "starting" {
			t.Errorf("while Tor is %s the icon is %q, want starting", st.Tor.Phase, n)
		} else {
			writeIcon(t, filepath.Join(e.shots, "tray-1-connecting.png"), v.Icon)
		}
	} else {
		t.Logf("note: Tor was online before the tray registered; no connecting icon to check")
	}

	// Online.
	a.waitFor("Tor online and reachable", 3*time.Minute, onlineReachable)
	v = waitTray(t, w, it, "online", "Online · no peers yet", "Pause sync", iconName)
	writeIcon(t, filepath.Join(e.shots, "tray-2-online.png"), v.Icon)

	// Paused from the CLI: the tray follows.
	icon0 := sig.count(itemIface + ".NewIcon")
	a.mustCLI("pause")
	v = waitTray(t, w, it, "paused", "Sync paused · no peers yet", "Resume sync", iconName)
	writeIcon(t, filepath.Join(e.shots, "tray-3-paused.png"), v.Icon)
	if out := a.mustCLI("status"); !strings.Contains(out, "(paused)") {
		t.Errorf("CLI status after pause:\n%s", out)
	}
	waitTrue(t, "a NewIcon signal", 5*time.Second, func() bool { return sig.count(itemIface+".NewIcon") > icon0 })

	// Resume from the tray menu: the node follows.
	w.click(t, it, v.Menu, "Resume sync", func() bool { return !a.status().SyncPaused })
	waitTray(t, w, it, "online", "Online · no peers yet", "Pause sync", iconName)

	// Copy invite link from the tray: this node's invite on the clipboard.
	var link string
	w.click(t, it, v.Menu, "Copy invite link", func() bool {
		link = strings.TrimSpace(clipboard(t))
		return strings.HasPrefix(link, "ARCHY://")
	})
	if inv := parseInvite(t, e, link); inv.DID() != a.status().DID {
		t.Errorf("the tray copied an invite of %s, not of this node", inv.DID())
	}

	// Show window brings the hidden window up.
	w.click(t, it, v.Menu, "Show window", func() bool { return a.visibleWindow() != "" })
	seeText(t, e, a.visibleWindow(), "e2e-7-shown-from-tray", 20*time.Second, "online", "reachable")

	// Quit ends the app cleanly.
	t.Logf("tray signals seen: %s", sig)
	if sig.count(menuIface+".LayoutUpdated") == 0 {
		t.Error("no com.canonical.dbusmenu.LayoutUpdated signal although the menu changed")
	}
	clicked := time.Now()
	w.click(t, it, v.Menu, "Quit", func() bool { return !a.running() })
	code, _ := a.wait(10 * time.Second)
	took := time.Since(clicked)
	if code != 0 {
		t.Errorf("exit code %d after Quit from the tray (%v); log tail:\n%s", code, a.exitErr, a.logTail(30))
	} else {
		t.Logf("Quit from the tray ended the app in %s with exit code 0", took.Round(10*time.Millisecond))
	}
	a.checkLog()
	if _, err := a.cli("status"); err == nil {
		t.Error("the node still answers after Quit")
	}
	noOrphansBut(t)
}

// checkMenu: a status line (disabled), then Show window, Copy invite link,
// Sync now, Pause/Resume sync and Quit (enabled), with separators.
func checkMenu(t *testing.T, items []menuItem, pause string) {
	t.Helper()
	vis := visible(items)
	want := []string{"*", "—", "Show window", "Copy invite link", "Sync now", pause, "—", "Quit"}
	if len(vis) != len(want) {
		t.Fatalf("tray menu: %s; want %d entries like %v", menuString(items), len(want), want)
	}
	for i, m := range vis {
		switch {
		case want[i] == "*":
			if m.Separator || m.Label == "" || m.Enabled {
				t.Errorf("tray menu entry %d = %s, want a disabled status line", i, m)
			}
		case want[i] == "—":
			if !m.Separator {
				t.Errorf("tray menu entry %d = %s, want a separator", i, m)
			}
		default:
			if m.Label != want[i] || !m.Enabled {
				t.Errorf("tray menu entry %d = %s, want %q enabled", i, m, want[i])
			}
		}
	}
}

// waitTray waits until the tray shows the icon, status line and pause item.
func waitTray(t *testing.T, w *watcher, it trayItem, icon, line, pause string, iconName func(pixmap) string) itemView {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v := w.item(t, it)
		_, items := w.layout(t, it, v.Menu)
		vis := visible(items)
		if iconName(v.Icon) == icon && len(vis) > 5 && vis[0].Label == line {
			checkMenu(t, items, pause)
			t.Logf("tray: icon %s, menu %s", icon, menuString(items))
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("tray shows icon %q and menu %s; want icon %q, status line %q", iconName(v.Icon), menuString(items), icon, line)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWithoutSessionBus: with DBUS_SESSION_BUS_ADDRESS pointing nowhere the
// app must not turn the tray on (Fyne's tray panics on Quit then,
// fyne-io/fyne#6403): it starts, shows its window with the one-time hint,
// and stops cleanly on SIGTERM, leaving no dbus-daemon behind.
func TestWithoutSessionBus(t *testing.T) {
	e := setup(t)
	a := newApp(t, e, "No bus node")
	nowhere := "unix:path=" + filepath.Join(e.work, "no-such-bus")
	a.start(appOpts{env: []string{"DBUS_SESSION_BUS_ADDRESS=" + nowhere}})
	id := a.window(45 * time.Second)
	seeText(t, e, id, "e2e-6-no-tray-hint", 30*time.Second, "no tray icon", "session bus", "closing this window quits archy")
	if b, _ := os.ReadFile(a.logPath); !bytes.Contains(b, []byte("gui: no tray icon")) {
		t.Errorf("the log does not say the tray is off:\n%s", a.logTail(30))
	}
	a.stop()
	noOrphansBut(t)
}
