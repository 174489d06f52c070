package store

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Trust is how much a peer is trusted.
type Trust string

const (
	// Trusted peers take full part in the federation.
	Trusted Trust = "trusted"
	// Observer peers were paired with an observer invite and may only watch.
	Observer Trust = "observer"
)

// ParseTrust accepts exactly "trusted" or "observer".
func ParseTrust(s string) (Trust, error) {
	switch t := Trust(s); t {
	case Trusted, Observer:
		return t, nil
	}
	return "", fmt.Errorf("store: unknown trust level %q (want %q or %q)", s, Trusted, Observer)
}

// Valid reports whether t is one of the defined levels.
func (t Trust) Valid() bool { return t == Trusted || t == Observer }

// OnionLen is the length of a v3 onion address without ".onion".
const OnionLen = 56

// x25519KeyLen is the length of an x25519 key (private or public).
const x25519KeyLen = 32

// Peer is a node we are paired with.
type Peer struct {
	DID   identity.DID
	Onion string // 56 base32 characters, without ".onion"
	Name  string
	Trust Trust
	// DialKey is our x25519 private key (32 bytes) used as v3 client
	// authorization to reach THEIR onion service.
	DialKey []byte
	// AuthorizedKey is their x25519 public key (32 bytes) that OUR onion
	// service authorises.
	AuthorizedKey []byte
	PairedAt      time.Time
	VerifiedAt    time.Time
	LastSeen      time.Time
	Verified      bool
}

func validDID(d identity.DID) error {
	if _, err := identity.ParseDID(string(d)); err != nil {
		return invalid("DID %q: %v", d, err)
	}
	return nil
}

func validOnion(s string) error {
	if len(s) != OnionLen {
		return invalid("onion address %q: want %d characters without .onion", s, OnionLen)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return invalid("onion address %q: not lower-case base32", s)
		}
	}
	return nil
}

func validKey(name string, k []byte) error {
	if len(k) != 0 && len(k) != x25519KeyLen {
		return invalid("%s: %d bytes, want %d", name, len(k), x25519KeyLen)
	}
	return nil
}

func (p *Peer) validate() error {
	if err := validDID(p.DID); err != nil {
		return err
	}
	if err := validOnion(p.Onion); err != nil {
		return err
	}
	if !p.Trust.Valid() {
		return invalid("trust %q", p.Trust)
	}
	if err := validKey("DialKey", p.DialKey); err != nil {
		return err
	}
	return validKey("AuthorizedKey", p.AuthorizedKey)
}

// GetPeer returns the peer with that DID, or ErrNotFound.
func (t *Tx) GetPeer(did identity.DID) (*Peer, error) {
	p := new(Peer)
	if err := t.get(bucketPeers, []byte(did), p); err != nil {
		return nil, err
	}
	return p, nil
}

// PutPeer inserts or replaces the peer keyed by p.DID. It validates the DID,
// the onion address (56 lower-case base32 characters, no ".onion"), the trust
// level and the key lengths (empty or 32 bytes) and fails with ErrInvalid.
func (t *Tx) PutPeer(p *Peer) error {
	if err := p.validate(); err != nil {
		return err
	}
	return t.put(bucketPeers, []byte(p.DID), p)
}

// DeletePeer removes the peer; removing an absent peer is not an error.
func (t *Tx) DeletePeer(did identity.DID) error { return t.del(bucketPeers, []byte(did)) }

// ListPeers returns every peer sorted by name (case-insensitively, then
// exactly) and then by DID.
func (t *Tx) ListPeers() ([]*Peer, error) {
	var out []*Peer
	if err := each(t, bucketPeers, func(p *Peer) { out = append(out, p) }); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Peer) int {
		return cmp.Or(
			cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.DID, b.DID),
		)
	})
	return out, nil
}

// Invite is an invite we issued. It is keyed by the SHA-256 of its secret;
// the secret itself is never stored.
type Invite struct {
	SecretHash       [32]byte
	CreatedAt        time.Time
	Expires          time.Time
	Observer         bool
	ClientAuthPublic []byte
	UsedAt           time.Time
	UsedBy           identity.DID
}

// Used reports whether the invite was burnt.
func (i *Invite) Used() bool { return !i.UsedAt.IsZero() || i.UsedBy != "" }

// inviteRecord is the stored form: the hash is the key, as hex in JSON so
// the value stays readable.
type inviteRecord struct {
	SecretHash       string
	CreatedAt        time.Time
	Expires          time.Time
	Observer         bool
	ClientAuthPublic []byte
	UsedAt           time.Time
	UsedBy           identity.DID
}

func (i Invite) MarshalJSON() ([]byte, error) {
	return json.Marshal(inviteRecord{
		SecretHash: hex.EncodeToString(i.SecretHash[:]), CreatedAt: i.CreatedAt, Expires: i.Expires,
		Observer: i.Observer, ClientAuthPublic: i.ClientAuthPublic, UsedAt: i.UsedAt, UsedBy: i.UsedBy,
	})
}

func (i *Invite) UnmarshalJSON(b []byte) error {
	var r inviteRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	h, err := hex.DecodeString(r.SecretHash)
	if err != nil || len(h) != len(i.SecretHash) {
		return fmt.Errorf("invite secret hash %q is not 32 hex bytes", r.SecretHash)
	}
	*i = Invite{
		CreatedAt: r.CreatedAt, Expires: r.Expires, Observer: r.Observer,
		ClientAuthPublic: r.ClientAuthPublic, UsedAt: r.UsedAt, UsedBy: r.UsedBy,
	}
	copy(i.SecretHash[:], h)
	return nil
}

// GetInvite returns the invite whose secret hashes to hash, or ErrNotFound.
func (t *Tx) GetInvite(hash [32]byte) (*Invite, error) {
	inv := new(Invite)
	if err := t.get(bucketInvites, hash[:], inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// PutInvite inserts or replaces the invite keyed by inv.SecretHash.
func (t *Tx) PutInvite(inv *Invite) error {
	if inv.SecretHash == ([32]byte{}) {
		return invalid("invite without secret hash")
	}
	if err := validKey("ClientAuthPublic", inv.ClientAuthPublic); err != nil {
		return err
	}
	return t.put(bucketInvites, inv.SecretHash[:], inv)
}

// DeleteInvite removes the invite; removing an absent one is not an error.
func (t *Tx) DeleteInvite(hash [32]byte) error { return t.del(bucketInvites, hash[:]) }

// ListInvites returns every invite, oldest first (then by hash).
func (t *Tx) ListInvites() ([]*Invite, error) {
	var out []*Invite
	if err := each(t, bucketInvites, func(i *Invite) { out = append(out, i) }); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *Invite) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// BurnInvite marks the invite used by `by` at `at`. It fails with ErrNotFound
// for an unknown invite and ErrInviteUsed for one already used. It does not
// look at Expires: checking expiry is the caller's policy. Call it in the
// same Update that writes the new peer, so both happen or neither does.
func (t *Tx) BurnInvite(hash [32]byte, by identity.DID, at time.Time) error {
	if err := validDID(by); err != nil {
		return err
	}
	if at.IsZero() {
		return invalid("burn time is zero")
	}
	inv, err := t.GetInvite(hash)
	if err != nil {
		return err
	}
	if inv.Used() {
		return ErrInviteUsed
	}
	inv.UsedAt, inv.UsedBy = at, by
	return t.put(bucketInvites, hash[:], inv)
}

// Pending pairing roles.
const (
	RoleJoiner  = "joiner"
	RoleInviter = "inviter"
)

// Pending is a pairing that has not completed yet and is being retried.
type Pending struct {
	ID          string
	Role        string // RoleJoiner or RoleInviter
	PeerDID     identity.DID
	Onion       string
	Name        string
	Link        string // joiner: the invite link to present again
	Stage       string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	Data        json.RawMessage `json:",omitempty"` // role-specific state kept by the pairing code
}

// GetPending returns the pending pairing with that id, or ErrNotFound.
func (t *Tx) GetPending(id string) (*Pending, error) {
	p := new(Pending)
	if err := t.get(bucketPending, []byte(id), p); err != nil {
		return nil, err
	}
	return p, nil
}

// PutPending inserts or replaces the pending pairing keyed by p.ID.
func (t *Tx) PutPending(p *Pending) error {
	if p.ID == "" {
		return invalid("pending pairing without ID")
	}
	if p.Role != RoleJoiner && p.Role != RoleInviter {
		return invalid("pending pairing role %q", p.Role)
	}
	if len(p.Data) > 0 && !json.Valid(p.Data) {
		return invalid("pending pairing data is not JSON")
	}
	return t.put(bucketPending, []byte(p.ID), p)
}

// DeletePending removes the pending pairing; removing an absent one is not an
// error.
func (t *Tx) DeletePending(id string) error { return t.del(bucketPending, []byte(id)) }

// ListPending returns every pending pairing ordered by ID.
func (t *Tx) ListPending() ([]*Pending, error) {
	var out []*Pending
	if err := each(t, bucketPending, func(p *Pending) { out = append(out, p) }); err != nil {
		return nil, err
	}
	return out, nil
}

// Tombstone remembers a removed peer, so it is refused if it calls again and
// so we can still tell it we left.
type Tombstone struct {
	DID       identity.DID
	RemovedAt time.Time
	Notified  bool
	Onion     string
	DialKey   []byte // kept to send federation.leave later
}

// GetTombstone returns the tombstone for did, or ErrNotFound.
func (t *Tx) GetTombstone(did identity.DID) (*Tombstone, error) {
	ts := new(Tombstone)
	if err := t.get(bucketTombstones, []byte(did), ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// IsTombstoned reports whether did has a tombstone.
func (t *Tx) IsTombstoned(did identity.DID) bool { return t.has(bucketTombstones, []byte(did)) }

// PutTombstone inserts or replaces the tombstone keyed by ts.DID.
func (t *Tx) PutTombstone(ts *Tombstone) error {
	if err := validDID(ts.DID); err != nil {
		return err
	}
	if ts.Onion != "" {
		if err := validOnion(ts.Onion); err != nil {
			return err
		}
	}
	if err := validKey("DialKey", ts.DialKey); err != nil {
		return err
	}
	return t.put(bucketTombstones, []byte(ts.DID), ts)
}

// DeleteTombstone removes the tombstone; removing an absent one is not an
// error.
func (t *Tx) DeleteTombstone(did identity.DID) error { return t.del(bucketTombstones, []byte(did)) }

// ListTombstones returns every tombstone ordered by DID.
func (t *Tx) ListTombstones() ([]*Tombstone, error) {
	var out []*Tombstone
	if err := each(t, bucketTombstones, func(ts *Tombstone) { out = append(out, ts) }); err != nil {
		return nil, err
	}
	return out, nil
}
