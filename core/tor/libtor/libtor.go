//go:build embedtor

// Package libtor runs Tor inside this process: a cgo binding of Tor's public
// embedding API (tor_api.h) implementing bine's process.Creator, the way
// github.com/ipsn/go-libtor does, but linked against a current Tor built from
// Debian's source package (see scripts/build-tor.sh and the Makefile, which
// pass the include and library paths through CGO_CFLAGS / CGO_LDFLAGS).
//
// Tor supports one instance per process at a time: a second Start while one
// runs fails with ErrAlreadyRunning.
package libtor

/*
#include <stdlib.h>
#include <tor_api.h>

static char** archy_argv_new(int n) { return calloc(n + 1, sizeof(char*)); }
static void archy_argv_set(char **argv, int i, char *s) { argv[i] = s; }
static void archy_argv_free(char **argv, int n) {
	for (int i = 0; i < n; i++) free(argv[i]);
	free(argv);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/cretz/bine/process"
)

// ErrAlreadyRunning is returned when Tor is already running in this process.
var ErrAlreadyRunning = errors.New("an embedded Tor is already running in this process (Tor allows one per process)")

var running sync.Mutex

// Version is the name and version of the linked Tor, e.g. "tor 0.4.9.11".
func Version() string { return C.GoString(C.tor_api_get_provider_version()) }

// Creator implements process.Creator with the linked Tor.
type Creator struct{}

// New prepares an embedded Tor with the given command-line arguments.
func (Creator) New(ctx context.Context, args ...string) (process.Process, error) {
	return &embedded{ctx: ctx, args: args, done: make(chan struct{})}, nil
}

type embedded struct {
	ctx     context.Context
	args    []string
	cfg     *C.tor_main_configuration_t
	argv    **C.char
	argc    C.int
	control net.Conn
	done    chan struct{}
	rc      C.int
}

// EmbeddedControlConn returns the control connection Tor owns: when it is
// closed, Tor exits. It must be called before Start.
func (e *embedded) EmbeddedControlConn() (net.Conn, error) {
	if e.control != nil {
		return e.control, nil
	}
	if err := e.configure(); err != nil {
		return nil, err
	}
	fd := C.tor_main_configuration_setup_control_socket(e.cfg)
	if fd < 0 {
		return nil, errors.New("tor_main_configuration_setup_control_socket failed")
	}
	f := os.NewFile(uintptr(fd), "tor-control")
	conn, err := net.FileConn(f)
	f.Close() // FileConn dup'ed the descriptor
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	e.control = conn
	return conn, nil
}

func (e *embedded) configure() error {
	if e.cfg != nil {
		return nil
	}
	if !running.TryLock() {
		return ErrAlreadyRunning
	}
	e.cfg = C.tor_main_configuration_new()
	if e.cfg == nil {
		running.Unlock()
		return errors.New("tor_main_configuration_new failed")
	}
	all := append([]string{"tor"}, e.args...)
	e.argc = C.int(len(all))
	e.argv = C.archy_argv_new(e.argc)
	for i, a := range all {
		if strings.IndexByte(a, 0) >= 0 {
			e.free()
			return fmt.Errorf("tor argument %d contains a NUL byte", i)
		}
		C.archy_argv_set(e.argv, C.int(i), C.CString(a))
	}
	if C.tor_main_configuration_set_command_line(e.cfg, e.argc, e.argv) != 0 {
		e.free()
		return errors.New("tor_main_configuration_set_command_line failed")
	}
	return nil
}

func (e *embedded) free() {
	if e.cfg != nil {
		C.tor_main_configuration_free(e.cfg)
		e.cfg = nil
	}
	if e.argv != nil {
		C.archy_argv_free(e.argv, e.argc)
		e.argv = nil
	}
	running.Unlock()
}

// Start runs Tor on its own OS thread and returns at once.
func (e *embedded) Start() error {
	if err := e.configure(); err != nil {
		return err
	}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		e.rc = C.tor_run_main(e.cfg)
		e.free()
		// Tor does not close its end of the control socket when it exits;
		// close ours so readers see the end instead of waiting forever.
		if e.control != nil {
			e.control.Close()
		}
		close(e.done)
	}()
	go func() {
		// Closing the owning control connection makes Tor exit.
		select {
		case <-e.ctx.Done():
			if e.control != nil {
				e.control.Close()
			}
		case <-e.done:
		}
	}()
	return nil
}

// Wait blocks until Tor has exited.
func (e *embedded) Wait() error {
	<-e.done
	if e.rc != 0 {
		return fmt.Errorf("embedded tor exited with status %d", int(e.rc))
	}
	return nil
}
