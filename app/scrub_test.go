package app

import (
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestScrub(t *testing.T) {
	host := "pqrstuvwxyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklm" // 56
	onion := host + ".onion"
	if len(host) != 56 {
		t.Fatal(len(host))
	}
	cases := []struct{ in, want string }{
		{"nothing secret here", "nothing secret here"},
		{"join ARCHY://AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QCAQUJ now", "join [invite] now"},
		{"lower case archy://aebagbafaydqqcik too", "lower case [invite] too"},
		{"two: ARCHY://AAAA and ARCHY://BBBB", "two: [invite] and [invite]"},
		{"peer did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK ok", "peer did:key:z6MkhaXg… ok"},
		{"dial " + onion + ":80", "dial pqrstuvw….onion:80"},
		{"http://" + strings.ToUpper(host) + ".onion/rpc/v1", "http://PQRSTUVW….onion/rpc/v1"},
		{"key ED25519-V3:YPbGyQz+8t0kmO6vZzOv4A0N2vBvO6h6nHcVz0oP6WlEw2pGk2fW1zY0R7f1bcsvK8NYhqQ1J3d5oQk1o1o1o1==", "key ED25519-V3:[key]"},
		{"auth descriptor:x25519:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "auth descriptor:x25519:[key]"},
		{"secret 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "secret 01234567…"},
		{"short hex deadbeef stays", "short hex deadbeef stays"},
	}
	for _, c := range cases {
		if got := Scrub(c.in); got != c.want {
			t.Errorf("Scrub(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestLogHookScrubsFieldsAndKeepsTheTail(t *testing.T) {
	buf := newLogBuffer(8)
	calls := 0
	buf.setChanged(func() { calls++ })
	log := logrus.New()
	log.SetOutput(discard{})
	log.AddHook(buf)
	log.WithField("invite", "ARCHY://AEBAGBAF").WithField("peer", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").Info("pairing")
	lines := buf.snapshot()
	if len(lines) != 1 || !strings.HasSuffix(lines[0], "INFO pairing invite=[invite] peer=did:key:z6MkhaXg…") {
		t.Fatalf("lines = %q", lines)
	}
	for i := 0; i < 20; i++ {
		log.WithTime(time.Unix(int64(i), 0)).Warn("line")
	}
	if n := len(buf.snapshot()); n > 8 || n < 6 {
		t.Errorf("kept %d lines, want the last 6–8", n)
	}
	if calls != 21 {
		t.Errorf("changed called %d times", calls)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
