package app

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/node"
)

// pairDialog is "Add a peer": paste a link or open a QR picture, see who
// invited you and the safety words, then join and follow the pairing.
type pairDialog struct {
	u   *UI
	dlg *dialog.CustomDialog
	box *fyne.Container

	entry    *widget.Entry
	openBtn  *widget.Button
	source   *widget.Label // "From picture: invite.png"
	message  *widget.Label // errors and progress
	preview  *fyne.Container
	from     *widget.Label
	observer *widget.Label
	words    *widget.Label
	compare  *widget.Label
	progress *widget.ProgressBarInfinite
	joinBtn  *widget.Button
	closeBtn *widget.Button

	gen     int                 // generation of the latest preview request
	current *node.InvitePreview // what Join would use
	joining bool                // Join called, waiting for the pairing
	done    bool                // paired
}

// openPairDialog shows "Add a peer" (or returns the open one).
func (u *UI) openPairDialog() *pairDialog {
	if u.pair != nil {
		return u.pair
	}
	p := &pairDialog{u: u}
	intro := wrapLabel("Paste the invite link you received, or open a picture (a screenshot is fine) of its QR code.")
	p.entry = widget.NewMultiLineEntry()
	p.entry.Wrapping = fyne.TextWrapBreak
	p.entry.SetPlaceHolder("ARCHY://…")
	p.entry.SetMinRowsVisible(3)
	p.entry.OnChanged = p.textChanged
	// Shift+Enter joins (the field is multi-line, so Enter alone is a new
	// line); join does nothing until a valid invite is previewed.
	p.entry.OnSubmitted = func(string) { p.join() }
	p.openBtn = widget.NewButtonWithIcon("Open QR picture…", theme.FileImageIcon(), p.chooseImage)
	drop := noteLabel("or drop a picture on the Archy window")
	p.source = noteLabel("")
	p.source.Truncation = fyne.TextTruncateEllipsis
	p.source.Hide()

	p.message = wrapLabel("")
	p.message.Hide()

	p.from = boldLabel("")
	p.from.SizeName = theme.SizeNameSubHeadingText
	p.observer = wrapLabel("")
	p.observer.Hide()
	wordsTitle := widget.NewLabel("Safety words:")
	p.words = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.words.SizeName = theme.SizeNameSubHeadingText
	p.compare = wrapLabel("")
	p.compare.SizeName = theme.SizeNameCaptionText
	p.preview = container.New(layout.NewCustomPaddedVBoxLayout(2), p.from, p.observer, container.NewHBox(wordsTitle, p.words), p.compare)
	p.preview.Hide()

	p.progress = widget.NewProgressBarInfinite()
	p.progress.Stop()
	p.progress.Hide()

	p.joinBtn = widget.NewButtonWithIcon("Join", theme.ConfirmIcon(), p.join)
	p.joinBtn.Importance = widget.HighImportance
	p.joinBtn.Disable()
	p.closeBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.close)

	p.box = container.NewVBox(
		intro,
		p.entry,
		container.NewHBox(p.openBtn, drop),
		p.source,
		p.message,
		p.preview,
		p.progress,
	)
	p.dlg = dialog.NewCustomWithoutButtons("Add a peer", p.box, u.win)
	p.dlg.SetButtons([]fyne.CanvasObject{p.closeBtn, p.joinBtn})
	p.dlg.SetOnClosed(func() {
		p.progress.Stop()
		if u.pair == p {
			u.pair = nil
		}
	})
	p.dlg.Resize(fyne.NewSize(560, 460))
	u.pair = p
	p.dlg.Show()
	// Ready to paste: the link field has the keyboard focus.
	u.win.Canvas().Focus(p.entry)
	return p
}

func (p *pairDialog) close() { p.dlg.Hide() }

func (p *pairDialog) textChanged(text string) {
	defer p.relayout()
	if p.joining || p.done {
		return
	}
	text = strings.TrimSpace(text)
	p.source.Hide()
	p.gen++
	if text == "" {
		p.showPreview(nil, nil)
		return
	}
	gen := p.gen
	p.u.background(func() any {
		pv, err := p.u.b.PreviewInvite(text)
		return previewResult{pv, err}
	}, func(v any) {
		if gen == p.gen {
			r := v.(previewResult)
			p.showPreview(r.pv, r.err)
		}
	})
}

type previewResult struct {
	pv  *node.InvitePreview
	err error
}

func (p *pairDialog) chooseImage() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		p.openImage(path)
	}, p.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".PNG", ".JPG", ".JPEG", ".GIF"}))
	d.Resize(fyne.NewSize(720, 520))
	d.Show()
}

// openImage reads an invite from a QR picture.
func (p *pairDialog) openImage(path string) {
	defer p.relayout()
	if p.joining || p.done {
		return
	}
	p.gen++
	gen := p.gen
	p.source.SetText("From picture: " + filepath.Base(path))
	p.source.Show()
	p.setMessage("Reading the QR code…", widget.MediumImportance)
	p.preview.Hide()
	p.current = nil
	p.joinBtn.Disable()
	p.u.background(func() any {
		pv, err := p.u.b.PreviewInviteImage(path)
		return previewResult{pv, err}
	}, func(v any) {
		if gen == p.gen {
			r := v.(previewResult)
			p.showPreview(r.pv, r.err)
		}
	})
}

func (p *pairDialog) setMessage(text string, imp widget.Importance) {
	p.message.Importance = imp
	p.message.SetText(text)
	showIf(p.message, text != "")
}

func (p *pairDialog) showPreview(pv *node.InvitePreview, err error) {
	defer p.relayout()
	p.current = pv
	if err != nil || pv == nil {
		p.preview.Hide()
		p.joinBtn.Disable()
		p.setMessage(InviteErrorText(err), widget.DangerImportance)
		return
	}
	name := pv.Name
	if name == "" {
		name = pv.DID.Short()
	}
	p.setMessage("", widget.MediumImportance)
	p.from.SetText("Invite from " + name)
	if pv.Observer {
		p.observer.SetText(name + " invites you as an observer: you will see their node, read-only.")
		p.observer.Show()
	} else {
		p.observer.Hide()
	}
	p.words.SetText(SafetyWordsText(pv.SafetyWords))
	p.compare.SetText(name + " will see the same four words once you are paired. Compare them by phone or in person: if they differ, do not trust this pairing.")
	p.preview.Show()
	p.joinBtn.Enable()
}

func (p *pairDialog) name() string {
	if p.current == nil {
		return "them"
	}
	if p.current.Name != "" {
		return p.current.Name
	}
	return p.current.DID.Short()
}

func (p *pairDialog) join() {
	defer p.relayout()
	pv := p.current
	if pv == nil || p.joining || p.done {
		return
	}
	p.joining = true
	p.joinBtn.Disable()
	p.entry.Disable()
	p.openBtn.Disable()
	// The link field is read-only now: the keyboard moves on to
	// Cancel / Close / Done (Space presses it).
	p.u.win.Canvas().Focus(p.closeBtn)
	p.u.joined[pv.DID] = true
	p.setMessage("Contacting "+p.name()+" through Tor…", widget.MediumImportance)
	p.progress.Show()
	p.progress.Start()
	link := pv.Link
	p.u.backgroundErr("join", func() error { return p.u.b.Join(link) }, func(err error) {
		defer p.relayout()
		if err != nil {
			p.joining = false
			p.progress.Stop()
			p.progress.Hide()
			p.entry.Enable()
			p.openBtn.Enable()
			p.u.win.Canvas().Focus(p.entry)
			p.setMessage(InviteErrorText(err), widget.DangerImportance)
			return
		}
		p.setMessage("Waiting for "+p.name()+"'s node to answer. This can take a minute; "+
			"you can close this window — pairing goes on in the background.", widget.MediumImportance)
		p.closeBtn.SetText("Close")
		p.stateChanged(p.u.state)
	})
}

// stateChanged follows the pairing through the pending list.
func (p *pairDialog) stateChanged(st node.State) {
	defer p.relayout()
	if !p.joining || p.done || p.current == nil {
		return
	}
	for _, peer := range st.Peers {
		if peer.DID == p.current.DID && peer.Verified {
			p.paired(peer.DID)
			return
		}
	}
	for _, pend := range st.Pending {
		if pend.DID != p.current.DID {
			continue
		}
		msg := "Pairing with " + p.name()
		if pend.Stage != "" {
			msg += " — " + pend.Stage
		}
		msg += "…"
		if pend.LastError != "" {
			msg += "\nLast try: " + sentence(pend.LastError) + " Archy keeps trying by itself."
		}
		p.setMessage(msg, widget.MediumImportance)
	}
}

func (p *pairDialog) paired(did identity.DID) {
	defer p.relayout()
	if p.current == nil || did != p.current.DID || p.done {
		return
	}
	p.done, p.joining = true, false
	p.progress.Stop()
	p.progress.Hide()
	p.setMessage("Paired with "+p.name()+". Check the safety words with them now.", widget.SuccessImportance)
	p.joinBtn.Hide()
	p.closeBtn.SetText("Done")
	p.closeBtn.Importance = widget.HighImportance
	p.closeBtn.Refresh()
}

func (p *pairDialog) failed(did identity.DID, msg string) {
	defer p.relayout()
	if p.current == nil || !p.joining || (did != "" && did != p.current.DID) {
		return
	}
	if msg == "" {
		msg = "the pairing failed"
	}
	p.setMessage("Pairing with "+p.name()+" did not work yet: "+sentence(msg)+" Archy keeps trying; see “Pairing in progress”.", widget.WarningImportance)
}

// relayout lays the dialog out again after parts were shown or hidden.
func (p *pairDialog) relayout() { relayout(p.box) }
