// Package tor is the node's Tor engine: it runs Tor inside this process
// (package libtor, build tag embedtor) or as a tor executable, reports
// bootstrap progress and warnings as typed events, publishes v3 onion
// services from caller-held keys with client authorization, and dials
// through Tor. It knows nothing of peers or of any UI.
package tor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cretz/bine/control"
	"github.com/cretz/bine/process"
	bine "github.com/cretz/bine/tor"
	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/tor/libtor"
)

// Provider says how Tor runs.
type Provider string

const (
	// Embedded runs Tor inside this process (needs a build with -tags embedtor).
	Embedded Provider = "embedded"
	// Exec runs a tor executable as a child process.
	Exec Provider = "exec"
)

// DefaultProvider is Embedded when this binary links Tor, Exec otherwise.
func DefaultProvider() Provider {
	if libtor.Available {
		return Embedded
	}
	return Exec
}

// EmbeddedVersion is the version of the Tor linked into this binary, e.g.
// "0.4.9.11", or "" when none is.
func EmbeddedVersion() string {
	return strings.TrimPrefix(libtor.Version(), "tor ")
}

// StallAfter is how long bootstrap may make no progress before the engine
// reports Stalled.
var StallAfter = 60 * time.Second

// Config configures Start.
type Config struct {
	// DataDir is Tor's persistent DataDirectory (created 0700). Keeping it
	// between runs makes warm starts take seconds instead of tens of seconds.
	DataDir string
	Network Network
	// Bridges are Bridge lines ("obfs4 1.2.3.4:443 FINGERPRINT cert=… iat-mode=0",
	// "snowflake …", or plain "IP:port FINGERPRINT"); pluggable transports
	// need their client executable on PATH.
	Bridges []string
	// Provider defaults to DefaultProvider().
	Provider Provider
	// TorPath is the tor executable for the Exec provider (default: "tor" on PATH).
	TorPath string
	// ExtraArgs are passed to Tor as "--Option value" pairs.
	ExtraArgs []string
	Log       *logrus.Entry
}

// Engine is one running Tor.
type Engine struct {
	cfg       Config
	log       *logrus.Entry
	t         *bine.Tor
	hub       hub
	socksAddr string
	version   string
	started   time.Time

	mu     sync.Mutex
	onions map[string]*Onion

	cancel context.CancelFunc
	done   chan struct{}
	closed bool
}

// Start starts Tor and returns once its control connection is up; bootstrap
// goes on in the background (watch Events or call WaitReady).
func Start(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("tor: DataDir is required")
	}
	if cfg.Provider == "" {
		cfg.Provider = DefaultProvider()
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	log := cfg.Log.WithField("component", "tor")
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	torrc := filepath.Join(cfg.DataDir, "torrc")
	if err := os.WriteFile(torrc, nil, 0o600); err != nil {
		return nil, fmt.Errorf("tor: %w", err)
	}
	args, err := buildArgs(cfg)
	if err != nil {
		return nil, err
	}
	conf := &bine.StartConf{
		DataDir:           cfg.DataDir,
		RetainTempDataDir: true,
		TorrcFile:         torrc,
		NoAutoSocksPort:   true,
		ExtraArgs:         args,
	}
	switch cfg.Provider {
	case Embedded:
		if !libtor.Available {
			return nil, libtor.ErrNotLinked
		}
		conf.ProcessCreator = libtor.Creator{}
		conf.UseEmbeddedControlConn = true
		// Signals belong to the Go program: Tor's own handlers would take
		// SIGTERM/SIGINT (and shut Tor down behind our back) and the process
		// would not stop.
		conf.ExtraArgs = append(conf.ExtraArgs, "--__DisableSignalHandlers", "1")
	case Exec:
		path := cfg.TorPath
		if path == "" {
			path = bundledTor()
		}
		if _, err := exec.LookPath(path); err != nil {
			return nil, fmt.Errorf("tor: no tor executable (%s): %w", path, err)
		}
		conf.ProcessCreator = execCreator(path, log)
		conf.ExtraArgs = append(conf.ExtraArgs, "--__OwningControllerProcess", strconv.Itoa(os.Getpid()))
	default:
		return nil, fmt.Errorf("tor: unknown provider %q", cfg.Provider)
	}

	log.WithFields(logrus.Fields{"provider": cfg.Provider, "network": cfg.Network.ID()}).Info("starting Tor")
	ectx, cancel := context.WithCancel(context.Background())
	e := &Engine{cfg: cfg, log: log, onions: map[string]*Onion{}, cancel: cancel, done: make(chan struct{}), started: time.Now()}
	t, err := bine.Start(ctx, conf)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("tor: start: %w", err)
	}
	e.t = t
	e.hub.status.Running = true

	events := make(chan control.Event, 1024)
	codes := []control.EventCode{control.EventCodeStatusClient, control.EventCodeStatusGeneral, control.EventCodeHSDesc, control.EventCodeLogWarn, control.EventCodeLogErr}
	if err := t.Control.AddEventListener(events, codes...); err != nil {
		e.abort()
		return nil, fmt.Errorf("tor: events: %w", err)
	}
	go func() { _ = t.Control.HandleEvents(ectx) }()
	go e.pump(ectx, events)

	if err := e.queryInitial(); err != nil {
		e.abort()
		return nil, err
	}
	if err := t.EnableNetwork(ctx, false); err != nil {
		e.abort()
		return nil, fmt.Errorf("tor: enable network: %w", err)
	}
	if err := e.querySOCKS(); err != nil {
		e.abort()
		return nil, err
	}
	go e.watchExit()
	go e.watchStall(ectx)
	return e, nil
}

// bundledTor is the tor executable shipped next to the app (tor.exe or
// tor/tor.exe beside it, as the Windows package lays it out), else "tor"
// from PATH.
func bundledTor() string {
	name := "tor"
	if runtime.GOOS == "windows" {
		name = "tor.exe"
	}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, "tor", name)} {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
	}
	return "tor"
}

func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tor: data dir: %w", err)
	}
	// Tor refuses a DataDirectory others can read.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("tor: data dir: %w", err)
	}
	// bine leaves a control-port file per exec start; clear old ones.
	old, _ := filepath.Glob(filepath.Join(dir, "control-port-*"))
	for _, f := range old {
		os.Remove(f)
	}
	return nil
}

func buildArgs(cfg Config) ([]string, error) {
	args := []string{
		// ExtendedErrors: onion failures get their own SOCKS codes (0xF0–0xF7).
		"--SocksPort", "127.0.0.1:auto ExtendedErrors IsolateSOCKSAuth",
		// Tor's own log goes to the control events (WARN/ERR) we forward to
		// logrus; only errors before the control connection is up go to stderr.
		"--Log", "err stderr",
		"--ClientOnly", "1",
		// Nothing on our stdout at start-up but errors.
		"--quiet",
	}
	if runtime.GOOS != "windows" {
		// A client needs no GeoIP data; saves memory and start-up time.
		args = append(args, "--GeoIPFile", "/dev/null", "--GeoIPv6File", "/dev/null")
	}
	args = append(args, cfg.Network.args()...)
	if len(cfg.Bridges) > 0 {
		bargs, err := bridgeArgs(cfg.Bridges)
		if err != nil {
			return nil, err
		}
		args = append(args, bargs...)
	}
	return append(args, cfg.ExtraArgs...), nil
}

// transportClients are the pluggable-transport client executables, by transport.
var transportClients = map[string][]string{
	"obfs4":     {"lyrebird", "obfs4proxy"},
	"meek_lite": {"lyrebird", "obfs4proxy"},
	"webtunnel": {"lyrebird"},
	"snowflake": {"snowflake-client", "lyrebird"},
}

// ErrNoTransport is returned for a bridge line whose pluggable transport has
// no client executable on this machine.
var ErrNoTransport = errors.New("no client for this bridge type")

func bridgeArgs(lines []string) ([]string, error) {
	args := []string{"--UseBridges", "1"}
	seen := map[string]bool{}
	for _, line := range lines {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "Bridge "))
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		transport := fields[0]
		if _, _, err := net.SplitHostPort(transport); err != nil && !seen[transport] {
			candidates, known := transportClients[transport]
			if !known {
				return nil, fmt.Errorf("tor: bridge type %q is not supported", transport)
			}
			var exe string
			for _, c := range candidates {
				if p, err := exec.LookPath(c); err == nil {
					exe = p
					break
				}
			}
			if exe == "" {
				return nil, fmt.Errorf("tor: %w %q (install one of: %s)", ErrNoTransport, transport, strings.Join(candidates, ", "))
			}
			seen[transport] = true
			args = append(args, "--ClientTransportPlugin", transport+" exec "+exe)
		}
		args = append(args, "--Bridge", line)
	}
	return args, nil
}

func execCreator(path string, log *logrus.Entry) process.Creator {
	return waitOnceCreator{process.CmdCreatorFunc(func(ctx context.Context, args ...string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, path, args...)
		w := log.WriterLevel(logrus.DebugLevel)
		cmd.Stdout = w
		cmd.Stderr = w
		// Never wait for the output copying longer than this after exit.
		cmd.WaitDelay = 5 * time.Second
		return cmd, nil
	})}
}

// waitOnceCreator makes Process.Wait safe to call more than once, from
// several goroutines: bine's Close waits, and so does the engine's exit
// watcher, and exec.Cmd.Wait must be called only once.
type waitOnceCreator struct{ process.Creator }

func (c waitOnceCreator) New(ctx context.Context, args ...string) (process.Process, error) {
	p, err := c.Creator.New(ctx, args...)
	if err != nil {
		return nil, err
	}
	return &waitOnce{Process: p}, nil
}

type waitOnce struct {
	process.Process
	once sync.Once
	err  error
}

func (w *waitOnce) Wait() error {
	w.once.Do(func() { w.err = w.Process.Wait() })
	return w.err
}

func (e *Engine) queryInitial() error {
	info, err := e.t.Control.GetInfo("version", "status/bootstrap-phase")
	if err != nil {
		return fmt.Errorf("tor: GETINFO: %w", err)
	}
	for _, kv := range info {
		switch kv.Key {
		case "version":
			e.version, _, _ = strings.Cut(kv.Val, " ")
		case "status/bootstrap-phase":
			ev := control.ParseStatusEvent(control.EventCodeStatusClient, kv.Val)
			e.handleStatus(ev)
		}
	}
	return nil
}

// querySOCKS finds the SOCKS listener, which Tor opens once the network is enabled.
func (e *Engine) querySOCKS() error {
	info, err := e.t.Control.GetInfo("net/listeners/socks")
	if err != nil {
		return fmt.Errorf("tor: GETINFO: %w", err)
	}
	for _, kv := range info {
		if fields := strings.Fields(kv.Val); kv.Key == "net/listeners/socks" && len(fields) > 0 {
			e.socksAddr = strings.Trim(fields[0], `"`)
		}
	}
	if e.socksAddr == "" {
		return errors.New("tor: no SOCKS listener")
	}
	return nil
}

func (e *Engine) pump(ctx context.Context, events <-chan control.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			switch ev := ev.(type) {
			case *control.StatusEvent:
				e.handleStatus(ev)
			case *control.HSDescEvent:
				if ev.Action == "UPLOADED" {
					e.descriptorUploaded(ev.Address)
				}
			case *control.LogEvent:
				l := e.log.WithField("tor_severity", string(ev.Severity))
				if expectedWarning(ev.Raw) {
					l.Debug(ev.Raw)
				} else {
					l.Warn(ev.Raw)
				}
			}
		}
	}
}

// statusArgs parses a status event's KEY=VALUE arguments, where VALUE may be
// a quoted string with spaces (bine splits those apart).
func statusArgs(raw string) map[string]string {
	args := map[string]string{}
	// Skip severity and action.
	for i := 0; i < 2; i++ {
		_, raw, _ = strings.Cut(strings.TrimLeft(raw, " "), " ")
	}
	for raw = strings.TrimLeft(raw, " "); raw != ""; raw = strings.TrimLeft(raw, " ") {
		key, rest, ok := strings.Cut(raw, "=")
		if !ok || strings.ContainsRune(key, ' ') {
			// A bare word: skip it.
			_, raw, _ = strings.Cut(raw, " ")
			continue
		}
		if strings.HasPrefix(rest, `"`) {
			var val strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			args[key] = val.String()
			if i < len(rest) {
				i++
			}
			raw = rest[i:]
		} else {
			val, next, _ := strings.Cut(rest, " ")
			args[key] = val
			raw = next
		}
	}
	return args
}

// expectedWarning reports Tor warnings that our own configuration causes on
// purpose (a private network), which would only alarm people in the log.
func expectedWarning(msg string) bool {
	for _, s := range []string{"TestingTorNetwork is set", "DirAuthority or AlternateDirAuthority"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (e *Engine) handleStatus(ev *control.StatusEvent) {
	ev.Arguments = statusArgs(ev.Raw)
	if ev.Action == "BOOTSTRAP" {
		pct, _ := strconv.Atoi(ev.Arguments["PROGRESS"])
		b := Bootstrap{Percent: pct, Tag: ev.Arguments["TAG"], Summary: ev.Arguments["SUMMARY"]}
		// Tor reports every closed connection while bootstrapping; only the
		// ones it recommends warning about are problems worth showing.
		if ev.Severity == "WARN" && ev.Arguments["RECOMMENDATION"] == "warn" {
			b.Warning, b.Recommendation = ev.Arguments["WARNING"], "warn"
		}
		prev := e.hub.get()
		if prev.Bootstrap == b {
			return
		}
		fields := logrus.Fields{"percent": pct, "phase": b.Tag}
		if b.Warning != "" {
			e.log.WithFields(fields).Warnf("bootstrap problem: %s", b.Warning)
		} else {
			e.log.WithFields(fields).Info(b.Summary)
		}
		e.hub.publish(b)
		if pct == 100 && !prev.Ready {
			e.log.WithField("after", time.Since(e.started).Round(10*time.Millisecond)).Info("Tor is ready")
			e.hub.publish(Ready{})
		}
		return
	}
	if ev.Severity != "WARN" && ev.Severity != "ERR" && ev.Action != "DANGEROUS_VERSION" {
		return
	}
	w := Warning{Severity: ev.Severity, Action: ev.Action, Args: ev.Arguments, Message: warningMessage(ev)}
	e.log.WithField("action", w.Action).Warn(w.Message)
	e.hub.publish(w)
}

func warningMessage(ev *control.StatusEvent) string {
	switch ev.Action {
	case "DANGEROUS_VERSION":
		return fmt.Sprintf("This Tor (%s) is %s; recommended versions: %s. Update Archy Desktop.",
			ev.Arguments["CURRENT"], strings.ToLower(ev.Arguments["REASON"]), ev.Arguments["RECOMMENDED"])
	case "CLOCK_SKEW":
		return fmt.Sprintf("Your computer's clock is off by %s seconds; Tor needs a correct clock.", ev.Arguments["SKEW"])
	case "CLOCK_JUMPED":
		return "Your computer's clock jumped; Tor is rebuilding its circuits."
	case "DIR_ALL_UNREACHABLE":
		return "Tor cannot reach any directory server."
	case "BUG":
		return "Tor reported an internal bug: " + ev.Arguments["REASON"]
	}
	return strings.TrimSpace(ev.Severity + " " + ev.Action + " " + fmtArgs(ev.Arguments))
}

func fmtArgs(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func (e *Engine) watchStall(ctx context.Context) {
	last := e.hub.get().Bootstrap.Percent
	since := time.Now()
	reported := false
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st := e.hub.get()
		if st.Ready {
			return
		}
		if st.Bootstrap.Percent != last {
			last, since, reported = st.Bootstrap.Percent, time.Now(), false
			continue
		}
		if !reported && time.Since(since) >= StallAfter {
			reported = true
			e.log.WithField("percent", last).Warn("Tor bootstrap is stalled; bridges may help on a censored network")
			e.hub.publish(Stalled{Percent: last, Since: since})
		}
	}
}

func (e *Engine) watchExit() {
	err := e.t.Process.Wait()
	e.mu.Lock()
	requested := e.closed
	e.mu.Unlock()
	if requested {
		err = nil
	} else if err == nil {
		err = errors.New("tor exited unexpectedly")
	}
	if err != nil {
		e.log.WithError(err).Error("Tor stopped")
	}
	e.cancel()
	e.hub.publish(Stopped{Err: err})
	e.hub.closeAll()
	close(e.done)
}

func (e *Engine) abort() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.t.Close()
}

// Events subscribes to the engine's events until cancel is called or Tor
// stops (then the channel is closed). A subscriber that does not keep up
// loses events; Status always has the latest state.
func (e *Engine) Events() (events <-chan Event, cancel func()) { return e.hub.subscribe() }

// Status is the latest bootstrap state.
func (e *Engine) Status() Status { return e.hub.get() }

// Done is closed when Tor has stopped.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Version is the running Tor's version, e.g. "0.4.9.11".
func (e *Engine) Version() string { return e.version }

// Provider is how this Tor runs.
func (e *Engine) Provider() Provider { return e.cfg.Provider }

// WaitReady blocks until bootstrap reaches 100 %, Tor stops, or ctx ends.
func (e *Engine) WaitReady(ctx context.Context) error {
	events, cancel := e.Events()
	defer cancel()
	if e.Status().Ready {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			st := e.Status().Bootstrap
			return fmt.Errorf("tor: not ready at %d%% (%s): %w", st.Percent, st.Summary, ctx.Err())
		case ev, ok := <-events:
			if !ok {
				return errors.New("tor: stopped before it was ready")
			}
			switch ev := ev.(type) {
			case Ready:
				return nil
			case Stopped:
				return fmt.Errorf("tor: stopped before it was ready: %w", ev.Err)
			}
		}
	}
}

// Dial connects to addr ("host:port"; host may be an .onion address) through
// Tor. Streams with different isolation strings use different circuits;
// streams with the same one may share a circuit.
func (e *Engine) Dial(ctx context.Context, addr, isolation string) (net.Conn, error) {
	select {
	case <-e.done:
		return nil, errors.New("tor: not running")
	default:
	}
	return socksDial(ctx, e.socksAddr, isolation, addr)
}

// SOCKSAddr is the address of Tor's SOCKS listener (127.0.0.1:port).
func (e *Engine) SOCKSAddr() string { return e.socksAddr }

// Close removes the engine's onion services, stops Tor and waits for it.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		select {
		case <-e.done:
			return nil
		case <-time.After(30 * time.Second):
			return errors.New("tor: did not stop")
		}
	}
	e.closed = true
	e.mu.Unlock()
	e.log.Info("stopping Tor")
	// bine's Close sends HALT and waits for answers; never let a Tor that
	// does not answer keep the app from quitting.
	// What matters is that Tor stops, not what bine reports on the way
	// (for an exec Tor it gives up waiting after 300 ms).
	closed := make(chan error, 1)
	go func() { closed <- e.t.Close() }()
	var err error
	select {
	case err = <-closed:
	case <-time.After(10 * time.Second):
	}
	select {
	case <-e.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	// Kill the exec child / close the embedded Tor's owning control socket.
	if e.t.ProcessCancelFunc != nil {
		e.t.ProcessCancelFunc()
	}
	select {
	case <-e.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("tor: did not stop (%v)", err)
	}
}

// ResetState deletes Tor's cached state in dataDir (consensus, descriptors,
// guards) so the next start fetches everything afresh. The node's keys live
// elsewhere and are not touched. Tor must not be running on dataDir.
func ResetState(dataDir string) error {
	entries, err := os.ReadDir(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tor: reset: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "lock")); err == nil && lockHeld(filepath.Join(dataDir, "lock")) {
		return errors.New("tor: reset: Tor is still running on this data directory")
	}
	for _, ent := range entries {
		if err := os.RemoveAll(filepath.Join(dataDir, ent.Name())); err != nil {
			return fmt.Errorf("tor: reset: %w", err)
		}
	}
	return nil
}
