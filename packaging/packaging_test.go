package packaging

import (
	"bytes"
	"encoding/xml"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/archy-desktop/archy-desktop/app/autostart"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fyneApp returns a [Details] value of ../FyneApp.toml.
func fyneApp(t *testing.T, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*"?([^"\n]*)"?\s*$`).FindStringSubmatch(read(t, "../FyneApp.toml"))
	if m == nil {
		t.Fatalf("FyneApp.toml has no %s", key)
	}
	return m[1]
}

func TestIDsAgree(t *testing.T) {
	id := fyneApp(t, "ID")
	if id != autostart.AppID {
		t.Errorf("FyneApp.toml ID %q, app/autostart.AppID %q", id, autostart.AppID)
	}
	if name := fyneApp(t, "Name"); name != autostart.AppName {
		t.Errorf("FyneApp.toml Name %q, app/autostart.AppName %q", name, autostart.AppName)
	}
	for file, want := range map[string]string{
		"linux/" + id + ".metainfo.xml.in":            "<id>" + id + "</id>",
		"linux/" + id + ".metainfo.xml.in#launchable": `<launchable type="desktop-id">` + id + `.desktop</launchable>`,
		"macos/Info.plist.in":                         "<string>" + id + "</string>",
		"windows/archy-desktop.exe.manifest.in":       `name="` + id + `"`,
		"package.mk":                                  "APP_ID      := " + id,
	} {
		path, _, _ := strings.Cut(file, "#")
		if !strings.Contains(read(t, path), want) {
			t.Errorf("%s does not contain %s", path, want)
		}
	}
}

func TestChangelogHasVersion(t *testing.T) {
	v := fyneApp(t, "Version")
	if !regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(v) + `\] - \d{4}-\d{2}-\d{2}$`).MatchString(read(t, "../CHANGELOG.md")) {
		t.Errorf("CHANGELOG.md has no '## [%s] - YYYY-MM-DD' entry", v)
	}
}

// plistDict parses a property list whose root is a dict of simple values
// (string, true/false) with encoding/xml.
func plistDict(t *testing.T, data []byte) map[string]any {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	dict := map[string]any{}
	var path []string
	var key string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("Info.plist: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			text.Reset()
			switch strings.Join(path, "/") {
			case "plist", "plist/dict", "plist/dict/key", "plist/dict/string", "plist/dict/true", "plist/dict/false":
			default:
				t.Fatalf("Info.plist: unexpected <%s> at %s", tok.Name.Local, strings.Join(path, "/"))
			}
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			switch tok.Name.Local {
			case "key":
				if key != "" {
					t.Fatalf("Info.plist: key %q has no value", key)
				}
				key = text.String()
				if _, dup := dict[key]; dup {
					t.Fatalf("Info.plist: duplicate key %q", key)
				}
			case "string", "true", "false":
				if key == "" {
					t.Fatalf("Info.plist: a <%s> without a key", tok.Name.Local)
				}
				switch tok.Name.Local {
				case "string":
					dict[key] = text.String()
				default:
					dict[key] = tok.Name.Local == "true"
				}
				key = ""
			}
			path = path[:len(path)-1]
		}
	}
	if key != "" {
		t.Fatalf("Info.plist: key %q has no value", key)
	}
	return dict
}

func TestInfoPlist(t *testing.T) {
	tmpl := read(t, "macos/Info.plist.in")
	version, build := fyneApp(t, "Version"), fyneApp(t, "Build")
	plist := strings.NewReplacer("@VERSION@", version, "@BUILD@", build, "@MIN_MACOS@", "12.0").Replace(tmpl)
	if strings.Contains(plist, "@") {
		t.Fatalf("unfilled placeholder in Info.plist.in: %s", regexp.MustCompile(`@\w+@`).FindString(plist))
	}
	dict := plistDict(t, []byte(plist))
	for key, want := range map[string]any{
		"CFBundleIdentifier":         autostart.AppID,
		"CFBundleName":               autostart.AppName,
		"CFBundleDisplayName":        autostart.AppName,
		"CFBundleExecutable":         "archy-desktop",
		"CFBundleIconFile":           "archy-desktop.icns",
		"CFBundlePackageType":        "APPL",
		"CFBundleShortVersionString": version,
		"CFBundleVersion":            build,
		"LSUIElement":                false,
		"NSHighResolutionCapable":    true,
	} {
		if got, ok := dict[key]; !ok || got != want {
			t.Errorf("Info.plist %s = %#v, want %#v", key, got, want)
		}
	}
}
