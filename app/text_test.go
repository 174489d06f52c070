package app

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/archy-desktop/archy-desktop/core/invite"
)

func TestRelativeTimes(t *testing.T) {
	now := testStart
	ago := []struct {
		d    time.Duration
		want string
	}{
		{time.Second, "just now"}, {45 * time.Second, "45 s ago"}, {3*time.Minute + 20*time.Second, "3 min ago"},
		{5 * time.Hour, "5 h ago"}, {72 * time.Hour, "3 days ago"},
	}
	for _, c := range ago {
		if got := Ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("Ago(-%s) = %q, want %q", c.d, got, c.want)
		}
	}
	if Ago(time.Time{}, now) != "never" {
		t.Error("zero time")
	}
	in := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "now"}, {14 * time.Second, "in 14 s"}, {13*time.Second + 200*time.Millisecond, "in 14 s"},
		{2 * time.Minute, "in 2 min"}, {90 * time.Second, "in 2 min"}, {3 * time.Hour, "in 3 h"},
	}
	for _, c := range in {
		if got := In(now.Add(c.d), now); got != c.want {
			t.Errorf("In(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 12_000: "12.0 kB", 1_500_000: "1.5 MB", 3_000_000_000: "3.0 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestInviteErrorTextWrapped(t *testing.T) {
	// The node may wrap the invite package's errors; errors.Is still finds them.
	err := fmt.Errorf("peers: preview: %w", &invite.ExpiredError{Expired: testStart})
	if got := InviteErrorText(err); got != "This invite has expired — ask for a new one." {
		t.Errorf("got %q", got)
	}
	if got := InviteErrorText(errors.New("you are already paired with this node (Bob)")); got != "You are already paired with this node (Bob)." {
		t.Errorf("got %q", got)
	}
	for _, e := range []error{invite.ErrNotInviteQR, invite.ErrNotImage, invite.ErrImageTooLarge, invite.ErrUnsupportedVersion} {
		if got := InviteErrorText(e); got == "" || got == e.Error() {
			t.Errorf("%v: no friendly text (%q)", e, got)
		}
	}
}
