// Package testnet brings up a private Tor network on 127.0.0.1 from Debian's
// tor and tor-gencert: directory authorities and relays with
// TestingTorNetwork 1, AssumeReachable 1 and short voting intervals, the way
// chutney does. Tests, demos and development use it; clients join it with
// TestingTorNetwork 1 plus the DirAuthority lines it writes to NetworkFile.
package testnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/tor"
)

// Options configures Start.
type Options struct {
	// Dir holds every node's data directory, torrc and log (created 0700).
	Dir string
	// BasePort is the first of the 2×(Authorities+Relays) consecutive ports
	// used on 127.0.0.1; 0 picks a free range.
	BasePort    int
	Authorities int // default 3
	Relays      int // default 4; the first one is an exit
	TorPath     string
	GencertPath string
	// Detach lets the Tor processes outlive this process (archy-testnet start);
	// otherwise they are killed if it dies.
	Detach bool
	Log    *logrus.Entry
}

// Node is one Tor process of the network.
type Node struct {
	Name        string
	Dir         string
	ORPort      int
	DirPort     int
	Fingerprint string
	Authority   bool
	Exit        bool
	PID         int
	cmd         *exec.Cmd
	exited      chan struct{}
}

// Network is a running private Tor network.
type Network struct {
	Dir         string
	NetworkFile string
	Network     tor.Network
	Nodes       []*Node
	log         *logrus.Entry
}

const (
	networkFileName = "network.conf"
	pidsFileName    = "pids"
)

// Start writes the configuration, starts every node and waits until the
// authorities publish a consensus that lists every relay with the flags
// onion services need.
func Start(ctx context.Context, o Options) (_ *Network, err error) {
	if o.Authorities == 0 {
		o.Authorities = 3
	}
	if o.Relays == 0 {
		o.Relays = 4
	}
	if o.TorPath == "" {
		o.TorPath = "tor"
	}
	if o.GencertPath == "" {
		o.GencertPath = "tor-gencert"
	}
	if o.Log == nil {
		o.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	for _, p := range []string{o.TorPath, o.GencertPath} {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("testnet: %s not found (apt-get install tor): %w", p, err)
		}
	}
	if o.Dir == "" {
		return nil, errors.New("testnet: Dir is required")
	}
	total := o.Authorities + o.Relays
	if o.BasePort == 0 {
		if o.BasePort, err = freePortRange(2 * total); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	n := &Network{Dir: o.Dir, NetworkFile: filepath.Join(o.Dir, networkFileName), log: o.Log.WithField("component", "testnet")}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	for i := 0; i < total; i++ {
		node := &Node{ORPort: o.BasePort + 2*i, DirPort: o.BasePort + 2*i + 1}
		if i < o.Authorities {
			node.Name, node.Authority = fmt.Sprintf("auth%d", i), true
		} else {
			node.Name = fmt.Sprintf("relay%d", i-o.Authorities)
			node.Exit = i == o.Authorities
		}
		node.Dir = filepath.Join(o.Dir, node.Name)
		if err := os.MkdirAll(node.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		n.Nodes = append(n.Nodes, node)
	}
	start := time.Now()
	var auths []string
	for _, node := range n.Nodes {
		if err := node.makeIdentity(ctx, o); err != nil {
			return nil, err
		}
		if node.Authority {
			v3, err := node.makeAuthorityKeys(ctx, o)
			if err != nil {
				return nil, err
			}
			auths = append(auths, fmt.Sprintf("%s orport=%d no-v2 v3ident=%s 127.0.0.1:%d %s",
				node.Name, node.ORPort, v3, node.DirPort, node.Fingerprint))
		}
	}
	n.Network = tor.Network{DirAuthorities: auths}
	if err := n.writeNetworkFile(); err != nil {
		return nil, err
	}
	for _, node := range n.Nodes {
		if err := node.writeTorrc(n, o.Relays); err != nil {
			return nil, err
		}
	}
	n.log.WithFields(logrus.Fields{"dir": o.Dir, "base_port": o.BasePort, "keys": time.Since(start).Round(time.Millisecond)}).Info("starting private Tor network")
	for _, node := range n.Nodes {
		if err := node.start(o); err != nil {
			return nil, err
		}
	}
	if err := n.writePids(); err != nil {
		return nil, err
	}
	if err := n.WaitConsensus(ctx); err != nil {
		return nil, err
	}
	n.log.WithField("after", time.Since(start).Round(100*time.Millisecond)).Info("private Tor network has a consensus")
	return n, nil
}

// freePortRange finds count consecutive free TCP ports on 127.0.0.1.
func freePortRange(count int) (int, error) {
	for try := 0; try < 50; try++ {
		base := 20000 + int(time.Now().UnixNano()/1000%20000)&^1 + try*97
		ok := true
		for p := base; p < base+count && ok; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("testnet: no free port range on 127.0.0.1")
}

func run(ctx context.Context, stdin string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("testnet: %s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// makeIdentity creates the node's relay identity and reads its fingerprint.
func (node *Node) makeIdentity(ctx context.Context, o Options) error {
	if _, err := run(ctx, "", o.TorPath, "--quiet", "--ignore-missing-torrc", "-f", os.DevNull,
		"--list-fingerprint", "--DataDirectory", node.Dir, "--ORPort", "127.0.0.1:"+strconv.Itoa(node.ORPort),
		"--Nickname", node.Name, "--GeoIPFile", os.DevNull, "--GeoIPv6File", os.DevNull); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(node.Dir, "fingerprint"))
	if err != nil {
		return fmt.Errorf("testnet: %s fingerprint: %w", node.Name, err)
	}
	fields := strings.Fields(string(raw))
	if len(fields) != 2 || len(fields[1]) != 40 {
		return fmt.Errorf("testnet: %s: unexpected fingerprint file %q", node.Name, raw)
	}
	node.Fingerprint = fields[1]
	return nil
}

// makeAuthorityKeys creates the v3 authority keys and returns the v3ident.
func (node *Node) makeAuthorityKeys(ctx context.Context, o Options) (string, error) {
	keys := filepath.Join(node.Dir, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return "", err
	}
	if _, err := run(ctx, "\n", o.GencertPath, "--create-identity-key", "--passphrase-fd", "0", "-m", "12",
		"-a", "127.0.0.1:"+strconv.Itoa(node.DirPort),
		"-i", filepath.Join(keys, "authority_identity_key"),
		"-s", filepath.Join(keys, "authority_signing_key"),
		"-c", filepath.Join(keys, "authority_certificate")); err != nil {
		return "", err
	}
	cert, err := os.ReadFile(filepath.Join(keys, "authority_certificate"))
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(cert))
	for sc.Scan() {
		if fp, ok := strings.CutPrefix(sc.Text(), "fingerprint "); ok {
			return strings.TrimSpace(fp), nil
		}
	}
	return "", fmt.Errorf("testnet: %s: no fingerprint in authority certificate", node.Name)
}

func (n *Network) writeNetworkFile() error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Private Tor network written by archy-testnet (network id %s).\n", n.Network.ID())
	b.WriteString("# Clients need TestingTorNetwork 1 and these DirAuthority lines.\n")
	for _, a := range n.Network.DirAuthorities {
		b.WriteString("DirAuthority " + a + "\n")
	}
	return os.WriteFile(n.NetworkFile, []byte(b.String()), 0o644)
}

func (node *Node) writeTorrc(n *Network, relays int) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("TestingTorNetwork 1")
	line("DataDirectory %s", node.Dir)
	line("PidFile %s", filepath.Join(node.Dir, "pid"))
	line("Log notice file %s", filepath.Join(node.Dir, "notice.log"))
	line("Nickname %s", node.Name)
	line("ContactInfo %s@archy-testnet.invalid", node.Name)
	line("Address 127.0.0.1")
	line("ORPort 127.0.0.1:%d", node.ORPort)
	line("DirPort 127.0.0.1:%d", node.DirPort)
	line("SocksPort 0")
	line("ControlPort 0")
	line("AssumeReachable 1")
	line("SafeLogging 0")
	line("ShutdownWaitLength 0")
	line("GeoIPFile %s", os.DevNull)
	line("GeoIPv6File %s", os.DevNull)
	line("RunAsDaemon 0")
	for _, a := range n.Network.DirAuthorities {
		line("DirAuthority %s", a)
	}
	if node.Authority {
		line("AuthoritativeDirectory 1")
		line("V3AuthoritativeDirectory 1")
		line("V3AuthVotingInterval 10")
		line("V3AuthVoteDelay 2")
		line("V3AuthDistDelay 2")
		line("TestingV3AuthInitialVotingInterval 10")
		line("TestingV3AuthInitialVoteDelay 2")
		line("TestingV3AuthInitialDistDelay 2")
		line("TestingV3AuthVotingStartOffset 0")
		// Onion circuits need Stable relays; by default only relays above
		// median uptime get it, which stalls a young network for minutes.
		line("AuthDirVoteStableGuaranteeMinUptime 0")
		line("AuthDirVoteStableGuaranteeMTBF 0")
		line("TestingDirAuthVoteGuard *")
		line("TestingDirAuthVoteHSDir *")
		line("TestingDirAuthVoteExit %s", n.exitFingerprints())
		// Fresh relays report ~0 KB/s, so every path would collapse onto one
		// relay: give the authorities measured bandwidths instead.
		bw := filepath.Join(node.Dir, "bandwidth")
		if err := n.writeBandwidthFile(bw); err != nil {
			return err
		}
		line("V3BandwidthsFile %s", bw)
		line("ExitPolicy reject *:*")
	} else if node.Exit {
		line("ExitRelay 1")
		line("ExitPolicyRejectPrivate 0")
		line("ExitPolicy accept 127.0.0.0/8:*, reject *:*")
		line("ServerDNSDetectHijacking 0")
		line("ServerDNSTestAddresses")
		line("ServerDNSAllowBrokenConfig 1")
	} else {
		line("ExitRelay 0")
		line("ExitPolicy reject *:*")
	}
	return os.WriteFile(filepath.Join(node.Dir, "torrc"), []byte(b.String()), 0o600)
}

func (n *Network) exitFingerprints() string {
	var fps []string
	for _, node := range n.Nodes {
		if node.Exit {
			fps = append(fps, "$"+node.Fingerprint)
		}
	}
	return strings.Join(fps, ",")
}

func (n *Network) writeBandwidthFile(path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", time.Now().Unix())
	for _, node := range n.Nodes {
		fmt.Fprintf(&b, "node_id=$%s bw=1000\n", node.Fingerprint)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func (node *Node) start(o Options) error {
	logf, err := os.OpenFile(filepath.Join(node.Dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(o.TorPath, "-f", filepath.Join(node.Dir, "torrc"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(o.Detach)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testnet: start %s: %w", node.Name, err)
	}
	node.cmd, node.PID, node.exited = cmd, cmd.Process.Pid, make(chan struct{})
	go func() { cmd.Wait(); close(node.exited) }()
	return nil
}

func (n *Network) writePids() error {
	var b strings.Builder
	for _, node := range n.Nodes {
		if node.PID != 0 {
			fmt.Fprintf(&b, "%s %d\n", node.Name, node.PID)
		}
	}
	return os.WriteFile(filepath.Join(n.Dir, pidsFileName), []byte(b.String()), 0o600)
}

// WaitConsensus waits until an authority serves a consensus that lists every
// node as Running, at least three relays with the HSDir, Stable, Fast and
// Guard flags onion services need, and an exit.
func (n *Network) WaitConsensus(ctx context.Context) error {
	var auth *Node
	for _, node := range n.Nodes {
		if node.Authority {
			auth = node
			break
		}
	}
	if auth == nil {
		return errors.New("testnet: no authority")
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/tor/status-vote/current/consensus-microdesc", auth.DirPort)
	var last string
	for {
		if dead := n.deadNode(); dead != nil {
			return fmt.Errorf("testnet: %s exited; see %s", dead.Name, filepath.Join(dead.Dir, "notice.log"))
		}
		if ok, why := consensusReady(hc, url, len(n.Nodes)); ok {
			return nil
		} else {
			last = why
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testnet: no usable consensus (%s): %w", last, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func (n *Network) deadNode() *Node {
	for _, node := range n.Nodes {
		if node.exited == nil {
			continue
		}
		select {
		case <-node.exited:
			return node
		default:
		}
	}
	return nil
}

func consensusReady(hc *http.Client, url string, nodes int) (bool, string) {
	resp, err := hc.Get(url)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, "consensus: " + resp.Status
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return false, err.Error()
	}
	var running, hs, exits int
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		flags, ok := strings.CutPrefix(sc.Text(), "s ")
		if !ok {
			continue
		}
		set := map[string]bool{}
		for _, f := range strings.Fields(flags) {
			set[f] = true
		}
		if set["Running"] && set["Valid"] {
			running++
		}
		if set["HSDir"] && set["Stable"] && set["Fast"] && set["Guard"] && set["Running"] {
			hs++
		}
		if set["Exit"] && set["Running"] {
			exits++
		}
	}
	why := fmt.Sprintf("%d/%d running, %d onion-capable, %d exits", running, nodes, hs, exits)
	return running >= nodes && hs >= 3 && exits >= 1, why
}

// Stop ends every process the network started, by PID: SIGTERM, then SIGKILL
// for any that is still there after 10 s.
func (n *Network) Stop() error {
	var errs []error
	for _, node := range n.Nodes {
		if node.PID != 0 {
			if err := node.stop(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	os.Remove(filepath.Join(n.Dir, pidsFileName))
	return errors.Join(errs...)
}

func (node *Node) stop() error {
	if node.cmd == nil && !isOurTor(node.PID, node.Dir) {
		return nil // gone already, or the PID now belongs to someone else
	}
	p, err := os.FindProcess(node.PID)
	if err != nil {
		return nil
	}
	_ = p.Signal(syscall.SIGTERM)
	gone := func() bool {
		if node.exited != nil {
			select {
			case <-node.exited:
				return true
			default:
				return false
			}
		}
		return !isOurTor(node.PID, node.Dir)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !gone() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !gone() {
		_ = p.Signal(syscall.SIGKILL)
		for i := 0; i < 100 && !gone(); i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if !gone() {
			return fmt.Errorf("testnet: %s (pid %d) does not stop", node.Name, node.PID)
		}
	}
	node.PID = 0
	return nil
}

// isOurTor reports whether pid is a live tor process started for dir.
func isOurTor(pid int, dir string) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err == nil {
		// A zombie has exited; only its parent has not reaped it yet.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return bytes.Contains(cmdline, []byte(filepath.Join(dir, "torrc")))
}

// Attach finds a network started earlier (e.g. by `archy-testnet start`) in dir.
func Attach(dir string) (*Network, error) {
	nw, err := tor.LoadNetworkFile(filepath.Join(dir, networkFileName))
	if err != nil {
		return nil, err
	}
	n := &Network{Dir: dir, NetworkFile: filepath.Join(dir, networkFileName), Network: nw, log: logrus.WithField("component", "testnet")}
	raw, err := os.ReadFile(filepath.Join(dir, pidsFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		name, pidStr, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil {
			return nil, fmt.Errorf("testnet: bad pids file line %q", line)
		}
		n.Nodes = append(n.Nodes, &Node{Name: name, PID: pid, Dir: filepath.Join(dir, name)})
	}
	return n, nil
}

// Running reports whether every node recorded for the network is alive.
func (n *Network) Running() bool {
	if len(n.Nodes) == 0 {
		return false
	}
	for _, node := range n.Nodes {
		if node.exited != nil {
			select {
			case <-node.exited:
				return false
			default:
				continue
			}
		}
		if !isOurTor(node.PID, node.Dir) {
			return false
		}
	}
	return true
}
