package tor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// SOCKSError is a SOCKS5 reply error from Tor. With ExtendedErrors (which the
// engine turns on) Tor tells onion-service failures apart, codes 0xF0–0xF7.
type SOCKSError struct{ Code byte }

func (e *SOCKSError) Error() string {
	if msg, ok := socksMessages[e.Code]; ok {
		return msg
	}
	return fmt.Sprintf("tor: SOCKS error 0x%02X", e.Code)
}

var socksMessages = map[byte]string{
	0x01: "tor: general failure",
	0x02: "tor: connection not allowed",
	0x03: "tor: network unreachable",
	0x04: "tor: host unreachable",
	0x05: "tor: connection refused by the destination",
	0x06: "tor: connection timed out (TTL expired)",
	0x07: "tor: command not supported",
	0x08: "tor: address type not supported",
	0xF0: "tor: onion service not found (its descriptor is not published, it may be offline)",
	0xF1: "tor: onion service descriptor is invalid",
	0xF2: "tor: onion service introduction failed",
	0xF3: "tor: onion service rendezvous failed",
	0xF4: "tor: onion service requires client authorization and we have no key for it",
	0xF5: "tor: onion service refused our client authorization key",
	0xF6: "tor: invalid onion address",
	0xF7: "tor: onion service introduction timed out",
}

// Is lets errors.Is match SOCKS errors by code.
func (e *SOCKSError) Is(target error) bool {
	t, ok := target.(*SOCKSError)
	return ok && t.Code == e.Code
}

// Well-known SOCKS errors for errors.Is.
var (
	ErrOnionNotFound      = &SOCKSError{Code: 0xF0}
	ErrOnionNeedsAuth     = &SOCKSError{Code: 0xF4}
	ErrOnionBadAuth       = &SOCKSError{Code: 0xF5}
	ErrOnionIntroTimedOut = &SOCKSError{Code: 0xF7}
)

// socksDial connects to addr ("host:port", host may be an .onion name) through
// the SOCKS5 proxy at proxyAddr. user isolates streams: Tor puts streams with
// different SOCKS usernames on different circuits (IsolateSOCKSAuth).
func socksDial(ctx context.Context, proxyAddr, user, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("tor: bad port in %q", addr)
	}
	if len(host) > 255 || len(user) > 255 {
		return nil, errors.New("tor: host or isolation name too long")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, fmt.Errorf("tor: SOCKS port: %w", err)
	}
	// Abort the handshake when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := socksHandshake(conn, user, host, port); err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if !stop() {
		conn.Close()
		return nil, ctx.Err()
	}
	return conn, nil
}

func socksHandshake(conn net.Conn, user, host string, port int) error {
	// Greeting: offer username/password (for isolation) or no auth.
	method := byte(0x00)
	if user != "" {
		method = 0x02
	}
	if _, err := conn.Write([]byte{0x05, 0x01, method}); err != nil {
		return err
	}
	var rep [2]byte
	if _, err := io.ReadFull(conn, rep[:]); err != nil {
		return fmt.Errorf("tor: SOCKS greeting: %w", err)
	}
	if rep[0] != 0x05 || rep[1] != method {
		return fmt.Errorf("tor: SOCKS proxy refused auth method %d", method)
	}
	if method == 0x02 {
		msg := []byte{0x01, byte(len(user))}
		msg = append(msg, user...)
		msg = append(msg, 0x01, 'x')
		if _, err := conn.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(conn, rep[:]); err != nil {
			return fmt.Errorf("tor: SOCKS auth: %w", err)
		}
		if rep[1] != 0x00 {
			return errors.New("tor: SOCKS auth rejected")
		}
	}
	req := []byte{0x05, 0x01, 0x00, 0x03, byte(len(host))}
	req = append(req, host...)
	req = append(req, byte(port>>8), byte(port))
	if _, err := conn.Write(req); err != nil {
		return err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return fmt.Errorf("tor: SOCKS reply: %w", err)
	}
	if hdr[1] != 0x00 {
		return &SOCKSError{Code: hdr[1]}
	}
	var skip int
	switch hdr[3] {
	case 0x01:
		skip = 4
	case 0x04:
		skip = 16
	case 0x03:
		var l [1]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return err
		}
		skip = int(l[0])
	default:
		return fmt.Errorf("tor: SOCKS reply with address type %d", hdr[3])
	}
	_, err := io.ReadFull(conn, make([]byte, skip+2))
	return err
}
