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
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/archy-desktop/archy-desktop/core/identity"
)

// Client calls other nodes. It is safe for concurrent use.
type Client struct {
	key    ed25519.PrivateKey
	hc     *http.Client
	nextID atomic.Uint64
}

// NewClient returns a client signing with key (which may be nil if only
// unauthenticated calls will be made) and sending through hc, whose transport
// should dial through Tor. hc must not be nil: falling back to a default
// client would bypass Tor. The client never follows redirects (a redirect
// would send the signed request somewhere else); it uses a shallow copy of
// hc with CheckRedirect replaced.
func NewClient(key ed25519.PrivateKey, hc *http.Client) *Client {
	if hc == nil {
		panic("rpc.NewClient: nil *http.Client")
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{key: key, hc: &c}
}

// Call calls method on the node at baseURL (e.g. "http://xxxx.onion"),
// posting to baseURL+"/rpc/v1". If callee is non-empty the request is signed
// for that DID; if empty the call is unauthenticated. params (nil for none)
// must encode to a JSON object or array. If result is non-nil the result is
// decoded into it.
//
// It returns an *Error when the callee answered with a JSON-RPC error, and
// another error for anything else (transport failure, malformed response,
// response over MaxResponseBytes).
func (c *Client) Call(ctx context.Context, baseURL string, callee identity.DID, method string, params any, result any) error {
	if callee != "" {
		if c.key == nil {
			return errors.New("rpc: client has no key to sign with")
		}
		if _, err := identity.ParseDID(string(callee)); err != nil {
			return fmt.Errorf("rpc: callee: %w", err)
		}
	}
	var raw []byte
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("rpc: encode params: %w", err)
		}
		if string(b) != "null" {
			if b[0] != '{' && b[0] != '[' {
				return errors.New("rpc: params must encode to a JSON object or array")
			}
			raw = b
		}
	}
	id := strconv.FormatUint(c.nextID.Add(1), 10)
	var nonce []byte
	if callee != "" {
		nonce = make([]byte, NonceSize)
		_, _ = rand.Read(nonce) // never fails (crypto/rand, Go ≥ 1.24)
	}
	req, err := c.newRequest(ctx, baseURL, callee, id, method, raw, time.Now(), nonce)
	if err != nil {
		return err
	}
	return c.do(req, id, result)
}

// CallUnauthenticated is Call with an empty callee.
func (c *Client) CallUnauthenticated(ctx context.Context, baseURL, method string, params any, result any) error {
	return c.Call(ctx, baseURL, "", method, params, result)
}

// encodeRequest builds the body byte by byte, so the "params" member is
// exactly the signed bytes.
func encodeRequest(id, method string, params []byte) []byte {
	m, _ := json.Marshal(method) // a string always encodes
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","id":`)
	b.WriteString(id)
	b.WriteString(`,"method":`)
	b.Write(m)
	if params != nil {
		b.WriteString(`,"params":`)
		b.Write(params)
	}
	b.WriteString("}")
	return b.Bytes()
}

// newRequest builds the HTTP request; it signs when callee is non-empty.
func (c *Client) newRequest(ctx context.Context, baseURL string, callee identity.DID, id, method string, params []byte, now time.Time, nonce []byte) (*http.Request, error) {
	url := strings.TrimSuffix(baseURL, "/") + Path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(encodeRequest(id, method, params)))
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if callee != "" {
		ts := formatTimestamp(now)
		req.Header.Set(HeaderDID, string(identity.DIDFromPublicKey(c.key.Public().(ed25519.PublicKey))))
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderNonce, b64.EncodeToString(nonce))
		req.Header.Set(HeaderSignature, signRequest(c.key, callee, method, params, ts, nonce))
	}
	return req, nil
}

// wireResponse is a response as received; Error.Data stays raw JSON.
type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

func (c *Client) do(req *http.Request, id string, result any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("rpc: read response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return fmt.Errorf("rpc: response larger than %d bytes", MaxResponseBytes)
	}
	var wr wireResponse
	if err := json.Unmarshal(body, &wr); err != nil || wr.JSONRPC != "2.0" || (wr.Error == nil && wr.Result == nil) {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("rpc: HTTP %s", resp.Status)
		}
		return errors.New("rpc: malformed JSON-RPC response")
	}
	if wr.Error != nil {
		e := &Error{Code: wr.Error.Code, Message: wr.Error.Message}
		if len(wr.Error.Data) > 0 && string(wr.Error.Data) != "null" {
			e.Data = wr.Error.Data
		}
		return e
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("rpc: HTTP %s", resp.Status)
	}
	if string(wr.ID) != id {
		return fmt.Errorf("rpc: response id %s does not match request id %s", wr.ID, id)
	}
	if result != nil {
		if err := json.Unmarshal(wr.Result, result); err != nil {
			return fmt.Errorf("rpc: decode result: %w", err)
		}
	}
	return nil
}
