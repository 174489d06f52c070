// Package assets holds Archy Desktop's icons: the app icon and one tray icon
// per state, drawn as SVG (svg/) and rasterised to PNG (png/, by render.sh),
// all embedded in the binary.
package assets

import (
	"embed"
	"fmt"

	"fyne.io/fyne/v2"
)

//go:embed svg/*.svg png/*.png
var files embed.FS

// Icon names: the app icon and the five tray states.
const (
	AppIconName       = "app-icon"
	TrayStartingName  = "tray-starting"  // starting / connecting to Tor
	TrayOnlineName    = "tray-online"    // online, nothing to do
	TraySyncingName   = "tray-syncing"   // a sync is running
	TrayAttentionName = "tray-attention" // the user must act (the only coloured one)
	TrayPausedName    = "tray-paused"    // sync paused or Tor offline
)

// Names lists every icon, app icon first.
var Names = []string{AppIconName, TrayStartingName, TrayOnlineName, TraySyncingName, TrayAttentionName, TrayPausedName}

// Sizes lists the PNG sizes (square, in pixels) rendered for every icon.
var Sizes = []int{16, 22, 32, 48, 64, 128, 256, 512}

// TrayPNGSize is the PNG size handed to the system tray: status-notifier hosts
// scale it down to the panel's size (16–24 px).
const TrayPNGSize = 64

// SVG returns the SVG source of the named icon.
func SVG(name string) ([]byte, error) {
	return files.ReadFile("svg/" + name + ".svg")
}

// PNG returns the named icon rasterised at size (one of Sizes).
func PNG(name string, size int) ([]byte, error) {
	return files.ReadFile(fmt.Sprintf("png/%s-%d.png", name, size))
}

func mustRead(path string) []byte {
	b, err := files.ReadFile(path)
	if err != nil {
		panic("assets: " + err.Error())
	}
	return b
}

func svgResource(name string) fyne.Resource {
	return fyne.NewStaticResource(name+".svg", mustRead("svg/"+name+".svg"))
}

func pngResource(name string, size int) fyne.Resource {
	file := fmt.Sprintf("%s-%d.png", name, size)
	return fyne.NewStaticResource(file, mustRead("png/"+file))
}

// Fyne resources. The SVG ones scale to any size inside the window; the PNG
// ones are for places that need a bitmap (window icon, system tray).
var (
	AppIcon    = svgResource(AppIconName)
	AppIconPNG = pngResource(AppIconName, 256)

	TrayStarting  = svgResource(TrayStartingName)
	TrayOnline    = svgResource(TrayOnlineName)
	TraySyncing   = svgResource(TraySyncingName)
	TrayAttention = svgResource(TrayAttentionName)
	TrayPaused    = svgResource(TrayPausedName)

	TrayStartingPNG  = pngResource(TrayStartingName, TrayPNGSize)
	TrayOnlinePNG    = pngResource(TrayOnlineName, TrayPNGSize)
	TraySyncingPNG   = pngResource(TraySyncingName, TrayPNGSize)
	TrayAttentionPNG = pngResource(TrayAttentionName, TrayPNGSize)
	TrayPausedPNG    = pngResource(TrayPausedName, TrayPNGSize)
)
