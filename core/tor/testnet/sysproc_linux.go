package testnet

import "syscall"

// sysProcAttr puts each Tor in its own session when detached, and otherwise
// has the kernel kill it if this process dies, so tests never leak relays.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
