//go:build !windows && !darwin

package autostart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The XDG writer for real, against a temporary XDG_CONFIG_HOME.

func tempConfigHome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	return dir
}

func mustEnabled(t *testing.T, want bool) {
	t.Helper()
	got, err := Enabled()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Enabled() = %v, want %v", got, want)
	}
}

func TestXDGToggle(t *testing.T) {
	cfg := tempConfigHome(t)
	entry := filepath.Join(cfg, "autostart", "org.archipelago.desktop.desktop")
	if p, _ := EntryPath(); p != entry {
		t.Fatalf("EntryPath() = %q, want %q", p, entry)
	}
	mustEnabled(t, false)
	if err := Disable(); err != nil { // nothing to remove
		t.Fatalf("Disable when off: %v", err)
	}

	exe := "/opt/Archy Desktop/archy-desktop"
	if err := Enable(exe); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("Enable wrote no entry: %v", err)
	}
	want, _ := DesktopEntry(exe)
	if string(b) != want {
		t.Errorf("entry content:\n%s\nwant:\n%s", b, want)
	}
	if !strings.Contains(string(b), `Exec="/opt/Archy Desktop/archy-desktop" --hidden`) {
		t.Errorf("Exec line missing:\n%s", b)
	}
	if fi, _ := os.Stat(entry); fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode %v", fi.Mode().Perm())
	}
	mustEnabled(t, true)

	// Enabling again (the app moved) replaces the entry; no temp files stay.
	if err := Enable("/usr/bin/archy-desktop"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(entry)
	if !strings.Contains(string(b), "Exec=/usr/bin/archy-desktop --hidden\n") {
		t.Errorf("re-enable did not update Exec:\n%s", b)
	}
	if files, _ := os.ReadDir(filepath.Dir(entry)); len(files) != 1 {
		t.Errorf("autostart folder holds %d files, want 1", len(files))
	}

	// Switched off in the desktop's own settings: off, and Enable turns it on again.
	_ = os.WriteFile(entry, bytes.Replace(b, []byte("X-GNOME-Autostart-enabled=true"), []byte("X-GNOME-Autostart-enabled=false"), 1), 0o644)
	mustEnabled(t, false)
	if err := Enable("/usr/bin/archy-desktop"); err != nil {
		t.Fatal(err)
	}
	mustEnabled(t, true)

	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("Disable left the entry: %v", err)
	}
	mustEnabled(t, false)
	if err := Disable(); err != nil {
		t.Fatalf("second Disable: %v", err)
	}
}

func TestXDGDefaultsToDotConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"", "relative/config"} { // the spec ignores relative values
		t.Setenv("XDG_CONFIG_HOME", v)
		if p, _ := EntryPath(); p != filepath.Join(home, ".config", "autostart", AppID+".desktop") {
			t.Errorf("XDG_CONFIG_HOME=%q: EntryPath() = %q", v, p)
		}
	}
}

func TestXDGSet(t *testing.T) {
	cfg := tempConfigHome(t)
	t.Setenv("APPIMAGE", "")
	if err := Set(true); err != nil {
		t.Fatal(err)
	}
	exe, _ := Executable()
	b, err := os.ReadFile(filepath.Join(cfg, "autostart", AppID+".desktop"))
	if err != nil || !strings.Contains(string(b), "TryExec="+desktopEscapeString(exe)+"\n") {
		t.Errorf("Set(true) wrote %q, %v; want the test binary %s", b, err, exe)
	}
	mustEnabled(t, true)
	if err := Set(false); err != nil {
		t.Fatal(err)
	}
	mustEnabled(t, false)
}

func TestXDGCommand(t *testing.T) {
	cfg := tempConfigHome(t)
	entry := filepath.Join(cfg, "autostart", AppID+".desktop")
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := Command(args, &out); err != nil {
			t.Fatalf("Command(%q): %v", args, err)
		}
		return out.String()
	}
	if got := run("status"); got != "Start at login: off ("+entry+")\n" {
		t.Errorf("status: %q", got)
	}
	if got := run(); !strings.HasPrefix(got, "Start at login: off") {
		t.Errorf("no args: %q", got)
	}
	if got := run("on"); !strings.Contains(got, "will start at login, hidden in the tray") || !strings.Contains(got, entry) {
		t.Errorf("on: %q", got)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Errorf("on wrote no entry: %v", err)
	}
	if got := run("status"); got != "Start at login: on ("+entry+")\n" {
		t.Errorf("status: %q", got)
	}
	if got := run("off"); got != "Archy Desktop will no longer start at login.\n" {
		t.Errorf("off: %q", got)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("off left the entry: %v", err)
	}
	if got := run("status"); !strings.HasPrefix(got, "Start at login: off") {
		t.Errorf("status: %q", got)
	}
}
