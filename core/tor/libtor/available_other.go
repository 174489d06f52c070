//go:build !embedtor

package libtor

import (
	"context"

	"github.com/cretz/bine/process"
)

// Available reports whether this binary links Tor in-process.
const Available = false

// Version is empty when Tor is not linked in.
func Version() string { return "" }

// Creator fails: Tor is not linked into this build.
type Creator struct{}

// New always fails with ErrNotLinked.
func (Creator) New(context.Context, ...string) (process.Process, error) { return nil, ErrNotLinked }
