// Package peers is the pairing protocol and the peer lifecycle: invites we
// issue, federation.join / federation.confirm / federation.leave, mutual
// verification over Tor, pending pairings that survive restarts and retry on
// their own, v3 client-authorization keys, and durable tombstones.
//
// The transcript both sides sign is described in docs/PROTOCOL.md.
package peers

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/curve25519"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/rpc"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Signature domains of the pairing transcript.
const (
	domainInviter = "pair/inviter"
	domainJoiner  = "pair/joiner"
)

// RPC method names.
const (
	MethodDID     = "node.did"
	MethodJoin    = "federation.join"
	MethodConfirm = "federation.confirm"
	MethodLeave   = "federation.leave"
)

// Pairing stages kept in store.Pending.Stage.
const (
	StageJoining   = "joining"   // joiner: presenting the invite to the inviter
	StageVerifying = "verifying" // both: dialing the other's onion to check node.did
	StageFailed    = "failed"    // gave up for a reason no retry can change (LastError); shown until dismissed
)

// Retry schedule of pending pairings and leave notices.
var (
	RetryBase = 5 * time.Second
	RetryCap  = 5 * time.Minute
)

// handshakeTTL bounds how long an inviter waits for a joiner's confirm.
const handshakeTTL = 10 * time.Minute

// VerifyDelay is how long an inviter waits before its first check of a new
// peer's onion.
var VerifyDelay = 8 * time.Second

// UsedInviteGrace keeps a used invite's client key authorised a little
// longer, so a joiner whose confirm answer was lost (the onion is
// republished right after a pairing) can still retry with it.
var UsedInviteGrace = 15 * time.Minute

// Caller makes one RPC call to a peer's onion through Tor, authenticating
// with v3 client authorization key dialKey (Tor is given it before dialing).
// callee "" makes an unauthenticated call.
type Caller func(ctx context.Context, onion string, dialKey []byte, callee identity.DID, method string, params, result any) error

// Config configures a Manager.
type Config struct {
	Store   *store.Store
	Keys    *identity.Keys
	Network invite.NetworkID
	// Name is this node's display name (read at every use).
	Name func() string
	// Version is reported by node.did.
	Version string
	Call    Caller
	// ClientsChanged is called (outside any lock) when the set of client keys
	// our onion must authorise changed; the node republishes the onion.
	ClientsChanged func()
	// Notify reports progress for the UI: kind is one of the Event* constants.
	Notify func(ev Event)
	Log    *logrus.Entry
	Now    func() time.Time
}

// Event kinds passed to Config.Notify.
const (
	EventChanged   = "changed"       // peers, pending or tombstones changed
	EventPaired    = "paired"        // a pairing completed (DID, Name)
	EventVerified  = "verified"      // mutual verification over Tor completed
	EventFailed    = "pairing-error" // a pairing attempt failed; it will retry
	EventRemovedBy = "removed-by"    // a peer removed us (federation.leave)
)

// Event is a notification from the Manager.
type Event struct {
	Kind    string
	DID     identity.DID
	Name    string
	Message string
}

// Manager runs pairing for one node.
type Manager struct {
	cfg  Config
	log  *logrus.Entry
	self identity.DID
	// selfClient is our own x25519 client key: our onion always authorises
	// it, so client authorization is on even with no peers, and the
	// reachability self-check uses it.
	selfClient [32]byte

	mu         sync.Mutex
	handshakes map[string]*handshake // by inviter nonce (hex)
	wake       chan struct{}
}

type handshake struct {
	secretHash   [32]byte
	observer     bool
	joiner       identity.DID
	joinerOnion  string
	joinerName   string
	joinerNonce  []byte
	joinerClient []byte // x25519 public key the joiner will dial us with
	nonce        []byte
	ts           int64
	dialKey      [32]byte // our x25519 private key for dialing the joiner
	created      time.Time
	done         bool
}

// New creates a Manager. selfClientKey is the node's own x25519 client key.
func New(cfg Config, selfClientKey [32]byte) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.Notify == nil {
		cfg.Notify = func(Event) {}
	}
	if cfg.ClientsChanged == nil {
		cfg.ClientsChanged = func() {}
	}
	return &Manager{
		cfg: cfg, log: cfg.Log.WithField("component", "peers"), self: cfg.Keys.DID(),
		selfClient: selfClientKey, handshakes: map[string]*handshake{}, wake: make(chan struct{}, 1),
	}
}

// X25519Public returns the public key of an x25519 private key.
func X25519Public(priv [32]byte) [32]byte {
	pub, err := curve25519.X25519(priv[:], curve25519.Basepoint)
	if err != nil {
		panic(err) // only for an all-zero result, impossible with a random key
	}
	var out [32]byte
	copy(out[:], pub)
	return out
}

// NewX25519Key returns a fresh random x25519 private key.
func NewX25519Key() [32]byte {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic(err)
	}
	return k
}

func randomNonce() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// ---------------------------------------------------------------------------
// Authorization for the RPC server.

// Authorize tells the RPC server whether did may make signed calls: it must
// be a paired peer; a tombstoned DID gets its own error.
func (m *Manager) Authorize(did identity.DID) error {
	return m.cfg.Store.View(func(tx *store.Tx) error {
		if _, err := tx.GetPeer(did); err == nil {
			return nil
		}
		if tx.IsTombstoned(did) {
			return rpc.ErrRemovedPeer
		}
		return rpc.ErrUnknownPeer
	})
}

// AuthorizedClients is the set of x25519 public keys our onion service must
// accept: our own, every paired peer's, and every open invite's.
func (m *Manager) AuthorizedClients() ([][32]byte, error) {
	keys := [][32]byte{X25519Public(m.selfClient)}
	now := m.cfg.Now()
	err := m.cfg.Store.View(func(tx *store.Tx) error {
		peers, err := tx.ListPeers()
		if err != nil {
			return err
		}
		for _, p := range peers {
			if len(p.AuthorizedKey) == 32 {
				keys = append(keys, [32]byte(p.AuthorizedKey))
			}
		}
		invites, err := tx.ListInvites()
		if err != nil {
			return err
		}
		for _, inv := range invites {
			open := !inv.Used() && now.Before(inv.Expires)
			grace := inv.Used() && now.Before(inv.UsedAt.Add(UsedInviteGrace))
			if (open || grace) && len(inv.ClientAuthPublic) == 32 {
				keys = append(keys, [32]byte(inv.ClientAuthPublic))
			}
		}
		return nil
	})
	return keys, err
}

// ---------------------------------------------------------------------------
// Invites.

// CreateInvite issues a single-use invite and authorises its client key on
// our onion (via ClientsChanged).
func (m *Manager) CreateInvite(observer bool, ttl time.Duration) (*invite.Invite, error) {
	k := m.cfg.Keys
	inv, err := invite.New(k.NodePublic(), k.OnionPublic(), m.cfg.Name(), m.cfg.Network, ttl, observer, m.cfg.Now())
	if err != nil {
		return nil, err
	}
	pub := inv.ClientAuthPublic()
	rec := &store.Invite{
		SecretHash: sha256.Sum256(inv.Secret[:]), CreatedAt: m.cfg.Now(), Expires: inv.Expires,
		Observer: observer, ClientAuthPublic: pub[:],
	}
	if err := m.cfg.Store.Update(func(tx *store.Tx) error { return tx.PutInvite(rec) }); err != nil {
		return nil, err
	}
	m.log.WithFields(logrus.Fields{"observer": observer, "expires": inv.Expires.Format(time.RFC3339)}).Info("invite created")
	m.cfg.ClientsChanged()
	return inv, nil
}

// Preview parses an invite link for this node: every error is the invite
// package's, plus invite.ErrUsed when we already paired with that inviter
// through it.
func (m *Manager) Preview(link string) (*invite.Invite, error) {
	return invite.Parse(link, m.cfg.Now(), m.cfg.Network, m.self)
}

// ---------------------------------------------------------------------------
// Joiner side.

// joinerData is the joiner's state kept in store.Pending.Data across restarts.
type joinerData struct {
	DialKey  []byte `json:"dial_key"`  // our x25519 private key for dialing the inviter
	Observer bool   `json:"observer"`  // the invite made us an observer
	PeerKey  []byte `json:"peer_key"`  // the inviter's client public key (after join)
	Done     bool   `json:"confirmed"` // confirm succeeded
}

// Join validates an invite, saves the pairing as pending and starts it in
// the background; it returns the pending pairing's ID.
func (m *Manager) Join(link string) (string, error) {
	inv, err := m.Preview(link)
	if err != nil {
		return "", err
	}
	did := inv.DID()
	id := "join-" + string(did)
	dial := NewX25519Key()
	data, _ := json.Marshal(joinerData{DialKey: dial[:], Observer: inv.Observer})
	err = m.cfg.Store.Update(func(tx *store.Tx) error {
		if p, err := tx.GetPeer(did); err == nil && p.Verified {
			return fmt.Errorf("you are already paired with %s", p.Name)
		}
		if old, err := tx.GetPending(id); err == nil && old.Stage != StageFailed {
			return fmt.Errorf("a pairing with %s is already under way", inv.Name)
		}
		return tx.PutPending(&store.Pending{
			ID: id, Role: store.RoleJoiner, PeerDID: did, Onion: inv.Onion(), Name: inv.Name,
			Link: link, Stage: StageJoining, NextAttempt: m.cfg.Now(), CreatedAt: m.cfg.Now(), Data: data,
		})
	})
	if err != nil {
		return "", err
	}
	m.log.WithField("peer", did.Short()).Info("pairing started")
	m.cfg.Notify(Event{Kind: EventChanged, DID: did, Name: inv.Name})
	m.Wake()
	return id, nil
}

type joinParams struct {
	Secret     string       `json:"invite_secret"` // base64url of the 16-byte secret
	DID        identity.DID `json:"did"`
	Onion      string       `json:"onion"`
	Name       string       `json:"name"`
	Nonce      string       `json:"nonce"`       // base64url, 16 bytes
	ClientAuth string       `json:"client_auth"` // base64url x25519 public key
	Network    string       `json:"network"`
	Timestamp  int64        `json:"timestamp"`
}

type joinResult struct {
	DID        identity.DID `json:"did"`
	Onion      string       `json:"onion"`
	Name       string       `json:"name"`
	Nonce      string       `json:"nonce"`
	ClientAuth string       `json:"client_auth"`
	Timestamp  int64        `json:"timestamp"`
	Signature  string       `json:"signature"`
	Observer   bool         `json:"observer"`
}

type confirmParams struct {
	DID          identity.DID `json:"did"`
	InviterNonce string       `json:"inviter_nonce"`
	Signature    string       `json:"signature"`
}

var b64 = base64.RawURLEncoding

// transcript is what both sides sign: both DIDs, both onions, both nonces
// and the inviter's timestamp.
func transcript(inviter, joiner identity.DID, inviterOnion, joinerOnion string, inviterNonce, joinerNonce []byte, ts int64) [][]byte {
	return [][]byte{
		[]byte(inviter), []byte(joiner), []byte(inviterOnion), []byte(joinerOnion),
		inviterNonce, joinerNonce, []byte(strconv.FormatInt(ts, 10)),
	}
}

// attemptJoin runs the joiner's side: join, verify the inviter's signature,
// confirm, then store the peer.
func (m *Manager) attemptJoin(ctx context.Context, p *store.Pending) error {
	var jd joinerData
	if err := json.Unmarshal(p.Data, &jd); err != nil || len(jd.DialKey) != 32 {
		return errors.New("corrupt pending pairing")
	}
	inv, err := invite.Parse(p.Link, m.cfg.Now(), m.cfg.Network, m.self)
	if err != nil && !(errors.Is(err, invite.ErrExpired) && jd.PeerKey != nil) {
		return permanent(err)
	}
	secret := inv.Secret
	inviteKey := inv.ClientAuthKey()
	myDial := [32]byte(jd.DialKey)
	nonce := randomNonce()
	params := joinParams{
		Secret: b64.EncodeToString(secret[:]), DID: m.self, Onion: m.cfg.Keys.OnionAddress(), Name: m.cfg.Name(),
		Nonce: b64.EncodeToString(nonce), ClientAuth: b64.EncodeToString(pubBytes(X25519Public(myDial))),
		Network: m.cfg.Network.String(), Timestamp: m.cfg.Now().Unix(),
	}
	var res joinResult
	if err := m.cfg.Call(ctx, p.Onion, inviteKey[:], "", MethodJoin, params, &res); err != nil {
		return classifyRemote(err)
	}
	// The inviter must be who the invite names, and must hold its key.
	if res.DID != p.PeerDID || res.Onion != p.Onion {
		return permanent(errors.New("the other node answered with a different identity than its invite"))
	}
	iNonce, err1 := b64.DecodeString(res.Nonce)
	sig, err2 := b64.DecodeString(res.Signature)
	peerClient, err3 := b64.DecodeString(res.ClientAuth)
	if err := errors.Join(err1, err2, err3); err != nil || len(iNonce) != 16 || len(peerClient) != 32 {
		return errors.New("malformed answer to federation.join")
	}
	fields := transcript(res.DID, m.self, res.Onion, params.Onion, iNonce, nonce, res.Timestamp)
	if !identity.Verify(inv.DIDKey, sig, domainInviter, fields...) {
		return permanent(errors.New("the other node's signature does not match its invite"))
	}
	mySig := identity.Sign(m.cfg.Keys.Node, domainJoiner, fields...)
	if err := m.cfg.Call(ctx, p.Onion, inviteKey[:], "", MethodConfirm, confirmParams{
		DID: m.self, InviterNonce: res.Nonce, Signature: b64.EncodeToString(mySig),
	}, nil); err != nil {
		return classifyRemote(err)
	}
	// Paired. Store the peer and move on to mutual verification.
	now := m.cfg.Now()
	trust := store.Trusted
	err = m.cfg.Store.Update(func(tx *store.Tx) error {
		if err := tx.DeleteTombstone(p.PeerDID); err != nil {
			return err
		}
		if err := tx.PutPeer(&store.Peer{
			DID: p.PeerDID, Onion: p.Onion, Name: invite.CleanName(res.Name), Trust: trust,
			DialKey: jd.DialKey, AuthorizedKey: peerClient, PairedAt: now,
		}); err != nil {
			return err
		}
		jd.PeerKey, jd.Done = peerClient, true
		data, _ := json.Marshal(jd)
		p.Data, p.Stage, p.Attempts, p.LastError, p.NextAttempt = data, StageVerifying, 0, "", now
		p.Name = invite.CleanName(res.Name)
		return tx.PutPending(p)
	})
	if err != nil {
		return err
	}
	m.log.WithField("peer", p.PeerDID.Short()).Info("paired (joiner); verifying over Tor")
	m.cfg.ClientsChanged()
	m.cfg.Notify(Event{Kind: EventPaired, DID: p.PeerDID, Name: p.Name})
	return nil
}

func pubBytes(k [32]byte) []byte { return k[:] }

// ---------------------------------------------------------------------------
// Inviter side: the RPC handlers.

// Register adds node.did and the federation.* pairing methods to srv.
func (m *Manager) Register(srv *rpc.Server) {
	srv.Register(MethodDID, m.handleDID, rpc.Unauthenticated())
	srv.Register(MethodJoin, m.handleJoin, rpc.Unauthenticated())
	srv.Register(MethodConfirm, m.handleConfirm, rpc.Unauthenticated())
	srv.Register(MethodLeave, m.handleLeave)
}

// DIDInfo is node.did's result.
type DIDInfo struct {
	DID     identity.DID `json:"did"`
	PubKey  string       `json:"pubkey"` // base64url Ed25519 public key
	Onion   string       `json:"onion"`
	Name    string       `json:"name"`
	Version string       `json:"version"`
}

func (m *Manager) handleDID(ctx context.Context, call *rpc.Call) (any, error) {
	return DIDInfo{
		DID: m.self, PubKey: b64.EncodeToString(m.cfg.Keys.NodePublic()),
		Onion: m.cfg.Keys.OnionAddress(), Name: m.cfg.Name(), Version: m.cfg.Version,
	}, nil
}

func (m *Manager) handleJoin(ctx context.Context, call *rpc.Call) (any, error) {
	var p joinParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	secret, err := b64.DecodeString(p.Secret)
	if err != nil || len(secret) != invite.SecretSize {
		return nil, rpc.ErrInvalidInvite
	}
	if _, err := identity.ParseDID(string(p.DID)); err != nil {
		return nil, rpc.ErrInvalidDID
	}
	if p.DID == m.self {
		return nil, rpc.ErrOwnInvite
	}
	if _, err := identity.ParseOnionAddress(p.Onion); err != nil {
		return nil, rpc.ErrInvalidParams.WithData("onion")
	}
	joinerNonce, err1 := b64.DecodeString(p.Nonce)
	client, err2 := b64.DecodeString(p.ClientAuth)
	if err1 != nil || err2 != nil || len(joinerNonce) != 16 || len(client) != 32 {
		return nil, rpc.ErrInvalidParams
	}
	if p.Network != m.cfg.Network.String() {
		return nil, rpc.ErrWrongNetwork
	}
	hash := sha256.Sum256(secret)
	var rec *store.Invite
	err = m.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		rec, err = tx.GetInvite(hash)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.ErrInvalidInvite
	} else if err != nil {
		return nil, err
	}
	now := m.cfg.Now()
	if rec.Used() && rec.UsedBy != p.DID {
		return nil, rpc.ErrInviteUsed
	}
	if !rec.Used() && !now.Before(rec.Expires) {
		return nil, rpc.ErrInviteExpired
	}
	h := &handshake{
		secretHash: hash, observer: rec.Observer, joiner: p.DID, joinerOnion: p.Onion,
		joinerName: invite.CleanName(p.Name), joinerNonce: joinerNonce, joinerClient: client,
		nonce: randomNonce(), ts: now.Unix(), dialKey: NewX25519Key(), created: now,
	}
	fields := transcript(m.self, p.DID, m.cfg.Keys.OnionAddress(), p.Onion, h.nonce, joinerNonce, h.ts)
	sig := identity.Sign(m.cfg.Keys.Node, domainInviter, fields...)
	m.mu.Lock()
	for k, old := range m.handshakes {
		if now.Sub(old.created) > handshakeTTL {
			delete(m.handshakes, k)
		}
	}
	if len(m.handshakes) > 256 {
		m.mu.Unlock()
		return nil, rpc.NewError(rpc.CodeInternal, "too many pairings under way", nil)
	}
	m.handshakes[b64.EncodeToString(h.nonce)] = h
	m.mu.Unlock()
	m.log.WithField("joiner", p.DID.Short()).Info("join request with a valid invite")
	return joinResult{
		DID: m.self, Onion: m.cfg.Keys.OnionAddress(), Name: m.cfg.Name(), Nonce: b64.EncodeToString(h.nonce),
		ClientAuth: b64.EncodeToString(pubBytes(X25519Public(h.dialKey))), Timestamp: h.ts,
		Signature: b64.EncodeToString(sig), Observer: rec.Observer,
	}, nil
}

func (m *Manager) handleConfirm(ctx context.Context, call *rpc.Call) (any, error) {
	var p confirmParams
	if err := call.DecodeParams(&p); err != nil {
		return nil, err
	}
	m.mu.Lock()
	h := m.handshakes[p.InviterNonce]
	m.mu.Unlock()
	if h == nil || h.joiner != p.DID || m.cfg.Now().Sub(h.created) > handshakeTTL {
		return nil, rpc.ErrInvalidInvite.WithData("no pairing under way for this nonce")
	}
	sig, err := b64.DecodeString(p.Signature)
	if err != nil {
		return nil, rpc.ErrInvalidSignature
	}
	joinerKey, _ := identity.ParseDID(string(h.joiner))
	fields := transcript(m.self, h.joiner, m.cfg.Keys.OnionAddress(), h.joinerOnion, h.nonce, h.joinerNonce, h.ts)
	if !identity.Verify(ed25519.PublicKey(joinerKey), sig, domainJoiner, fields...) {
		return nil, rpc.ErrInvalidSignature
	}
	now := m.cfg.Now()
	trust := store.Trusted
	if h.observer {
		trust = store.Observer
	}
	err = m.cfg.Store.Update(func(tx *store.Tx) error {
		// The invite is burnt in the same transaction that adds the peer.
		if err := tx.BurnInvite(h.secretHash, h.joiner, now); err != nil {
			if !errors.Is(err, store.ErrInviteUsed) {
				return err
			}
			inv, gerr := tx.GetInvite(h.secretHash)
			if gerr != nil || inv.UsedBy != h.joiner {
				return rpc.ErrInviteUsed
			}
			// The same joiner confirming again (its first answer was lost).
		}
		if err := tx.DeleteTombstone(h.joiner); err != nil {
			return err
		}
		if err := tx.PutPeer(&store.Peer{
			DID: h.joiner, Onion: h.joinerOnion, Name: h.joinerName, Trust: trust,
			DialKey: h.dialKey[:], AuthorizedKey: h.joinerClient, PairedAt: now,
		}); err != nil {
			return err
		}
		// The joiner authorises our key only once it has our answer and
		// republished its onion: give it a moment before the first check.
		return tx.PutPending(&store.Pending{
			ID: "verify-" + string(h.joiner), Role: store.RoleInviter, PeerDID: h.joiner, Onion: h.joinerOnion,
			Name: h.joinerName, Stage: StageVerifying, NextAttempt: now.Add(VerifyDelay), CreatedAt: now,
		})
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	h.done = true
	m.mu.Unlock()
	m.log.WithFields(logrus.Fields{"peer": h.joiner.Short(), "trust": trust}).Info("paired (inviter); verifying over Tor")
	m.cfg.ClientsChanged()
	m.cfg.Notify(Event{Kind: EventPaired, DID: h.joiner, Name: h.joinerName})
	m.Wake()
	return map[string]bool{"ok": true}, nil
}

type leaveParams struct {
	Reason string `json:"reason,omitempty"`
}

// handleLeave: a peer removed us. Remove it too, with a tombstone, so
// nothing re-adds it unless the user pairs again.
func (m *Manager) handleLeave(ctx context.Context, call *rpc.Call) (any, error) {
	did := call.Caller
	var name string
	err := m.cfg.Store.Update(func(tx *store.Tx) error {
		p, err := tx.GetPeer(did)
		if err != nil {
			return err
		}
		name = p.Name
		if err := tx.DeletePeer(did); err != nil {
			return err
		}
		if err := tx.DeletePending("verify-" + string(did)); err != nil {
			return err
		}
		return tx.PutTombstone(&store.Tombstone{DID: did, RemovedAt: m.cfg.Now(), Notified: true, Onion: p.Onion})
	})
	if err != nil {
		return nil, err
	}
	m.log.WithField("peer", did.Short()).Info("peer removed us")
	m.cfg.ClientsChanged()
	m.cfg.Notify(Event{Kind: EventRemovedBy, DID: did, Name: name, Message: name + " removed this node from their peers"})
	return map[string]bool{"ok": true}, nil
}

// ---------------------------------------------------------------------------
// Peer management.

// Remove deletes a peer, leaves a tombstone and revokes its key; the peer is
// told (federation.leave) in the background as soon as it is reachable.
func (m *Manager) Remove(did identity.DID) error {
	err := m.cfg.Store.Update(func(tx *store.Tx) error {
		p, err := tx.GetPeer(did)
		if errors.Is(err, store.ErrNotFound) {
			// Maybe a pending pairing: cancel it.
			if perr := tx.DeletePending("join-" + string(did)); perr != nil {
				return perr
			}
			return tx.DeletePending("verify-" + string(did))
		}
		if err != nil {
			return err
		}
		if err := tx.DeletePeer(did); err != nil {
			return err
		}
		for _, id := range []string{"join-" + string(did), "verify-" + string(did)} {
			if err := tx.DeletePending(id); err != nil {
				return err
			}
		}
		return tx.PutTombstone(&store.Tombstone{DID: did, RemovedAt: m.cfg.Now(), Onion: p.Onion, DialKey: p.DialKey})
	})
	if err != nil {
		return err
	}
	m.log.WithField("peer", did.Short()).Info("peer removed")
	m.cfg.ClientsChanged()
	m.cfg.Notify(Event{Kind: EventChanged, DID: did})
	m.Wake()
	return nil
}

// CancelPending abandons a pending pairing.
func (m *Manager) CancelPending(id string) error {
	err := m.cfg.Store.Update(func(tx *store.Tx) error {
		p, err := tx.GetPending(id)
		if err != nil {
			return err
		}
		if p.Role == store.RoleJoiner {
			if _, err := tx.GetPeer(p.PeerDID); err == nil {
				return fmt.Errorf("already paired with %s: remove the peer instead", p.Name)
			}
		}
		return tx.DeletePending(id)
	})
	if err == nil {
		m.cfg.Notify(Event{Kind: EventChanged})
	}
	return err
}

// SetTrust changes how we trust a peer.
func (m *Manager) SetTrust(did identity.DID, trust store.Trust) error {
	return m.updatePeer(did, func(p *store.Peer) error {
		if !trust.Valid() {
			return fmt.Errorf("unknown trust level %q", trust)
		}
		p.Trust = trust
		return nil
	})
}

// Rename changes the name we show for a peer.
func (m *Manager) Rename(did identity.DID, name string) error {
	return m.updatePeer(did, func(p *store.Peer) error {
		name = invite.CleanName(name)
		if name == "" {
			return errors.New("the name is empty")
		}
		p.Name = name
		return nil
	})
}

func (m *Manager) updatePeer(did identity.DID, fn func(*store.Peer) error) error {
	err := m.cfg.Store.Update(func(tx *store.Tx) error {
		p, err := tx.GetPeer(did)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return tx.PutPeer(p)
	})
	if err == nil {
		m.cfg.Notify(Event{Kind: EventChanged, DID: did})
	}
	return err
}

// ---------------------------------------------------------------------------
// The background loop: pending pairings, verification, leave notices.

// Wake makes the background loop look at its work now.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run works on pending pairings and undelivered leave notices until ctx
// ends, each with exponential backoff and jitter, capped at RetryCap.
func (m *Manager) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-m.wake:
		}
		next := m.runDue(ctx)
		d := time.Until(next)
		if next.IsZero() || d > RetryCap {
			d = RetryCap
		}
		if d < 0 {
			d = 0
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d)
	}
}

// runDue runs every attempt that is due, concurrently, and returns when the
// next one will be.
func (m *Manager) runDue(ctx context.Context) time.Time {
	var pending []*store.Pending
	var tombs []*store.Tombstone
	m.cfg.Store.View(func(tx *store.Tx) error {
		pending, _ = tx.ListPending()
		tombs, _ = tx.ListTombstones()
		return nil
	})
	now := m.cfg.Now()
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	var wg sync.WaitGroup
	for _, p := range pending {
		if p.Stage == StageFailed {
			continue
		}
		if p.NextAttempt.After(now) {
			later(p.NextAttempt)
			continue
		}
		wg.Add(1)
		go func(p *store.Pending) {
			defer wg.Done()
			m.attempt(ctx, p)
		}(p)
	}
	for _, t := range tombs {
		if t.Notified || len(t.DialKey) != 32 {
			continue
		}
		wg.Add(1)
		go func(t *store.Tombstone) {
			defer wg.Done()
			m.notifyLeave(ctx, t)
		}(t)
	}
	wg.Wait()
	// Look again soon: attempts moved their NextAttempt forward.
	m.cfg.Store.View(func(tx *store.Tx) error {
		pending, _ = tx.ListPending()
		tombs, _ = tx.ListTombstones()
		return nil
	})
	for _, p := range pending {
		if p.Stage != StageFailed {
			later(p.NextAttempt)
		}
	}
	for _, t := range tombs {
		if !t.Notified && len(t.DialKey) == 32 {
			later(now.Add(RetryCap))
		}
	}
	return next
}

// Backoff is the delay before retry number attempts (1-based): exponential
// from RetryBase, capped at RetryCap, with ±20 % jitter.
func Backoff(attempts int) time.Duration { return BackoffWith(RetryBase, RetryCap, attempts) }

// BackoffWith is Backoff with an explicit base and cap.
func BackoffWith(base, limit time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	if d > limit {
		d = limit
	}
	jitter := 0.8 + 0.4*mrand.Float64()
	return time.Duration(float64(d) * jitter)
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanent(err error) error { return permanentError{err} }

// classifyRemote marks answers that no retry can change as permanent.
func classifyRemote(err error) error {
	var re *rpc.Error
	if errors.As(err, &re) {
		switch re.Code {
		case rpc.CodeInvalidInvite, rpc.CodeInviteUsed, rpc.CodeInviteExpired, rpc.CodeWrongNetwork, rpc.CodeOwnInvite, rpc.CodeInvalidSignature, rpc.CodeRemovedPeer:
			return permanent(fmt.Errorf("the other node refused: %s", re.Message))
		}
	}
	return err
}

func (m *Manager) attempt(ctx context.Context, p *store.Pending) {
	actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var err error
	switch p.Stage {
	case StageJoining:
		err = m.attemptJoin(actx, p)
	case StageVerifying:
		err = m.attemptVerify(actx, p)
	default:
		err = permanent(fmt.Errorf("unknown pairing stage %q", p.Stage))
	}
	if err == nil || ctx.Err() != nil {
		return
	}
	var perm permanentError
	isPerm := errors.As(err, &perm)
	log := m.log.WithFields(logrus.Fields{"peer": p.PeerDID.Short(), "stage": p.Stage, "attempt": p.Attempts + 1})
	m.cfg.Store.Update(func(tx *store.Tx) error {
		cur, gerr := tx.GetPending(p.ID)
		if gerr != nil {
			return nil // cancelled meanwhile
		}
		cur.Attempts++
		cur.LastError = err.Error()
		if isPerm {
			cur.Stage, cur.NextAttempt = StageFailed, time.Time{}
		} else {
			cur.NextAttempt = m.cfg.Now().Add(Backoff(cur.Attempts))
		}
		return tx.PutPending(cur)
	})
	if isPerm {
		log.WithError(err).Warn("pairing failed")
	} else {
		log.WithError(err).Info("pairing attempt failed; will retry")
	}
	m.cfg.Notify(Event{Kind: EventFailed, DID: p.PeerDID, Name: p.Name, Message: err.Error()})
}

// attemptVerify dials the peer's onion and checks node.did answers with the
// identity we paired with (mutual verification over Tor).
func (m *Manager) attemptVerify(ctx context.Context, p *store.Pending) error {
	var peer *store.Peer
	if err := m.cfg.Store.View(func(tx *store.Tx) error {
		var err error
		peer, err = tx.GetPeer(p.PeerDID)
		return err
	}); err != nil {
		return permanent(err)
	}
	var info DIDInfo
	if err := m.cfg.Call(ctx, peer.Onion, peer.DialKey, peer.DID, MethodDID, struct{}{}, &info); err != nil {
		return err
	}
	wantKey, _ := identity.ParseDID(string(peer.DID))
	gotKey, err := b64.DecodeString(info.PubKey)
	if info.DID != peer.DID || info.Onion != peer.Onion || err != nil || !ed25519.PublicKey(gotKey).Equal(ed25519.PublicKey(wantKey)) {
		return permanent(errors.New("the peer's onion answered with another identity"))
	}
	now := m.cfg.Now()
	err = m.cfg.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.GetPeer(p.PeerDID)
		if err != nil {
			return err
		}
		cur.Verified, cur.VerifiedAt, cur.LastSeen = true, now, now
		if err := tx.PutPeer(cur); err != nil {
			return err
		}
		return tx.DeletePending(p.ID)
	})
	if err != nil {
		return err
	}
	m.log.WithField("peer", p.PeerDID.Short()).Info("peer verified over Tor")
	m.cfg.Notify(Event{Kind: EventVerified, DID: p.PeerDID, Name: peer.Name})
	return nil
}

func (m *Manager) notifyLeave(ctx context.Context, t *store.Tombstone) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := m.cfg.Call(cctx, t.Onion, t.DialKey, t.DID, MethodLeave, leaveParams{}, nil)
	var re *rpc.Error
	if err != nil && !(errors.As(err, &re) && (re.Code == rpc.CodeUnknownDID || re.Code == rpc.CodeRemovedPeer)) {
		m.log.WithError(err).WithField("peer", t.DID.Short()).Debug("leave notice not delivered yet")
		return
	}
	m.cfg.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.GetTombstone(t.DID)
		if err != nil {
			return nil
		}
		cur.Notified, cur.DialKey = true, nil
		return tx.PutTombstone(cur)
	})
	m.log.WithField("peer", t.DID.Short()).Info("removed peer was told")
}
