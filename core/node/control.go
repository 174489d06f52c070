package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// The control socket lets the CLI (and a second launch of the app) talk to
// the running node: a Unix socket in the data folder, mode 0600, speaking
// small JSON requests over HTTP. Only the user who runs the node can use it.

// ControlSocketName is the socket's file name in the data folder.
const ControlSocketName = "control.sock"

// ErrNotRunning means no node answers on the control socket.
var ErrNotRunning = errors.New("Archy Desktop is not running (start it with `archy-desktop` or `archy-desktop --headless`)")

// ControlPath is the control socket of the node in dataDir.
func ControlPath(dataDir string) string { return filepath.Join(dataDir, ControlSocketName) }

// ServeControl listens on the control socket until the node stops. If a live
// node already answers there, it fails with ErrAlreadyRunning.
func (n *Node) ServeControl() error {
	path := ControlPath(n.cfg.DataDir)
	if c := NewControlClient(n.cfg.DataDir); c.Ping() == nil {
		return ErrAlreadyRunning
	}
	os.Remove(path) // stale socket of a node that died
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: n.controlHandler(), ReadHeaderTimeout: 10 * time.Second}
	n.goRun(func() {
		<-n.ctx.Done()
		srv.Close()
		os.Remove(path)
	})
	n.goRun(func() { srv.Serve(ln) })
	return nil
}

// ErrAlreadyRunning means another instance owns the data folder.
var ErrAlreadyRunning = errors.New("Archy Desktop is already running with this data folder")

type controlError struct {
	Error string `json:"error"`
}

func (n *Node) controlHandler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			res, err := fn(r)
			w.Header().Set("Content-Type", "application/json")
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(controlError{Error: err.Error()})
				return
			}
			json.NewEncoder(w).Encode(res)
		})
	}
	decode := func(r *http.Request, v any) error {
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			return fmt.Errorf("bad request: %w", err)
		}
		return nil
	}
	handle("GET /v1/ping", func(*http.Request) (any, error) { return map[string]string{"did": string(n.DID())}, nil })
	handle("GET /v1/status", func(*http.Request) (any, error) { return n.State(), nil })
	handle("POST /v1/name", func(r *http.Request) (any, error) {
		var req struct {
			Name string `json:"name"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return struct{}{}, n.SetName(req.Name)
	})
	handle("POST /v1/show", func(*http.Request) (any, error) { n.ShowWindow(); return struct{}{}, nil })
	handle("POST /v1/invite", func(r *http.Request) (any, error) {
		var req InviteRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return n.CreateInvite(req.Observer, req.TTL)
	})
	handle("POST /v1/preview", func(r *http.Request) (any, error) {
		var req LinkRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return n.PreviewInvite(req.Link)
	})
	handle("POST /v1/join", func(r *http.Request) (any, error) {
		var req LinkRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		p, err := n.PreviewInvite(req.Link)
		if err != nil {
			return nil, err
		}
		return p, n.Join(req.Link)
	})
	handle("POST /v1/remove", func(r *http.Request) (any, error) {
		var req PeerRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return struct{}{}, n.RemovePeer(req.DID)
	})
	handle("POST /v1/trust", func(r *http.Request) (any, error) {
		var req PeerRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return struct{}{}, n.SetTrust(req.DID, req.Trust)
	})
	handle("POST /v1/sync", func(r *http.Request) (any, error) {
		var req PeerRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		n.SyncNow(req.DID)
		return struct{}{}, nil
	})
	handle("POST /v1/pause", func(r *http.Request) (any, error) {
		var req PauseRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		n.SetSyncPaused(req.Paused)
		return struct{}{}, nil
	})
	handle("POST /v1/records", func(r *http.Request) (any, error) {
		var req RecordRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return n.AddRecord(req.Protocol, req.Payload)
	})
	handle("GET /v1/records", func(r *http.Request) (any, error) {
		limit := 1000
		if l := r.URL.Query().Get("limit"); l != "" {
			var err error
			if limit, err = strconv.Atoi(l); err != nil {
				return nil, fmt.Errorf("bad limit %q", l)
			}
		}
		return n.ListRecords(r.URL.Query().Get("protocol"), limit)
	})
	return mux
}

// Control requests.
type (
	InviteRequest struct {
		Observer bool          `json:"observer"`
		TTL      time.Duration `json:"ttl"`
	}
	LinkRequest struct {
		Link string `json:"link"`
	}
	PeerRequest struct {
		DID   identity.DID `json:"did"`
		Trust store.Trust  `json:"trust,omitempty"`
	}
	PauseRequest struct {
		Paused bool `json:"paused"`
	}
	RecordRequest struct {
		Protocol string `json:"protocol"`
		Payload  []byte `json:"payload"`
	}
)

// ControlClient talks to a running node over its control socket.
type ControlClient struct {
	hc *http.Client
}

// NewControlClient returns a client for the node using dataDir.
func NewControlClient(dataDir string) *ControlClient {
	path := ControlPath(dataDir)
	return &ControlClient{hc: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}
}

// Do sends one request; body and result may be nil.
func (c *ControlClient) Do(method, path string, body, result any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://archy"+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) || errors.Is(err, os.ErrNotExist) {
			return ErrNotRunning
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ce controlError
		if json.NewDecoder(resp.Body).Decode(&ce) == nil && ce.Error != "" {
			return errors.New(ce.Error)
		}
		return fmt.Errorf("control: %s", resp.Status)
	}
	if result == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(result)
}

// Ping checks that a node answers.
func (c *ControlClient) Ping() error { return c.Do("GET", "/v1/ping", nil, nil) }
