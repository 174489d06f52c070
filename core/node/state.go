package node

import (
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
	fedsync "github.com/archy-desktop/archy-desktop/core/sync"
)

// TorPhase is where the node's connection to Tor stands, in the order a
// person sees it: connecting (bootstrap %) → publishing → online.
type TorPhase string

const (
	TorStarting      TorPhase = "starting"      // Tor is being started
	TorBootstrapping TorPhase = "bootstrapping" // Percent/Summary say how far
	TorStalled       TorPhase = "stalled"       // no progress for a while: offer bridges
	TorPublishing    TorPhase = "publishing"    // Tor ready; our address is being published
	TorOnline        TorPhase = "online"        // address published; Reachable once the self-check passed
	TorStopped       TorPhase = "stopped"       // Tor is not running (Error says why, if it failed)
)

// TorState is the Tor part of State.
type TorState struct {
	Phase   TorPhase
	Percent int    // bootstrap progress 0–100
	Tag     string // Tor's phase tag, e.g. "loading_descriptors"
	Summary string // Tor's phase summary, e.g. "Loading relay descriptors"
	// Reachable: a self-check dialed our own onion through Tor and got an answer.
	Reachable bool
	Warning   string // latest Tor warning for people (e.g. obsolete version, clock skew)
	Error     string
	Version   string // running Tor's version, e.g. "0.4.9.11"
	Provider  string // "embedded" or "exec"
}

// SyncPhase is a peer's sync progress, named phases rather than a bare %.
type SyncPhase = fedsync.Phase

// Sync phases, in the order a sync goes through them.
const (
	SyncIdle         = fedsync.PhaseIdle
	SyncQueued       = fedsync.PhaseQueued
	SyncConnecting   = fedsync.PhaseConnecting
	SyncVerifying    = fedsync.PhaseVerifying
	SyncReconciling  = fedsync.PhaseReconciling
	SyncTransferring = fedsync.PhaseTransferring
	SyncSynced       = fedsync.PhaseSynced
	SyncFailed       = fedsync.PhaseFailed
	SyncPaused       = fedsync.PhasePaused
)

// SyncState is one peer's sync progress: phase, counts (records and bytes
// done of needed), last and next sync, the error and its retry time.
type SyncState = fedsync.Progress

// PeerState is what the UI shows of a paired peer.
type PeerState struct {
	DID         identity.DID
	Name        string
	Trust       store.Trust
	Onion       string // full address; the UI shows it shortened
	Verified    bool   // mutual verification over Tor completed
	Online      bool   // answered within the last sync interval
	LastSeen    time.Time
	PairedAt    time.Time
	Sync        SyncState
	Snapshot    *Snapshot // the peer's latest state snapshot, if any
	SafetyWords []string
}

// Snapshot is a node's state as it shares it with peers (Archipelago's
// NodeStateSnapshot).
type Snapshot = fedsync.Snapshot

// PeerHint is a trusted peer as listed in a snapshot.
type PeerHint = fedsync.PeerHint

// PendingState is a pairing that has not completed yet; it survives restarts
// and retries by itself.
type PendingState struct {
	ID          string
	Role        string // "joiner" or "inviter"
	DID         identity.DID
	Name        string
	Stage       string // e.g. "joining", "verifying"
	Attempts    int
	NextAttempt time.Time
	LastError   string
	SafetyWords []string
}

// Suggestion is a peer learned from a trusted peer's snapshot: shown, never
// added automatically, never re-exported.
type Suggestion = fedsync.Suggestion

// InviteInfo is an invite this node issued.
type InviteInfo struct {
	Link     string
	QRPNG    []byte // level M
	Expires  time.Time
	Observer bool
	// SafetyHint: the words appear once the other side pairs (they derive
	// from both DIDs).
}

// InvitePreview is what a pasted or scanned invite says, before pairing.
type InvitePreview struct {
	Link        string
	Name        string
	DID         identity.DID
	Observer    bool
	Expires     time.Time
	SafetyWords []string
}

// Overall sums up sync for the tray: "k of n peers synced, last sync t".
type Overall = fedsync.Overall

// State is everything the UI shows. Every Event carries a fresh copy, so a
// UI only ever renders the latest State (the ipn.Notify model).
type State struct {
	DID         identity.DID
	Name        string
	Onion       string
	Network     string // "live" or a private network's id
	AppVersion  string
	Tor         TorState
	Peers       []PeerState
	Pending     []PendingState
	Suggestions []Suggestion
	SyncPaused  bool
	Overall     Overall
	Records     int
	Started     time.Time
}

// EventKind says what changed; State always has the result.
type EventKind string

const (
	EventState        EventKind = "state"         // anything in State changed
	EventPaired       EventKind = "paired"        // a pairing completed (Peer, Message)
	EventPairingError EventKind = "pairing-error" // a pairing attempt failed (Peer or Pending ID, Message)
	EventPeerFailing  EventKind = "peer-failing"  // a peer has failed to sync for a long time (not for flapping)
	EventTorWarning   EventKind = "tor-warning"   // Message: e.g. obsolete Tor
	EventShowWindow   EventKind = "show-window"   // a second launch asked this instance to show itself
	EventStopped      EventKind = "stopped"
)

// Event is one notification from the node.
type Event struct {
	Kind    EventKind
	State   State
	Peer    identity.DID
	Message string
	Time    time.Time
}

// RecordInfo describes a stored record for lists.
type RecordInfo struct {
	ID        string       `json:"id"`
	Author    identity.DID `json:"author"`
	Protocol  string       `json:"protocol"`
	CreatedAt time.Time    `json:"created_at"`
	Size      int          `json:"size"`
}

// Peer returns the paired peer with that DID, or nil.
func (s State) Peer(did identity.DID) *PeerState {
	for i := range s.Peers {
		if s.Peers[i].DID == did {
			return &s.Peers[i]
		}
	}
	return nil
}

// PendingWith returns the pending pairing with that DID, or nil.
func (s State) PendingWith(did identity.DID) *PendingState {
	for i := range s.Pending {
		if s.Pending[i].DID == did {
			return &s.Pending[i]
		}
	}
	return nil
}
