// Command archy-testnet starts and stops a private Tor network on 127.0.0.1
// for tests, demos and development.
//
//	archy-testnet run   [--dir D] [--base-port P]   foreground; Ctrl-C stops it
//	archy-testnet start [--dir D] [--base-port P]   background; prints the network file
//	archy-testnet stop  [--dir D]                   stops a started network by PID
//	archy-testnet status [--dir D]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/tor/testnet"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "directory of the network (keys, torrcs, logs, network.conf)")
	base := fs.Int("base-port", 0, "first of the consecutive 127.0.0.1 ports to use (0: pick free ones)")
	relays := fs.Int("relays", 4, "number of relays (the first one is an exit)")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for a usable consensus")
	fs.Parse(os.Args[2:])
	logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})

	switch cmd {
	case "run", "start":
		if n, err := testnet.Attach(*dir); err == nil && n.Running() {
			fmt.Fprintf(os.Stderr, "a network is already running in %s (archy-testnet stop --dir %s)\n", *dir, *dir)
			os.Exit(1)
		}
		os.RemoveAll(*dir)
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		n, err := testnet.Start(ctx, testnet.Options{Dir: *dir, BasePort: *base, Relays: *relays, Detach: cmd == "start"})
		cancel()
		if err != nil {
			logrus.Fatal(err)
		}
		fmt.Println(n.NetworkFile)
		if cmd == "start" {
			return
		}
		fmt.Fprintf(os.Stderr, "private Tor network running; use --tor-network %s; Ctrl-C stops it\n", n.NetworkFile)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		if err := n.Stop(); err != nil {
			logrus.Fatal(err)
		}
	case "stop":
		n, err := testnet.Attach(*dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "no network in %s: %v\n", *dir, err)
			return
		}
		if err := n.Stop(); err != nil {
			logrus.Fatal(err)
		}
	case "status":
		n, err := testnet.Attach(*dir)
		if err != nil || !n.Running() {
			fmt.Println("not running")
			os.Exit(1)
		}
		fmt.Printf("running (%d Tor processes), network file %s\n", len(n.Nodes), n.NetworkFile)
	default:
		usage()
		os.Exit(2)
	}
}

func defaultDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "archy-desktop", "testnet")
	}
	return filepath.Join(os.TempDir(), "archy-testnet")
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: archy-testnet run|start|stop|status [--dir DIR] [--base-port PORT]")
}
