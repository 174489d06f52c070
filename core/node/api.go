package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/peers"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Subscribe streams Events until cancel is called or the node stops.
func (n *Node) Subscribe() (<-chan Event, func()) { return n.hub.Subscribe() }

func (n *Node) emit(kind EventKind, peer identity.DID, msg string) {
	n.hub.Publish(Event{Kind: kind, State: n.State(), Peer: peer, Message: msg, Time: time.Now()})
}

// ShowWindow asks the UI to bring its window forward (a second launch).
func (n *Node) ShowWindow() { n.emit(EventShowWindow, "", "") }

// emitState publishes an EventState soon: bursts (e.g. sync progress while
// thousands of records arrive) are coalesced to a few per second.
func (n *Node) emitState() {
	select {
	case n.stateDirty <- struct{}{}:
	default:
	}
}

func (n *Node) stateLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.stateDirty:
			n.emit(EventState, "", "")
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (n *Node) onPeersEvent(ev peers.Event) {
	switch ev.Kind {
	case peers.EventPaired:
		n.emit(EventPaired, ev.DID, fmt.Sprintf("Paired with %s", ev.Name))
	case peers.EventVerified:
		// Mutual verification done: sync right away.
		if n.sync != nil {
			n.sync.PeerAdded(ev.DID)
		}
		n.emit(EventState, ev.DID, ev.Message)
	case peers.EventFailed:
		n.emit(EventPairingError, ev.DID, ev.Message)
	case peers.EventRemovedBy:
		if n.sync != nil {
			n.sync.PeerRemoved(ev.DID)
		}
		n.emit(EventState, ev.DID, ev.Message)
	default:
		n.emit(EventState, ev.DID, ev.Message)
	}
}

// Status is State under a name the CLI reads better.
func (n *Node) Status() State { return n.State() }

// State is a snapshot of everything the UI shows.
func (n *Node) State() State {
	n.mu.Lock()
	st := State{
		DID: n.DID(), Onion: n.Onion(), Network: n.netID.String(), AppVersion: n.cfg.AppVersion,
		Tor: n.torState, Started: n.started,
	}
	n.mu.Unlock()
	st.Name = n.Name()
	n.store.View(func(tx *store.Tx) error {
		ps, _ := tx.ListPeers()
		for _, p := range ps {
			st.Peers = append(st.Peers, PeerState{
				DID: p.DID, Name: p.Name, Trust: p.Trust, Onion: p.Onion, Verified: p.Verified,
				LastSeen: p.LastSeen, PairedAt: p.PairedAt,
				SafetyWords: invite.SafetyWords(st.DID, p.DID),
				Sync:        SyncState{Phase: SyncIdle},
			})
		}
		pend, _ := tx.ListPending()
		for _, p := range pend {
			st.Pending = append(st.Pending, PendingState{
				ID: p.ID, Role: p.Role, DID: p.PeerDID, Name: p.Name, Stage: p.Stage, Attempts: p.Attempts,
				NextAttempt: p.NextAttempt, LastError: friendlyError(p.LastError), SafetyWords: invite.SafetyWords(st.DID, p.PeerDID),
			})
		}
		return nil
	})
	n.fillSync(&st)
	return st
}

// CreateInvite issues a fresh single-use invite (ttl 0 = 24 h).
func (n *Node) CreateInvite(observer bool, ttl time.Duration) (*InviteInfo, error) {
	inv, err := n.peers.CreateInvite(observer, ttl)
	if err != nil {
		return nil, err
	}
	png, err := inv.QRPNG(512)
	if err != nil {
		return nil, err
	}
	n.emit(EventState, "", "")
	return &InviteInfo{Link: inv.Link(), QRPNG: png, Expires: inv.Expires, Observer: observer}, nil
}

func (n *Node) preview(inv *invite.Invite, link string) *InvitePreview {
	return &InvitePreview{
		Link: link, Name: inv.Name, DID: inv.DID(), Observer: inv.Observer, Expires: inv.Expires,
		SafetyWords: invite.SafetyWords(n.DID(), inv.DID()),
	}
}

// PreviewInvite parses a pasted invite link (see Backend in package app).
func (n *Node) PreviewInvite(link string) (*InvitePreview, error) {
	inv, err := n.peers.Preview(link)
	if err != nil {
		return nil, err
	}
	if err := n.checkNotPaired(inv); err != nil {
		return nil, err
	}
	return n.preview(inv, link), nil
}

// ErrAlreadyPaired is returned for an invite of a peer we are paired with.
var ErrAlreadyPaired = errors.New("you are already paired with this node")

func (n *Node) checkNotPaired(inv *invite.Invite) error {
	return n.store.View(func(tx *store.Tx) error {
		if p, err := tx.GetPeer(inv.DID()); err == nil && p.Verified {
			return fmt.Errorf("%w (%s)", ErrAlreadyPaired, p.Name)
		}
		return nil
	})
}

// PreviewInviteImage reads an invite from a QR image file or screenshot.
func (n *Node) PreviewInviteImage(path string) (*InvitePreview, error) {
	link, err := invite.DecodeImageFile(path)
	if err != nil {
		return nil, err
	}
	return n.PreviewInvite(link)
}

// Join starts pairing; progress comes as Events.
func (n *Node) Join(link string) error {
	_, err := n.peers.Join(link)
	return err
}

// RenamePeer changes the name shown for a peer.
func (n *Node) RenamePeer(did identity.DID, name string) error { return n.peers.Rename(did, name) }

// SetTrust makes a peer trusted or an observer.
func (n *Node) SetTrust(did identity.DID, trust store.Trust) error {
	return n.peers.SetTrust(did, trust)
}

// RemovePeer removes a peer for good (a tombstone keeps it out).
func (n *Node) RemovePeer(did identity.DID) error {
	if err := n.peers.Remove(did); err != nil {
		return err
	}
	n.sync.PeerRemoved(did)
	return nil
}

// CancelPending abandons a pending pairing.
func (n *Node) CancelPending(id string) error { return n.peers.CancelPending(id) }

// ExportDiagnostics writes the node's state as JSON with keys, invite
// secrets and onion addresses left out or shortened.
func (n *Node) ExportDiagnostics(w io.Writer) error {
	st := n.State()
	short := func(s string) string {
		if len(s) > 8 {
			return s[:8] + "…"
		}
		return s
	}
	st.Onion = short(st.Onion)
	for i := range st.Peers {
		st.Peers[i].Onion = short(st.Peers[i].Onion)
		st.Peers[i].DID = identity.DID(st.Peers[i].DID.Short())
		st.Peers[i].Snapshot = nil
	}
	for i := range st.Pending {
		st.Pending[i].DID = identity.DID(st.Pending[i].DID.Short())
		st.Pending[i].ID = st.Pending[i].Role
	}
	for i := range st.Suggestions {
		st.Suggestions[i].Onion = short(st.Suggestions[i].Onion)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Generated time.Time
		State     State
	}{time.Now().UTC(), st})
}
