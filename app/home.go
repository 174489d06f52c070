package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/sirupsen/logrus"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/archy-desktop/archy-desktop/core/identity"
	"github.com/archy-desktop/archy-desktop/core/node"
	"github.com/archy-desktop/archy-desktop/core/store"
)

// build lays out the window: the status header above tabs.
func (u *UI) build() {
	u.header = newHeaderView(u)
	u.card = newNodeCard(u)
	u.peers = newPeersView(u)
	u.settings = newSettingsView(u)
	u.about = newAboutView(u)
	u.logs = newLogsView(u)

	left := container.New(fixedWidth(280), container.NewVScroll(u.card.content))
	home := container.NewBorder(nil, nil, left, nil, u.peers.content)
	u.tabHome = container.NewTabItemWithIcon("Home", theme.HomeIcon(), home)
	u.tabSet = container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), u.settings.content)
	u.tabs = container.NewAppTabs(
		u.tabHome,
		u.tabSet,
		container.NewTabItemWithIcon("Logs", theme.ListIcon(), u.logs.content),
		container.NewTabItemWithIcon("About", theme.InfoIcon(), u.about.content),
	)
	u.tabs.OnSelected = func(t *container.TabItem) {
		if t.Text == "Logs" {
			u.logs.refresh()
		}
	}
	u.win.SetContent(container.NewBorder(u.header.content, nil, nil, nil, u.tabs))
}

// ---- status header ----

type headerView struct {
	u       *UI
	icon    *canvas.Image
	title   *widget.Label
	detail  *widget.Label
	bridges *widget.Button
	panel   *panel
	content fyne.CanvasObject
	last    Header
	lastIco TrayIcon
}

func newHeaderView(u *UI) *headerView {
	h := &headerView{u: u}
	h.icon = canvas.NewImageFromResource(headerIconResource(TrayStarting))
	h.icon.FillMode = canvas.ImageFillContain
	h.icon.SetMinSize(fyne.NewSize(36, 36))
	h.title = widget.NewLabelWithStyle("Starting…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.title.SizeName = theme.SizeNameSubHeadingText
	h.title.Truncation = fyne.TextTruncateEllipsis
	h.detail = widget.NewLabel("")
	h.detail.Truncation = fyne.TextTruncateEllipsis
	h.detail.SizeName = theme.SizeNameCaptionText
	h.bridges = widget.NewButtonWithIcon("Use bridges…", theme.SettingsIcon(), u.openBridgeSettings)
	h.bridges.Importance = widget.HighImportance
	h.bridges.Hide()
	text := tight(h.title, h.detail)
	h.panel = newPanel(container.NewBorder(nil, nil, container.NewCenter(h.icon), container.NewCenter(h.bridges), text))
	h.content = h.panel
	return h
}

func (h *headerView) update(st node.State) {
	hd := HeaderFor(st.Tor)
	_, ico := TrayStatus(st)
	if st.Tor.Phase == node.TorOnline && st.Tor.Reachable && st.Tor.Warning == "" {
		ico = TrayOnline // the header talks about Tor, not about sync
	}
	if hd == h.last && ico == h.lastIco {
		return
	}
	h.last, h.lastIco = hd, ico
	setLabel(h.title, hd.Title)
	setLabel(h.detail, hd.Detail)
	// The words stay in the text colour (coloured text reads badly on
	// light backgrounds); the stripe and the icon carry the colour.
	switch hd.Level {
	case LevelOK:
		h.panel.setStripe(theme.ColorNameSuccess)
	case LevelAttention:
		h.panel.setStripe(theme.ColorNameWarning)
	case LevelOff:
		h.panel.setStripe(theme.ColorNameDisabled)
	default:
		h.panel.setStripe(theme.ColorNamePrimary)
	}
	h.icon.Resource = headerIconResource(ico)
	h.icon.Refresh()
	if showIf(h.bridges, hd.OfferBridges) {
		relayout(h.panel)
	}
}

func (u *UI) openBridgeSettings() {
	u.tabs.Select(u.tabSet)
	u.settings.focusBridges()
}

// ---- "Your node" card ----

type nodeCard struct {
	u        *UI
	name     *widget.Label
	address  *widget.Label
	qr       *canvas.Image
	qrStatus *widget.Label
	expiry   *widget.Label
	copyBtn  *widget.Button
	newBtn   *widget.Button
	retryBtn *widget.Button
	content  fyne.CanvasObject

	invite    *node.InviteInfo
	shownName string // the node name the card last showed
	busy      bool
	lastError time.Time
	observer  bool          // options for automatic renewals
	ttl       time.Duration // 0 = the node's default (24 h)
	copiedAt  time.Time
}

const qrSize = 180

func newNodeCard(u *UI) *nodeCard {
	c := &nodeCard{u: u}
	c.name = boldLabel("…")
	c.name.SizeName = theme.SizeNameSubHeadingText
	edit := widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), c.editName)
	edit.Importance = widget.LowImportance
	c.address = noteLabel("")
	c.address.Truncation = fyne.TextTruncateEllipsis

	c.qr = canvas.NewImageFromResource(nil)
	c.qr.FillMode = canvas.ImageFillContain
	c.qr.ScaleMode = canvas.ImageScalePixels
	c.qr.SetMinSize(fyne.NewSize(qrSize, qrSize))
	c.qr.Hide()
	c.qrStatus = wrapLabel("Creating your invite…")
	c.qrStatus.Alignment = fyne.TextAlignCenter
	c.retryBtn = widget.NewButton("Try again", func() { c.u.newInvite() })
	c.retryBtn.Hide()
	qrBox := container.New(fixedWidth(qrSize),
		container.NewStack(container.NewCenter(c.qr), container.NewVBox(layout.NewSpacer(), c.qrStatus, container.NewCenter(c.retryBtn), layout.NewSpacer())))
	qrArea := container.NewCenter(container.NewStack(container.NewGridWrap(fyne.NewSize(qrSize, qrSize)), qrBox))

	c.expiry = noteLabel("")
	c.expiry.Alignment = fyne.TextAlignCenter
	c.copyBtn = widget.NewButtonWithIcon("Copy invite link", theme.ContentCopyIcon(), u.copyInviteLink)
	c.copyBtn.Importance = widget.HighImportance
	c.copyBtn.Disable()
	c.newBtn = widget.NewButtonWithIcon("New…", theme.ContentAddIcon(), c.newInviteDialog)

	explain := noteLabel("Send this invite (or let them scan the code) to pair with someone. " +
		"When they join, you both see the same four safety words: compare them by phone.")
	explain.Wrapping = fyne.TextWrapWord

	title := sectionTitle("Your node")
	nameRow := container.NewBorder(nil, nil, nil, edit, c.name)
	c.content = container.NewVBox(
		tight(title, nameRow, c.address),
		qrArea,
		tight(c.expiry,
			container.NewBorder(nil, nil, nil, c.newBtn, c.copyBtn),
			explain),
	)
	return c
}

func (c *nodeCard) update(st node.State) {
	name := st.Name
	if name == "" {
		name = "(no name yet)"
	}
	setLabel(c.name, name)
	// An invite carries the name it was made with: after a rename, show a
	// fresh one so the other side sees the new name.
	if c.shownName != "" && st.Name != c.shownName && c.invite != nil && !c.busy {
		c.u.newInvite()
	}
	c.shownName = st.Name
	addr := "Address: " + shortOnion(st.Onion)
	if st.Onion == "" {
		addr = "Address: not published yet"
	}
	setLabel(c.address, addr)
}

// shortOnion shortens an onion address to its first 8 characters.
func shortOnion(onion string) string {
	if len(onion) > 14 {
		return onion[:8] + "….onion"
	}
	return onion
}

func (c *nodeCard) tick(now time.Time) {
	if c.invite != nil && !c.busy && now.After(c.invite.Expires) && !c.invite.Expires.IsZero() {
		c.u.logf(logrus.InfoLevel, "invite expired, making a new one")
		c.u.newInvite()
		return
	}
	if c.invite == nil && !c.busy && !c.lastError.IsZero() && now.Sub(c.lastError) > 30*time.Second {
		c.u.newInvite()
		return
	}
	if !c.copiedAt.IsZero() && now.Sub(c.copiedAt) > 2*time.Second {
		c.copiedAt = time.Time{}
		c.copyBtn.SetText("Copy invite link")
		c.copyBtn.SetIcon(theme.ContentCopyIcon())
	}
	c.showExpiry(now)
}

func (c *nodeCard) showExpiry(now time.Time) {
	if c.invite == nil {
		setLabel(c.expiry, "")
		return
	}
	s := "Single use · expires " + In(c.invite.Expires, now)
	if c.invite.Observer {
		s = "Observer (read-only) · " + s
	}
	setLabel(c.expiry, s)
}

func (c *nodeCard) setInvite(inv *node.InviteInfo, err error) {
	c.busy = false
	if err != nil {
		c.lastError = c.u.now()
		c.invite = nil
		c.qr.Hide()
		c.qrStatus.SetText("Could not create an invite: " + sentence(err.Error()))
		c.qrStatus.Show()
		c.retryBtn.Show()
		c.copyBtn.Disable()
		c.showExpiry(c.u.now())
		relayout(c.content)
		return
	}
	c.lastError = time.Time{}
	c.invite = inv
	png := inv.QRPNG
	if len(png) == 0 {
		png, _ = qrcode.Encode(inv.Link, qrcode.Medium, 512)
	}
	c.qr.Resource = fyne.NewStaticResource("invite-qr.png", png)
	c.qr.Refresh()
	c.qr.Show()
	c.qrStatus.Hide()
	c.retryBtn.Hide()
	c.copyBtn.Enable()
	c.showExpiry(c.u.now())
	relayout(c.content)
}

// newInvite asks the backend for a fresh invite with the card's options.
func (u *UI) newInvite() {
	c := u.card
	if c.busy {
		return
	}
	c.busy = true
	c.retryBtn.Hide()
	c.copyBtn.Disable()
	observer, ttl := c.observer, c.ttl
	u.background(func() any {
		inv, err := u.b.CreateInvite(observer, ttl)
		return inviteResult{inv, err}
	}, func(v any) {
		r := v.(inviteResult)
		c.setInvite(r.inv, r.err)
	})
}

type inviteResult struct {
	inv *node.InviteInfo
	err error
}

// copyInviteLink copies the current invite link (making one first if needed).
func (u *UI) copyInviteLink() {
	c := u.card
	if c.invite != nil {
		u.app.Clipboard().SetContent(c.invite.Link)
		c.copiedAt = u.now()
		c.copyBtn.SetText("Copied")
		c.copyBtn.SetIcon(theme.ConfirmIcon())
		return
	}
	observer, ttl := c.observer, c.ttl
	u.background(func() any {
		inv, err := u.b.CreateInvite(observer, ttl)
		return inviteResult{inv, err}
	}, func(v any) {
		r := v.(inviteResult)
		c.setInvite(r.inv, r.err)
		if r.err == nil {
			u.copyInviteLink()
		}
	})
}

var expiryChoices = []struct {
	label string
	ttl   time.Duration
}{
	{"1 hour", time.Hour},
	{"24 hours", 24 * time.Hour},
	{"7 days", 7 * 24 * time.Hour},
	{"30 days", 30 * 24 * time.Hour},
}

func (c *nodeCard) newInviteDialog() {
	observer := widget.NewCheck("Observer: they can see your node but not change anything", nil)
	observer.SetChecked(c.observer)
	labels := make([]string, len(expiryChoices))
	sel := expiryChoices[1].label
	for i, e := range expiryChoices {
		labels[i] = e.label
		if e.ttl == c.ttl {
			sel = e.label
		}
	}
	expiry := widget.NewSelect(labels, nil)
	expiry.SetSelected(sel)
	items := []*widget.FormItem{
		widget.NewFormItem("Valid for", expiry),
		widget.NewFormItem("", observer),
	}
	d := dialog.NewForm("New invite", "Create", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		c.observer = observer.Checked
		for _, e := range expiryChoices {
			if e.label == expiry.Selected {
				c.ttl = e.ttl
			}
		}
		c.u.newInvite()
	}, c.u.win)
	d.Resize(fyne.NewSize(460, 220))
	d.Show()
}

func (c *nodeCard) editName() {
	entry := widget.NewEntry()
	entry.SetText(c.u.state.Name)
	entry.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("enter a name")
		}
		return nil
	}
	items := []*widget.FormItem{widget.NewFormItem("Name", entry)}
	d := dialog.NewForm("Your node's name", "Save", "Cancel", items, func(ok bool) {
		if ok {
			c.u.setName(entry.Text)
		}
	}, c.u.win)
	d.Resize(fyne.NewSize(420, 180))
	d.Show()
}

func (u *UI) setName(name string) {
	name = strings.TrimSpace(name)
	u.backgroundErr("rename your node", func() error { return u.b.SetName(name) }, nil)
}

// ---- peers ----

type peersView struct {
	u       *UI
	list    *fyne.Container
	scroll  *container.Scroll
	empty   *widget.Label
	content fyne.CanvasObject

	rows        map[identity.DID]*peerRow
	pending     map[string]*pendingRow
	order       []string
	pendTitle   *widget.Label
	suggTitle   *widget.Label
	suggestions []fyne.CanvasObject
	suggKey     string
}

func newPeersView(u *UI) *peersView {
	v := &peersView{u: u, rows: map[identity.DID]*peerRow{}, pending: map[string]*pendingRow{}}
	add := widget.NewButtonWithIcon("Add a peer…", theme.ContentAddIcon(), func() { u.openPairDialog() })
	add.Importance = widget.HighImportance
	syncAll := widget.NewButtonWithIcon("Sync all", theme.ViewRefreshIcon(), func() { u.syncNow("") })
	top := container.NewBorder(nil, nil, nil, container.NewHBox(syncAll, add), sectionTitle("Peers"))
	v.empty = wrapLabel("No peers yet. Send your invite to someone, or use “Add a peer…” with an invite you received.")
	v.pendTitle = boldLabel("Pairing in progress")
	v.suggTitle = boldLabel("Suggested by your peers")
	v.list = container.NewVBox(v.empty)
	v.scroll = container.NewVScroll(v.list)
	v.content = container.NewBorder(top, nil, nil, nil, v.scroll)
	return v
}

func (v *peersView) update(st node.State, now time.Time) {
	var order []string
	seen := map[identity.DID]bool{}
	resized := false
	for _, p := range st.Peers {
		r := v.rows[p.DID]
		if r == nil {
			r = newPeerRow(v.u, p.DID)
			v.rows[p.DID] = r
		}
		resized = r.set(p, now) || resized
		seen[p.DID] = true
		order = append(order, "p:"+string(p.DID))
	}
	for did := range v.rows {
		if !seen[did] {
			delete(v.rows, did)
		}
	}
	seenPend := map[string]bool{}
	for _, p := range st.Pending {
		r := v.pending[p.ID]
		if r == nil {
			r = newPendingRow(v.u, p.ID)
			v.pending[p.ID] = r
		}
		resized = r.set(p, now) || resized
		seenPend[p.ID] = true
		order = append(order, "q:"+p.ID)
	}
	for id := range v.pending {
		if !seenPend[id] {
			delete(v.pending, id)
		}
	}
	suggKey := v.suggestionsKey(st)
	if suggKey != v.suggKey {
		v.suggKey = suggKey
		v.suggestions = v.suggestions[:0]
		for _, s := range st.Suggestions {
			v.suggestions = append(v.suggestions, v.suggestionRow(st, s))
		}
	}
	order = append(order, "s:"+suggKey)
	if strings.Join(order, "\n") == strings.Join(v.order, "\n") {
		if resized {
			relayout(v.scroll)
		}
		return
	}
	v.order = order
	objs := []fyne.CanvasObject{}
	if len(st.Peers) == 0 {
		objs = append(objs, v.empty)
	}
	for _, p := range st.Peers {
		objs = append(objs, v.rows[p.DID].content)
	}
	if len(st.Pending) > 0 {
		objs = append(objs, v.pendTitle)
		for _, p := range st.Pending {
			objs = append(objs, v.pending[p.ID].content)
		}
	}
	if len(v.suggestions) > 0 {
		objs = append(objs, v.suggTitle)
		objs = append(objs, v.suggestions...)
	}
	v.list.Objects = objs
	relayout(v.scroll)
}

func (v *peersView) suggestionsKey(st node.State) string {
	var b strings.Builder
	for _, s := range st.Suggestions {
		b.WriteString(string(s.DID) + "|" + s.Name + "|" + string(s.Via) + ";")
	}
	// the name of the peer that suggested it may change
	for _, p := range st.Peers {
		b.WriteString(p.Name + ";")
	}
	return b.String()
}

func (v *peersView) suggestionRow(st node.State, s node.Suggestion) fyne.CanvasObject {
	via := s.Via.Short()
	for _, p := range st.Peers {
		if p.DID == s.Via {
			via = peerName(p)
		}
	}
	name := s.Name
	if name == "" {
		name = s.DID.Short()
	}
	title := boldLabel(name)
	line := noteLabel(fmt.Sprintf("Suggested by %s. Archy never adds peers by itself: to pair with %s, ask them for an invite.", via, name))
	line.Wrapping = fyne.TextWrapWord
	return newPanel(tight(title, line))
}

func (v *peersView) tick(now time.Time) {
	resized := false
	for _, p := range v.u.state.Peers {
		if r := v.rows[p.DID]; r != nil {
			resized = r.set(p, now) || resized
		}
	}
	for _, p := range v.u.state.Pending {
		if r := v.pending[p.ID]; r != nil {
			resized = r.set(p, now) || resized
		}
	}
	if resized {
		relayout(v.scroll)
	}
}

// peerRow is one paired peer.
type peerRow struct {
	u       *UI
	did     identity.DID
	peer    node.PeerState
	dot     *dot
	name    *widget.Label
	trust   *widget.Label
	status  *widget.Label
	bar     *thinBar
	box     *fyne.Container
	errText *widget.Label
	syncBtn *widget.Button
	moreBtn *widget.Button
	content fyne.CanvasObject
}

func newPeerRow(u *UI, did identity.DID) *peerRow {
	r := &peerRow{u: u, did: did}
	r.dot = newDot()
	r.name = boldLabel("")
	r.trust = noteLabel("")
	r.status = widget.NewLabel("")
	r.status.Truncation = fyne.TextTruncateEllipsis
	r.bar = newThinBar()
	r.bar.Hide()
	r.errText = wrapLabel("")
	r.errText.Importance = widget.DangerImportance
	r.errText.Hide()
	r.syncBtn = widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), func() { u.syncNow(r.did) })
	r.moreBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), r.showMenu)
	r.moreBtn.Importance = widget.LowImportance
	top := container.NewBorder(nil, nil, r.dot, container.NewHBox(r.syncBtn, r.moreBtn),
		container.NewBorder(nil, nil, nil, r.trust, r.name))
	r.box = tight(top, r.status, r.bar, r.errText)
	r.content = newPanel(r.box)
	return r
}

// set renders the peer; it reports whether the row changed its height.
func (r *peerRow) set(p node.PeerState, now time.Time) bool {
	r.peer = p
	r.dot.set(p.Online)
	setLabel(r.name, peerName(p))
	trust := TrustWord(p.Trust)
	if p.Online {
		trust = "online · " + trust
	} else {
		trust = "offline · " + trust
	}
	if !p.Verified {
		trust += " · not verified yet"
	}
	setLabel(r.trust, trust)
	l := PeerLineFor(p, now)
	setLabel(r.status, l.Status)
	r.bar.set(l.Value)
	resized := showIf(r.bar, l.Bar)
	setLabel(r.errText, l.Error)
	resized = showIf(r.errText, l.Error != "") || resized
	busy := p.Sync.Phase == node.SyncConnecting || p.Sync.Phase == node.SyncVerifying ||
		p.Sync.Phase == node.SyncReconciling || p.Sync.Phase == node.SyncTransferring
	if busy || r.u.state.SyncPaused {
		r.syncBtn.Disable()
	} else {
		r.syncBtn.Enable()
	}
	if resized {
		relayout(r.box)
	}
	return resized
}

func (r *peerRow) menu() *fyne.Menu {
	trustItem := fyne.NewMenuItem("Make observer (read-only)", func() { r.setTrust(store.Observer) })
	if r.peer.Trust == store.Observer {
		trustItem = fyne.NewMenuItem("Make trusted", func() { r.setTrust(store.Trusted) })
	}
	words := fyne.NewMenuItem("Show safety words", r.showSafetyWords)
	return fyne.NewMenu("",
		fyne.NewMenuItem("Rename…", r.rename),
		trustItem,
		words,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Remove…", r.remove),
	)
}

func (r *peerRow) showMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(r.moreBtn)
	if c == nil {
		return
	}
	widget.ShowPopUpMenuAtRelativePosition(r.menu(), c, fyne.NewPos(0, r.moreBtn.Size().Height), r.moreBtn)
}

func (r *peerRow) rename() {
	entry := widget.NewEntry()
	entry.SetText(r.peer.Name)
	d := dialog.NewForm("Rename peer", "Save", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", entry)}, func(ok bool) {
		name := strings.TrimSpace(entry.Text)
		if !ok || name == "" {
			return
		}
		did := r.did
		r.u.backgroundErr("rename the peer", func() error { return r.u.b.RenamePeer(did, name) }, nil)
	}, r.u.win)
	d.Resize(fyne.NewSize(420, 180))
	d.Show()
}

func (r *peerRow) setTrust(t store.Trust) {
	did := r.did
	r.u.backgroundErr("change the peer's trust", func() error { return r.u.b.SetTrust(did, t) }, nil)
}

func (r *peerRow) showSafetyWords() {
	name := peerName(r.peer)
	msg := "Safety words with " + name + ":\n\n" + SafetyWordsText(r.peer.SafetyWords) +
		"\n\n" + name + " sees the same words. If they differ, remove this peer."
	dialog.ShowInformation("Safety words", msg, r.u.win)
}

func (r *peerRow) remove() {
	name := peerName(r.peer)
	dialog.ShowConfirm("Remove "+name+"?",
		"Your node stops syncing with "+name+" and will not accept it again unless you pair anew.",
		func(ok bool) {
			if !ok {
				return
			}
			did := r.did
			r.u.backgroundErr("remove the peer", func() error { return r.u.b.RemovePeer(did) }, nil)
		}, r.u.win)
}

func (u *UI) syncNow(did identity.DID) {
	go u.b.SyncNow(did)
}

func (u *UI) setSyncPaused(paused bool) {
	go u.b.SetSyncPaused(paused)
}

// pendingRow is a pairing that has not completed yet.
type pendingRow struct {
	u       *UI
	id      string
	p       node.PendingState
	name    *widget.Label
	line    *widget.Label
	errText *widget.Label
	words   *widget.Label
	box     *fyne.Container
	content fyne.CanvasObject
}

func newPendingRow(u *UI, id string) *pendingRow {
	r := &pendingRow{u: u, id: id}
	r.name = boldLabel("")
	r.line = widget.NewLabel("")
	r.line.Truncation = fyne.TextTruncateEllipsis
	r.errText = wrapLabel("")
	r.errText.Importance = widget.WarningImportance
	r.words = noteLabel("")
	r.words.Truncation = fyne.TextTruncateEllipsis
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), r.cancel)
	top := container.NewBorder(nil, nil, widget.NewIcon(theme.HistoryIcon()), cancel, r.name)
	r.box = tight(top, r.line, r.words, r.errText)
	r.content = newPanel(r.box)
	return r
}

// set renders the pairing; it reports whether the row changed its height.
func (r *pendingRow) set(p node.PendingState, now time.Time) bool {
	r.p = p
	name := p.Name
	if name == "" {
		name = p.DID.Short()
	}
	setLabel(r.name, name)
	setLabel(r.line, PendingLine(p, now))
	words := ""
	if len(p.SafetyWords) > 0 {
		words = "Safety words: " + SafetyWordsText(p.SafetyWords)
	}
	setLabel(r.words, words)
	resized := showIf(r.words, words != "")
	e := ""
	if p.LastError != "" {
		e = "Last try: " + sentence(p.LastError) + " Archy keeps trying."
	}
	setLabel(r.errText, e)
	resized = showIf(r.errText, e != "") || resized
	if resized {
		relayout(r.box)
	}
	return resized
}

func (r *pendingRow) cancel() {
	name := r.p.Name
	if name == "" {
		name = "this node"
	}
	dialog.ShowConfirm("Stop pairing?", "Stop trying to pair with "+name+"? You will need a new invite to try again.", func(ok bool) {
		if !ok {
			return
		}
		id := r.id
		r.u.backgroundErr("cancel the pairing", func() error { return r.u.b.CancelPending(id) }, nil)
	}, r.u.win)
}
