package testnet

import (
	"context"
	"fmt"
	"os"
	"time"
)

// EnvDir names a running network (started with `archy-testnet start --dir`)
// that tests should share instead of starting their own; `make test` sets it
// so the whole run pays for one network.
const EnvDir = "ARCHY_TESTNET_DIR"

// Shared returns the network named by $ARCHY_TESTNET_DIR, or starts one in
// dir. stop ends it only if Shared started it.
func Shared(ctx context.Context, dir string) (n *Network, stop func(), err error) {
	if d := os.Getenv(EnvDir); d != "" {
		n, err := Attach(d)
		if err != nil {
			return nil, nil, fmt.Errorf("testnet: $%s: %w", EnvDir, err)
		}
		if !n.Running() {
			return nil, nil, fmt.Errorf("testnet: $%s=%s: the network is not running", EnvDir, d)
		}
		return n, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	n, err = Start(ctx, Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	return n, func() { n.Stop() }, nil
}
