package tor

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Network says which Tor network to join: the live one, or a private network
// given by its directory authorities (then Tor runs with TestingTorNetwork 1,
// which a private network's clients need as well as the DirAuthority lines).
type Network struct {
	// DirAuthorities are DirAuthority values (without the keyword); empty
	// means the live Tor network.
	DirAuthorities []string
}

// Live is the public Tor network.
var Live = Network{}

// IsLive reports whether n is the public Tor network.
func (n Network) IsLive() bool { return len(n.DirAuthorities) == 0 }

var v3identRe = regexp.MustCompile(`\bv3ident=([0-9A-Fa-f]{40})\b`)

// V3Idents returns the authorities' v3 identity fingerprints, upper-case and sorted.
func (n Network) V3Idents() []string {
	var ids []string
	for _, a := range n.DirAuthorities {
		if m := v3identRe.FindStringSubmatch(a); m != nil {
			ids = append(ids, strings.ToUpper(m[1]))
		}
	}
	sort.Strings(ids)
	return ids
}

// ID is a short stable name of the network: "live", or 8 hex characters
// derived from the authorities' v3 identities.
func (n Network) ID() string {
	if n.IsLive() {
		return "live"
	}
	sum := sha256.Sum256([]byte(strings.Join(n.V3Idents(), "\n")))
	return hex.EncodeToString(sum[:4])
}

func (n Network) args() []string {
	if n.IsLive() {
		return nil
	}
	args := []string{"--TestingTorNetwork", "1"}
	for _, a := range n.DirAuthorities {
		args = append(args, "--DirAuthority", a)
	}
	return args
}

// ErrNoAuthorities is returned for a network file with no DirAuthority line.
var ErrNoAuthorities = errors.New("no DirAuthority lines")

// LoadNetworkFile reads a private network description: DirAuthority lines as
// in a torrc (the file archy-testnet writes); blank lines and # comments are
// ignored, other torrc options are rejected so nothing else slips in.
func LoadNetworkFile(path string) (Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return Network{}, fmt.Errorf("tor network file: %w", err)
	}
	defer f.Close()
	var n Network
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, _ := strings.Cut(text, " ")
		switch {
		case strings.EqualFold(key, "DirAuthority"):
			val = strings.TrimSpace(val)
			if !v3identRe.MatchString(val) {
				return Network{}, fmt.Errorf("%s:%d: DirAuthority without v3ident=", path, line)
			}
			n.DirAuthorities = append(n.DirAuthorities, val)
		case strings.EqualFold(key, "TestingTorNetwork"):
			// implied by a private network
		default:
			return Network{}, fmt.Errorf("%s:%d: unexpected option %q (only DirAuthority lines belong here)", path, line, key)
		}
	}
	if err := sc.Err(); err != nil {
		return Network{}, fmt.Errorf("tor network file: %w", err)
	}
	if len(n.DirAuthorities) == 0 {
		return Network{}, fmt.Errorf("%s: %w", path, ErrNoAuthorities)
	}
	return n, nil
}
