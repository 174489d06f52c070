package guitest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// A small StatusNotifierWatcher (the tray host's registry) and a reader of
// what a StatusNotifierItem shows: properties, icon and its dbusmenu.

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	itemIface    = "org.kde.StatusNotifierItem"
	menuIface    = "com.canonical.dbusmenu"
	watcherIntro = `<interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
</interface>`
)

// trayItem is a registered item: its bus name and object path.
type trayItem struct {
	bus  string
	path dbus.ObjectPath
}

func (i trayItem) String() string { return i.bus + string(i.path) }

type watcher struct {
	conn  *dbus.Conn
	props *prop.Properties
	mu    sync.Mutex
	items []trayItem
	regs  chan trayItem
}

// watcherMethods is what the watcher exports (only these methods).
type watcherMethods struct{ w *watcher }

// RegisterStatusNotifierItem: service is an object path on the caller's
// connection (what fyne.io/systray sends) or a bus name.
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := trayItem{bus: string(sender), path: "/StatusNotifierItem"}
	if strings.HasPrefix(service, "/") {
		it.path = dbus.ObjectPath(service)
	} else if service != "" {
		it.bus = service
	}
	w := m.w
	w.mu.Lock()
	w.items = append(w.items, it)
	names := make([]string, len(w.items))
	for i, x := range w.items {
		names[i] = x.String()
	}
	w.mu.Unlock()
	w.props.SetMust(watcherName, "RegisteredStatusNotifierItems", names)
	w.conn.Emit(watcherPath, watcherName+".StatusNotifierItemRegistered", it.String())
	select {
	case w.regs <- it:
	default:
	}
	return nil
}

func (m watcherMethods) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

// startWatcher owns org.kde.StatusNotifierWatcher on the session bus until
// the test ends.
func startWatcher(t *testing.T) *watcher {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	w := &watcher{conn: conn, regs: make(chan trayItem, 16)}
	if err := conn.Export(watcherMethods{w}, watcherPath, watcherName); err != nil {
		t.Fatal(err)
	}
	w.props, err = prop.Export(conn, watcherPath, map[string]map[string]*prop.Prop{
		watcherName: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	node := `<node>` + watcherIntro + prop.IntrospectDataString + introspect.IntrospectDataString + `</node>`
	if err := conn.Export(introspect.Introspectable(node), watcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("could not own %s: %v %v", watcherName, reply, err)
	}
	conn.Emit(watcherPath, watcherName+".StatusNotifierHostRegistered")
	t.Cleanup(func() {
		conn.ReleaseName(watcherName)
		conn.Close()
	})
	return w
}

func (w *watcher) waitRegistered(t *testing.T, timeout time.Duration) trayItem {
	t.Helper()
	select {
	case it := <-w.regs:
		return it
	case <-time.After(timeout):
		t.Fatalf("no RegisterStatusNotifierItem within %s", timeout)
	}
	return trayItem{}
}

// ---- reading the item ----

// itemView is what a tray host shows of an item at one moment.
type itemView struct {
	Status, Title, IconName, ID string
	Tooltip                     string
	Icon                        pixmap
	Menu                        dbus.ObjectPath
}

type pixmap struct {
	W, H int32
	Pix  []byte // ARGB32, network byte order
}

func (p pixmap) image() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, int(p.W), int(p.H)))
	for i := 0; i+3 < len(p.Pix) && i/4 < int(p.W*p.H); i += 4 {
		x, y := (i/4)%int(p.W), (i/4)/int(p.W)
		img.SetNRGBA(x, y, color.NRGBA{A: p.Pix[i], R: p.Pix[i+1], G: p.Pix[i+2], B: p.Pix[i+3]})
	}
	return img
}

// argb is how fyne.io/systray turns a PNG into IconPixmap data.
func argb(pngBytes []byte) (pixmap, error) {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return pixmap{}, err
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	data := make([]byte, 0, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			data = append(data, byte(a), byte(r), byte(g), byte(b))
		}
	}
	return pixmap{W: int32(w), H: int32(h), Pix: data}, nil
}

func (w *watcher) item(t *testing.T, it trayItem) itemView {
	t.Helper()
	obj := w.conn.Object(it.bus, it.path)
	var all map[string]dbus.Variant
	if err := obj.Call("org.freedesktop.DBus.Properties.GetAll", 0, itemIface).Store(&all); err != nil {
		t.Fatalf("GetAll %s on %s: %v", itemIface, it, err)
	}
	v := itemView{}
	str := func(k string) string { s, _ := all[k].Value().(string); return s }
	v.Status, v.Title, v.IconName, v.ID = str("Status"), str("Title"), str("IconName"), str("Id")
	v.Menu, _ = all["Menu"].Value().(dbus.ObjectPath)
	var pms []pixmap
	if err := dbus.Store([]any{all["IconPixmap"].Value()}, &pms); err == nil && len(pms) > 0 {
		v.Icon = pms[0]
	}
	var tip struct {
		Name  string
		Icons []pixmap
		Title string
		Text  string
	}
	if err := dbus.Store([]any{all["ToolTip"].Value()}, &tip); err == nil {
		v.Tooltip = strings.TrimSpace(tip.Title + " " + tip.Text)
	}
	return v
}

// ---- its menu ----

type menuItem struct {
	ID        int32
	Label     string
	Enabled   bool
	Visible   bool
	Separator bool
	Children  []menuItem
}

func (m menuItem) String() string {
	if m.Separator {
		return "—"
	}
	s := m.Label
	if !m.Enabled {
		s += " (disabled)"
	}
	return s
}

// layout is com.canonical.dbusmenu.GetLayout(0, -1, []).
func (w *watcher) layout(t *testing.T, it trayItem, menuPath dbus.ObjectPath) (uint32, []menuItem) {
	t.Helper()
	var rev uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := w.conn.Object(it.bus, menuPath).Call(menuIface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&rev, &root); err != nil {
		t.Fatalf("GetLayout on %s%s: %v", it.bus, menuPath, err)
	}
	return rev, decodeChildren(t, root.Children)
}

func decodeChildren(t *testing.T, vs []dbus.Variant) []menuItem {
	var out []menuItem
	for _, v := range vs {
		var n struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		if err := dbus.Store([]any{v.Value()}, &n); err != nil {
			t.Fatalf("menu entry %v: %v", v, err)
		}
		m := menuItem{ID: n.ID, Enabled: true, Visible: true}
		if l, ok := n.Props["label"].Value().(string); ok {
			m.Label = l
		}
		if e, ok := n.Props["enabled"].Value().(bool); ok {
			m.Enabled = e
		}
		if e, ok := n.Props["visible"].Value().(bool); ok {
			m.Visible = e
		}
		if ty, ok := n.Props["type"].Value().(string); ok && ty == "separator" {
			m.Separator = true
		}
		m.Children = decodeChildren(t, n.Children)
		out = append(out, m)
	}
	return out
}

func visible(items []menuItem) []menuItem {
	var out []menuItem
	for _, m := range items {
		if m.Visible {
			out = append(out, m)
		}
	}
	return out
}

func menuString(items []menuItem) string {
	var s []string
	for _, m := range visible(items) {
		s = append(s, m.String())
	}
	return strings.Join(s, " | ")
}

// click sends Event(id, "clicked", "", timestamp) as a tray host does when
// the item is chosen, and waits up to 5 s for done. The app rebuilds its
// menu (new ids) when its status line changes, so the id is looked up by
// label right before; if the menu was rebuilt between the lookup and the
// click (the revision changed) and done did not happen, it clicks again.
func (w *watcher) click(t *testing.T, it trayItem, menuPath dbus.ObjectPath, label string, done func() bool) {
	t.Helper()
	for try := 1; ; try++ {
		rev, items := w.layout(t, it, menuPath)
		var id int32 = -1
		for _, m := range visible(items) {
			if m.Label == label {
				id = m.ID
			}
		}
		if id < 0 {
			t.Fatalf("no menu item %q in %s", label, menuString(items))
		}
		call := w.conn.Object(it.bus, menuPath).Call(menuIface+".Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
		if call.Err != nil {
			t.Fatalf("Event(%d %q, clicked): %v", id, label, call.Err)
		}
		t.Logf("tray: clicked %q (id %d, menu revision %d) through %s.Event", label, id, rev, menuIface)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if done() {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		var now uint32
		if c := w.conn.Object(it.bus, menuPath).Call(menuIface+".GetLayout", 0, int32(0), int32(0), []string{}); c.Err == nil && len(c.Body) > 0 {
			now, _ = c.Body[0].(uint32)
		}
		if now == rev || try == 3 {
			t.Fatalf("clicking %q in the tray menu had no effect within 5 s", label)
		}
		t.Logf("tray: the menu was rebuilt (revision %d → %d) around the click; clicking again", rev, now)
	}
}

// signals collects NewIcon/NewTitle/NewStatus/LayoutUpdated from the item.
type signals struct {
	mu   sync.Mutex
	seen map[string]int
}

func (w *watcher) watchSignals(t *testing.T, it trayItem) *signals {
	t.Helper()
	s := &signals{seen: map[string]int{}}
	for _, iface := range []string{itemIface, menuIface, "org.freedesktop.DBus.Properties"} {
		if err := w.conn.AddMatchSignal(dbus.WithMatchSender(it.bus), dbus.WithMatchInterface(iface)); err != nil {
			t.Fatal(err)
		}
	}
	ch := make(chan *dbus.Signal, 256)
	w.conn.Signal(ch)
	go func() {
		for sig := range ch {
			if sig == nil {
				return
			}
			s.mu.Lock()
			s.seen[sig.Name]++
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *signals) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[name]
}

func (s *signals) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.seen)
}

// writeIcon saves the icon a tray host would draw, scaled up 4× so it can
// be looked at.
func writeIcon(t *testing.T, path string, p pixmap) {
	t.Helper()
	src := p.image()
	b := src.Bounds()
	big := image.NewNRGBA(image.Rect(0, 0, b.Dx()*4, b.Dy()*4))
	for y := 0; y < b.Dy()*4; y++ {
		for x := 0; x < b.Dx()*4; x++ {
			c := src.At(x/4, y/4).(color.NRGBA)
			// on a mid-grey panel
			a := int(c.A)
			mix := func(v uint8) uint8 { return uint8((int(v)*a + 0x80*(255-a)) / 255) }
			big.SetNRGBA(x, y, color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, big); err != nil {
		t.Fatal(err)
	}
}
