//go:build embedtor

package libtor

// Available reports whether this binary links Tor in-process.
const Available = true
