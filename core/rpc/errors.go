package rpc

import (
	"encoding/json"
	"fmt"
)

// Error codes. -32700..-32603 are JSON-RPC 2.0's own; -32001..-32099 are
// Archy's (JSON-RPC reserves -32000..-32099 for implementation-defined server
// errors). See docs/PROTOCOL.md.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603

	CodeMissingAuth      = -32001
	CodeStaleTimestamp   = -32002
	CodeReplayedNonce    = -32003
	CodeUnknownDID       = -32004
	CodeRemovedPeer      = -32005
	CodeInvalidSignature = -32006
	CodeRequestTooLarge  = -32007
	CodeInvalidDID       = -32008

	// -32010..-32019 are reserved for invites; -32015..-32019 are unassigned.
	CodeInvalidInvite = -32010
	CodeInviteUsed    = -32011
	CodeInviteExpired = -32012
	CodeWrongNetwork  = -32013
	CodeOwnInvite     = -32014

	CodeNotTrusted = -32020
)

// Error is a JSON-RPC 2.0 error object. Handlers return one (possibly
// wrapped) to send it to the caller as is; Client.Call returns one when the
// callee answered with an error. errors.Is matches any *Error with the same
// Code, so errors.Is(err, rpc.ErrReplayedNonce) works on both sides.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Data is optional detail. On the client side it holds the raw JSON
	// (json.RawMessage) the callee sent.
	Data any `json:"data,omitempty"`
}

func (e *Error) Error() string {
	if e.Data != nil {
		if b, err := json.Marshal(e.Data); err == nil {
			return fmt.Sprintf("rpc error %d: %s (%s)", e.Code, e.Message, b)
		}
	}
	return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Code == e.Code
}

// WithData returns a copy of e carrying data. Use it on the sentinel errors
// below instead of modifying them.
func (e *Error) WithData(data any) *Error {
	c := *e
	c.Data = data
	return &c
}

// NewError returns an error with the given code, message and optional data.
func NewError(code int, message string, data any) *Error {
	return &Error{Code: code, Message: message, Data: data}
}

// Sentinel errors, one per code. Do not modify them; use WithData.
var (
	ErrParse          = &Error{Code: CodeParseError, Message: "parse error"}
	ErrInvalidRequest = &Error{Code: CodeInvalidRequest, Message: "invalid request"}
	ErrMethodNotFound = &Error{Code: CodeMethodNotFound, Message: "method not found"}
	ErrInvalidParams  = &Error{Code: CodeInvalidParams, Message: "invalid params"}
	ErrInternal       = &Error{Code: CodeInternal, Message: "internal error"}

	ErrMissingAuth      = &Error{Code: CodeMissingAuth, Message: "missing authentication"}
	ErrStaleTimestamp   = &Error{Code: CodeStaleTimestamp, Message: "stale timestamp"}
	ErrReplayedNonce    = &Error{Code: CodeReplayedNonce, Message: "replayed nonce"}
	ErrUnknownPeer      = &Error{Code: CodeUnknownDID, Message: "unknown DID"}
	ErrRemovedPeer      = &Error{Code: CodeRemovedPeer, Message: "removed peer"}
	ErrInvalidSignature = &Error{Code: CodeInvalidSignature, Message: "invalid signature"}
	ErrRequestTooLarge  = &Error{Code: CodeRequestTooLarge, Message: "request too large"}
	ErrInvalidDID       = &Error{Code: CodeInvalidDID, Message: "invalid DID"}

	ErrInvalidInvite = &Error{Code: CodeInvalidInvite, Message: "invalid invite"}
	ErrInviteUsed    = &Error{Code: CodeInviteUsed, Message: "invite already used"}
	ErrInviteExpired = &Error{Code: CodeInviteExpired, Message: "invite expired"}
	ErrWrongNetwork  = &Error{Code: CodeWrongNetwork, Message: "invite is for another network"}
	ErrOwnInvite     = &Error{Code: CodeOwnInvite, Message: "cannot join with your own invite"}

	ErrNotTrusted = &Error{Code: CodeNotTrusted, Message: "not paired as trusted"}
)
