package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Keyboard shortcuts of the main window (Ctrl on Linux and Windows, Cmd on
// macOS). With them the pairing flow works without a mouse, and GUI tests
// can drive the real window with key presses:
//
//	Ctrl+N        Add a peer (the link field has the focus: paste with Ctrl+V)
//	Shift+Enter   in "Add a peer": Join, once the safety words are shown;
//	              then the focus is on Cancel / Close / Done (Space)
//	Ctrl+Shift+C  Copy invite link
//
// Canvas shortcuts fire when no text field has the focus.
var (
	ShortcutAddPeer    = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	ShortcutCopyInvite = &desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
)

func (u *UI) addShortcuts() {
	c := u.win.Canvas()
	c.AddShortcut(ShortcutAddPeer, func(fyne.Shortcut) {
		u.tabs.Select(u.tabHome)
		u.openPairDialog()
	})
	c.AddShortcut(ShortcutCopyInvite, func(fyne.Shortcut) { u.copyInviteLink() })
}
