package node

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/tor"
)

func openTestNode(t *testing.T, nw tor.Network) *Node {
	t.Helper()
	l := logrus.New()
	l.SetOutput(os.Stderr)
	n, err := Open(Config{DataDir: filepath.Join(t.TempDir(), "data"), Network: nw, AppVersion: "test", DefaultName: "Test node", Log: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.store.Close() })
	return n
}

func TestOpenKeepsIdentityAndName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	n, err := Open(Config{DataDir: dir, Network: tor.Live})
	if err != nil {
		t.Fatal(err)
	}
	did, onion := n.DID(), n.Onion()
	if err := n.SetName("  Maria's laptop\u202e  "); err != nil {
		t.Fatal(err)
	}
	if err := n.SetName("   "); err == nil {
		t.Error("empty name accepted")
	}
	n.store.Close()
	n2, err := Open(Config{DataDir: dir, Network: tor.Live})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.store.Close()
	if n2.DID() != did || n2.Onion() != onion {
		t.Error("identity changed across restarts")
	}
	if n2.Name() != "Maria's laptop" {
		t.Errorf("name %q (the right-to-left override must be gone)", n2.Name())
	}
}

func TestSecondOpenOfTheSameDataFolderFails(t *testing.T) {
	n := openTestNode(t, tor.Live)
	if _, err := Open(Config{DataDir: n.DataDir(), Network: tor.Live}); err == nil {
		t.Fatal("two nodes opened one data folder")
	}
}

func TestInvitesAndPreviews(t *testing.T) {
	nw := tor.Network{DirAuthorities: []string{"a orport=1 no-v2 v3ident=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 127.0.0.1:2 FF"}}
	n := openTestNode(t, nw)
	// The network id in invites is the one the Tor engine shows.
	if n.State().Network != nw.ID() {
		t.Errorf("network id %q, tor says %q", n.State().Network, nw.ID())
	}
	info, err := n.CreateInvite(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(info.QRPNG, []byte("\x89PNG")) || !strings.HasPrefix(info.Link, invite.Scheme) {
		t.Errorf("invite %q", info.Link)
	}
	if _, err := n.PreviewInvite(info.Link); !errors.Is(err, invite.ErrOwnInvite) {
		t.Errorf("own invite: %v", err)
	}
	other := openTestNode(t, nw)
	p, err := other.PreviewInvite(info.Link)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Test node" || p.DID != n.DID() || len(p.SafetyWords) != 4 {
		t.Errorf("preview %+v", p)
	}
	live := openTestNode(t, tor.Live)
	if _, err := live.PreviewInvite(info.Link); !errors.Is(err, invite.ErrWrongNetwork) {
		t.Errorf("invite of another network: %v", err)
	}
	// Bad input changes no state.
	before := len(other.State().Pending)
	if err := other.Join("ARCHY://NOT-AN-INVITE"); err == nil {
		t.Error("garbage accepted")
	}
	if len(other.State().Pending) != before {
		t.Error("a rejected link left a pending pairing")
	}
	if err := other.Join(info.Link); err != nil {
		t.Fatal(err)
	}
	if st := other.State(); len(st.Pending) != 1 || st.Pending[0].DID != n.DID() || st.Pending[0].Stage != "joining" {
		t.Errorf("pending %+v", st.Pending)
	}
}

func TestDiagnosticsLeaveSecretsOut(t *testing.T) {
	n := openTestNode(t, tor.Live)
	info, _ := n.CreateInvite(false, 0)
	other := openTestNode(t, tor.Live)
	other.Join(info.Link)
	var buf bytes.Buffer
	if err := other.ExportDiagnostics(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{other.Onion(), n.Onion(), info.Link, string(n.DID())} {
		if strings.Contains(out, secret) {
			t.Errorf("diagnostics contain %q", secret[:12])
		}
	}
	if !strings.Contains(out, other.Onion()[:8]) {
		t.Error("diagnostics lost even the short address")
	}
}
