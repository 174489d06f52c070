// Command archy-desktop is the Archy node for a desktop: the window and tray
// by default, --headless for a node without a window, and CLI subcommands
// that talk to the running node over its control socket.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/tor"
)

// Set by the Makefile (-ldflags -X).
var (
	version = "0.0.0-dev"
	commit  = "unknown"
)

// startGUI runs the window and tray until the user quits; nil in a build
// without the desktop UI.
var startGUI func(n *node.Node, hidden bool) error

type globalFlags struct {
	dataDir     string
	torNetwork  string
	torProvider string
	torPath     string
	logLevel    string
	headless    bool
	hidden      bool
	showVersion bool
}

func defaultDataDir() string {
	if d := os.Getenv("ARCHY_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "archy-desktop")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "archy-desktop")
	}
	return "archy-desktop"
}

func main() {
	var g globalFlags
	fs := flag.NewFlagSet("archy-desktop", flag.ContinueOnError)
	fs.StringVar(&g.dataDir, "data-dir", defaultDataDir(), "data folder (keys, database, Tor state)")
	fs.StringVar(&g.torNetwork, "tor-network", os.Getenv("ARCHY_TOR_NETWORK"), "file with a private Tor network's DirAuthority lines (default: $ARCHY_TOR_NETWORK, else the live Tor network)")
	fs.StringVar(&g.torProvider, "tor-provider", string(tor.DefaultProvider()), "how Tor runs: embedded (inside this process) or exec (a tor executable)")
	fs.StringVar(&g.torPath, "tor-path", "", "tor executable for --tor-provider exec (default: tor on PATH)")
	fs.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.BoolVar(&g.headless, "headless", false, "run the node without a window")
	fs.BoolVar(&g.hidden, "hidden", false, "start hidden in the tray (used by start at login)")
	fs.BoolVar(&g.showVersion, "version", false, "print versions and exit")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if g.showVersion {
		fmt.Println(versionString())
		return
	}
	level, err := logrus.ParseLevel(g.logLevel)
	if err != nil {
		fail(err)
	}
	logrus.SetLevel(level)
	logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})

	if args := fs.Args(); len(args) > 0 {
		if err := runCLI(g, args); err != nil {
			fail(err)
		}
		return
	}
	if err := runNode(g); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "archy-desktop:", err)
	if errors.Is(err, node.ErrNotRunning) {
		os.Exit(3)
	}
	os.Exit(1)
}

func versionString() string {
	torv := tor.EmbeddedVersion()
	if torv == "" {
		torv = "not embedded (uses a tor executable)"
	} else {
		torv += " (embedded)"
	}
	return fmt.Sprintf("Archy Desktop %s (commit %s)\nTor %s", version, commit, torv)
}

func usage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, `Archy Desktop — your node of a private, Tor-based federation.

Usage:
  archy-desktop [flags]                 start the node with its window and tray icon
  archy-desktop --headless [flags]      start the node without a window
  archy-desktop [flags] COMMAND [args]  talk to the running node

Commands:
  status                                 Tor, address, peers and sync at a glance
  invite [--observer] [--ttl 24h] [--png FILE]
                                         make a single-use invite (link + QR code)
  join LINK|IMAGE                        pair using an invite link or a QR image/screenshot
  peers                                  list paired peers and pending pairings
  remove DID                             remove a peer for good
  trust DID trusted|observer             change a peer's trust level
  name NEW-NAME                          rename this node
  sync [DID]                             sync now (one peer, or all)
  pause | resume                         pause or resume sync
  autostart on|off|status                start at login (hidden in the tray)
  records add --protocol NAME FILE       sign and share a record
  records list [--protocol NAME]         list records

Flags:
`)
	fs.PrintDefaults()
}

func openNode(g globalFlags) (*node.Node, error) {
	nw := tor.Live
	if g.torNetwork != "" {
		var err error
		if nw, err = tor.LoadNetworkFile(g.torNetwork); err != nil {
			return nil, err
		}
	}
	return node.Open(node.Config{
		DataDir: g.dataDir, Network: nw, TorProvider: tor.Provider(g.torProvider), TorPath: g.torPath,
		AppVersion: version, Log: logrus.StandardLogger(),
	})
}

// runNode starts the node (GUI unless --headless) and runs until it is told
// to stop. A second launch asks the first one to show its window instead.
func runNode(g globalFlags) error {
	if c := node.NewControlClient(g.dataDir); c.Ping() == nil {
		if g.headless {
			return node.ErrAlreadyRunning
		}
		// Bring the running instance's window forward and leave.
		return c.Do("POST", "/v1/show", struct{}{}, nil)
	}
	n, err := openNode(g)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Close()
		return err
	}
	if err := n.ServeControl(); err != nil {
		n.Close()
		return err
	}
	if !g.headless && startGUI != nil {
		err := startGUI(n, g.hidden)
		n.Close()
		return err
	}
	if !g.headless {
		logrus.Warn("this build has no window; running headless")
	}
	fmt.Printf("Archy node %s\n", n.Name())
	fmt.Printf("  DID:     %s\n", n.DID())
	fmt.Printf("  address: %s.onion\n", n.Onion())
	fmt.Printf("  data:    %s\n", n.DataDir())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	s := <-sig
	logrus.WithField("signal", s.String()).Info("stopping")
	return n.Close()
}
