package invite

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"
)

// Screenshot-like test pictures: a QR code drawn small inside a busy window
// of a desktop, then scaled as screenshots are (HiDPI nearest-neighbour,
// fractional scaling with smoothing), maybe in dark mode, maybe as JPEG.

// qrModules renders link at one pixel per module, with the 4-module quiet
// zone, black on white (or white on black when inverted).
func qrModules(t testing.TB, link string, inverted bool) *image.RGBA {
	t.Helper()
	q, err := qrcode.New(link, qrLevel)
	if err != nil {
		t.Fatal(err)
	}
	bits := q.Bitmap()
	n := len(bits)
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dark := bits[y][x] != inverted
			c := color.RGBA{255, 255, 255, 255}
			if dark {
				c = color.RGBA{0, 0, 0, 255}
				if inverted {
					c = color.RGBA{24, 26, 27, 255} // a dark-mode "black"
				}
			} else if inverted {
				c = color.RGBA{232, 234, 237, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// busyDesktop paints a w×h desktop: a coloured background, windows with
// title bars, lines of "text", buttons, icons, a photo-like gradient.
func busyDesktop(w, h int, dark bool, rng *rand.Rand) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{96, 125, 139, 255}
	if dark {
		bg = color.RGBA{32, 34, 37, 255}
	}
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	// a photo-like gradient wallpaper corner
	for y := 0; y < h/3; y++ {
		for x := 0; x < w/3; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / (w / 3)), uint8(y * 255 / (h / 3)), 140, 255})
		}
	}
	for win := 0; win < 6; win++ {
		ww, wh := w/4+rng.Intn(w/3), h/4+rng.Intn(h/3)
		x0, y0 := rng.Intn(w-ww), rng.Intn(h-wh)
		face := color.RGBA{245, 245, 245, 255}
		ink := color.RGBA{30, 30, 30, 255}
		if dark {
			face, ink = color.RGBA{49, 51, 56, 255}, color.RGBA{219, 222, 225, 255}
		}
		draw.Draw(img, image.Rect(x0, y0, x0+ww, y0+wh), &image.Uniform{face}, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(x0, y0, x0+ww, y0+12), &image.Uniform{color.RGBA{60, 90, 200, 255}}, image.Point{}, draw.Src)
		// text: rows of small glyph-like blocks
		for ty := y0 + 18; ty+6 < y0+wh; ty += 9 {
			for tx := x0 + 6; tx+4 < x0+ww-6; tx += 5 {
				if rng.Intn(6) == 0 {
					continue // a space
				}
				for gy := 0; gy < 6; gy++ {
					for gx := 0; gx < 4; gx++ {
						if rng.Intn(3) == 0 {
							img.SetRGBA(tx+gx, ty+gy, ink)
						}
					}
				}
			}
		}
		// buttons and icons with hard edges
		for b := 0; b < 4; b++ {
			bx, by := x0+rng.Intn(max(1, ww-30)), y0+12+rng.Intn(max(1, wh-30))
			c := color.RGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), 255}
			draw.Draw(img, image.Rect(bx, by, bx+16+rng.Intn(14), by+10+rng.Intn(14)), &image.Uniform{c}, image.Point{}, draw.Src)
		}
	}
	return img
}

// scene is one test picture.
type scene struct {
	name string
	img  image.Image
	jpeg int // JPEG quality, 0 for PNG
}

// compose draws the code (one pixel per module) at a random place of a
// desktop of w×h, then scales the whole picture by scale with kernel.
func compose(t testing.TB, link string, w, h int, dark, inverted bool, moduleScale int, scale float64, kernel draw.Interpolator, rng *rand.Rand) image.Image {
	t.Helper()
	desk := busyDesktop(w, h, dark, rng)
	code := qrModules(t, link, inverted)
	n := code.Bounds().Dx() * moduleScale
	x0, y0 := rng.Intn(w-n-20)+10, rng.Intn(h-n-20)+10
	draw.NearestNeighbor.Scale(desk, image.Rect(x0, y0, x0+n, y0+n), code, code.Bounds(), draw.Src, nil)
	if scale == 1 {
		return desk
	}
	out := image.NewRGBA(image.Rect(0, 0, int(float64(w)*scale), int(float64(h)*scale)))
	kernel.Scale(out, out.Bounds(), desk, desk.Bounds(), draw.Src, nil)
	return out
}

func screenshotScenes(t testing.TB, link string) []scene {
	rng := rand.New(rand.NewSource(7))
	return []scene{
		{name: "hidpi 2x nearest", img: compose(t, link, 800, 500, false, false, 1, 2, draw.NearestNeighbor, rng)},
		{name: "hidpi 3x nearest", img: compose(t, link, 640, 400, false, false, 1, 3, draw.NearestNeighbor, rng)},
		{name: "dark desktop, 2x nearest", img: compose(t, link, 800, 500, true, false, 1, 2, draw.NearestNeighbor, rng)},
		{name: "fractional 1.37x smoothed", img: compose(t, link, 900, 560, false, false, 2, 1.37, draw.CatmullRom, rng)},
		{name: "fractional 2.6x bilinear", img: compose(t, link, 600, 380, false, false, 1, 2.6, draw.BiLinear, rng)},
		{name: "fractional 1.25x bilinear, JPEG q80", img: compose(t, link, 1000, 620, false, false, 3, 1.25, draw.BiLinear, rng), jpeg: 80},
		{name: "dark mode inverted code, 2.5x smoothed", img: compose(t, link, 700, 440, true, true, 1, 2.5, draw.CatmullRom, rng)},
		{name: "dark mode inverted, 3x nearest, JPEG q85", img: compose(t, link, 640, 400, true, true, 1, 3, draw.NearestNeighbor, rng), jpeg: 85},
	}
}

// encodeScene returns the scene as the bytes of a PNG or JPEG file.
func encodeScene(t testing.TB, s scene) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if s.jpeg > 0 {
		err = jpeg.Encode(&buf, s.img, &jpeg.Options{Quality: s.jpeg})
	} else {
		err = png.Encode(&buf, s.img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
