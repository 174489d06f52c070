package tor

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

var onionBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// OnionConfig describes an onion service to publish.
type OnionConfig struct {
	// Key is the service's Ed25519 key; the same key gives the same address.
	Key ed25519.PrivateKey
	// Port is the virtual port on the onion (e.g. 80).
	Port int
	// Target is where Tor forwards connections, "127.0.0.1:port".
	Target string
	// AuthorizedClients are x25519 public keys allowed to reach the service
	// (v3 client authorization). At least one is required: an onion service
	// without client authorization lets anyone who learns the address see
	// when it is online.
	AuthorizedClients [][32]byte
}

// Onion is a published onion service.
type Onion struct {
	e        *Engine
	cfg      OnionConfig
	addr     string
	mu       sync.Mutex
	uploaded chan struct{}
	closed   bool
}

// ErrNoClients is returned when an onion service would have no authorized client.
var ErrNoClients = errors.New("tor: an onion service needs at least one authorized client key")

// Publish adds the onion service and returns at once with its address; the
// descriptor upload is reported later by a DescriptorUploaded event and by
// Onion.Uploaded.
func (e *Engine) Publish(cfg OnionConfig) (*Onion, error) {
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("tor: onion key must be an Ed25519 private key")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("tor: bad onion port %d", cfg.Port)
	}
	addr := identity.OnionAddressFromPublicKey(cfg.Key.Public().(ed25519.PublicKey))
	o := &Onion{e: e, cfg: cfg, addr: addr, uploaded: make(chan struct{})}
	e.mu.Lock()
	if _, dup := e.onions[addr]; dup {
		e.mu.Unlock()
		return nil, fmt.Errorf("tor: onion %s… is already published", addr[:8])
	}
	e.onions[addr] = o
	e.mu.Unlock()
	if err := o.add(cfg.AuthorizedClients); err != nil {
		e.mu.Lock()
		delete(e.onions, addr)
		e.mu.Unlock()
		return nil, err
	}
	e.log.WithField("onion", addr[:8]+"…").Info("onion service added; publishing descriptor")
	return o, nil
}

func (o *Onion) add(clients [][32]byte) error {
	if len(clients) == 0 {
		return ErrNoClients
	}
	var b strings.Builder
	b.WriteString("ADD_ONION ED25519-V3:")
	b.WriteString(base64.StdEncoding.EncodeToString(identity.ExpandOnionSeed(o.cfg.Key.Seed())))
	b.WriteString(" Flags=DiscardPK,V3Auth Port=")
	b.WriteString(strconv.Itoa(o.cfg.Port) + "," + o.cfg.Target)
	for _, c := range clients {
		b.WriteString(" ClientAuthV3=")
		b.WriteString(onionBase32.EncodeToString(c[:]))
	}
	resp, err := o.e.t.Control.SendRequest("%s", b.String())
	if err != nil {
		return fmt.Errorf("tor: ADD_ONION: %w", err)
	}
	for _, line := range resp.Data {
		if id, ok := strings.CutPrefix(line, "ServiceID="); ok && id != o.addr {
			return fmt.Errorf("tor: ADD_ONION returned %s, expected %s", id, o.addr)
		}
	}
	return nil
}

// Address is the onion address without ".onion".
func (o *Onion) Address() string { return o.addr }

// Uploaded is closed once a descriptor of this service reached an HSDir.
func (o *Onion) Uploaded() <-chan struct{} { return o.uploaded }

// SetAuthorizedClients replaces the set of client keys allowed to reach the
// service. Tor has no command to change them in place, so the service is
// removed and added again with the same key: same address, new descriptor.
func (o *Onion) SetAuthorizedClients(clients [][32]byte) error {
	if len(clients) == 0 {
		return ErrNoClients
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return errors.New("tor: onion service is closed")
	}
	if err := o.e.t.Control.DelOnion(o.addr); err != nil {
		return fmt.Errorf("tor: DEL_ONION: %w", err)
	}
	o.cfg.AuthorizedClients = clients
	return o.add(clients)
}

// Close removes the onion service.
func (o *Onion) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	o.e.mu.Lock()
	delete(o.e.onions, o.addr)
	o.e.mu.Unlock()
	select {
	case <-o.e.done:
		return nil
	default:
	}
	return o.e.t.Control.DelOnion(o.addr)
}

func (e *Engine) descriptorUploaded(addr string) {
	e.mu.Lock()
	o := e.onions[addr]
	e.mu.Unlock()
	if o == nil {
		return
	}
	first := false
	o.mu.Lock()
	select {
	case <-o.uploaded:
	default:
		close(o.uploaded)
		first = true
	}
	o.mu.Unlock()
	if first {
		e.log.WithField("onion", addr[:8]+"…").Info("onion descriptor uploaded")
	}
	e.hub.publish(DescriptorUploaded{Onion: addr})
}

// AddClientAuth gives Tor the x25519 private key to use when dialing onion
// (v3 client authorization). Kept in memory only: callers re-add on start.
func (e *Engine) AddClientAuth(onion string, priv [32]byte) error {
	onion = strings.TrimSuffix(strings.ToLower(onion), ".onion")
	_, err := e.t.Control.SendRequest("ONION_CLIENT_AUTH_ADD %s x25519:%s", onion, base64.StdEncoding.EncodeToString(priv[:]))
	if err != nil {
		return fmt.Errorf("tor: ONION_CLIENT_AUTH_ADD: %w", err)
	}
	return nil
}

// RemoveClientAuth forgets the client key for onion.
func (e *Engine) RemoveClientAuth(onion string) error {
	onion = strings.TrimSuffix(strings.ToLower(onion), ".onion")
	_, err := e.t.Control.SendRequest("ONION_CLIENT_AUTH_REMOVE %s", onion)
	if err != nil {
		return fmt.Errorf("tor: ONION_CLIENT_AUTH_REMOVE: %w", err)
	}
	return nil
}
