//go:build !nogui

// The desktop UI (Fyne, cgo + OpenGL). Build with -tags nogui for a
// headless-only binary that needs neither.

package main

import (
	"errors"
	"fyne.io/fyne/v2"
	"os"
	"runtime"

	fyneapp "fyne.io/fyne/v2/app"
	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/app"
	"github.com/archy-desktop/archy-desktop/app/autostart"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/tor"
)

// The node is what the UI renders.
var _ app.Backend = (*node.Node)(nil)

func init() {
	startGUI = func(n *node.Node, hidden bool) error {
		return runGUI(n, app.Options{
			StartHidden: hidden,
			Version:     version,
			Commit:      commit,
			TorVersion:  tor.EmbeddedVersion(),
			Log:         logrus.StandardLogger(),
			// The Settings toggle writes the start-at-login entry.
			StartAtLogin: autostart.Set,
		})
	}
}

// appID is the Fyne application ID (preferences, notifications, the
// desktop file's name).
const appID = "org.archipelago.desktop"

// errNoDisplay is returned by runGUI when there is no screen to open a
// window on.
var errNoDisplay = errors.New("no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set) — run with --headless, or start Archy from your desktop session")

// runGUI runs the window and the tray icon until the user quits. b is the
// running node. The tray is decided here (app.TrayAvailable: a reachable
// D-Bus session bus with a StatusNotifierWatcher), unless
// ARCHY_NO_TRAY=1; opts.TrayAvailable and opts.TrayWhyNot are overwritten.
func runGUI(b app.Backend, opts app.Options) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	if os.Getenv("ARCHY_NO_TRAY") == "1" {
		opts.TrayAvailable, opts.TrayWhyNot = false, ""
	} else {
		opts.TrayAvailable, opts.TrayWhyNot = app.TrayAvailable()
	}
	if opts.Log != nil {
		if opts.TrayAvailable {
			opts.Log.Info("gui: tray icon on")
		} else {
			opts.Log.WithField("why", opts.TrayWhyNot).Info("gui: no tray icon")
		}
	}
	// A plain go build has no packaged metadata: name the app ourselves
	// (the tray item's title, notifications).
	fyneapp.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Archy Desktop", Version: version})
	a := fyneapp.NewWithID(appID)
	if opts.StartAtLogin != nil {
		// The entry may have changed behind the app's back (the CLI's
		// "autostart off", the desktop's startup settings): show the truth.
		if on, err := autostart.Enabled(); err == nil {
			a.Preferences().SetBool(app.PrefStartAtLogin, on)
		}
	}
	app.New(a, b, opts).Run()
	return nil
}

func checkDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errNoDisplay
		}
	}
	return nil
}
