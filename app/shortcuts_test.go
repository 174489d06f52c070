package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/archy-desktop/archy-desktop/core/invite"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// The pairing flow by keyboard alone: Ctrl+N, paste, Shift+Enter.
func TestPairingByKeyboard(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.ui.win.Canvas()
	sc, ok := c.(fyne.Shortcutable)
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	h.ui.tabs.SelectIndex(3)
	sc.TypedShortcut(ShortcutAddPeer)
	p := h.ui.pair
	if p == nil {
		t.Fatal("Ctrl+N did not open “Add a peer”")
	}
	if h.ui.tabs.Selected() != h.ui.tabHome {
		t.Error("Ctrl+N did not go to the Home tab")
	}
	if c.Focused() != p.entry {
		t.Fatalf("focus on %v, want the link field", c.Focused())
	}

	link, _ := inviteFrom(t, "Alice", invite.LiveNetwork, time.Hour, testStart)
	// Shift+Enter before a valid invite is shown must not join.
	shiftEnter := func() {
		p.entry.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
		p.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		p.entry.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
	shiftEnter()
	h.settle()
	if n := len(h.fb.Calls("Join")); n != 0 {
		t.Fatalf("Join called %d times without an invite", n)
	}

	h.app.Clipboard().SetContent(link)
	p.entry.SetText("")
	p.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: h.app.Clipboard()})
	h.waitFor("the preview", func() bool { return p.preview.Visible() })
	shiftEnter()
	h.waitFor("Join", func() bool { return len(h.fb.Calls("Join ")) == 1 })
	if got := h.fb.Calls("Join ")[0]; got != "Join "+link {
		t.Errorf("joined %q, want the pasted link", got)
	}
	// The read-only link field gives the focus to the dialog's button, which
	// Space presses once the pairing is done.
	h.settle()
	if c.Focused() != p.closeBtn {
		t.Fatalf("after Join the focus is on %v, want Close", c.Focused())
	}
	st := h.fb.State()
	st.Peers = []node.PeerState{{DID: p.current.DID, Name: "Alice", Trust: store.Trusted, Verified: true}}
	h.send(node.EventPaired, st, p.current.DID, "")
	if !p.done || p.closeBtn.Text != "Done" {
		t.Fatalf("not done after EventPaired: %v %q", p.done, p.closeBtn.Text)
	}
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if h.ui.pair != nil {
		t.Error("Space on Done did not close the dialog")
	}
}

func TestCopyInviteShortcut(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.app.Clipboard().SetContent("")
	h.ui.win.Canvas().(fyne.Shortcutable).TypedShortcut(ShortcutCopyInvite)
	if got := h.app.Clipboard().Content(); got != h.ui.card.invite.Link || got == "" {
		t.Errorf("clipboard = %q, want the invite link", got)
	}
	if got := h.ui.card.copyBtn.Text; got != "Copied" {
		t.Errorf("copy button says %q, want “Copied”", got)
	}
}
