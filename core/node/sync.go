package node

import (
	"errors"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// DefaultSyncInterval is how often each peer is synced.
const DefaultSyncInterval = 5 * time.Minute

// SyncInterval is the configured sync interval.
func (n *Node) SyncInterval() time.Duration {
	var d time.Duration
	n.store.View(func(tx *store.Tx) error {
		_, err := tx.GetSetting(settingSyncInterval, &d)
		return err
	})
	if d <= 0 {
		return DefaultSyncInterval
	}
	return d
}

// SetSyncInterval changes how often peers are synced (1 min … 24 h).
func (n *Node) SetSyncInterval(d time.Duration) error {
	if d < time.Minute || d > 24*time.Hour {
		return errors.New("the sync interval must be between 1 minute and 24 hours")
	}
	if err := n.store.Update(func(tx *store.Tx) error { return tx.PutSetting(settingSyncInterval, d) }); err != nil {
		return err
	}
	n.emit(EventState, "", "")
	return nil
}

// SyncNow syncs one peer now, or every peer when did is "".
func (n *Node) SyncNow(did identity.DID) {}

// SetSyncPaused pauses or resumes sync.
func (n *Node) SetSyncPaused(paused bool) {
	n.mu.Lock()
	n.syncPaused = paused
	n.mu.Unlock()
	n.emit(EventState, "", "")
}

// fillSync adds sync progress, snapshots and suggestions to st.
func (n *Node) fillSync(st *State) {}

// AddRecord signs and stores a record of this node, to be replicated.
func (n *Node) AddRecord(protocol string, payload []byte) (*RecordInfo, error) {
	return nil, errors.New("records are not available yet")
}

// ListRecords lists stored records, newest first.
func (n *Node) ListRecords(protocol string, limit int) ([]RecordInfo, error) {
	return nil, errors.New("records are not available yet")
}
