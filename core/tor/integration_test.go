package tor_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/curve25519"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/tor"
	"github.com/archy-desktop/archy-desktop/core/tor/libtor"
	"github.com/archy-desktop/archy-desktop/core/tor/testnet"
)

// Tor runs once per process, so the onion side of the integration test runs
// in a child process: this test binary started again with helperEnv set.
const helperEnv = "ARCHY_TOR_TEST_HELPER"

var network *testnet.Network

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(onionHelper())
	}
	flag.Parse()
	if testing.Short() || os.Getenv("ARCHY_SKIP_INTEGRATION") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "archy-tor-test-")
	if err != nil {
		panic(err)
	}
	n, stop, err := testnet.Shared(context.Background(), filepath.Join(dir, "net"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "private Tor network:", err)
		os.Exit(1)
	}
	network = n
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needNetwork(t *testing.T) {
	t.Helper()
	if network == nil {
		t.Skip("integration test: needs the private Tor network (not in -short mode)")
	}
}

func needEmbedded(t *testing.T) {
	t.Helper()
	if !libtor.Available {
		t.Skip("this test binary does not embed Tor (build with -tags embedtor; `make test` does)")
	}
}

func testLog(t testing.TB) *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.InfoLevel)
	l.SetOutput(tWriter{t})
	return logrus.NewEntry(l)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newClientKey(t testing.TB) (priv, pub [32]byte) {
	t.Helper()
	if _, err := rand.Read(priv[:]); err != nil {
		t.Fatal(err)
	}
	p, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		t.Fatal(err)
	}
	copy(pub[:], p)
	return priv, pub
}

// onionHelper is the child process: an embedded Tor publishing an onion from
// a stored key, serving "hello from <onion>" over HTTP until stdin closes.
func onionHelper() int {
	fail := func(err error) int { fmt.Println("ERROR", err); return 1 }
	nw, err := tor.LoadNetworkFile(os.Getenv("ARCHY_NET_FILE"))
	if err != nil {
		return fail(err)
	}
	seed, err := os.ReadFile(os.Getenv("ARCHY_KEY_FILE"))
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	provider := tor.Provider(os.Getenv("ARCHY_PROVIDER"))
	if provider == "" {
		provider = tor.Embedded
	}
	e, err := tor.Start(ctx, tor.Config{DataDir: os.Getenv("ARCHY_DATA_DIR"), Network: nw, Provider: provider})
	if err != nil {
		return fail(err)
	}
	defer e.Close()
	go func() {
		if e.WaitReady(ctx) == nil {
			fmt.Println("READY")
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	addr := identity.OnionAddressFromPublicKey(key.Public().(ed25519.PublicKey))
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", addr)
	}))
	clientPub, err := parseHexKey(os.Getenv("ARCHY_CLIENT_PUB"))
	if err != nil {
		return fail(err)
	}
	o, err := e.Publish(tor.OnionConfig{Key: key, Port: 80, Target: ln.Addr().String(), AuthorizedClients: [][32]byte{clientPub}})
	if err != nil {
		return fail(err)
	}
	fmt.Println("ADDRESS", o.Address())
	select {
	case <-o.Uploaded():
		fmt.Println("UPLOADED")
	case <-time.After(3 * time.Minute):
		return fail(errors.New("descriptor not uploaded"))
	}
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	return 0
}

func parseHexKey(s string) (k [32]byte, err error) {
	if len(s) != 64 {
		return k, fmt.Errorf("bad key %q", s)
	}
	b, err := hex.DecodeString(s)
	copy(k[:], b)
	return k, err
}

type helper struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	address string
	lines   chan string
}

func startHelper(t testing.TB, keyFile, dataDir string, clientPub [32]byte, extraEnv ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Env = append(cmd.Env, helperEnv+"=1", "ARCHY_NET_FILE="+network.NetworkFile,
		"ARCHY_KEY_FILE="+keyFile, "ARCHY_DATA_DIR="+dataDir, fmt.Sprintf("ARCHY_CLIENT_PUB=%x", clientPub))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() { h.stop() })
	h.address = h.expect(t, "ADDRESS")
	return h
}

func (h *helper) expect(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(4 * time.Minute)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				t.Fatalf("onion helper exited before %s", prefix)
			}
			if strings.HasPrefix(line, "ERROR") {
				t.Fatalf("onion helper: %s", line)
			}
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				return strings.TrimSpace(rest)
			}
		case <-timeout:
			t.Fatalf("onion helper: no %s line", prefix)
		}
	}
}

func (h *helper) stop() {
	if h.stdin != nil {
		h.stdin.Close()
		h.stdin = nil
		done := make(chan struct{})
		go func() { h.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			h.cmd.Process.Kill()
			<-done
		}
	}
}

// fetch GETs http://addr.onion/ through e, retrying while the descriptor or
// the introduction points are not there yet.
func fetch(t testing.TB, e *tor.Engine, addr string) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, a string) (net.Conn, error) { return e.Dial(ctx, a, "test") },
	}}
	deadline := time.Now().Add(3 * time.Minute)
	var lastErr error
	for attempt := 1; time.Now().Before(deadline); attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+".onion/", nil)
		resp, err := hc.Do(req)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			if err == nil {
				t.Logf("reached %s… after %d attempt(s)", addr[:8], attempt)
				return string(body)
			}
			lastErr = err
		} else {
			cancel()
			lastErr = err
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("could not reach %s…: %v", addr[:8], lastErr)
	return ""
}

func TestEmbeddedOnionReachableAcrossRestart(t *testing.T) {
	needNetwork(t)
	needEmbedded(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "onion.seed")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := os.WriteFile(keyFile, priv.Seed(), 0o600); err != nil {
		t.Fatal(err)
	}
	want := identity.OnionAddressFromPublicKey(priv.Public().(ed25519.PublicKey))
	clientPriv, clientPub := newClientKey(t)

	// A: the onion, in its own process.
	a := startHelper(t, keyFile, filepath.Join(dir, "a-tor"), clientPub)
	if a.address != want {
		t.Fatalf("A published %s, want the address of its key %s", a.address, want)
	}
	// B: the client, an embedded Tor in this process.
	b, err := tor.Start(context.Background(), tor.Config{DataDir: filepath.Join(dir, "b-tor"), Network: network.Network, Provider: tor.Embedded, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Version(), "0.4.9.") {
		t.Errorf("embedded Tor version %q, want 0.4.9.x", b.Version())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.AddClientAuth(a.address, clientPriv); err != nil {
		t.Fatal(err)
	}
	a.expect(t, "UPLOADED")
	if got := fetch(t, b, a.address); got != "hello from "+want {
		t.Fatalf("got %q", got)
	}

	// A restarts with the same key: same address, reachable again.
	a.stop()
	a2 := startHelper(t, keyFile, filepath.Join(dir, "a-tor"), clientPub)
	if a2.address != want {
		t.Fatalf("after restart A published %s, want %s", a2.address, want)
	}
	a2.expect(t, "UPLOADED")
	if got := fetch(t, b, a2.address); got != "hello from "+want {
		t.Fatalf("after restart got %q", got)
	}
}

func TestExecProviderBootstraps(t *testing.T) {
	needNetwork(t)
	e, err := tor.Start(context.Background(), tor.Config{DataDir: filepath.Join(t.TempDir(), "tor"), Network: network.Network, Provider: tor.Exec, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	events, cancel := e.Events()
	defer cancel()
	ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	if err := e.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Version(), "0.4.") || e.Provider() != tor.Exec {
		t.Errorf("version %q provider %q", e.Version(), e.Provider())
	}
	// The event stream reported progress on the way (Tor's own phases).
	sawPhase := false
	for len(events) > 0 {
		if b, ok := (<-events).(tor.Bootstrap); ok && b.Tag != "" && b.Summary != "" {
			sawPhase = true
		}
	}
	if !sawPhase {
		t.Error("no bootstrap phase events")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("exec Tor did not stop")
	}
}
