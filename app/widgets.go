package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// variantTheme is Fyne's default theme held to one variant (light or dark),
// or following the system when variant is nil.
type variantTheme struct {
	fyne.Theme
	variant *fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	return t.Theme.Color(n, v)
}

// themeFor returns the theme for the "theme" preference: "light", "dark" or
// "" (follow the system).
func themeFor(pref string) fyne.Theme {
	var v fyne.ThemeVariant
	switch pref {
	case "light":
		v = theme.VariantLight
	case "dark":
		v = theme.VariantDark
	default:
		return variantTheme{Theme: theme.DefaultTheme()}
	}
	return variantTheme{Theme: theme.DefaultTheme(), variant: &v}
}

// panel draws its content on a rounded, slightly raised background that
// follows the theme, with an optional coloured stripe on the left.
type panel struct {
	widget.BaseWidget
	content fyne.CanvasObject
	stripe  fyne.ThemeColorName // "" for none
}

func newPanel(content fyne.CanvasObject) *panel {
	p := &panel{content: content}
	p.ExtendBaseWidget(p)
	return p
}

func (p *panel) setStripe(c fyne.ThemeColorName) {
	if p.stripe != c {
		p.stripe = c
		p.Refresh()
	}
}

func (p *panel) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	stripe := canvas.NewRectangle(color.Transparent)
	r := &panelRenderer{p: p, bg: bg, stripe: stripe}
	r.Refresh()
	return r
}

type panelRenderer struct {
	p          *panel
	bg, stripe *canvas.Rectangle
}

func (r *panelRenderer) pad() float32 { return theme.Padding() }

func (r *panelRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	r.stripe.Move(fyne.NewPos(0, 0))
	r.stripe.Resize(fyne.NewSize(theme.Padding(), s.Height))
	pad := r.pad()
	r.p.content.Move(fyne.NewPos(pad+theme.Padding()/2, pad))
	r.p.content.Resize(fyne.NewSize(s.Width-2*pad-theme.Padding()/2, s.Height-2*pad))
}

func (r *panelRenderer) MinSize() fyne.Size {
	pad := r.pad()
	return r.p.content.MinSize().Add(fyne.NewSize(2*pad+theme.Padding()/2, 2*pad))
}

func (r *panelRenderer) Refresh() {
	th := r.p.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.bg.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.bg.StrokeWidth = 1
	r.bg.CornerRadius = th.Size(theme.SizeNameInputRadius)
	if r.p.stripe != "" {
		r.stripe.FillColor = th.Color(r.p.stripe, v)
	} else {
		r.stripe.FillColor = color.Transparent
	}
	r.stripe.CornerRadius = r.bg.CornerRadius
	r.bg.Refresh()
	r.stripe.Refresh()
	r.p.content.Refresh()
}

func (r *panelRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.stripe, r.p.content}
}

func (r *panelRenderer) Destroy() {}

// fixedWidth lays its objects out at a fixed width (and the tallest height).
type fixedWidth float32

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(float32(f), h)
}

func (f fixedWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

// dot is a small filled circle (the online indicator).
type dot struct {
	widget.BaseWidget
	on bool
}

func newDot() *dot {
	d := &dot{}
	d.ExtendBaseWidget(d)
	return d
}

func (d *dot) set(on bool) {
	if d.on != on {
		d.on = on
		d.Refresh()
	}
}

func (d *dot) CreateRenderer() fyne.WidgetRenderer {
	c := canvas.NewCircle(color.Transparent)
	r := &dotRenderer{d: d, c: c}
	r.Refresh()
	return r
}

type dotRenderer struct {
	d *dot
	c *canvas.Circle
}

const dotSize = 10

func (r *dotRenderer) Layout(s fyne.Size) {
	r.c.Resize(fyne.NewSize(dotSize, dotSize))
	r.c.Move(fyne.NewPos((s.Width-dotSize)/2, (s.Height-dotSize)/2))
}
func (r *dotRenderer) MinSize() fyne.Size { return fyne.NewSize(dotSize+2, dotSize+2) }
func (r *dotRenderer) Refresh() {
	th := r.d.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	if r.d.on {
		r.c.FillColor = th.Color(theme.ColorNameSuccess, v)
		r.c.StrokeWidth = 0
	} else {
		r.c.FillColor = color.Transparent
		r.c.StrokeColor = th.Color(theme.ColorNameDisabled, v)
		r.c.StrokeWidth = 1.5
	}
	r.c.Refresh()
}
func (r *dotRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.c} }
func (r *dotRenderer) Destroy()                     {}

// wrapLabel is a word-wrapping label.
func wrapLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// boldLabel is a bold label that cuts long text with an ellipsis.
func boldLabel(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// sectionTitle is a heading inside a tab.
func sectionTitle(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// showIf shows or hides o and reports whether that changed anything (then
// the parent container needs a refresh to lay itself out again).
func showIf(o fyne.CanvasObject, show bool) bool {
	if o.Visible() == show {
		return false
	}
	if show {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}

// relayout refreshes containers after children were shown or hidden: Fyne
// lays a container out again only when it is refreshed.
func relayout(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Refresh()
	}
}

// noteLabel is secondary text: caption size, still readable in both themes.
func noteLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// tight stacks objects vertically with less space than a VBox (labels carry
// their own inner padding).
func tight(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*1.5), objs...)
}

// thinBar is a slim progress bar (Fyne's is as tall as a button).
type thinBar struct {
	widget.BaseWidget
	value float64
}

func newThinBar() *thinBar {
	b := &thinBar{}
	b.ExtendBaseWidget(b)
	return b
}

func (b *thinBar) set(v float64) {
	v = min(max(v, 0), 1)
	if b.value != v {
		b.value = v
		b.Refresh()
	}
}

func (b *thinBar) CreateRenderer() fyne.WidgetRenderer {
	r := &thinBarRenderer{b: b, track: canvas.NewRectangle(color.Transparent), fill: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type thinBarRenderer struct {
	b           *thinBar
	track, fill *canvas.Rectangle
}

const thinBarHeight = 6

func (r *thinBarRenderer) Layout(s fyne.Size) {
	y := (s.Height - thinBarHeight) / 2
	r.track.Move(fyne.NewPos(theme.Padding(), y))
	w := s.Width - 2*theme.Padding()
	r.track.Resize(fyne.NewSize(w, thinBarHeight))
	r.fill.Move(r.track.Position())
	r.fill.Resize(fyne.NewSize(w*float32(r.b.value), thinBarHeight))
}
func (r *thinBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, thinBarHeight+theme.Padding()) }
func (r *thinBarRenderer) Refresh() {
	th := r.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.track.FillColor = th.Color(theme.ColorNameInputBorder, v)
	r.fill.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.track.CornerRadius, r.fill.CornerRadius = thinBarHeight/2, thinBarHeight/2
	r.Layout(r.b.Size())
	r.track.Refresh()
	r.fill.Refresh()
}
func (r *thinBarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.track, r.fill} }
func (r *thinBarRenderer) Destroy()                     {}

// setLabel updates a label only if its text changed (a refresh re-lays out).
func setLabel(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// padded wraps o in theme padding.
func padded(o fyne.CanvasObject) fyne.CanvasObject { return container.NewPadded(o) }
