package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Handler serves one method. Returning an *Error (or an error wrapping one)
// sends that error to the caller; any other error is logged and the caller
// only sees ErrInternal.
type Handler func(ctx context.Context, call *Call) (any, error)

// Call is one verified request.
type Call struct {
	Method string
	// Params are the exact bytes of the "params" member (nil if absent).
	Params json.RawMessage
	// Caller is the verified DID of the caller; empty for methods registered
	// Unauthenticated.
	Caller identity.DID
}

// DecodeParams unmarshals the params into v, rejecting unknown fields. Its
// error is an *Error (ErrInvalidParams), ready to be returned by a handler.
func (c *Call) DecodeParams(v any) error {
	if len(c.Params) == 0 {
		return ErrInvalidParams.WithData("params required")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ErrInvalidParams.WithData(err.Error())
	}
	if dec.More() {
		return ErrInvalidParams.WithData("trailing data after params")
	}
	return nil
}

// Option configures a registered method.
type Option func(*method)

// Unauthenticated lets the method be called without the Archy-* headers
// (federation.join, node.did). Such calls reach the handler with an empty
// Caller; any Archy-* headers they carry are ignored, not verified.
func Unauthenticated() Option { return func(m *method) { m.unauthenticated = true } }

type method struct {
	h               Handler
	unauthenticated bool
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Self is this node's DID: requests must be signed for it. Required.
	Self identity.DID
	// Authorize decides whether a (syntactically valid) caller DID may call
	// authenticated methods: nil to allow, ErrUnknownPeer or ErrRemovedPeer
	// to refuse, or any other *Error to refuse with that error. Other errors
	// become ErrInternal. A nil Authorize refuses everyone with ErrUnknownPeer.
	Authorize func(identity.DID) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives rejections (debug) and internal errors (error); default
	// the logrus standard logger.
	Log *logrus.Entry
	// NonceCacheSize bounds the replay cache (default DefaultNonceCacheSize).
	NonceCacheSize int
}

// Server is an http.Handler for POST /rpc/v1.
type Server struct {
	cfg     ServerConfig
	mu      sync.RWMutex
	methods map[string]*method
	nonces  *nonceCache
}

// NewServer returns a server with no methods. It panics if cfg.Self is not a
// valid did:key (a programming error: every signature check would fail).
func NewServer(cfg ServerConfig) *Server {
	if _, err := identity.ParseDID(string(cfg.Self)); err != nil {
		panic(fmt.Sprintf("rpc.NewServer: Self %q: %v", cfg.Self, err))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.Authorize == nil {
		cfg.Authorize = func(identity.DID) error { return ErrUnknownPeer }
	}
	return &Server{
		cfg:     cfg,
		methods: make(map[string]*method),
		nonces:  newNonceCache(cfg.NonceCacheSize),
	}
}

// Register adds a method. It panics on an empty name, a nil handler or a
// duplicate registration.
func (s *Server) Register(name string, h Handler, opts ...Option) {
	if name == "" || h == nil {
		panic("rpc.Register: empty method name or nil handler")
	}
	m := &method{h: h}
	for _, o := range opts {
		o(m)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.methods[name]; dup {
		panic("rpc.Register: duplicate method " + name)
	}
	s.methods[name] = m
}

func (s *Server) lookup(name string) *method {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.methods[name]
}

// response is a JSON-RPC 2.0 response object.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

var nullID = json.RawMessage("null")

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := s.cfg.Log
	if r.URL.Path != Path {
		s.reject(w, http.StatusNotFound, nil, ErrInvalidRequest.WithData("no such path"), log)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, http.StatusMethodNotAllowed, nil, ErrInvalidRequest.WithData("use POST"), log)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.reject(w, http.StatusUnsupportedMediaType, nil, ErrInvalidRequest.WithData("Content-Type must be application/json"), log)
		return
	}
	if r.ContentLength > MaxRequestBytes {
		s.reject(w, http.StatusRequestEntityTooLarge, nil, ErrRequestTooLarge, log)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(w, http.StatusRequestEntityTooLarge, nil, ErrRequestTooLarge, log)
			return
		}
		s.reject(w, http.StatusBadRequest, nil, ErrInvalidRequest.WithData("cannot read body"), log)
		return
	}

	req, rerr := parseRequest(body)
	if rerr != nil {
		s.reject(w, http.StatusOK, req.id, rerr, log)
		return
	}
	log = log.WithField("method", req.method)
	m := s.lookup(req.method)
	if m == nil {
		s.reject(w, http.StatusOK, req.id, ErrMethodNotFound, log)
		return
	}

	call := &Call{Method: req.method, Params: req.params}
	if !m.unauthenticated {
		caller, aerr := s.authenticate(r.Header, req)
		if aerr != nil {
			s.reject(w, http.StatusOK, req.id, aerr, log)
			return
		}
		call.Caller = caller
		log = log.WithField("caller", caller.Short())
	}

	result, herr := s.invoke(r.Context(), m.h, call, log)
	if herr != nil {
		s.reply(w, http.StatusOK, &response{JSONRPC: "2.0", Error: herr, ID: req.id}, log)
		return
	}
	s.reply(w, http.StatusOK, &response{JSONRPC: "2.0", Result: result, ID: req.id}, log)
}

// request is a parsed JSON-RPC request.
type request struct {
	id     json.RawMessage
	method string
	params json.RawMessage
}

// parseRequest checks the JSON-RPC 2.0 shape. Batches and notifications (no
// "id") are not supported. Member names are matched exactly.
func parseRequest(body []byte) (request, *Error) {
	req := request{id: nullID}
	if !json.Valid(body) {
		return req, ErrParse
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return req, ErrInvalidRequest.WithData("request must be a single JSON object")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return req, ErrInvalidRequest
	}
	if id, ok := members["id"]; ok && len(id) > 0 && (id[0] == '"' || id[0] == '-' || id[0] >= '0' && id[0] <= '9') {
		req.id = id
	} else {
		return req, ErrInvalidRequest.WithData("id must be a string or a number")
	}
	var version string
	if err := json.Unmarshal(members["jsonrpc"], &version); err != nil || version != "2.0" {
		return req, ErrInvalidRequest.WithData(`jsonrpc must be "2.0"`)
	}
	if err := json.Unmarshal(members["method"], &req.method); err != nil || req.method == "" {
		return req, ErrInvalidRequest.WithData("method must be a non-empty string")
	}
	if p, ok := members["params"]; ok {
		if len(p) == 0 || (p[0] != '{' && p[0] != '[') {
			return req, ErrInvalidRequest.WithData("params must be an object or an array")
		}
		req.params = p
	}
	return req, nil
}

// authenticate runs the envelope checks in their documented order and
// returns the verified caller.
func (s *Server) authenticate(h http.Header, req request) (identity.DID, *Error) {
	didText, tsText := h.Get(HeaderDID), h.Get(HeaderTimestamp)
	nonceText, sigText := h.Get(HeaderNonce), h.Get(HeaderSignature)

	// 1. Headers present and well-formed.
	for _, hv := range [][2]string{{HeaderDID, didText}, {HeaderTimestamp, tsText}, {HeaderNonce, nonceText}, {HeaderSignature, sigText}} {
		if hv[1] == "" {
			return "", ErrMissingAuth.WithData("missing " + hv[0])
		}
	}
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return "", ErrMissingAuth.WithData("malformed " + HeaderTimestamp + ": want unix seconds in decimal")
	}
	nonce, err := b64.DecodeString(nonceText)
	if err != nil || len(nonce) != NonceSize {
		return "", ErrMissingAuth.WithData("malformed " + HeaderNonce + ": want 16 bytes, base64url without padding")
	}

	// 2. Timestamp within the window.
	now := s.cfg.Now()
	// (Compared without subtracting ts, which could overflow.)
	skew := int64(MaxClockSkew / time.Second)
	if ts < now.Unix()-skew || ts > now.Unix()+skew {
		return "", ErrStaleTimestamp.WithData(map[string]int64{"server_time": now.Unix()})
	}

	// 3. DID parses.
	caller := identity.DID(didText)
	pub, err := identity.ParseDID(didText)
	if err != nil {
		return "", ErrInvalidDID
	}

	// 4. The node knows this DID.
	if err := s.cfg.Authorize(caller); err != nil {
		var rerr *Error
		switch {
		case errors.Is(err, ErrRemovedPeer):
			return "", ErrRemovedPeer
		case errors.Is(err, ErrUnknownPeer):
			return "", ErrUnknownPeer
		case errors.As(err, &rerr):
			return "", rerr
		default:
			s.cfg.Log.WithError(err).WithField("caller", caller.Short()).Error("rpc: authorize failed")
			return "", ErrInternal
		}
	}

	// 5. Signature.
	sig, err := b64.DecodeString(sigText)
	if err != nil || !verifyRequest(pub, sig, s.cfg.Self, req.method, req.params, tsText, nonce) {
		return "", ErrInvalidSignature
	}

	// 6. Nonce not seen — recorded only now that the signature verified.
	key := nonceKey{did: caller}
	copy(key.nonce[:], nonce)
	if rerr := s.nonces.add(key, ts, now); rerr != nil {
		return "", rerr
	}
	return caller, nil
}

// invoke runs the handler, turning panics and non-*Error errors into
// ErrInternal, and marshals the result.
func (s *Server) invoke(ctx context.Context, h Handler, call *Call, log *logrus.Entry) (result json.RawMessage, rerr *Error) {
	defer func() {
		if p := recover(); p != nil {
			log.WithField("panic", p).Error("rpc: handler panicked")
			result, rerr = nil, ErrInternal
		}
	}()
	v, err := h(ctx, call)
	if err != nil {
		if errors.As(err, &rerr) && rerr != nil {
			log.WithError(err).Debug("rpc: handler returned an error")
			return nil, rerr
		}
		log.WithError(err).Error("rpc: handler failed")
		return nil, ErrInternal
	}
	b, err := json.Marshal(v)
	if err != nil {
		log.WithError(err).Error("rpc: cannot encode result")
		return nil, ErrInternal
	}
	return b, nil
}

func (s *Server) reject(w http.ResponseWriter, status int, id json.RawMessage, e *Error, log *logrus.Entry) {
	log.WithField("code", e.Code).Debugf("rpc: rejected: %s", e.Message)
	if id == nil {
		id = nullID
	}
	s.reply(w, status, &response{JSONRPC: "2.0", Error: e, ID: id}, log)
}

func (s *Server) reply(w http.ResponseWriter, status int, resp *response, log *logrus.Entry) {
	b, err := json.Marshal(resp)
	if err != nil { // only an error's Data can fail to encode here
		log.WithError(err).Error("rpc: cannot encode response")
		b, _ = json.Marshal(&response{JSONRPC: "2.0", Error: ErrInternal, ID: resp.ID})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
