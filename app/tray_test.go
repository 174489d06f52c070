package app

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// privateBus starts a dbus-daemon of the test's own and returns its address.
func privateBus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed (scripts/apt-deps.sh guitest)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dir+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not start")
	}
	return ""
}

func TestTrayNeedsAReachableSessionBus(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // no $XDG_RUNTIME_DIR/bus either

	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if ok, why := trayOnSessionBus(time.Second); ok || !strings.Contains(why, "no desktop session bus") {
		t.Errorf("without a bus: %v, %q", ok, why)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "gone"))
	if ok, why := trayOnSessionBus(time.Second); ok || !strings.Contains(why, "no desktop session bus") {
		t.Errorf("with an unreachable bus: %v, %q", ok, why)
	}
}

func TestTrayNeedsAStatusNotifierWatcher(t *testing.T) {
	addr := privateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)

	ok, why := trayOnSessionBus(3 * time.Second)
	if ok || !strings.Contains(why, "no tray icons") || !strings.Contains(why, "AppIndicator") {
		t.Errorf("without a watcher: %v, %q", ok, why)
	}

	// A tray host appears: now the tray is on.
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reply, err := conn.RequestName(statusNotifierWatcher, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	if ok, why := trayOnSessionBus(3 * time.Second); !ok || why != "" {
		t.Errorf("with a watcher: %v, %q", ok, why)
	}
	if ok, _ := TrayAvailable(); !ok {
		t.Error("TrayAvailable disagrees")
	}
}
