package app

import (
	"fmt"
	"net/url"
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

	"github.com/archy-desktop/archy-desktop/assets"
	"github.com/archy-desktop/archy-desktop/core/node"
)

// ---- settings ----

type settingsView struct {
	u       *UI
	scroll  *container.Scroll
	content fyne.CanvasObject

	name        *widget.Entry
	nameDirty   bool
	interval    *widget.Select
	startLogin  *widget.Check
	startHidden *widget.Check
	closeToTray *widget.Check
	themeSel    *widget.Select
	bridges     *widget.Entry
	bridgesBox  fyne.CanvasObject
	bridgeMsg   *widget.Label
	dataDir     *widget.Label
	loading     bool
}

var intervalChoices = []struct {
	label string
	d     time.Duration
}{
	{"every 90 seconds", 90 * time.Second},
	{"every 5 minutes", 5 * time.Minute},
	{"every 15 minutes", 15 * time.Minute},
	{"every hour", time.Hour},
}

var themeChoices = []struct{ label, pref string }{
	{"Same as the system", ""},
	{"Light", "light"},
	{"Dark", "dark"},
}

func newSettingsView(u *UI) *settingsView {
	s := &settingsView{u: u}
	prefs := u.prefs

	s.name = widget.NewEntry()
	s.name.OnChanged = func(string) { s.nameDirty = true }
	saveName := widget.NewButton("Save", func() {
		if strings.TrimSpace(s.name.Text) == "" {
			return
		}
		s.nameDirty = false
		u.setName(s.name.Text)
	})
	s.name.OnSubmitted = func(string) { saveName.OnTapped() }

	labels := make([]string, len(intervalChoices))
	for i, c := range intervalChoices {
		labels[i] = c.label
	}
	s.interval = widget.NewSelect(labels, func(label string) {
		if s.loading {
			return
		}
		for _, c := range intervalChoices {
			if c.label == label {
				d := c.d
				prefs.SetInt(PrefSyncInterval, int(d/time.Second))
				u.backgroundErr("change the sync interval", func() error { return u.b.SetSyncInterval(d) }, nil)
			}
		}
	})

	s.startLogin = widget.NewCheck("Start Archy when I log in", func(on bool) {
		if s.loading {
			return
		}
		prefs.SetBool(PrefStartAtLogin, on)
		if hook := u.opts.StartAtLogin; hook != nil {
			u.backgroundErr("change start at login", func() error { return hook(on) }, nil)
		}
	})
	s.startHidden = widget.NewCheck("Start hidden in the tray", func(on bool) {
		if !s.loading {
			prefs.SetBool(PrefStartHidden, on)
		}
	})
	s.closeToTray = widget.NewCheck("Closing the window keeps Archy running in the tray", func(on bool) {
		if !s.loading {
			prefs.SetBool(PrefCloseToTray, on)
		}
	})
	trayNote := wrapLabel("")
	trayNote.SizeName = theme.SizeNameCaptionText
	if !u.opts.TrayAvailable {
		s.startHidden.Disable()
		s.closeToTray.Disable()
		why := u.opts.TrayWhyNot
		if why == "" {
			why = "there is no tray icon on this desktop."
		}
		trayNote.SetText("No tray icon: " + why)
	} else {
		trayNote.Hide()
	}

	tl := make([]string, len(themeChoices))
	for i, c := range themeChoices {
		tl[i] = c.label
	}
	s.themeSel = widget.NewSelect(tl, func(label string) {
		if s.loading {
			return
		}
		for _, c := range themeChoices {
			if c.label == label {
				prefs.SetString(PrefTheme, c.pref)
				u.app.Settings().SetTheme(themeFor(c.pref))
			}
		}
	})

	s.bridges = widget.NewMultiLineEntry()
	s.bridges.SetPlaceHolder("obfs4 192.0.2.1:443 FINGERPRINT cert=… iat-mode=0\nsnowflake 192.0.2.3:80 …")
	s.bridges.SetMinRowsVisible(4)
	s.bridges.Wrapping = fyne.TextWrapOff
	bridgeHelp := wrapLabel("If Tor cannot connect — on a network that blocks it, for example — bridges help. " +
		"Paste bridge lines (obfs4 or snowflake), one per line; get them from bridges.torproject.org or from someone you trust.")
	bridgeHelp.SizeName = theme.SizeNameCaptionText
	s.bridgeMsg = wrapLabel("")
	s.bridgeMsg.Hide()
	saveBridges := widget.NewButton("Save bridges and restart Tor", s.saveBridges)
	reset := widget.NewButtonWithIcon("Reset Tor state…", theme.ViewRestoreIcon(), s.resetTor)
	reset.Importance = widget.DangerImportance
	s.bridgesBox = container.NewVBox(bridgeHelp, s.bridges, container.NewHBox(saveBridges), s.bridgeMsg)

	s.dataDir = widget.NewLabel("")
	s.dataDir.Truncation = fyne.TextTruncateEllipsis
	s.dataDir.Selectable = true
	openDir := widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), s.openDataDir)

	form := func(items ...*widget.FormItem) *widget.Form { return widget.NewForm(items...) }
	resetHelp := wrapLabel("Deletes Tor's cached network data (not your identity, invites or peers) and restarts Tor. Try it when Tor stays stuck.")
	resetHelp.SizeName = theme.SizeNameCaptionText

	content := container.NewVBox(
		sectionTitle("Your node"),
		form(
			widget.NewFormItem("Name", container.NewBorder(nil, nil, nil, saveName, s.name)),
			widget.NewFormItem("Sync with peers", s.interval),
		),
		widget.NewSeparator(),
		sectionTitle("This computer"),
		s.startLogin,
		s.startHidden,
		s.closeToTray,
		trayNote,
		form(widget.NewFormItem("Appearance", s.themeSel)),
		widget.NewSeparator(),
		sectionTitle("Tor"),
		s.bridgesBox,
		container.NewHBox(reset),
		resetHelp,
		widget.NewSeparator(),
		sectionTitle("Data folder"),
		container.NewBorder(nil, nil, nil, openDir, s.dataDir),
	)
	s.scroll = container.NewVScroll(padded(content))
	s.content = s.scroll
	return s
}

// load fills the controls from preferences and the backend.
func (s *settingsView) load() {
	u, prefs := s.u, s.u.prefs
	s.loading = true
	s.startLogin.SetChecked(prefs.Bool(PrefStartAtLogin))
	s.startHidden.SetChecked(prefs.Bool(PrefStartHidden))
	s.closeToTray.SetChecked(prefs.BoolWithFallback(PrefCloseToTray, true))
	for _, c := range themeChoices {
		if c.pref == prefs.String(PrefTheme) {
			s.themeSel.SetSelected(c.label)
		}
	}
	s.selectInterval(time.Duration(prefs.IntWithFallback(PrefSyncInterval, 300)) * time.Second)
	s.loading = false

	type loaded struct {
		bridges  []string
		dir      string
		interval time.Duration
	}
	u.background(func() any {
		return loaded{bridges: u.b.Bridges(), dir: u.b.DataDir(), interval: u.b.SyncInterval()}
	}, func(v any) {
		l := v.(loaded)
		if s.bridges.Text == "" {
			s.bridges.SetText(strings.Join(l.bridges, "\n"))
		}
		s.dataDir.SetText(l.dir)
		if l.interval > 0 {
			s.loading = true
			s.selectInterval(l.interval)
			s.loading = false
		}
	})
}

func (s *settingsView) selectInterval(d time.Duration) {
	best := intervalChoices[0]
	for _, c := range intervalChoices {
		if absDur(c.d-d) < absDur(best.d-d) {
			best = c
		}
	}
	s.interval.SetSelected(best.label)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (s *settingsView) update(st node.State) {
	if !s.nameDirty && s.name.Text != st.Name {
		s.name.SetText(st.Name)
		s.nameDirty = false
	}
}

func (s *settingsView) focusBridges() {
	s.scroll.ScrollToOffset(fyne.NewPos(0, s.bridgesBox.Position().Y))
	if c := fyne.CurrentApp().Driver().CanvasForObject(s.bridges); c != nil {
		c.Focus(s.bridges)
	}
}

// bridgeLines splits the bridges box into lines, dropping blanks and
// comments; it returns the lines that do not look like bridges.
func bridgeLines(text string) (lines, odd []string) {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimSpace(strings.TrimPrefix(l, "Bridge "))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
		f := strings.Fields(l)[0]
		switch f {
		case "obfs4", "snowflake", "webtunnel", "meek_lite", "meek", "conjure":
		default:
			if !strings.Contains(f, ":") { // a plain "IP:port fingerprint" bridge is fine
				odd = append(odd, l)
			}
		}
	}
	return lines, odd
}

func (s *settingsView) saveBridges() {
	lines, odd := bridgeLines(s.bridges.Text)
	if len(odd) > 0 {
		s.showBridgeMsg(fmt.Sprintf("This line does not look like a bridge: %q. Bridge lines start with obfs4, snowflake or an address.", odd[0]), widget.DangerImportance)
		return
	}
	s.showBridgeMsg("Saving and restarting Tor…", widget.MediumImportance)
	s.u.backgroundErr("save the bridges", func() error { return s.u.b.SetBridges(lines) }, func(err error) {
		if err != nil {
			s.showBridgeMsg("Could not save the bridges: "+sentence(err.Error()), widget.DangerImportance)
			return
		}
		if len(lines) == 0 {
			s.showBridgeMsg("Bridges removed. Tor is restarting without them.", widget.SuccessImportance)
		} else {
			s.showBridgeMsg(fmt.Sprintf("Saved %d bridge(s). Tor is restarting with them.", len(lines)), widget.SuccessImportance)
		}
	})
}

func (s *settingsView) showBridgeMsg(text string, imp widget.Importance) {
	s.bridgeMsg.Importance = imp
	s.bridgeMsg.SetText(text)
	s.bridgeMsg.Show()
}

func (s *settingsView) resetTor() {
	dialog.ShowConfirm("Reset Tor state?",
		"Archy deletes Tor's cached network data and restarts Tor. Your identity, invites and peers stay. "+
			"The next connection takes a little longer.",
		func(ok bool) {
			if ok {
				s.u.backgroundErr("reset Tor", s.u.b.ResetTor, nil)
			}
		}, s.u.win)
}

func (s *settingsView) openDataDir() {
	dir := s.dataDir.Text
	if dir == "" {
		return
	}
	if err := s.u.app.OpenURL(&url.URL{Scheme: "file", Path: dir}); err != nil {
		s.u.logf(logrus.WarnLevel, "open data folder: %v", err)
		dialog.ShowInformation("Could not open the folder", "Open it yourself: "+dir, s.u.win)
	}
}

// ---- about ----

type aboutView struct {
	u       *UI
	tor     *widget.Label
	id      *widget.Label
	network *widget.Label
	content fyne.CanvasObject
}

func newAboutView(u *UI) *aboutView {
	a := &aboutView{u: u}
	icon := canvas.NewImageFromResource(assets.AppIcon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Archy Desktop", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	version := "Version " + u.opts.Version
	if u.opts.Version == "" {
		version = "Development build"
	}
	if u.opts.Commit != "" {
		version += " (commit " + u.opts.Commit + ")"
	}
	ver := widget.NewLabelWithStyle(version, fyne.TextAlignCenter, fyne.TextStyle{})
	ver.Selectable = true
	a.tor = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	a.id = noteLabel("")
	a.id.Alignment = fyne.TextAlignCenter
	a.id.Selectable = true
	a.network = noteLabel("")
	a.network.Alignment = fyne.TextAlignCenter
	blurb := widget.NewLabelWithStyle("Your node in the Archipelago federation. It talks to your peers only through Tor.", fyne.TextAlignCenter, fyne.TextStyle{})
	blurb.Wrapping = fyne.TextWrapWord
	a.setTor(node.TorState{})
	a.content = container.NewVScroll(container.NewVBox(
		layout.NewSpacer(),
		container.NewCenter(icon),
		title, ver, a.tor, a.network, a.id, blurb,
		layout.NewSpacer(),
	))
	return a
}

func (a *aboutView) setTor(t node.TorState) {
	s := "Tor"
	switch {
	case a.u.opts.TorVersion != "":
		s += " " + a.u.opts.TorVersion + " (built in)"
	case t.Version != "":
		s += " " + t.Version
	default:
		s += ": version not known yet"
	}
	if t.Version != "" && t.Version != a.u.opts.TorVersion {
		s += " · running " + t.Version
		if t.Provider != "" {
			s += " (" + t.Provider + ")"
		}
	}
	setLabel(a.tor, s)
}

func (a *aboutView) update(st node.State) {
	a.setTor(st.Tor)
	if st.DID != "" {
		setLabel(a.id, "Node ID "+st.DID.Short())
	}
	switch st.Network {
	case "", "live":
		setLabel(a.network, "Tor network: the public Tor network")
	default:
		setLabel(a.network, "Tor network: private test network "+st.Network)
	}
}

// ---- logs ----

type logsView struct {
	u       *UI
	list    *widget.List
	lines   []string
	follow  bool
	content fyne.CanvasObject
	dirty   bool
}

func newLogsView(u *UI) *logsView {
	l := &logsView{u: u, follow: true}
	l.list = widget.NewList(
		func() int { return len(l.lines) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.TextStyle = fyne.TextStyle{Monospace: true}
			t.Truncation = fyne.TextTruncateEllipsis
			return t
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(l.lines) {
				o.(*widget.Label).SetText(l.lines[i])
			}
		})
	note := noteLabel("Secrets are hidden here: invite links show as [invite], addresses and IDs are shortened.")
	note.Truncation = fyne.TextTruncateEllipsis
	copyAll := widget.NewButtonWithIcon("Copy all", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(strings.Join(u.logBuf.snapshot(), "\n"))
	})
	export := widget.NewButtonWithIcon("Export diagnostics…", theme.DocumentSaveIcon(), l.export)
	export.Importance = widget.HighImportance
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(copyAll, export), note)
	l.content = container.NewBorder(nil, bottom, nil, nil, l.list)
	return l
}

// refresh shows new log lines (UI thread).
func (l *logsView) refresh() {
	l.lines = l.u.logBuf.snapshot()
	l.list.Refresh()
	if l.follow && len(l.lines) > 0 {
		l.list.ScrollToBottom()
	}
}

func (l *logsView) export() {
	u := l.u
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		l.exportTo(w)
	}, u.win)
	d.SetFileName("archy-diagnostics-" + u.now().Format("2006-01-02-1504") + ".json")
	d.Resize(fyne.NewSize(720, 520))
	d.Show()
}

// exportTo writes the backend's diagnostics to w (off the UI thread).
func (l *logsView) exportTo(w fyne.URIWriteCloser) {
	u := l.u
	path := w.URI().Path()
	u.backgroundErr("export diagnostics", func() error {
		err := u.b.ExportDiagnostics(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	}, func(err error) {
		if err != nil {
			dialog.ShowInformation("Export failed", "Could not write the diagnostics: "+sentence(err.Error()), u.win)
			return
		}
		dialog.ShowInformation("Diagnostics saved", "Saved to "+path+".\nKeys, invite secrets and peer addresses are left out, so you can attach it to a bug report.", u.win)
	})
}
