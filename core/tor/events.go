package tor

import (
	"sync"
	"time"

	"github.com/archy-desktop/archy-desktop/core/internal/fanout"
)

// Event is one thing that happened in the Tor engine. The concrete types are
// Bootstrap, Warning, Ready, Stalled, DescriptorUploaded and Stopped.
type Event interface{ torEvent() }

// Bootstrap is Tor's bootstrap progress with Tor's own phase tag and summary
// (e.g. 45, "requesting_descriptors", "Asking for relay descriptors").
type Bootstrap struct {
	Percent int
	Tag     string
	Summary string
	// Warning is Tor's complaint while bootstrapping (e.g. "Connection
	// refused"), and Recommendation its "ignore"/"warn" advice.
	Warning        string
	Recommendation string
}

// Warning is a problem Tor reports in STATUS_GENERAL / STATUS_CLIENT events,
// e.g. Action "DANGEROUS_VERSION" when this Tor is obsolete.
type Warning struct {
	Severity string // NOTICE, WARN or ERR
	Action   string // Tor's keyword, e.g. DANGEROUS_VERSION, CLOCK_SKEW
	Message  string // a sentence for people
	Args     map[string]string
}

// Ready means bootstrap reached 100 %: circuits can be built.
type Ready struct{}

// Stalled means bootstrap has made no progress for StallAfter; a censored
// network is the usual cause, so the UI offers bridges.
type Stalled struct {
	Percent int
	Since   time.Time
}

// DescriptorUploaded means an onion service's descriptor reached an HSDir:
// from now on others can reach the address.
type DescriptorUploaded struct {
	Onion string // address without ".onion"
}

// Stopped means Tor has exited; Err is nil after a requested shutdown.
type Stopped struct{ Err error }

func (Bootstrap) torEvent()          {}
func (Warning) torEvent()            {}
func (Ready) torEvent()              {}
func (Stalled) torEvent()            {}
func (DescriptorUploaded) torEvent() {}
func (Stopped) torEvent()            {}

// Status is the engine's current state, for callers that join late.
type Status struct {
	Bootstrap Bootstrap
	Ready     bool
	Stalled   bool
	Running   bool
}

// hub keeps the latest Status and fans events out to subscribers. A slow
// subscriber loses old events rather than stalling Tor's event loop.
type hub struct {
	events fanout.Hub[Event]
	mu     sync.Mutex
	status Status
}

func (h *hub) subscribe() (<-chan Event, func()) { return h.events.Subscribe() }

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	switch e := ev.(type) {
	case Bootstrap:
		h.status.Bootstrap = e
		h.status.Stalled = false
	case Ready:
		h.status.Ready = true
		h.status.Stalled = false
	case Stalled:
		h.status.Stalled = true
	case Stopped:
		h.status.Running = false
		h.status.Ready = false
	}
	h.mu.Unlock()
	h.events.Publish(ev)
}

func (h *hub) get() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.status
}

func (h *hub) closeAll() { h.events.Close() }
