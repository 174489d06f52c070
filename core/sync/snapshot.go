package sync

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// Snapshot is a node's state as it shares it with peers (Archipelago's
// NodeStateSnapshot). Field names and JSON tags are node.Snapshot's.
type Snapshot struct {
	Timestamp       time.Time  `json:"timestamp"`
	NodeName        string     `json:"node_name"`
	Version         string     `json:"version"`
	Apps            []string   `json:"apps"`
	CPUUsagePercent float64    `json:"cpu_usage_percent"`
	MemUsedBytes    uint64     `json:"mem_used_bytes"`
	MemTotalBytes   uint64     `json:"mem_total_bytes"`
	DiskUsedBytes   uint64     `json:"disk_used_bytes"`
	DiskTotalBytes  uint64     `json:"disk_total_bytes"`
	UptimeSecs      uint64     `json:"uptime_secs"`
	TorActive       bool       `json:"tor_active"`
	FederatedPeers  []PeerHint `json:"federated_peers"`
}

// UnmarshalJSON decodes a snapshot leniently: members it does not know are
// ignored even inside params decoded with DisallowUnknownFields, so newer
// nodes may add fields.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	type plain Snapshot
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Snapshot(p)
	return nil
}

// PeerHint is a trusted peer as listed in a snapshot.
type PeerHint struct {
	DID    identity.DID `json:"did"`
	PubKey string       `json:"pubkey"` // base64url (no padding) Ed25519 public key
	Onion  string       `json:"onion"`  // 56 characters, without ".onion"
	Name   string       `json:"name"`
}

// Snapshot limits: a received snapshot beyond them is not stored.
const (
	maxSnapshotName  = 256
	maxSnapshotApps  = 1024
	maxSnapshotPeers = 1024
	// maxSnapshotSkew: a snapshot dated further ahead than this is refused,
	// or it would win over every newer one until the clock caught up.
	maxSnapshotSkew = 5 * time.Minute
)

func (s *Snapshot) check(now time.Time) error {
	switch {
	case s.Timestamp.IsZero():
		return errors.New("snapshot without timestamp")
	case s.Timestamp.After(now.Add(maxSnapshotSkew)):
		return fmt.Errorf("snapshot dated %s ahead", s.Timestamp.Sub(now).Round(time.Second))
	case len(s.NodeName) > maxSnapshotName || len(s.Version) > maxSnapshotName:
		return errors.New("snapshot name or version too long")
	case len(s.Apps) > maxSnapshotApps:
		return errors.New("snapshot lists too many apps")
	case len(s.FederatedPeers) > maxSnapshotPeers:
		return errors.New("snapshot lists too many peers")
	}
	return nil
}

var b64url = base64.RawURLEncoding

// hintFor is the snapshot entry for one of our trusted peers.
func hintFor(p *store.Peer) PeerHint {
	pub, _ := p.DID.PublicKey()
	return PeerHint{DID: p.DID, PubKey: b64url.EncodeToString(pub), Onion: p.Onion, Name: p.Name}
}

// Suggestion is a peer learned from a trusted peer's snapshot: shown to the
// user, never added automatically, never re-exported (one hop). If the user
// adds it, it is as an observer.
type Suggestion struct {
	DID   identity.DID
	Name  string
	Onion string
	Via   identity.DID // the trusted peer whose snapshot listed it
}

// Suggestions computes the suggestions from the stored snapshots of our
// trusted peers: every peer they list that is not us, not already paired and
// not tombstoned, whose DID and onion are well-formed. A DID listed by
// several peers appears once (Via is the first of them by DID). Sorted by
// name, then DID.
func Suggestions(tx *store.Tx, self identity.DID) ([]Suggestion, error) {
	snaps, err := tx.ListSnapshots()
	if err != nil {
		return nil, err
	}
	seen := map[identity.DID]bool{}
	var out []Suggestion
	for _, ss := range snaps {
		via, err := tx.GetPeer(ss.PeerDID)
		if err != nil || via.Trust != store.Trusted {
			continue // only trusted peers' snapshots count
		}
		var snap Snapshot
		if err := json.Unmarshal(ss.Data, &snap); err != nil {
			continue
		}
		for _, h := range snap.FederatedPeers {
			if h.DID == self || seen[h.DID] || !validHint(h) {
				continue
			}
			if _, err := tx.GetPeer(h.DID); err == nil {
				continue // already paired
			}
			if tx.IsTombstoned(h.DID) {
				continue
			}
			seen[h.DID] = true
			out = append(out, Suggestion{DID: h.DID, Name: h.Name, Onion: h.Onion, Via: via.DID})
		}
	}
	slices.SortFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.DID, b.DID))
	})
	return out, nil
}

func validHint(h PeerHint) bool {
	pub, err := identity.ParseDID(string(h.DID))
	if err != nil || identity.DIDFromPublicKey(pub) != h.DID {
		return false
	}
	if h.PubKey != "" && h.PubKey != b64url.EncodeToString(pub) {
		return false // a hint whose key contradicts its DID
	}
	if len(h.Onion) != store.OnionLen || len(h.Name) > maxSnapshotName {
		return false
	}
	for _, c := range h.Onion {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Collector measures this node's figures for its snapshot with gopsutil:
// CPU percent, memory used/total, disk used/total of the data folder's file
// system, system uptime. Figures are cached for a few seconds and CPU usage
// is the busy share between two cached samples, so Collect never sleeps.
// It is safe for concurrent use.
type Collector struct {
	dataDir string
	ttl     time.Duration
	now     func() time.Time

	mu       sync.Mutex
	at       time.Time // when the figures were taken
	prevCPU  *cpu.TimesStat
	figures  Snapshot // only the measured fields
	measured bool
}

// NewCollector returns a collector for the file system holding dataDir.
func NewCollector(dataDir string) *Collector {
	return &Collector{dataDir: dataDir, ttl: 5 * time.Second, now: time.Now}
}

// Collect returns base with Timestamp set to now and the measured fields
// filled in. A figure that cannot be read stays as in base.
func (c *Collector) Collect(base Snapshot) Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.measured || now.Sub(c.at) >= c.ttl {
		c.measure()
		c.at, c.measured = now, true
	}
	s := base
	s.Timestamp = now
	f := c.figures
	if f.MemTotalBytes > 0 {
		s.MemUsedBytes, s.MemTotalBytes = f.MemUsedBytes, f.MemTotalBytes
	}
	if f.DiskTotalBytes > 0 {
		s.DiskUsedBytes, s.DiskTotalBytes = f.DiskUsedBytes, f.DiskTotalBytes
	}
	if f.UptimeSecs > 0 {
		s.UptimeSecs = f.UptimeSecs
	}
	s.CPUUsagePercent = f.CPUUsagePercent
	return s
}

// measure reads every figure once (a few small /proc reads and a statfs).
func (c *Collector) measure() {
	if ts, err := cpu.Times(false); err == nil && len(ts) == 1 {
		cur := ts[0]
		prev := c.prevCPU
		if prev == nil {
			prev = &cpu.TimesStat{} // first sample: the average since boot
		}
		c.figures.CPUUsagePercent = busyPercent(*prev, cur)
		c.prevCPU = &cur
	}
	if vm, err := mem.VirtualMemory(); err == nil {
		c.figures.MemUsedBytes, c.figures.MemTotalBytes = vm.Used, vm.Total
	}
	if c.dataDir != "" {
		if du, err := disk.Usage(c.dataDir); err == nil {
			c.figures.DiskUsedBytes, c.figures.DiskTotalBytes = du.Used, du.Total
		}
	}
	if up, err := host.Uptime(); err == nil {
		c.figures.UptimeSecs = up
	}
}

// busyPercent is the share of non-idle CPU time between two samples.
func busyPercent(a, b cpu.TimesStat) float64 {
	total := func(t cpu.TimesStat) float64 { return t.Total() - t.Guest - t.GuestNice }
	busy := func(t cpu.TimesStat) float64 { return total(t) - t.Idle - t.Iowait }
	dt, db := total(b)-total(a), busy(b)-busy(a)
	if dt <= 0 || db <= 0 {
		return 0
	}
	return min(100, db/dt*100)
}
