package app

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// This file holds the UI's words: pure functions from State (and the clock)
// to the sentences people read. They are tested without widgets.

// Level says how a status should look.
type Level int

const (
	LevelWorking   Level = iota // something is in progress; nothing to do
	LevelOK                     // all is well
	LevelAttention              // the user should act
	LevelOff                    // stopped or paused on purpose
)

// Header is the status header's text for a Tor state.
type Header struct {
	Title  string
	Detail string
	Level  Level
	// OfferBridges: the bootstrap stalled; show a button that opens the
	// bridge settings.
	OfferBridges bool
}

// HeaderFor turns the Tor part of State into the words of the status header.
func HeaderFor(t node.TorState) Header {
	var h Header
	switch t.Phase {
	case node.TorStarting, "":
		h = Header{Title: "Starting Tor…", Detail: "The first start can take a minute; later starts are quicker.", Level: LevelWorking}
	case node.TorBootstrapping:
		h = Header{Title: "Connecting to Tor… " + percentWithSummary(t), Detail: "Archy talks to other nodes only through Tor, which keeps your address private.", Level: LevelWorking}
	case node.TorStalled:
		detail := "Your network may be blocking Tor. Bridges can get around that."
		if t.Summary != "" {
			detail = "Stuck at: " + t.Summary + ". " + detail
		}
		h = Header{
			Title:        fmt.Sprintf("Connecting to Tor is stuck at %d %%", t.Percent),
			Detail:       detail,
			Level:        LevelAttention,
			OfferBridges: true,
		}
	case node.TorPublishing:
		h = Header{Title: "Publishing your address…", Detail: "Tor is connected. In a moment other nodes will be able to reach you.", Level: LevelWorking}
	case node.TorOnline:
		if t.Reachable {
			h = Header{Title: "Online — reachable", Detail: "Your peers can reach this node through Tor.", Level: LevelOK}
		} else {
			h = Header{Title: "Online — checking that others can reach you…", Detail: "Your address is published; Archy is testing it through Tor.", Level: LevelWorking}
		}
	case node.TorStopped:
		if t.Error != "" {
			h = Header{Title: "Tor stopped", Detail: sentence(t.Error) + " You can reset Tor's state in Settings.", Level: LevelAttention}
		} else {
			h = Header{Title: "Offline", Detail: "Tor is not running.", Level: LevelOff}
		}
	default:
		h = Header{Title: "Tor: " + string(t.Phase), Level: LevelWorking}
	}
	if w, attention := torWarning(t.Warning); w != "" {
		h.Detail = w
		if attention && h.Level != LevelOff {
			h.Level = LevelAttention
		}
	}
	return h
}

// torReasons are Tor's connection-failure reason codes (control-spec
// "OR connection status"), which Tor also reports as bootstrap problems.
var torReasons = map[string]string{
	"DONE":           "a relay closed the connection",
	"CONNECTREFUSED": "a relay refused the connection",
	"IDENTITY":       "a relay was not the one expected",
	"CONNECTRESET":   "the connection was reset",
	"TIMEOUT":        "a connection timed out",
	"NOROUTE":        "this computer has no route to the network",
	"IOERROR":        "a network error",
	"RESOURCELIMIT":  "this computer ran out of connections",
	"MISC":           "a connection failed",
	"PT_MISSING":     "the bridge's transport program is missing",
}

// torWarning words a Tor warning for people. A bare reason code from a
// bootstrap hiccup is not something to act on (Tor retries; a lasting
// problem shows as a stalled bootstrap), so it does not ask for attention.
func torWarning(w string) (text string, attention bool) {
	w = strings.TrimSpace(w)
	if w == "" {
		return "", false
	}
	if r, ok := torReasons[strings.ToUpper(w)]; ok {
		return "Tor had trouble: " + r + ". It keeps trying.", false
	}
	return "Tor says: " + sentence(w), true
}

func percentWithSummary(t node.TorState) string {
	s := fmt.Sprintf("%d %%", t.Percent)
	if t.Summary != "" {
		s += " (" + t.Summary + ")"
	}
	return s
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "…") {
		s += "."
	}
	return s
}

// Ago says how long ago t was: "just now", "45 s ago", "3 min ago",
// "2 h ago", "3 days ago"; "never" for the zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
}

// In says how long until t: "in 14 s", "in 2 min", "in 3 h"; "now" once due.
func In(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("in %d s", int((d+time.Second-1)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("in %d min", int((d+time.Minute-1)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("in %d h", int((d+time.Hour-1)/time.Hour))
	default:
		return fmt.Sprintf("in %d days", int(d/(24*time.Hour)))
	}
}

// Bytes formats a size for people: "512 B", "12.3 kB", "4.0 MB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}

// PeerLine is what a peer row says about its sync.
type PeerLine struct {
	Status string  // "Last sync 3 min ago · next sync in 2 min", "Syncing: records 40 of 100 · 12.0 kB of 30.0 kB"
	Error  string  // why the last attempt failed, with the retry countdown
	Bar    bool    // show the progress bar
	Value  float64 // its value, 0–1
}

// PeerLineFor describes a peer's sync at the time now.
func PeerLineFor(p node.PeerState, now time.Time) PeerLine {
	s := p.Sync
	last := "Last sync " + Ago(s.LastSync, now)
	if s.LastSync.IsZero() {
		last = "Not synced yet"
	}
	next := ""
	if !s.NextSync.IsZero() {
		next = " · next sync " + In(s.NextSync, now)
	}
	counts := func() string {
		var parts []string
		if s.RecordsTotal > 0 || s.RecordsDone > 0 {
			parts = append(parts, fmt.Sprintf("records %d of %d", s.RecordsDone, s.RecordsTotal))
		}
		if s.BytesTotal > 0 {
			parts = append(parts, Bytes(s.BytesDone)+" of "+Bytes(s.BytesTotal))
		} else if s.BytesDone > 0 {
			parts = append(parts, Bytes(s.BytesDone))
		}
		return strings.Join(parts, " · ")
	}
	phase := func(name string, base float64) PeerLine {
		l := PeerLine{Status: name, Bar: true, Value: base}
		return l
	}
	switch s.Phase {
	case node.SyncQueued:
		return PeerLine{Status: "Waiting to sync…"}
	case node.SyncConnecting:
		return phase("Connecting through Tor…", 0.1)
	case node.SyncVerifying:
		return phase("Checking it is really "+peerName(p)+"…", 0.2)
	case node.SyncReconciling:
		l := phase("Comparing records…", 0.3)
		if c := counts(); c != "" {
			l.Status = "Comparing records: " + c
		}
		return l
	case node.SyncTransferring:
		l := phase("Syncing", 0.3)
		if c := counts(); c != "" {
			l.Status = "Syncing: " + c
		} else {
			l.Status = "Syncing…"
		}
		if s.RecordsTotal > 0 {
			l.Value = 0.3 + 0.7*float64(s.RecordsDone)/float64(s.RecordsTotal)
		} else if s.BytesTotal > 0 {
			l.Value = 0.3 + 0.7*float64(s.BytesDone)/float64(s.BytesTotal)
		}
		if l.Value > 1 {
			l.Value = 1
		}
		return l
	case node.SyncFailed:
		l := PeerLine{Status: last}
		msg := sentence(s.Error)
		if msg == "" {
			msg = "The last sync failed."
		}
		if s.Failures > 1 {
			since := ""
			if !s.FailingSince.IsZero() {
				since = ", since " + Ago(s.FailingSince, now)
			}
			msg += fmt.Sprintf(" (%d failed attempts%s)", s.Failures, since)
		}
		if !s.NextSync.IsZero() {
			if s.NextSync.After(now) {
				msg += " — retrying " + In(s.NextSync, now)
			} else {
				msg += " — retrying now"
			}
		}
		l.Error = msg
		return l
	case node.SyncPaused:
		return PeerLine{Status: last + " · sync paused"}
	default: // idle, synced
		if s.LastSync.IsZero() {
			return PeerLine{Status: "Not synced yet" + next}
		}
		return PeerLine{Status: last + next}
	}
}

func peerName(p node.PeerState) string {
	if p.Name != "" {
		return p.Name
	}
	return p.DID.Short()
}

// TrustWord is how a trust level reads in the peers list.
func TrustWord(t store.Trust) string {
	switch t {
	case store.Trusted:
		return "trusted"
	case store.Observer:
		return "observer (read-only)"
	}
	return string(t)
}

// PendingLine describes a pairing still in progress.
func PendingLine(p node.PendingState, now time.Time) string {
	var b strings.Builder
	if p.Role == "inviter" {
		b.WriteString("Joining with your invite")
	} else {
		b.WriteString("Pairing")
	}
	if p.Stage != "" {
		b.WriteString(" — " + p.Stage)
	}
	if p.Attempts > 1 {
		fmt.Fprintf(&b, " (attempt %d)", p.Attempts)
	}
	if !p.NextAttempt.IsZero() && p.NextAttempt.After(now) {
		b.WriteString(" · next try " + In(p.NextAttempt, now))
	}
	return b.String()
}

// SafetyWordsText joins safety words for display: "apple · river · stone · owl".
func SafetyWordsText(words []string) string { return strings.Join(words, " · ") }

// InviteErrorText turns an invite error into one short sentence for people.
func InviteErrorText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, invite.ErrOwnInvite):
		return "This is your own invite — send it to the other person."
	case errors.Is(err, invite.ErrExpired):
		return "This invite has expired — ask for a new one."
	case errors.Is(err, invite.ErrUsed):
		return "This invite was already used — ask for a new one."
	case errors.Is(err, invite.ErrWrongNetwork):
		return "This invite is for a different Tor network than the one this computer uses."
	case errors.Is(err, invite.ErrBadChecksum):
		return "This link is incomplete or has a typo — copy the whole link again, or open a picture of its QR code."
	case errors.Is(err, invite.ErrUnsupportedVersion):
		return "This invite was made by a newer version of Archy — update Archy and try again."
	case errors.Is(err, invite.ErrMalformed):
		return "That is not an Archy invite link. Copy the whole link, from ARCHY:// to the end."
	case errors.Is(err, invite.ErrNoQRCode):
		return "No QR code found in this picture — try a sharper screenshot, cropped to the code."
	case errors.Is(err, invite.ErrNotInviteQR):
		return "This QR code is not an Archy invite."
	case errors.Is(err, invite.ErrNotImage):
		return "This file is not a picture Archy can read — use PNG, JPEG or GIF."
	case errors.Is(err, invite.ErrImageTooLarge):
		return "This picture is too large — crop it to the QR code and try again."
	}
	return sentence(err.Error())
}

func warningNeedsAttention(w string) bool {
	_, attention := torWarning(w)
	return attention
}

// TrayIcon is the tray icon for a state.
type TrayIcon int

const (
	TrayStarting  TrayIcon = iota // starting or connecting to Tor
	TrayOnline                    // online, nothing to do
	TraySyncing                   // a sync is running
	TrayAttention                 // the user must act (the only coloured icon)
	TrayPaused                    // sync paused or Tor offline
)

func (i TrayIcon) String() string {
	return [...]string{"starting", "online", "syncing", "attention", "paused"}[i]
}

// TrayStatus is the tray's status line and icon for a State.
func TrayStatus(st node.State) (line string, icon TrayIcon) {
	t := st.Tor
	peers := func() string {
		o := st.Overall
		if o.TotalPeers == 0 {
			return "no peers yet"
		}
		s := fmt.Sprintf("%d of %d peers synced", o.SyncedPeers, o.TotalPeers)
		if o.TotalPeers == 1 {
			s = fmt.Sprintf("%d of 1 peer synced", o.SyncedPeers)
		}
		if o.Failing > 0 {
			s += fmt.Sprintf(", %d unreachable", o.Failing)
		}
		return s
	}
	switch {
	case t.Phase == node.TorStalled:
		return "Tor connection stuck — open Archy", TrayAttention
	case t.Phase == node.TorStopped && t.Error != "":
		return "Tor stopped — open Archy", TrayAttention
	case t.Phase != node.TorStopped && warningNeedsAttention(t.Warning):
		return "Tor needs attention — open Archy", TrayAttention
	case t.Phase == node.TorStopped:
		return "Offline", TrayPaused
	case t.Phase == node.TorStarting || t.Phase == "":
		return "Starting Tor…", TrayStarting
	case t.Phase == node.TorBootstrapping:
		return fmt.Sprintf("Connecting to Tor… %d %%", t.Percent), TrayStarting
	case t.Phase == node.TorPublishing:
		return "Publishing your address…", TrayStarting
	case st.SyncPaused:
		return "Sync paused · " + peers(), TrayPaused
	case st.Overall.Syncing:
		return "Syncing · " + peers(), TraySyncing
	case t.Phase == node.TorOnline && !t.Reachable:
		return "Online · checking reachability", TrayStarting
	default:
		return "Online · " + peers(), TrayOnline
	}
}
