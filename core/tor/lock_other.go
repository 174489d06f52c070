//go:build !unix

package tor

// lockHeld cannot tell on this platform; Tor's own lock protects it.
func lockHeld(string) bool { return false }
