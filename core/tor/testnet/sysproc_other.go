//go:build !linux

package testnet

import "syscall"

func sysProcAttr(detach bool) *syscall.SysProcAttr { return nil }
