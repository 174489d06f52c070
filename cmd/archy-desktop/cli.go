package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archy-desktop/archy-desktop/app/autostart"
	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// runCLI runs one subcommand against the running node.
func runCLI(g globalFlags, args []string) error {
	c := node.NewControlClient(g.dataDir)
	cmd, rest := args[0], args[1:]
	out := os.Stdout
	switch cmd {
	case "status":
		var st node.State
		if err := c.Do("GET", "/v1/status", nil, &st); err != nil {
			return err
		}
		printStatus(out, st)
	case "invite":
		fs := flag.NewFlagSet("invite", flag.ContinueOnError)
		observer := fs.Bool("observer", false, "the person joining will be an observer (read-only)")
		ttl := fs.Duration("ttl", invite.DefaultTTL, "how long the invite stays valid")
		png := fs.String("png", "", "also write the QR code to this PNG file")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		var info node.InviteInfo
		if err := c.Do("POST", "/v1/invite", node.InviteRequest{Observer: *observer, TTL: *ttl}, &info); err != nil {
			return err
		}
		if *png != "" {
			if err := os.WriteFile(*png, info.QRPNG, 0o600); err != nil {
				return err
			}
		}
		fmt.Fprint(out, invite.TerminalQR(info.Link))
		fmt.Fprintf(out, "\n%s\n\nSingle use; valid until %s.", info.Link, info.Expires.Local().Format("Mon 2 Jan 15:04"))
		if *observer {
			fmt.Fprint(out, " The person joining will be an observer.")
		}
		fmt.Fprintln(out)
		if *png != "" {
			fmt.Fprintf(out, "QR code written to %s\n", *png)
		}
	case "join":
		if len(rest) != 1 {
			return errors.New("usage: archy-desktop join LINK|IMAGE")
		}
		link := rest[0]
		if fi, err := os.Stat(link); err == nil && !fi.IsDir() {
			if link, err = invite.DecodeImageFile(link); err != nil {
				return err
			}
		}
		var p node.InvitePreview
		if err := c.Do("POST", "/v1/join", node.LinkRequest{Link: link}, &p); err != nil {
			return err
		}
		fmt.Fprintf(out, "Pairing with %q started.\nSafety words: %s\nCompare them with %s (by phone, in person); `archy-desktop peers` shows progress.\n",
			p.Name, strings.Join(p.SafetyWords, " "), p.Name)
	case "peers":
		var st node.State
		if err := c.Do("GET", "/v1/status", nil, &st); err != nil {
			return err
		}
		printPeers(out, st)
	case "remove":
		if len(rest) != 1 {
			return errors.New("usage: archy-desktop remove DID")
		}
		if err := c.Do("POST", "/v1/remove", node.PeerRequest{DID: identity.DID(rest[0])}, nil); err != nil {
			return err
		}
		fmt.Fprintln(out, "Removed. The peer is told when it is reachable, and stays removed unless you pair again.")
	case "trust":
		if len(rest) != 2 {
			return errors.New("usage: archy-desktop trust DID trusted|observer")
		}
		t, err := store.ParseTrust(rest[1])
		if err != nil {
			return err
		}
		return c.Do("POST", "/v1/trust", node.PeerRequest{DID: identity.DID(rest[0]), Trust: t}, nil)
	case "sync":
		var did identity.DID
		if len(rest) == 1 {
			did = identity.DID(rest[0])
		}
		return c.Do("POST", "/v1/sync", node.PeerRequest{DID: did}, nil)
	case "name":
		if len(rest) != 1 {
			return errors.New("usage: archy-desktop name NEW-NAME")
		}
		return c.Do("POST", "/v1/name", map[string]string{"name": rest[0]}, nil)
	case "pause", "resume":
		return c.Do("POST", "/v1/pause", node.PauseRequest{Paused: cmd == "pause"}, nil)
	case "records":
		return runRecords(c, out, rest)
	case "autostart":
		return autostart.Command(rest, out)
	default:
		return fmt.Errorf("unknown command %q (see archy-desktop --help)", cmd)
	}
	return nil
}

func runRecords(c *node.ControlClient, out io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: archy-desktop records add --protocol NAME FILE | records list [--protocol NAME]")
	}
	fs := flag.NewFlagSet("records "+args[0], flag.ContinueOnError)
	protocol := fs.String("protocol", "", "record protocol, e.g. notes")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "add":
		if *protocol == "" || fs.NArg() != 1 {
			return errors.New("usage: archy-desktop records add --protocol NAME FILE")
		}
		payload, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		var rec node.RecordInfo
		if err := c.Do("POST", "/v1/records", node.RecordRequest{Protocol: *protocol, Payload: payload}, &rec); err != nil {
			return err
		}
		fmt.Fprintf(out, "record %s (%s, %d bytes)\n", rec.ID, rec.Protocol, rec.Size)
	case "list":
		var recs []node.RecordInfo
		if err := c.Do("GET", "/v1/records?protocol="+url.QueryEscape(*protocol), nil, &recs); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPROTOCOL\tAUTHOR\tCREATED\tSIZE")
		for _, r := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", r.ID[:16], r.Protocol, r.Author.Short(), r.CreatedAt.Local().Format(time.DateTime), r.Size)
		}
		tw.Flush()
	default:
		return fmt.Errorf("unknown records command %q", args[0])
	}
	return nil
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	if d < 0 {
		return "in " + (-d).String()
	}
	return d.String() + " ago"
}

func printStatus(out io.Writer, st node.State) {
	fmt.Fprintf(out, "Node:    %s\nDID:     %s\nAddress: %s.onion\nNetwork: %s\n", st.Name, st.DID, st.Onion, st.Network)
	t := st.Tor
	switch t.Phase {
	case node.TorBootstrapping, node.TorStarting:
		fmt.Fprintf(out, "Tor:     connecting… %d %% (%s)\n", t.Percent, t.Summary)
	case node.TorStalled:
		fmt.Fprintf(out, "Tor:     stalled at %d %% (%s) — bridges may help\n", t.Percent, t.Summary)
	case node.TorPublishing:
		fmt.Fprintln(out, "Tor:     connected; publishing your address…")
	case node.TorOnline:
		if t.Reachable {
			fmt.Fprintln(out, "Tor:     online — reachable")
		} else {
			fmt.Fprintln(out, "Tor:     online — checking reachability…")
		}
	default:
		fmt.Fprintf(out, "Tor:     %s %s\n", t.Phase, t.Error)
	}
	if t.Version != "" {
		fmt.Fprintf(out, "         Tor %s (%s)\n", t.Version, t.Provider)
	}
	if t.Warning != "" {
		fmt.Fprintf(out, "         warning: %s\n", t.Warning)
	}
	o := st.Overall
	fmt.Fprintf(out, "Sync:    %d of %d peers synced, last sync %s", o.SyncedPeers, o.TotalPeers, ago(o.LastSync))
	if st.SyncPaused {
		fmt.Fprint(out, " (paused)")
	}
	fmt.Fprintf(out, "\nRecords: %d\n", st.Records)
	if len(st.Peers)+len(st.Pending) > 0 {
		fmt.Fprintln(out)
		printPeers(out, st)
	}
}

func printPeers(out io.Writer, st node.State) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTRUST\tSTATE\tLAST SYNC\tSAFETY WORDS\tDID")
	for _, p := range st.Peers {
		state := string(p.Sync.Phase)
		if !p.Verified {
			state = "verifying"
		}
		if p.Sync.Phase == node.SyncFailed && p.Sync.Error != "" {
			state = fmt.Sprintf("failed (%s), retry %s", p.Sync.Error, ago(p.Sync.NextSync))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Trust, state, ago(p.Sync.LastSync), strings.Join(p.SafetyWords, " "), p.DID)
	}
	for _, p := range st.Pending {
		state := "pending: " + p.Stage
		if p.LastError != "" {
			state += fmt.Sprintf(" (attempt %d failed: %s; next %s)", p.Attempts, p.LastError, ago(p.NextAttempt))
		}
		fmt.Fprintf(tw, "%s\t-\t%s\t-\t%s\t%s\n", p.Name, state, strings.Join(p.SafetyWords, " "), p.DID)
	}
	for _, s := range st.Suggestions {
		fmt.Fprintf(tw, "%s\tsuggested\t(via %s)\t-\t-\t%s\n", s.Name, s.Via.Short(), s.DID)
	}
	tw.Flush()
	if len(st.Peers)+len(st.Pending)+len(st.Suggestions) == 0 {
		fmt.Fprintln(out, "No peers yet: `archy-desktop invite` makes an invite to send to someone.")
	}
}
