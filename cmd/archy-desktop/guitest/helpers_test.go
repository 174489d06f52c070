// Package guitest drives the real archy-desktop binary with its window
// under an X server (Xvfb) and its tray icon over D-Bus: two instances pair
// through the GUI, the tray menu is read and clicked from outside, and the
// app runs without a session bus. Every instance uses a private Tor network.
//
// The tests run only with ARCHY_GUI_TEST=1 — scripts/test-gui.sh sets it up:
// Xvfb, a private D-Bus session (dbus-run-session), a private Tor network
// (ARCHY_TOR_NETWORK), and bin/archy-desktop (ARCHY_BIN) built by make.
// Screenshots go to $ARCHY_SCREENSHOTS (default dist/screenshots).
package guitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/node"
)

// env is what scripts/test-gui.sh hands the tests.
type env struct {
	bin     string // bin/archy-desktop
	netFile string // the private Tor network's network.conf
	shots   string // screenshot folder
	display string
	bus     string // the private session bus (dbus-run-session)
	work    string // data dirs, logs
}

var (
	envOnce sync.Once
	theEnv  *env
	envErr  error
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// setup skips unless ARCHY_GUI_TEST=1 and fails when the environment is not
// safe to start the app in: without a private Tor network file, the app
// would connect to the live Tor network, which these tests must never do.
func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("ARCHY_GUI_TEST") != "1" {
		t.Skip("GUI end-to-end test: run scripts/test-gui.sh (sets ARCHY_GUI_TEST=1, Xvfb, D-Bus, a private Tor network)")
	}
	envOnce.Do(func() {
		e := &env{
			bin:     os.Getenv("ARCHY_BIN"),
			netFile: os.Getenv("ARCHY_TOR_NETWORK"),
			shots:   os.Getenv("ARCHY_SCREENSHOTS"),
			display: os.Getenv("DISPLAY"),
			bus:     os.Getenv("DBUS_SESSION_BUS_ADDRESS"),
		}
		if e.bin == "" {
			e.bin = filepath.Join(repoRoot(), "bin", "archy-desktop")
		}
		if e.shots == "" {
			e.shots = filepath.Join(repoRoot(), "dist", "screenshots")
		}
		switch {
		case e.netFile == "":
			envErr = errors.New("ARCHY_TOR_NETWORK is not set: refusing to start the app (it would use the live Tor network)")
		case e.display == "":
			envErr = errors.New("DISPLAY is not set (scripts/test-gui.sh starts Xvfb)")
		case e.bus == "":
			envErr = errors.New("DBUS_SESSION_BUS_ADDRESS is not set (scripts/test-gui.sh runs inside dbus-run-session)")
		}
		if envErr != nil {
			return
		}
		if b, err := os.ReadFile(e.netFile); err != nil || !strings.Contains(string(b), "DirAuthority") {
			envErr = fmt.Errorf("%s is not a private Tor network file (%v): refusing to start the app", e.netFile, err)
			return
		}
		if _, err := os.Stat(e.bin); err != nil {
			envErr = fmt.Errorf("%v (make build)", err)
			return
		}
		for _, tool := range []string{"xdotool", "xclip", "import", "tesseract"} {
			if _, err := exec.LookPath(tool); err != nil {
				envErr = fmt.Errorf("%s is missing (scripts/apt-deps.sh guitest guidrive)", tool)
				return
			}
		}
		if envErr = os.MkdirAll(e.shots, 0o755); envErr != nil {
			return
		}
		// This run's screenshots only: none left from an earlier run.
		for _, pat := range []string{"e2e-*.png", "tray-*.png"} {
			old, _ := filepath.Glob(filepath.Join(e.shots, pat))
			for _, f := range old {
				os.Remove(f)
			}
		}
		e.work, envErr = os.MkdirTemp("", "archy-guitest-")
		theEnv = e
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return theEnv
}

func TestMain(m *testing.M) {
	if os.Getenv("ARCHY_GUI_TEST") == "1" {
		// Orphans of the app (a dbus-daemon it spawned, say) become our
		// children, so a test can see what an app left running.
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
			fmt.Fprintln(os.Stderr, "guitest: PR_SET_CHILD_SUBREAPER:", errno)
		}
	}
	code := m.Run()
	if theEnv != nil {
		if code == 0 && os.Getenv("ARCHY_KEEP") == "" {
			os.RemoveAll(theEnv.work)
		} else {
			fmt.Fprintln(os.Stderr, "guitest: data folders and logs kept in", theEnv.work)
		}
	}
	os.Exit(code)
}

const prSetChildSubreaper = 36

// ---- app instances ----

type appOpts struct {
	noTray   bool     // ARCHY_NO_TRAY=1
	headless bool     // --headless
	hidden   bool     // --hidden: start in the tray
	env      []string // extra environment (wins over the defaults)
}

// app is one archy-desktop process with its own data, config and cache
// folders (Fyne keeps its preferences per user, not per data folder).
type app struct {
	t       *testing.T
	e       *env
	name    string
	dir     string // --data-dir
	home    string // XDG folders
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	started time.Time
	control *node.ControlClient
}

func newApp(t *testing.T, e *env, name string) *app {
	base := filepath.Join(e.work, strings.NewReplacer(" ", "-", "'", "").Replace(strings.ToLower(name)))
	a := &app{t: t, e: e, name: name, dir: filepath.Join(base, "data"), home: base, logPath: base + ".log"}
	a.control = node.NewControlClient(a.dir)
	for _, d := range []string{"config", "cache", "share", "run"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// environ is the app's environment: this one (DISPLAY, the session bus)
// with its own XDG folders and the private Tor network.
func (a *app) environ(extra []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "XDG_") || strings.HasPrefix(k, "ARCHY_") || k == "LANG" || k == "LC_ALL" {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"ARCHY_TOR_NETWORK="+a.e.netFile,
		"XDG_CONFIG_HOME="+filepath.Join(a.home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(a.home, "cache"),
		"XDG_DATA_HOME="+filepath.Join(a.home, "share"),
		"XDG_RUNTIME_DIR="+filepath.Join(a.home, "run"),
		"LANG=en_US.UTF-8",
	)
	return append(out, extra...)
}

// args puts the data folder and the private network first: every
// invocation of the binary, even a CLI command, names the private network.
func (a *app) args(rest ...string) []string {
	if a.e.netFile == "" {
		panic("no private Tor network")
	}
	return append([]string{"--data-dir", a.dir, "--tor-network", a.e.netFile}, rest...)
}

// start runs the app (window, tray unless noTray) and waits for its control
// socket.
func (a *app) start(o appOpts) {
	a.t.Helper()
	logf, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		a.t.Fatal(err)
	}
	args := []string{"--log-level", "debug"}
	if o.headless {
		args = append(args, "--headless")
	}
	if o.hidden {
		args = append(args, "--hidden")
	}
	extra := o.env
	if o.noTray {
		extra = append([]string{"ARCHY_NO_TRAY=1"}, extra...)
	}
	a.cmd = exec.Command(a.e.bin, a.args(args...)...)
	a.cmd.Env = a.environ(extra)
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	a.done = make(chan struct{})
	if err := a.cmd.Start(); err != nil {
		logf.Close()
		a.t.Fatal(err)
	}
	a.started = time.Now()
	go func() {
		a.exitErr = a.cmd.Wait()
		logf.Close()
		close(a.done)
	}()
	a.t.Cleanup(func() { a.kill() })
	a.waitFor("its control socket", time.Minute, func(node.State) bool { return true })
}

func (a *app) running() bool {
	if a.done == nil {
		return false
	}
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// wait waits for the process to end and returns its exit code (-1: killed
// by a signal), or fails after timeout.
func (a *app) wait(timeout time.Duration) (code int, took time.Duration) {
	a.t.Helper()
	t0 := time.Now()
	select {
	case <-a.done:
	case <-time.After(timeout):
		a.t.Errorf("%s did not end within %s; killing it. Log tail:\n%s", a.name, timeout, a.logTail(30))
		a.kill()
		return -2, time.Since(t0)
	}
	took = time.Since(t0)
	if a.exitErr == nil {
		return 0, took
	}
	var ee *exec.ExitError
	if errors.As(a.exitErr, &ee) {
		return ee.ExitCode(), took
	}
	return -3, took
}

// stop sends SIGTERM and expects a clean exit (code 0) within 20 s.
func (a *app) stop() {
	a.t.Helper()
	if !a.running() {
		return
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	code, took := a.wait(20 * time.Second)
	if code != 0 {
		a.t.Errorf("%s: exit code %d after SIGTERM (%v); log tail:\n%s", a.name, code, a.exitErr, a.logTail(30))
	} else {
		a.t.Logf("%s stopped on SIGTERM in %s (exit code 0)", a.name, took.Round(10*time.Millisecond))
	}
	a.checkLog()
}

func (a *app) kill() {
	if a.running() {
		a.cmd.Process.Kill()
		<-a.done
	}
}

// checkLog fails the test for panics and Go runtime errors in the log.
func (a *app) checkLog() {
	a.t.Helper()
	b, _ := os.ReadFile(a.logPath)
	for _, bad := range []string{"panic:", "fatal error:", "SIGSEGV", "DATA RACE"} {
		if bytes.Contains(b, []byte(bad)) {
			a.t.Errorf("%s's log has %q:\n%s", a.name, bad, a.logTail(40))
		}
	}
}

func (a *app) logTail(n int) string {
	b, _ := os.ReadFile(a.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cli runs a CLI command against this instance.
func (a *app) cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.e.bin, a.args(args...)...)
	cmd.Env = a.environ(nil)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), fmt.Errorf("archy-desktop %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func (a *app) mustCLI(args ...string) string {
	a.t.Helper()
	out, err := a.cli(args...)
	if err != nil {
		a.t.Fatalf("%s: %v\n%s", a.name, err, out)
	}
	return out
}

func (a *app) status() node.State {
	a.t.Helper()
	var st node.State
	if err := a.control.Do("GET", "/v1/status", nil, &st); err != nil {
		a.t.Fatalf("%s: status: %v", a.name, err)
	}
	return st
}

// waitFor polls the node's state (the control socket the CLI uses).
func (a *app) waitFor(what string, timeout time.Duration, cond func(node.State) bool) node.State {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if !a.running() && a.done != nil {
			a.t.Fatalf("%s ended (%v) while waiting for %s; log tail:\n%s", a.name, a.exitErr, what, a.logTail(40))
		}
		var st node.State
		if last = a.control.Do("GET", "/v1/status", nil, &st); last == nil && cond(st) {
			return st
		}
		time.Sleep(300 * time.Millisecond)
	}
	a.t.Fatalf("%s: timed out after %s waiting for %s (last error %v); log tail:\n%s", a.name, timeout, what, last, a.logTail(40))
	return node.State{}
}

func onlineReachable(st node.State) bool {
	return st.Tor.Phase == node.TorOnline && st.Tor.Reachable
}

// ---- orphans ----

// orphans lists processes that were re-parented to this test process (it
// is a child subreaper): what an ended app left running.
func orphans(t *testing.T) []string {
	me := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(me) {
			continue
		}
		comm := s[strings.IndexByte(s, '(')+1 : i]
		out = append(out, fmt.Sprintf("%s %s (%s)", e.Name(), comm, f[0]))
	}
	sort.Strings(out)
	return out
}

// noOrphansBut fails for processes an app left behind (our own running
// children are listed in keep by pid) and ends them.
func noOrphansBut(t *testing.T, keep ...*app) {
	t.Helper()
	mine := map[string]bool{}
	for _, a := range keep {
		if a.running() {
			mine[strconv.Itoa(a.cmd.Process.Pid)] = true
		}
	}
	for _, o := range orphans(t) {
		pid, _, _ := strings.Cut(o, " ")
		if mine[pid] || strings.HasSuffix(o, "(Z)") {
			continue
		}
		t.Errorf("left running by an app: %s", o)
		if n, err := strconv.Atoi(pid); err == nil {
			syscall.Kill(n, syscall.SIGKILL)
			var ws syscall.WaitStatus
			syscall.Wait4(n, &ws, 0, nil)
		}
	}
}
