package app

import (
	"io"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Backend is what the UI needs from the node; *node.Node implements it. The
// UI only renders State from Events and calls these methods, never blocking
// its thread on them: every call that may touch the network returns at once
// and reports progress through Events.
type Backend interface {
	// State is the current state; Subscribe streams every change (each Event
	// carries a full State). cancel ends the subscription.
	State() node.State
	Subscribe() (events <-chan node.Event, cancel func())

	// CreateInvite issues a fresh single-use invite (ttl 0 = 24 h).
	CreateInvite(observer bool, ttl time.Duration) (*node.InviteInfo, error)
	// PreviewInvite parses a pasted link; PreviewInviteImage reads a QR code
	// from an image file or screenshot. Errors are the invite package's
	// (errors.Is: invite.ErrMalformed, ErrBadChecksum, ErrExpired, ErrUsed,
	// ErrWrongNetwork, ErrOwnInvite, ErrNoQRCode, ErrNotInviteQR, …), each
	// with a message written for people.
	PreviewInvite(link string) (*node.InvitePreview, error)
	PreviewInviteImage(path string) (*node.InvitePreview, error)
	// Join starts pairing with the invite's node and returns once the invite
	// is validated and the pairing is saved as pending; progress, success
	// (EventPaired) and failures (EventPairingError) come as Events.
	Join(link string) error

	SetName(name string) error
	RenamePeer(did identity.DID, name string) error
	SetTrust(did identity.DID, trust store.Trust) error
	RemovePeer(did identity.DID) error
	CancelPending(id string) error

	// SyncNow syncs one peer now, or every peer when did is "".
	SyncNow(did identity.DID)
	SetSyncPaused(paused bool)
	SyncInterval() time.Duration
	SetSyncInterval(d time.Duration) error

	// SetBridges stores bridge lines and restarts Tor with them; ResetTor
	// deletes Tor's cached state (keeps our keys) and restarts Tor.
	SetBridges(lines []string) error
	Bridges() []string
	ResetTor() error

	DataDir() string
	// ExportDiagnostics writes state and recent logs with keys, invite
	// secrets and peer onions scrubbed.
	ExportDiagnostics(w io.Writer) error
}
