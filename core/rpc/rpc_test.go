package rpc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t          *testing.T
	srv        *Server
	hs         *httptest.Server
	clock      *clock
	selfKey    ed25519.PrivateKey
	self       identity.DID
	peerKey    ed25519.PrivateKey // authorized
	peer       identity.DID
	removedKey ed25519.PrivateKey // Authorize: removed
	unknownKey ed25519.PrivateKey // Authorize: unknown
	brokenKey  ed25519.PrivateKey // Authorize: fails with a non-rpc error
	observer   ed25519.PrivateKey // Authorize: ErrNotTrusted

	calls      atomic.Int64 // incremented by every handler
	lastCaller atomic.Value // identity.DID
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func didOf(k ed25519.PrivateKey) identity.DID {
	return identity.DIDFromPublicKey(k.Public().(ed25519.PublicKey))
}

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

func newFixture(t *testing.T, cacheSize int) *fixture {
	f := &fixture{
		t: t, clock: &clock{t: time.Now()},
		selfKey: newKey(t), peerKey: newKey(t), removedKey: newKey(t), unknownKey: newKey(t),
		brokenKey: newKey(t), observer: newKey(t),
	}
	f.self, f.peer = didOf(f.selfKey), didOf(f.peerKey)
	f.lastCaller.Store(identity.DID("-"))
	f.srv = NewServer(ServerConfig{
		Self: f.self,
		Authorize: func(d identity.DID) error {
			switch d {
			case f.peer:
				return nil
			case didOf(f.removedKey):
				return fmt.Errorf("tombstoned: %w", ErrRemovedPeer)
			case didOf(f.brokenKey):
				return errors.New("database is on fire")
			case didOf(f.observer):
				return ErrNotTrusted
			}
			return ErrUnknownPeer
		},
		Now:            f.clock.Now,
		Log:            quietLog(),
		NonceCacheSize: cacheSize,
	})
	record := func(c *Call) {
		f.calls.Add(1)
		f.lastCaller.Store(c.Caller)
	}
	f.srv.Register("test.echo", func(_ context.Context, c *Call) (any, error) {
		record(c)
		return c.Params, nil
	})
	f.srv.Register("node.did", func(_ context.Context, c *Call) (any, error) {
		record(c)
		return f.self, nil
	}, Unauthenticated())
	f.srv.Register("test.denied", func(_ context.Context, c *Call) (any, error) {
		record(c)
		return nil, ErrNotTrusted
	})
	f.srv.Register("test.wrapped", func(_ context.Context, c *Call) (any, error) {
		record(c)
		return nil, fmt.Errorf("checking invite: %w", ErrInviteExpired.WithData("expired at 12:00"))
	})
	f.srv.Register("test.secret", func(_ context.Context, c *Call) (any, error) {
		record(c)
		return nil, errors.New("open /home/alice/secret.db: permission denied")
	})
	f.srv.Register("test.panic", func(_ context.Context, c *Call) (any, error) {
		record(c)
		panic("kaboom /home/alice")
	})
	f.srv.Register("test.params", func(_ context.Context, c *Call) (any, error) {
		record(c)
		var p struct{ N int }
		if err := c.DecodeParams(&p); err != nil {
			return nil, err
		}
		return p.N * 2, nil
	})
	f.hs = httptest.NewServer(f.srv)
	t.Cleanup(f.hs.Close)
	return f
}

func (f *fixture) client(key ed25519.PrivateKey) *Client { return NewClient(key, f.hs.Client()) }

// spec describes one raw request; zero values mean "the correct thing".
type spec struct {
	httpMethod  string
	path        string
	contentType string
	body        []byte // replaces the whole body if set
	chunked     bool   // send without Content-Length
	id          string
	method      string
	params      []byte // body params; noParams to omit
	noParams    bool

	key       ed25519.PrivateKey // signer; nil with unsigned=true for no headers
	unsigned  bool
	didHeader string
	ts        time.Time
	tsText    string
	nonce     []byte
	nonceText string
	sigText   string
	drop      []string

	// Overrides of what gets signed.
	signCallee identity.DID
	signMethod string
	signParams []byte
	signTS     string
	flipSig    bool
}

func (f *fixture) defaults() spec {
	nonce := make([]byte, NonceSize)
	_, _ = rand.Read(nonce)
	return spec{
		httpMethod: http.MethodPost, path: Path, contentType: "application/json",
		id: "1", method: "test.echo", params: []byte(`{"x":1}`),
		key: f.peerKey, ts: f.clock.Now(), nonce: nonce,
	}
}

func (f *fixture) build(s spec) *http.Request {
	f.t.Helper()
	params := s.params
	if s.noParams {
		params = nil
	}
	body := s.body
	if body == nil {
		body = encodeRequest(s.id, s.method, params)
	}
	var r io.Reader = bytes.NewReader(body)
	if s.chunked {
		r = io.MultiReader(r) // hides the length
	}
	req, err := http.NewRequest(s.httpMethod, f.hs.URL+s.path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", s.contentType)
	if !s.unsigned {
		ts := formatTimestamp(s.ts)
		if s.tsText != "" {
			ts = s.tsText
		}
		callee, method, sp, sts := f.self, s.method, params, ts
		if s.signCallee != "" {
			callee = s.signCallee
		}
		if s.signMethod != "" {
			method = s.signMethod
		}
		if s.signParams != nil {
			sp = s.signParams
		}
		if s.signTS != "" {
			sts = s.signTS
		}
		sig := identity.Sign(s.key, SignatureDomain, transcriptFields(callee, method, sp, sts, s.nonce)...)
		if s.flipSig {
			sig[10] ^= 0x01
		}
		did := string(didOf(s.key))
		if s.didHeader != "" {
			did = s.didHeader
		}
		nonce := b64.EncodeToString(s.nonce)
		if s.nonceText != "" {
			nonce = s.nonceText
		}
		sigText := b64.EncodeToString(sig)
		if s.sigText != "" {
			sigText = s.sigText
		}
		req.Header.Set(HeaderDID, did)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderNonce, nonce)
		req.Header.Set(HeaderSignature, sigText)
	}
	for _, h := range s.drop {
		req.Header.Del(h)
	}
	return req
}

type gotResponse struct {
	status int
	resp   wireResponse
	raw    string
}

func (f *fixture) send(req *http.Request) gotResponse {
	f.t.Helper()
	res, err := f.hs.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	g := gotResponse{status: res.StatusCode, raw: string(b)}
	if err := json.Unmarshal(b, &g.resp); err != nil {
		f.t.Fatalf("response is not JSON: %v: %q", err, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("response Content-Type %q", ct)
	}
	return g
}

func TestRejections(t *testing.T) {
	big := []byte(`{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"pad":"` + strings.Repeat("A", MaxRequestBytes) + `"}}`)
	cases := []struct {
		name       string
		mut        func(f *fixture, s *spec)
		prime      bool // send the identical request once first (it must succeed)
		wantStatus int
		wantCode   int
	}{
		{"missing all headers", func(f *fixture, s *spec) { s.unsigned = true }, false, 200, CodeMissingAuth},
		{"missing signature header", func(f *fixture, s *spec) { s.drop = []string{HeaderSignature} }, false, 200, CodeMissingAuth},
		{"missing DID header", func(f *fixture, s *spec) { s.drop = []string{HeaderDID} }, false, 200, CodeMissingAuth},
		{"missing nonce header", func(f *fixture, s *spec) { s.drop = []string{HeaderNonce} }, false, 200, CodeMissingAuth},
		{"missing timestamp header", func(f *fixture, s *spec) { s.drop = []string{HeaderTimestamp} }, false, 200, CodeMissingAuth},
		{"non-canonical timestamp", func(f *fixture, s *spec) { s.tsText = "+" + formatTimestamp(s.ts) }, false, 200, CodeMissingAuth},
		{"timestamp not a number", func(f *fixture, s *spec) { s.tsText = "yesterday" }, false, 200, CodeMissingAuth},
		{"padded nonce", func(f *fixture, s *spec) { s.nonceText = b64.EncodeToString(s.nonce) + "==" }, false, 200, CodeMissingAuth},
		{"short nonce", func(f *fixture, s *spec) { s.nonce = s.nonce[:8] }, false, 200, CodeMissingAuth},
		{"stale +6min", func(f *fixture, s *spec) { s.ts = s.ts.Add(6 * time.Minute) }, false, 200, CodeStaleTimestamp},
		{"stale -6min", func(f *fixture, s *spec) { s.ts = s.ts.Add(-6 * time.Minute) }, false, 200, CodeStaleTimestamp},
		{"timestamp overflowing the skew check", func(f *fixture, s *spec) {
			s.tsText = strconv.FormatInt(s.ts.Unix()+math.MinInt64, 10)
		}, false, 200, CodeStaleTimestamp},
		{"replayed nonce", func(f *fixture, s *spec) {}, true, 200, CodeReplayedNonce},
		{"invalid DID", func(f *fixture, s *spec) { s.didHeader = "did:key:zNotReallyADID" }, false, 200, CodeInvalidDID},
		{"DID not did:key", func(f *fixture, s *spec) { s.didHeader = "did:web:example.com" }, false, 200, CodeInvalidDID},
		{"unknown DID", func(f *fixture, s *spec) { s.key = f.unknownKey }, false, 200, CodeUnknownDID},
		{"removed DID", func(f *fixture, s *spec) { s.key = f.removedKey }, false, 200, CodeRemovedPeer},
		{"authorize returns an rpc error", func(f *fixture, s *spec) { s.key = f.observer }, false, 200, CodeNotTrusted},
		{"authorize fails", func(f *fixture, s *spec) { s.key = f.brokenKey }, false, 200, CodeInternal},
		{"flipped signature byte", func(f *fixture, s *spec) { s.flipSig = true }, false, 200, CodeInvalidSignature},
		{"signature not base64url", func(f *fixture, s *spec) { s.sigText = "!!not base64!!" }, false, 200, CodeInvalidSignature},
		{"signature by another key", func(f *fixture, s *spec) {
			s.didHeader = string(f.peer)
			s.key = f.unknownKey
		}, false, 200, CodeInvalidSignature},
		{"signed for another callee", func(f *fixture, s *spec) { s.signCallee = didOf(f.unknownKey) }, false, 200, CodeInvalidSignature},
		{"signed for another method", func(f *fixture, s *spec) { s.signMethod = "test.denied" }, false, 200, CodeInvalidSignature},
		{"params changed", func(f *fixture, s *spec) { s.signParams = []byte(`{"x":2}`) }, false, 200, CodeInvalidSignature},
		{"params re-spaced", func(f *fixture, s *spec) { s.signParams = []byte(`{ "x": 1 }`) }, false, 200, CodeInvalidSignature},
		{"params dropped", func(f *fixture, s *spec) { s.noParams = true; s.signParams = []byte(`{"x":1}`) }, false, 200, CodeInvalidSignature},
		{"signed another timestamp", func(f *fixture, s *spec) { s.signTS = formatTimestamp(s.ts.Add(-time.Second)) }, false, 200, CodeInvalidSignature},
		{"body over 1 MiB", func(f *fixture, s *spec) { s.body = big }, false, 413, CodeRequestTooLarge},
		{"body over 1 MiB, chunked", func(f *fixture, s *spec) { s.body = big; s.chunked = true }, false, 413, CodeRequestTooLarge},
		{"invalid JSON", func(f *fixture, s *spec) { s.body = []byte(`{"jsonrpc":"2.0","id":1,`) }, false, 200, CodeParseError},
		{"wrong jsonrpc version", func(f *fixture, s *spec) {
			s.body = []byte(`{"jsonrpc":"1.0","id":1,"method":"test.echo","params":{"x":1}}`)
		}, false, 200, CodeInvalidRequest},
		{"missing jsonrpc", func(f *fixture, s *spec) {
			s.body = []byte(`{"id":1,"method":"test.echo","params":{"x":1}}`)
		}, false, 200, CodeInvalidRequest},
		{"missing id (notification)", func(f *fixture, s *spec) {
			s.body = []byte(`{"jsonrpc":"2.0","method":"test.echo","params":{"x":1}}`)
		}, false, 200, CodeInvalidRequest},
		{"id is an object", func(f *fixture, s *spec) { s.id = `{"a":1}` }, false, 200, CodeInvalidRequest},
		{"batch", func(f *fixture, s *spec) {
			s.body = []byte(`[{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"x":1}}]`)
		}, false, 200, CodeInvalidRequest},
		{"scalar params", func(f *fixture, s *spec) { s.params = []byte(`5`) }, false, 200, CodeInvalidRequest},
		{"method case differs", func(f *fixture, s *spec) {
			s.body = []byte(`{"jsonrpc":"2.0","id":1,"Method":"test.echo","params":{"x":1}}`)
		}, false, 200, CodeInvalidRequest},
		{"unknown method", func(f *fixture, s *spec) { s.method = "test.nope" }, false, 200, CodeMethodNotFound},
		{"GET", func(f *fixture, s *spec) { s.httpMethod = http.MethodGet; s.body = []byte{} }, false, 405, CodeInvalidRequest},
		{"wrong path", func(f *fixture, s *spec) { s.path = "/rpc/v2" }, false, 404, CodeInvalidRequest},
		{"wrong content type", func(f *fixture, s *spec) { s.contentType = "text/plain" }, false, 415, CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0)
			s := f.defaults()
			tc.mut(f, &s)
			if tc.prime {
				if g := f.send(f.build(s)); g.resp.Error != nil {
					t.Fatalf("priming request failed: %s", g.raw)
				}
			}
			callsBefore, callerBefore := f.calls.Load(), f.lastCaller.Load()
			cacheBefore := f.srv.nonces.len()

			g := f.send(f.build(s))

			if g.status != tc.wantStatus {
				t.Errorf("HTTP status %d, want %d", g.status, tc.wantStatus)
			}
			if g.resp.Error == nil {
				t.Fatalf("no JSON-RPC error: %s", g.raw)
			}
			if g.resp.Error.Code != tc.wantCode {
				t.Errorf("code %d (%s), want %d", g.resp.Error.Code, g.resp.Error.Message, tc.wantCode)
			}
			if g.resp.JSONRPC != "2.0" || g.resp.Result != nil {
				t.Errorf("malformed error response: %s", g.raw)
			}
			if n := f.calls.Load(); n != callsBefore || f.lastCaller.Load() != callerBefore {
				t.Errorf("handler ran: calls %d -> %d", callsBefore, n)
			}
			if n := f.srv.nonces.len(); n != cacheBefore {
				t.Errorf("rejected request changed the nonce cache: %d -> %d", cacheBefore, n)
			}
			if strings.Contains(g.raw, "/home/alice") || strings.Contains(g.raw, "on fire") {
				t.Errorf("response leaks internals: %s", g.raw)
			}
		})
	}
}

func TestAcceptedEdgesOfTheWindow(t *testing.T) {
	f := newFixture(t, 0)
	for _, d := range []time.Duration{-MaxClockSkew, MaxClockSkew, 0} {
		s := f.defaults()
		s.ts = s.ts.Add(d)
		if g := f.send(f.build(s)); g.resp.Error != nil || g.status != 200 {
			t.Errorf("skew %v rejected: %s", d, g.raw)
		}
	}
	if f.calls.Load() != 3 {
		t.Fatalf("calls = %d", f.calls.Load())
	}
}

func TestSignedCall(t *testing.T) {
	f := newFixture(t, 0)
	c := f.client(f.peerKey)
	var got map[string]any
	if err := c.Call(context.Background(), f.hs.URL, f.self, "test.echo", map[string]any{"hello": "world", "n": 3}, &got); err != nil {
		t.Fatal(err)
	}
	if got["hello"] != "world" || got["n"] != float64(3) {
		t.Fatalf("result %v", got)
	}
	if f.calls.Load() != 1 || f.lastCaller.Load() != f.peer {
		t.Fatalf("handler saw calls=%d caller=%v", f.calls.Load(), f.lastCaller.Load())
	}
	// No params, nil result.
	if err := c.Call(context.Background(), f.hs.URL+"/", f.self, "test.echo", nil, nil); err != nil {
		t.Fatal(err)
	}
	// Handler-decoded params.
	var n int
	if err := c.Call(context.Background(), f.hs.URL, f.self, "test.params", struct{ N int }{21}, &n); err != nil || n != 42 {
		t.Fatalf("test.params = %d, %v", n, err)
	}
	err := c.Call(context.Background(), f.hs.URL, f.self, "test.params", map[string]any{"N": 1, "Extra": true}, &n)
	if !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("unknown field: %v, want ErrInvalidParams", err)
	}
}

func TestUnauthenticatedCall(t *testing.T) {
	f := newFixture(t, 0)
	var did identity.DID
	if err := f.client(nil).CallUnauthenticated(context.Background(), f.hs.URL, "node.did", nil, &did); err != nil {
		t.Fatal(err)
	}
	if did != f.self || f.lastCaller.Load() != identity.DID("") {
		t.Fatalf("node.did = %q, caller %q", did, f.lastCaller.Load())
	}
	// Headers on an unauthenticated method are ignored, even bogus ones.
	s := f.defaults()
	s.method, s.flipSig, s.noParams = "node.did", true, true
	if g := f.send(f.build(s)); g.resp.Error != nil {
		t.Fatalf("unauthenticated method with bad headers: %s", g.raw)
	}
	if f.lastCaller.Load() != identity.DID("") {
		t.Fatal("unverified headers produced a caller")
	}
	// An authenticated method without headers is refused.
	before := f.calls.Load()
	err := f.client(f.peerKey).CallUnauthenticated(context.Background(), f.hs.URL, "test.echo", nil, nil)
	if !errors.Is(err, ErrMissingAuth) {
		t.Fatalf("err = %v, want ErrMissingAuth", err)
	}
	if f.calls.Load() != before {
		t.Fatal("handler ran")
	}
}

func TestHandlerErrors(t *testing.T) {
	f := newFixture(t, 0)
	c := f.client(f.peerKey)
	ctx := context.Background()

	err := c.Call(ctx, f.hs.URL, f.self, "test.denied", nil, nil)
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.Code != CodeNotTrusted || rerr.Message != ErrNotTrusted.Message {
		t.Errorf("test.denied: %v", err)
	}

	err = c.Call(ctx, f.hs.URL, f.self, "test.wrapped", nil, nil)
	if !errors.Is(err, ErrInviteExpired) || !errors.As(err, &rerr) || string(rerr.Data.(json.RawMessage)) != `"expired at 12:00"` {
		t.Errorf("test.wrapped: %v", err)
	}
	if ErrInviteExpired.Data != nil {
		t.Error("WithData modified the sentinel")
	}

	for _, m := range []string{"test.secret", "test.panic"} {
		err = c.Call(ctx, f.hs.URL, f.self, m, nil, nil)
		if !errors.Is(err, ErrInternal) {
			t.Errorf("%s: %v, want ErrInternal", m, err)
		}
		if err != nil && strings.Contains(err.Error(), "alice") {
			t.Errorf("%s leaks details: %v", m, err)
		}
	}
}

func TestErrorIs(t *testing.T) {
	e := &Error{Code: CodeReplayedNonce, Message: "whatever"}
	if !errors.Is(e, ErrReplayedNonce) || !errors.Is(fmt.Errorf("x: %w", e), ErrReplayedNonce) {
		t.Error("errors.Is by code failed")
	}
	if errors.Is(e, ErrStaleTimestamp) || errors.Is(errors.New("replayed nonce"), ErrReplayedNonce) {
		t.Error("errors.Is matched a different error")
	}
	all := []*Error{
		ErrParse, ErrInvalidRequest, ErrMethodNotFound, ErrInvalidParams, ErrInternal,
		ErrMissingAuth, ErrStaleTimestamp, ErrReplayedNonce, ErrUnknownPeer, ErrRemovedPeer,
		ErrInvalidSignature, ErrRequestTooLarge, ErrInvalidDID,
		ErrInvalidInvite, ErrInviteUsed, ErrInviteExpired, ErrWrongNetwork, ErrOwnInvite, ErrNotTrusted,
	}
	codes, msgs := map[int]bool{}, map[string]bool{}
	for _, e := range all {
		if codes[e.Code] || msgs[e.Message] {
			t.Errorf("duplicate code or message: %v", e)
		}
		codes[e.Code], msgs[e.Message] = true, true
	}
	for _, c := range []int{CodeInvalidInvite, CodeInviteUsed, CodeInviteExpired, CodeWrongNetwork, CodeOwnInvite} {
		if c > -32010 || c < -32019 {
			t.Errorf("invite code %d outside -32010..-32019", c)
		}
	}
}

func TestClientFailures(t *testing.T) {
	ctx := context.Background()
	key := newKey(t)
	self := didOf(newKey(t))
	isRPC := func(err error) bool { var e *Error; return errors.As(err, &e) }

	serve := func(h http.HandlerFunc) string {
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		return hs.URL
	}
	c := NewClient(key, http.DefaultClient)

	// Transport failure.
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	if err := c.Call(ctx, url, self, "m", nil, nil); err == nil || isRPC(err) {
		t.Errorf("closed server: %v", err)
	}

	// Response over 4 MiB.
	url = serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":1,"result":"%s"}`, strings.Repeat("A", MaxResponseBytes))
	})
	if err := c.Call(ctx, url, self, "m", nil, nil); err == nil || isRPC(err) || !strings.Contains(err.Error(), "larger") {
		t.Errorf("huge response: %v", err)
	}

	// Not JSON-RPC.
	url = serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) })
	if err := c.Call(ctx, url, self, "m", nil, nil); err == nil || isRPC(err) || !strings.Contains(err.Error(), "502") {
		t.Errorf("502: %v", err)
	}

	// Wrong id.
	url = serve(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":999,"result":1}`)
	})
	if err := c.Call(ctx, url, self, "m", nil, nil); err == nil || isRPC(err) {
		t.Errorf("wrong id: %v", err)
	}

	// A redirect is not followed: the signed request must not go elsewhere.
	var hit atomic.Bool
	target := serve(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) })
	url = serve(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+Path, http.StatusTemporaryRedirect)
	})
	if err := c.Call(ctx, url, self, "m", nil, nil); err == nil || hit.Load() {
		t.Errorf("redirect: err=%v, followed=%v", err, hit.Load())
	}

	// Requests that are refused before sending.
	if err := c.Call(ctx, "http://127.0.0.1:1", self, "m", 5, nil); err == nil {
		t.Error("scalar params accepted")
	}
	if err := NewClient(nil, http.DefaultClient).Call(ctx, "http://127.0.0.1:1", self, "m", nil, nil); err == nil {
		t.Error("signed call without a key accepted")
	}
	if err := c.Call(ctx, "http://127.0.0.1:1", "did:key:nope", "m", nil, nil); err == nil {
		t.Error("invalid callee accepted")
	}
}

func TestNonceCacheBounded(t *testing.T) {
	c := newNonceCache(4)
	now := time.Unix(1_700_000_000, 0)
	key := func(i int) nonceKey {
		var k nonceKey
		k.did = "did:key:zX"
		k.nonce[0], k.nonce[1] = byte(i), byte(i>>8)
		return k
	}
	for i := range 100 {
		if err := c.add(key(i), now.Unix()+int64(i), now); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if c.len() > 4 || len(c.seen) > 4 {
			t.Fatalf("cache grew to %d/%d", c.len(), len(c.seen))
		}
	}
	// Still remembered: replay.
	if err := c.add(key(99), now.Unix()+99, now); !errors.Is(err, ErrReplayedNonce) {
		t.Errorf("replay of a cached nonce: %v", err)
	}
	// Forgotten early: refused by the floor, never accepted.
	if err := c.add(key(0), now.Unix(), now); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("replay of an evicted nonce: %v", err)
	}
	// A fresh nonce with a newer timestamp still gets in.
	if err := c.add(key(500), now.Unix()+200, now); err != nil {
		t.Errorf("fresh nonce: %v", err)
	}
	// After the window everything expires.
	later := now.Add(NonceWindow + time.Second)
	if err := c.add(key(501), later.Unix()+200, later); err != nil {
		t.Fatal(err)
	}
	if c.len() != 1 || len(c.seen) != 1 {
		t.Errorf("after the window: %d entries, want 1", c.len())
	}
}

func TestServerNonceCacheBounded(t *testing.T) {
	f := newFixture(t, 3)
	var first spec
	for i := range 8 {
		s := f.defaults()
		if i == 0 {
			first = s
		}
		if g := f.send(f.build(s)); g.resp.Error != nil {
			t.Fatalf("request %d: %s", i, g.raw)
		}
		if n := f.srv.nonces.len(); n > 3 {
			t.Fatalf("nonce cache holds %d > 3", n)
		}
		f.clock.Advance(time.Second)
	}
	before := f.calls.Load()
	g := f.send(f.build(first)) // its nonce was evicted; it must still be refused
	if g.resp.Error == nil || g.resp.Error.Code != CodeStaleTimestamp || f.calls.Load() != before {
		t.Fatalf("replay of an evicted request: %s (calls %d -> %d)", g.raw, before, f.calls.Load())
	}
}

func TestBadSignaturesDoNotConsumeNonces(t *testing.T) {
	f := newFixture(t, 0)
	s := f.defaults()
	bad := s
	bad.flipSig = true
	for range 5 {
		if g := f.send(f.build(bad)); g.resp.Error == nil || g.resp.Error.Code != CodeInvalidSignature {
			t.Fatalf("bad signature: %s", g.raw)
		}
	}
	if n := f.srv.nonces.len(); n != 0 {
		t.Fatalf("bad signatures filled the nonce cache: %d", n)
	}
	if g := f.send(f.build(s)); g.resp.Error != nil {
		t.Fatalf("genuine request with the same nonce refused: %s", g.raw)
	}
	if n := f.srv.nonces.len(); n != 1 {
		t.Fatalf("nonce cache = %d, want 1", n)
	}
}

func TestConcurrentReplayAcceptedOnce(t *testing.T) {
	f := newFixture(t, 0)
	s := f.defaults()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 8 {
		req := f.build(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.hs.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var wr wireResponse
			if json.NewDecoder(res.Body).Decode(&wr) == nil && wr.Error == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || f.calls.Load() != 1 {
		t.Fatalf("%d of 8 identical requests accepted, handler ran %d times", ok.Load(), f.calls.Load())
	}
}

func TestRegisterPanics(t *testing.T) {
	f := newFixture(t, 0)
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate Register did not panic")
		}
	}()
	f.srv.Register("test.echo", func(context.Context, *Call) (any, error) { return nil, nil })
}
