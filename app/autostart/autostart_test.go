package autostart

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// These tests cover the content of every OS's entry and run on every OS.

// parseDesktopExec splits an Exec value the way a desktop environment does
// (Desktop Entry Specification, "The Exec key"): string-value escapes first,
// then double-quoted arguments with \" \` \$ \\ escapes, then %% → %.
func parseDesktopExec(t *testing.T, value string) []string {
	t.Helper()
	// String-value escapes.
	var s strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\\' && i+1 < len(value) {
			i++
			switch value[i] {
			case 's':
				s.WriteByte(' ')
			case 'n':
				s.WriteByte('\n')
			case 't':
				s.WriteByte('\t')
			case 'r':
				s.WriteByte('\r')
			case '\\':
				s.WriteByte('\\')
			default:
				t.Fatalf("invalid string escape \\%c in %q", value[i], value)
			}
			continue
		}
		s.WriteByte(c)
	}
	unescaped := s.String()
	var args []string
	var cur strings.Builder
	inArg, inQuote := false, false
	for i := 0; i < len(unescaped); i++ {
		c := unescaped[i]
		switch {
		case inQuote && c == '\\':
			i++
			if i == len(unescaped) || !strings.ContainsRune("\"`$\\", rune(unescaped[i])) {
				t.Fatalf("invalid quoted escape in %q", unescaped)
			}
			cur.WriteByte(unescaped[i])
		case inQuote && c == '"':
			inQuote = false
		case inQuote:
			cur.WriteByte(c)
		case c == '"':
			inQuote, inArg = true, true
		case c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			if strings.ContainsRune("\t\n'\\><~|&;$*?#()`", rune(c)) {
				t.Fatalf("reserved character %q outside quotes in %q", c, unescaped)
			}
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inQuote {
		t.Fatalf("unterminated quote in %q", unescaped)
	}
	if inArg {
		args = append(args, cur.String())
	}
	for i, a := range args {
		if strings.Contains(strings.ReplaceAll(a, "%%", ""), "%") {
			t.Fatalf("unexpected field code in %q", a)
		}
		args[i] = strings.ReplaceAll(a, "%%", "%")
	}
	return args
}

func desktopKey(t *testing.T, content, key string) string {
	t.Helper()
	for _, line := range strings.Split(content, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return v
		}
	}
	t.Fatalf("no %s= in\n%s", key, content)
	return ""
}

var unixPaths = []string{
	"/usr/bin/archy-desktop",
	"/home/zoë/.local/bin/archy-desktop",
	"/home/a b/My Apps/archy-desktop",
	`/opt/we"ird/$HOME/back\slash/100%/it's/archy-desktop`,
	"/tmp/`x`/(y)/a;b&c|d<e>f~g*h?i#j/archy-desktop",
}

func TestDesktopEntry(t *testing.T) {
	validator, _ := exec.LookPath("desktop-file-validate")
	for _, exe := range unixPaths {
		t.Run(exe, func(t *testing.T) {
			content, err := DesktopEntry(exe)
			if err != nil {
				t.Fatal(err)
			}
			if got := parseDesktopExec(t, desktopKey(t, content, "Exec")); !reflect.DeepEqual(got, []string{exe, HiddenFlag}) {
				t.Errorf("Exec parses to %q, want [%q %q]\n%s", got, exe, HiddenFlag, content)
			}
			for key, want := range map[string]string{
				"Type": "Application", "Name": AppName, "Icon": AppID,
				"X-GNOME-Autostart-enabled": "true", "Terminal": "false",
			} {
				if got := desktopKey(t, content, key); got != want {
					t.Errorf("%s=%s, want %s", key, got, want)
				}
			}
			if !strings.HasPrefix(content, "[Desktop Entry]\n") {
				t.Errorf("entry does not start with its group header:\n%s", content)
			}
			if !desktopEntryActive(content) {
				t.Error("a fresh entry reads as inactive")
			}
			if validator == "" {
				return
			}
			path := filepath.Join(t.TempDir(), AppID+".desktop")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(validator, path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("desktop-file-validate: %v\n%s\n%s", err, out, content)
			}
		})
	}
	if validator == "" {
		t.Log("desktop-file-validate not on PATH (Debian: desktop-file-utils); content checked by the parser only")
	}
}

func TestDesktopEntryActive(t *testing.T) {
	base, _ := DesktopEntry("/usr/bin/archy-desktop")
	cases := map[string]bool{
		base: true,
		strings.Replace(base, "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false", 1): false,
		base + "Hidden=true\n":                              false,
		base + "Hidden=false\n":                             true,
		base + "[Desktop Action x]\nHidden=true\n":          true,
		"[Desktop Entry]\nExec=x\nHidden = true\n":          false,
		"# comment\n[Desktop Entry]\nExec=/usr/bin/x\n":     true,
		"[Other]\nHidden=true\n[Desktop Entry]\nExec=x\n":   true,
		"[Desktop Entry]\r\nHidden=true\r\nExec=x\r\n":      false,
		"[Desktop Entry]\nX-GNOME-Autostart-enabled=true\n": true,
	}
	for content, want := range cases {
		if got := desktopEntryActive(content); got != want {
			t.Errorf("desktopEntryActive(%q) = %v, want %v", content, got, want)
		}
	}
}

// parseWindowsCommandLine splits a command line the way CommandLineToArgvW
// and the Microsoft C runtime do (2n backslashes + quote → n backslashes and
// a quote toggle; 2n+1 → n backslashes and a literal quote). The first
// argument is special: it ends at the closing quote, backslashes are literal.
func parseWindowsCommandLine(cmd string) []string {
	var args []string
	// Program name.
	i := 0
	var prog strings.Builder
	if strings.HasPrefix(cmd, `"`) {
		i = 1
		for i < len(cmd) && cmd[i] != '"' {
			prog.WriteByte(cmd[i])
			i++
		}
		i++ // closing quote
	} else {
		for i < len(cmd) && cmd[i] != ' ' && cmd[i] != '\t' {
			prog.WriteByte(cmd[i])
			i++
		}
	}
	args = append(args, prog.String())
	for {
		for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
			i++
		}
		if i >= len(cmd) {
			return args
		}
		var arg strings.Builder
		inQuote := false
		for i < len(cmd) && (inQuote || (cmd[i] != ' ' && cmd[i] != '\t')) {
			n := 0
			for i < len(cmd) && cmd[i] == '\\' {
				n++
				i++
			}
			if i < len(cmd) && cmd[i] == '"' {
				arg.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					arg.WriteByte('"')
				} else {
					inQuote = !inQuote
				}
				i++
				continue
			}
			arg.WriteString(strings.Repeat(`\`, n))
			if i < len(cmd) && (inQuote || (cmd[i] != ' ' && cmd[i] != '\t')) {
				arg.WriteByte(cmd[i])
				i++
			}
		}
		args = append(args, arg.String())
	}
}

func TestRunValue(t *testing.T) {
	for _, exe := range []string{
		`C:\Program Files\Archy Desktop\archy-desktop.exe`,
		`C:\Users\Zoë\AppData\Local\Programs\Archy Desktop\archy-desktop.exe`,
		`C:\Users\a&b (x86)\%APPDATA%\archy-desktop.exe`,
		`D:\archy-desktop.exe`,
		`\\server\share\Archy\archy-desktop.exe`,
	} {
		v, err := RunValue(exe)
		if err != nil {
			t.Errorf("RunValue(%q): %v", exe, err)
			continue
		}
		want := `"` + exe + `" --hidden`
		if v != want {
			t.Errorf("RunValue(%q) = %s, want %s", exe, v, want)
		}
		if got := parseWindowsCommandLine(v); !reflect.DeepEqual(got, []string{exe, HiddenFlag}) {
			t.Errorf("%s parses to %q", v, got)
		}
	}
	for _, bad := range []string{"", `archy-desktop.exe`, `C:\a"b\archy-desktop.exe`, `C:\Archy\`, "C:\\a\nb.exe"} {
		if v, err := RunValue(bad); err == nil {
			t.Errorf("RunValue(%q) = %s, want an error", bad, v)
		}
	}
}

func TestStartupApprovedDisabled(t *testing.T) {
	for data, want := range map[string]bool{
		"":                     false,
		"\x02\x00\x00\x00":     false,
		"\x06\x00\x00\x00":     false,
		"\x03\x00\x00\x00\x01": true,
		"\x07\x00":             true,
	} {
		if got := startupApprovedDisabled([]byte(data)); got != want {
			t.Errorf("startupApprovedDisabled(% x) = %v, want %v", data, got, want)
		}
	}
}

// plistValue is a parsed property-list value: string, bool or []plistValue.
type plistValue any

// parsePlistDict reads a plist whose root is a dict of strings, booleans
// and arrays (all a LaunchAgent needs) with encoding/xml, checking that the
// document is well formed and that every element is one a plist allows.
func parsePlistDict(t *testing.T, data []byte) map[string]plistValue {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	next := func() xml.Token {
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatalf("plist: %v\n%s", err, data)
			}
			switch tok := tok.(type) {
			case xml.CharData:
				if len(bytes.TrimSpace(tok)) > 0 {
					t.Fatalf("plist: stray text %q", tok)
				}
				continue
			case xml.ProcInst, xml.Directive, xml.Comment:
				continue
			}
			return xml.CopyToken(tok)
		}
	}
	text := func(name string) string {
		var s string
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatalf("plist: %v", err)
			}
			switch tok := tok.(type) {
			case xml.CharData:
				s += string(tok)
			case xml.EndElement:
				if tok.Name.Local != name {
					t.Fatalf("plist: </%s> closes <%s>", tok.Name.Local, name)
				}
				return s
			default:
				t.Fatalf("plist: unexpected %T inside <%s>", tok, name)
			}
		}
	}
	var value func(start xml.StartElement) plistValue
	value = func(start xml.StartElement) plistValue {
		switch start.Name.Local {
		case "string":
			return text("string")
		case "true", "false":
			if end, ok := next().(xml.EndElement); !ok || end.Name.Local != start.Name.Local {
				t.Fatalf("plist: <%s/> is not empty", start.Name.Local)
			}
			return start.Name.Local == "true"
		case "array":
			var arr []plistValue
			for {
				switch tok := next().(type) {
				case xml.StartElement:
					arr = append(arr, value(tok))
				case xml.EndElement:
					return arr
				}
			}
		}
		t.Fatalf("plist: unexpected element <%s>", start.Name.Local)
		return nil
	}
	if s, ok := next().(xml.StartElement); !ok || s.Name.Local != "plist" {
		t.Fatalf("plist: root is not <plist>")
	}
	if s, ok := next().(xml.StartElement); !ok || s.Name.Local != "dict" {
		t.Fatalf("plist: top level is not <dict>")
	}
	dict := map[string]plistValue{}
	for {
		switch tok := next().(type) {
		case xml.EndElement: // </dict>
			if end, ok := next().(xml.EndElement); !ok || end.Name.Local != "plist" {
				t.Fatalf("plist: content after </dict>")
			}
			if tok, err := d.Token(); err != io.EOF {
				if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
					t.Fatalf("plist: content after </plist>: %v %v", tok, err)
				}
			}
			return dict
		case xml.StartElement:
			if tok.Name.Local != "key" {
				t.Fatalf("plist: <%s> where a <key> belongs", tok.Name.Local)
			}
			key := text("key")
			start, ok := next().(xml.StartElement)
			if !ok {
				t.Fatalf("plist: key %q has no value", key)
			}
			if _, dup := dict[key]; dup {
				t.Fatalf("plist: duplicate key %q", key)
			}
			dict[key] = value(start)
		}
	}
}

func TestLaunchAgentPlist(t *testing.T) {
	plutil, _ := exec.LookPath("plutil") // macOS only
	for _, exe := range append([]string{
		"/Applications/Archy Desktop.app/Contents/MacOS/archy-desktop",
		"/Users/zoë/Applications/A & B <test> \"q\" 'a'.app/Contents/MacOS/archy-desktop",
	}, unixPaths...) {
		data, err := LaunchAgentPlist(exe)
		if err != nil {
			t.Fatalf("LaunchAgentPlist(%q): %v", exe, err)
		}
		dict := parsePlistDict(t, data)
		want := map[string]plistValue{
			"Label":                  AppID,
			"ProgramArguments":       []plistValue{exe, HiddenFlag},
			"RunAtLoad":              true,
			"ProcessType":            "Interactive",
			"LimitLoadToSessionType": "Aqua",
		}
		if !reflect.DeepEqual(dict, want) {
			t.Errorf("plist for %q parses to %#v, want %#v\n%s", exe, dict, want, data)
		}
		if plutil != "" {
			path := filepath.Join(t.TempDir(), AppID+".plist")
			_ = os.WriteFile(path, data, 0o644)
			if out, err := exec.Command(plutil, "-lint", path).CombinedOutput(); err != nil {
				t.Errorf("plutil -lint: %v\n%s", err, out)
			}
		}
	}
	if _, err := LaunchAgentPlist("relative/archy-desktop"); err == nil {
		t.Error("a relative path was accepted")
	}
}

func TestCheckExe(t *testing.T) {
	for exe, ok := range map[string]bool{
		"/usr/bin/archy-desktop":        true,
		`C:\Archy\archy-desktop.exe`:    true,
		`\\srv\share\archy-desktop.exe`: true,
		"":                              false,
		"archy-desktop":                 false,
		"./archy-desktop":               false,
		"/usr/bin/a\x00b":               false,
		"/usr/bin/a\nb":                 false,
	} {
		if err := checkExe(exe); (err == nil) != ok {
			t.Errorf("checkExe(%q) = %v, want ok=%v", exe, err, ok)
		}
	}
	if err := Enable("relative"); err == nil {
		t.Error("Enable accepted a relative path")
	}
}

func TestCommandUsage(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"maybe"}, {"on", "now"}} {
		if err := Command(args, &out); err == nil {
			t.Errorf("Command(%q) succeeded", args)
		}
	}
	if out.Len() != 0 {
		t.Errorf("usage errors printed %q", out.String())
	}
}

func TestExecutable(t *testing.T) {
	t.Setenv("APPIMAGE", "")
	exe, err := Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(exe) {
		t.Errorf("Executable() = %q, not absolute", exe)
	}
	if _, err := os.Stat(exe); err != nil {
		t.Error(err)
	}
	img := filepath.Join(t.TempDir(), "Archy_Desktop-x86_64.AppImage")
	t.Setenv("APPIMAGE", img)
	if got, _ := Executable(); got != img {
		t.Errorf("with APPIMAGE set, Executable() = %q, want %q", got, img)
	}
}
