// Package fanout delivers values to any number of subscribers without ever
// blocking the publisher: a subscriber that falls behind loses its oldest
// undelivered values, never the newest.
package fanout

import "sync"

// Hub fans values out. The zero value is ready to use (buffer 64).
type Hub[T any] struct {
	// Buffer is each subscriber's channel capacity (default 64).
	Buffer int

	mu     sync.Mutex
	subs   map[chan T]struct{}
	closed bool
}

// Subscribe returns a channel of values published from now on, closed by
// cancel or Close. After Close it returns a closed channel.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	size := h.Buffer
	if size <= 0 {
		size = 64
	}
	ch := make(chan T, size)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[chan T]struct{}{}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Publish sends v to every subscriber; a full channel drops its oldest value.
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- v:
			continue
		default:
		}
		select {
		case <-ch:
		default:
		}
		select {
		case ch <- v:
		default:
		}
	}
}

// Close closes every subscriber's channel; later subscriptions get a closed
// channel.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
}
