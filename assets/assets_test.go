package assets

import (
	"bytes"
	"image/png"
	"testing"
)

func TestEveryIconAtEverySize(t *testing.T) {
	for _, name := range Names {
		b, err := SVG(name)
		if err != nil || !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("SVG(%q): %v", name, err)
		}
		// Fyne's SVG renderer does not scale stroke widths: fills only.
		if bytes.Contains(b, []byte("stroke")) || bytes.Contains(b, []byte("<g")) {
			t.Errorf("%s.svg uses strokes or groups; draw.py draws fills only", name)
		}
		for _, size := range Sizes {
			b, err := PNG(name, size)
			if err != nil {
				t.Errorf("PNG(%q, %d): %v", name, size, err)
				continue
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width != size || cfg.Height != size {
				t.Errorf("PNG(%q, %d): %dx%d, %v", name, size, cfg.Width, cfg.Height, err)
			}
		}
	}
}
