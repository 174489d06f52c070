package invite

import (
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QR codes use error-correction level M (15% of the code can be lost) and
// the standard 4-module quiet zone. An upper-case link is stored in the
// alphanumeric mode: a typical invite is a version 7 code (45×45 modules),
// one with a 32-byte name version 8 (49×49); see the tests' log.
const qrLevel = qrcode.Medium

// QRPNG renders the invite's link as a black-on-white PNG QR code of size×size
// pixels (level M, with quiet zone). Modules are whole pixels: if size is not
// a multiple of the module count the code is centred with a wider margin, and
// if it is too small the image is as large as one pixel per module needs.
func (i *Invite) QRPNG(size int) ([]byte, error) {
	q, err := qrcode.New(i.Link(), qrLevel)
	if err != nil {
		return nil, err
	}
	return q.PNG(size)
}

// QRVersion is the QR code version (1–40) that link needs at level M, or 0
// if it does not fit in any.
func QRVersion(link string) int {
	q, err := qrcode.New(link, qrLevel)
	if err != nil {
		return 0
	}
	return q.VersionNumber
}

// ANSI colours of TerminalQR: black modules on a bright white background, so
// the code is the right way round on dark and light terminal themes alike.
const (
	ansiBlackOnWhite = "\x1b[30;107m"
	ansiReset        = "\x1b[0m"
)

// TerminalQR renders link as a QR code (level M, 4-module quiet zone) for a
// terminal: two modules per character cell with the half-block characters
// ▀ ▄ █, black on white (ANSI colours, each line reset at its end), so
// a 49-module code takes 57 columns and 29 lines. Returns "" if the link
// does not fit in a QR code.
func TerminalQR(link string) string {
	q, err := qrcode.New(link, qrLevel)
	if err != nil {
		return ""
	}
	bits := q.Bitmap() // true = dark, includes the quiet zone
	n := len(bits)
	dark := func(y, x int) bool { return y < n && bits[y][x] }
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		b.WriteString(ansiBlackOnWhite)
		for x := 0; x < n; x++ {
			switch top, bottom := dark(y, x), dark(y+1, x); {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(ansiReset)
		b.WriteByte('\n')
	}
	return b.String()
}
