package sync

import (
	"encoding/json"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// RPC methods (all authenticated; see docs/PROTOCOL.md).
const (
	MethodSync      = "federation.sync"
	MethodReconcile = "federation.reconcile"
	MethodFetch     = "records.fetch"
	MethodPush      = "records.push"
)

// Transfer bounds.
const (
	// MaxBatchRecords bounds the ids of one records.fetch and the records of
	// one records.push; each batch is stored in one transaction.
	MaxBatchRecords = 256
	// MaxBatchBytes bounds the JSON-encoded records of one records.push
	// request (under the 1 MiB RPC request limit) and of one records.fetch
	// response (the callee stops adding records once it reached it).
	MaxBatchBytes = 768 << 10
)

// SyncParams are federation.sync's params.
type SyncParams struct {
	// Snapshot is the caller's state.
	Snapshot Snapshot `json:"snapshot"`
	// Authors is the reconciliation scope the caller proposes: a subset of
	// {caller, callee}, see docs/PROTOCOL.md.
	Authors []identity.DID `json:"authors"`
	// Msg is the caller's initial Negentropy message.
	Msg []byte `json:"msg"`
}

// SyncResult is federation.sync's result.
type SyncResult struct {
	// Snapshot is the callee's state.
	Snapshot Snapshot `json:"snapshot"`
	// Trust is how the callee regards the caller: "trusted" or "observer".
	Trust store.Trust `json:"trust"`
	// Authors is the scope the callee reconciled with. If it differs from
	// the proposed one, Msg is absent and the caller restarts the
	// reconciliation with federation.reconcile over this scope.
	Authors []identity.DID `json:"authors"`
	// Msg is the callee's Negentropy reply.
	Msg []byte `json:"msg,omitempty"`
}

// ReconcileParams are federation.reconcile's params.
type ReconcileParams struct {
	Authors []identity.DID `json:"authors"`
	Msg     []byte         `json:"msg"`
}

// ReconcileResult is federation.reconcile's result.
type ReconcileResult struct {
	Msg []byte `json:"msg"`
}

// FetchParams are records.fetch's params: record ids in lower-case hex.
type FetchParams struct {
	IDs []string `json:"ids"`
}

// FetchResult is records.fetch's result. The callee handles ids in order
// and stops after MaxBatchBytes; Next is the index of the first id it did
// not handle (len(ids) when it handled all). Ids it does not have, or may
// not serve to the caller, are left out.
type FetchResult struct {
	Records []*Record `json:"records"`
	Next    int       `json:"next"`
}

// PushParams are records.push's params.
type PushParams struct {
	Records []json.RawMessage `json:"records"`
}

// PushResult is records.push's result.
type PushResult struct {
	// Accepted is the number of valid records (new or already stored).
	Accepted int `json:"accepted"`
	// Stored is how many of them were new.
	Stored int `json:"stored"`
	// Rejected lists the records that were refused, by index in params.
	Rejected []Rejection `json:"rejected,omitempty"`
}

// Rejection says why a pushed record was refused.
type Rejection struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"` // hex, when the record could be decoded
	Reason string `json:"reason"`
}
