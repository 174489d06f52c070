package guitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The X side: find an app's window, type into it with xdotool (XTEST, like
// a keyboard), read the clipboard with xclip, take screenshots with
// ImageMagick's import and read them back with tesseract.

func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func mustRun(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	out, err := run(t, timeout, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// visibleWindow is the X id of the app's mapped main window (found by
// _NET_WM_PID and its title), or "".
func (a *app) visibleWindow() string {
	out, _ := run(a.t, 5*time.Second, "xdotool", "search", "--onlyvisible", "--pid", strconv.Itoa(a.cmd.Process.Pid))
	for _, id := range strings.Fields(out) {
		name, _ := run(a.t, 5*time.Second, "xdotool", "getwindowname", id)
		if strings.HasPrefix(name, "Archy") {
			return id
		}
	}
	return ""
}

// window waits for the app's visible main window and returns its X id.
func (a *app) window(timeout time.Duration) string {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !a.running() {
			a.t.Fatalf("%s ended before showing a window (%v); log tail:\n%s", a.name, a.exitErr, a.logTail(30))
		}
		if id := a.visibleWindow(); id != "" {
			return id
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("%s: no window within %s; log tail:\n%s", a.name, timeout, a.logTail(30))
	return ""
}

func windowName(t *testing.T, id string) string {
	t.Helper()
	out, _ := run(t, 5*time.Second, "xdotool", "getwindowname", id)
	return strings.TrimSpace(out)
}

// waitWindowName waits for the window's title (it follows the node's name).
func waitWindowName(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if windowName(t, id) == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("window %s is titled %q, want %q", id, windowName(t, id), want)
}

// moveWindow places a window (there is no window manager under Xvfb, so
// both windows would sit at 0,0 and cover each other).
func moveWindow(t *testing.T, id string, x, y int) {
	t.Helper()
	mustRun(t, 10*time.Second, "xdotool", "windowmove", id, strconv.Itoa(x), strconv.Itoa(y))
	want := fmt.Sprintf("Position: %d,%d", x, y)
	for i := 0; i < 50; i++ {
		out, _ := run(t, 5*time.Second, "xdotool", "getwindowgeometry", id)
		if strings.Contains(out, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("window %s did not move to %d,%d", id, x, y)
}

// keys focuses the window and presses key combinations in it, like a
// person at the keyboard (XTEST events, not synthetic ones).
func keys(t *testing.T, id string, combos ...string) {
	t.Helper()
	mustRun(t, 10*time.Second, "xdotool", "windowfocus", "--sync", id)
	time.Sleep(150 * time.Millisecond)
	for _, c := range combos {
		mustRun(t, 10*time.Second, "xdotool", "key", "--clearmodifiers", c)
		time.Sleep(250 * time.Millisecond)
	}
}

// clipboard is the X CLIPBOARD selection, as another program sees it.
func clipboard(t *testing.T) string {
	t.Helper()
	out, err := run(t, 10*time.Second, "xclip", "-o", "-selection", "clipboard")
	if err != nil {
		t.Logf("clipboard: %v", err)
	}
	return out
}

// shot writes a screenshot of the window to the screenshot folder.
func shot(t *testing.T, e *env, id, name string) string {
	t.Helper()
	path := filepath.Join(e.shots, name+".png")
	mustRun(t, 20*time.Second, "import", "-window", id, path)
	return path
}

// firstShot waits for the window's first drawn frame (a new window is
// black until Fyne paints it) and keeps it as name.png.
func firstShot(t *testing.T, e *env, id, name string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		path := shot(t, e, id, name)
		out, err := run(t, 20*time.Second, "convert", path, "-format", "%[fx:mean]", "info:")
		if mean, perr := strconv.ParseFloat(strings.TrimSpace(out), 64); err == nil && perr == nil && mean > 0.03 {
			return path
		}
		if time.Now().After(deadline) {
			t.Fatalf("window %s stayed black for 20 s (%s)", id, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var spaces = regexp.MustCompile(`\s+`)

// ocr reads a screenshot's words (lower case, one space between words).
func ocr(t *testing.T, path string) string {
	t.Helper()
	out := mustRun(t, time.Minute, "tesseract", path, "-", "--psm", "3")
	return strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(out), " "))
}

// ocrEnhanced reads the screenshot again as dark text on light, twice the
// size: tesseract then finds what it missed on the dark theme (a dialog's
// title, say) — and misses other things, so both readings are used.
func ocrEnhanced(t *testing.T, path string) string {
	t.Helper()
	big := strings.TrimSuffix(path, ".png") + ".ocr.png"
	defer os.Remove(big)
	mustRun(t, time.Minute, "convert", path, "-colorspace", "Gray", "-negate", "-resize", "200%", big)
	return ocr(t, big)
}

// seeText waits until a fresh screenshot of the window shows every one of
// want (case-insensitive; OCR), keeps that screenshot as name.png and
// returns its text. It fails with what it read otherwise.
func seeText(t *testing.T, e *env, id, name string, timeout time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var text, missing string
	for {
		path := shot(t, e, id, name)
		text = ocr(t, path)
		missing = lacks(text, want)
		if missing != "" {
			text += " " + ocrEnhanced(t, path)
			missing = lacks(text, want)
		}
		if missing == "" {
			t.Logf("screenshot %s shows %q", path, want)
			return text
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("screenshot %s.png does not show %q; it reads:\n%s", name, missing, text)
	return ""
}

func squeeze(s string) string { return spaces.ReplaceAllString(s, "") }

// lacks is the first of want that text does not contain. OCR sometimes
// drops a space ("nopeers yet"), so spaces do not count.
func lacks(text string, want []string) string {
	for _, w := range want {
		if !strings.Contains(squeeze(text), squeeze(strings.ToLower(w))) {
			return w
		}
	}
	return ""
}
