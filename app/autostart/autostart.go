// Package autostart makes Archy Desktop start at login, hidden in the tray
// (the app is started with --hidden). It writes one per-user entry:
//
//   - Linux and other XDG desktops: $XDG_CONFIG_HOME/autostart/org.archipelago.desktop.desktop
//     (XDG_CONFIG_HOME defaults to ~/.config)
//   - Windows: the "Archy Desktop" value of HKCU\Software\Microsoft\Windows\CurrentVersion\Run
//   - macOS: the LaunchAgent ~/Library/LaunchAgents/org.archipelago.desktop.plist
//
// The content of each entry is made by a pure function (DesktopEntry,
// RunValue, LaunchAgentPlist) that is compiled and tested on every OS; only
// the small writers that put it in place are OS-specific. The package never
// imports Fyne: the Settings toggle (via Set) and the CLI (via Command) share it.
package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const (
	// AppID is the reverse-DNS id used for the desktop entry, icon and LaunchAgent label.
	AppID = "org.archipelago.desktop"
	// AppName is the name users see.
	AppName = "Archy Desktop"
	// HiddenFlag is the argument that makes the app start hidden in the tray.
	HiddenFlag = "--hidden"
	// RunValueName is the name of the value in the Windows Run key.
	RunValueName = AppName
	// RunKeyPath is the Windows Run key, under HKEY_CURRENT_USER.
	RunKeyPath = `Software\Microsoft\Windows\CurrentVersion\Run`
	// StartupApprovedKeyPath is where Windows (Task Manager, Settings →
	// Startup apps) records that the user switched a Run entry off.
	StartupApprovedKeyPath = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// Enable makes the app start at login (hidden in the tray) by running exe,
// which must be an absolute path. Enabling again overwrites the entry, so it
// follows the app when it moved.
func Enable(exe string) error {
	if err := checkExe(exe); err != nil {
		return err
	}
	return enable(exe)
}

// Disable removes the start-at-login entry. Disabling when it is not enabled
// is not an error.
func Disable() error { return disable() }

// Enabled reports whether the app will start at login.
func Enabled() (bool, error) { return enabled() }

// Location describes where the entry lives (a file path, or the registry key
// and value on Windows), for messages.
func Location() (string, error) { return location() }

// Set enables start at login for the running executable (see Executable), or
// disables it. It has the shape of the Settings toggle's hook.
func Set(on bool) error {
	if !on {
		return Disable()
	}
	exe, err := Executable()
	if err != nil {
		return err
	}
	return Enable(exe)
}

// Executable returns the absolute path to start at login: the running
// program with symlinks resolved, or the AppImage it runs from.
func Executable() (string, error) {
	if img := os.Getenv("APPIMAGE"); img != "" && filepath.IsAbs(img) {
		return img, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("autostart: cannot find this program's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Abs(exe)
}

// Command implements `archy-desktop autostart on|off|status`.
func Command(args []string, out io.Writer) error {
	sub := "status"
	if len(args) > 0 {
		sub = args[0]
	}
	if len(args) > 1 {
		return errors.New("usage: archy-desktop autostart on|off|status")
	}
	switch sub {
	case "on", "enable":
		exe, err := Executable()
		if err != nil {
			return err
		}
		if err := Enable(exe); err != nil {
			return err
		}
		loc, _ := Location()
		fmt.Fprintf(out, "%s will start at login, hidden in the tray.\n  entry:   %s\n  program: %s\n", AppName, loc, exe)
		if looksTemporary(exe) {
			fmt.Fprintf(out, "Note: %s looks like a temporary build; start at login will fail once it is gone.\n", exe)
		}
	case "off", "disable":
		if err := Disable(); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s will no longer start at login.\n", AppName)
	case "status":
		on, err := Enabled()
		if err != nil {
			return err
		}
		loc, _ := Location()
		state := "off"
		if on {
			state = "on"
		}
		fmt.Fprintf(out, "Start at login: %s (%s)\n", state, loc)
	default:
		return fmt.Errorf("autostart: unknown command %q (usage: archy-desktop autostart on|off|status)", sub)
	}
	return nil
}

func looksTemporary(exe string) bool {
	return strings.Contains(exe, string(filepath.Separator)+"go-build") ||
		strings.HasPrefix(exe, filepath.Clean(os.TempDir())+string(filepath.Separator))
}

// checkExe rejects what no entry format can carry safely.
func checkExe(exe string) error {
	switch {
	case exe == "":
		return errors.New("autostart: empty program path")
	case !filepath.IsAbs(exe) && !isWindowsAbs(exe):
		return fmt.Errorf("autostart: program path %q is not absolute", exe)
	case strings.ContainsAny(exe, "\x00\n\r"):
		return fmt.Errorf("autostart: program path %q contains a control character", exe)
	}
	return nil
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') ||
		strings.HasPrefix(p, `\\`)
}

// ---- Linux / XDG: the autostart desktop entry ----

// DesktopEntry returns the XDG autostart entry that starts exe hidden in the
// tray (Desktop Entry Specification; exe must be absolute).
func DesktopEntry(exe string) (string, error) {
	if err := checkExe(exe); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=" + AppName + "\n")
	b.WriteString("Comment=Start your Archy node at login, hidden in the tray\n")
	b.WriteString("Exec=" + desktopExecArg(exe) + " " + HiddenFlag + "\n")
	b.WriteString("TryExec=" + desktopEscapeString(exe) + "\n")
	b.WriteString("Icon=" + AppID + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.String(), nil
}

// desktopExecArg quotes one argument of an Exec key: double quotes when it
// holds a reserved character, with " ` $ \ escaped inside them; then the
// string-value escaping (\ → \\) on top, and % doubled so it is no field code.
func desktopExecArg(arg string) string {
	const reserved = " \t\n\"'\\><~|&;$*?#()`"
	quoted := arg
	if strings.ContainsAny(arg, reserved) {
		var q strings.Builder
		q.WriteByte('"')
		for _, r := range arg {
			if r == '"' || r == '`' || r == '$' || r == '\\' {
				q.WriteByte('\\')
			}
			q.WriteRune(r)
		}
		q.WriteByte('"')
		quoted = q.String()
	}
	return strings.ReplaceAll(desktopEscapeString(quoted), "%", "%%")
}

// desktopEscapeString applies the escapes of a desktop entry string value.
func desktopEscapeString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	return r.Replace(s)
}

// desktopEntryActive reports whether an autostart entry's content leaves it
// active: not Hidden=true and not X-GNOME-Autostart-enabled=false (what
// desktop settings write when the user switches it off there).
func desktopEntryActive(content string) bool {
	inMain := false
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inMain = line == "[Desktop Entry]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !inMain || !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if (k == "Hidden" && v == "true") || (k == "X-GNOME-Autostart-enabled" && v == "false") {
			return false
		}
	}
	return true
}

// ---- Windows: the Run value ----

// RunValue returns the command line stored in the Run key: the quoted
// program and --hidden. Windows paths cannot contain a double quote, and a
// path ending in a backslash would escape the closing quote, so both are
// rejected.
func RunValue(exe string) (string, error) {
	if err := checkExe(exe); err != nil {
		return "", err
	}
	if strings.Contains(exe, `"`) {
		return "", fmt.Errorf("autostart: program path %q contains a double quote", exe)
	}
	if strings.HasSuffix(exe, `\`) {
		return "", fmt.Errorf("autostart: program path %q ends in a backslash", exe)
	}
	return `"` + exe + `" ` + HiddenFlag, nil
}

// startupApprovedDisabled reports whether a StartupApproved\Run value says
// the user switched the entry off (an odd first byte: 0x03, 0x07).
func startupApprovedDisabled(data []byte) bool {
	return len(data) > 0 && data[0]&1 == 1
}

// ---- macOS: the LaunchAgent ----

// LaunchAgentPlist returns the LaunchAgent property list that runs exe with
// --hidden when the user logs in.
func LaunchAgentPlist(exe string) ([]byte, error) {
	if err := checkExe(exe); err != nil {
		return nil, err
	}
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	b.WriteString("\t<key>Label</key>\n\t<string>" + AppID + "</string>\n")
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	b.WriteString("\t\t<string>" + esc(exe) + "</string>\n")
	b.WriteString("\t\t<string>" + HiddenFlag + "</string>\n")
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Interactive</string>\n")
	b.WriteString("\t<key>LimitLoadToSessionType</key>\n\t<string>Aqua</string>\n")
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes(), nil
}

// writeFileAtomic writes data to path via a temporary file in the same
// folder, so a crash never leaves half an entry.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
