package invite

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // formats DecodeImage reads
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"os"
	"sort"
	"time"

	"github.com/makiuchi-d/gozxing"
	mdetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"golang.org/x/image/draw"
)

// Bounds of the pictures DecodeImage reads (an 8K screenshot is 33 Mpx).
const (
	maxImagePixels = 40 << 20
	maxImageBytes  = 64 << 20
)

// DecodeImageFile is DecodeImage of the file at path.
func DecodeImageFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return DecodeImage(f)
}

// DecodeImage finds an invite's QR code in a PNG, JPEG or GIF picture — a
// saved QR code, or a screenshot with the code somewhere inside it (scaled,
// smoothed, lightly compressed, dark mode) — and returns the text it holds:
// an invite link for Parse. Errors: ErrNotImage, ErrImageTooLarge,
// ErrNoQRCode ("no QR code found in this image") and ErrNotInviteQR (a QR
// code was read but holds something else).
//
// gozxing's detector alone misses codes that are small in a busy picture,
// so DecodeImage tries, in order, until one yields an invite: the whole
// picture (hybrid and global-histogram binarizers, TRY_HARDER, also
// inverted); shrunk and enlarged copies; then each region where finder
// patterns were seen, cropped tightly, enlarged and read with and without
// the PURE_BARCODE hint.
func DecodeImage(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxImageBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxImageBytes {
		return "", ErrImageTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return "", ErrImageTooLarge // refused before the pixels are allocated
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNotImage, err)
	}
	d := &qrDecoder{}
	return d.decode(toGray(img))
}

// toGray converts img to luminance, compositing transparency onto white.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if src, ok := img.(*image.Gray); ok {
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], src.Pix[(y)*src.Stride:])
		}
		return g
	}
	for y := 0; y < b.Dy(); y++ {
		row := g.Pix[y*g.Stride:]
		for x := 0; x < b.Dx(); x++ {
			r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Rec. 601 luma of premultiplied colour, plus white for the transparent part.
			lum := (299*r + 587*gg + 114*bb) / 1000
			lum += 0xffff - a
			if lum > 0xffff {
				lum = 0xffff
			}
			row[x] = uint8(lum >> 8)
		}
	}
	return g
}

// qrDecoder runs the search and remembers whether it read any QR code.
type qrDecoder struct {
	sawQR    bool
	attempts int
	deadline time.Time
	// trace, if set, is told which attempt succeeded (tests).
	trace func(stage string)
}

// searchBudget bounds the time DecodeImage spends on one picture.
const searchBudget = 8 * time.Second

// maxScaledPixels bounds the enlarged copies of a picture that are searched.
const maxScaledPixels = 12 << 20

// wholeScales are the scales at which the whole picture is searched, in
// order: as it is, then enlarged (small modules are what defeats the
// finder-pattern search), then shrunk.
func wholeScales(w, h int) []float64 {
	out := []float64{1}
	for _, s := range []float64{2, 1.5, 3, 0.5} {
		if float64(w)*float64(h)*s*s <= maxScaledPixels && min(w, h) >= 60 {
			out = append(out, s)
		}
	}
	return out
}

func (d *qrDecoder) decode(g *image.Gray) (string, error) {
	if d.deadline.IsZero() {
		d.deadline = time.Now().Add(searchBudget)
	}
	var regions []region
	for _, s := range wholeScales(g.Rect.Dx(), g.Rect.Dy()) {
		if time.Now().After(d.deadline) {
			break
		}
		img := g
		if s != 1 {
			img = resize(g, s)
		}
		text, found, ok := d.tryImage(img, fmt.Sprintf("scale %.1f", s))
		if ok {
			return text, nil
		}
		for _, r := range found { // in the original picture's coordinates
			regions = append(regions, r.scaled(1/s))
		}
	}
	if text, ok := d.tryRegions(g, regions); ok {
		return text, nil
	}
	if d.sawQR {
		return "", ErrNotInviteQR
	}
	return "", ErrNoQRCode
}

// tryImage reads img as it is and inverted, with both binarizers: first
// gozxing's own detector, then every plausible triple of finder patterns
// with every plausible code size. It returns the regions where codes may
// be, for a closer look.
func (d *qrDecoder) tryImage(img *image.Gray, stage string) (string, []region, bool) {
	src := luminance(img)
	var regions []region
	for _, inv := range []bool{false, true} {
		s := src
		if inv {
			s = src.Invert()
		}
		for _, bin := range []string{"hybrid", "global"} {
			if time.Now().After(d.deadline) {
				return "", regions, false
			}
			matrix, err := binarize(s, bin)
			if err != nil {
				continue
			}
			if text, ok := d.readMatrix(matrix, false); ok {
				d.note(fmt.Sprintf("%s/%s/inverted=%v/detector", stage, bin, inv))
				return text, nil, true
			}
			for _, tri := range finderTriples(matrix) {
				if text, ok := d.sampleTriple(matrix, tri); ok {
					d.note(fmt.Sprintf("%s/%s/inverted=%v/triple", stage, bin, inv))
					return text, nil, true
				}
				r := tri.region()
				r.inverted = inv
				regions = append(regions, r)
			}
		}
	}
	return "", regions, false
}

// tryRegions crops each region out of the original picture, enlarges it
// so a module is about 6 pixels, and reads it every way, PURE_BARCODE too.
func (d *qrDecoder) tryRegions(g *image.Gray, regions []region) (string, bool) {
	bounds := image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy())
	var done []image.Rectangle
next:
	for _, r := range regions {
		if time.Now().After(d.deadline) {
			break
		}
		rect := r.rect.Intersect(bounds)
		if rect.Dx() < 21 || rect.Dy() < 21 {
			continue
		}
		for _, o := range done {
			if overlap(o, rect) > 0.8 {
				continue next
			}
		}
		done = append(done, rect)
		crop := cropGray(g, rect, r.inverted)
		scale := 1.0
		if r.module > 0 && r.module < 6 {
			scale = math.Ceil(6 / r.module)
		}
		for _, sc := range []float64{scale, 1} {
			c := crop
			if sc != 1 {
				c = resize(crop, sc)
			}
			src := luminance(c)
			for _, bin := range []string{"global", "hybrid"} {
				matrix, err := binarize(src, bin)
				if err != nil {
					continue
				}
				for _, pure := range []bool{false, true} {
					if text, ok := d.readMatrix(matrix, pure); ok {
						d.note(fmt.Sprintf("region %v x%.0f/%s/pure=%v/inverted=%v", rect, sc, bin, pure, r.inverted))
						return text, true
					}
				}
				for _, tri := range finderTriples(matrix) {
					if text, ok := d.sampleTriple(matrix, tri); ok {
						d.note(fmt.Sprintf("region %v x%.0f/%s/triple/inverted=%v", rect, sc, bin, r.inverted))
						return text, true
					}
				}
			}
			if sc == 1 {
				break
			}
		}
	}
	return "", false
}

// overlap is the area of a∩b over the smaller area.
func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	small := min(a.Dx()*a.Dy(), b.Dx()*b.Dy())
	if small == 0 {
		return 0
	}
	return float64(in.Dx()*in.Dy()) / float64(small)
}

func (d *qrDecoder) note(stage string) {
	if d.trace != nil {
		d.trace(stage)
	}
}

func binarize(src gozxing.LuminanceSource, binarizer string) (m *gozxing.BitMatrix, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("binarizer panic: %v", r)
		}
	}()
	if binarizer == "global" {
		return gozxing.NewGlobalHistgramBinarizer(src).GetBlackMatrix()
	}
	return gozxing.NewHybridBinarizer(src).GetBlackMatrix()
}

var tryHarder = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}

// matrixBitmap wraps an already binarized matrix for QRCodeReader.
type matrixBinarizer struct {
	m *gozxing.BitMatrix
}

func (b matrixBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return nil }
func (b matrixBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.m.GetRow(y, row), nil
}
func (b matrixBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) { return b.m, nil }
func (b matrixBinarizer) CreateBinarizer(gozxing.LuminanceSource) gozxing.Binarizer {
	return b
}
func (b matrixBinarizer) GetWidth() int  { return b.m.GetWidth() }
func (b matrixBinarizer) GetHeight() int { return b.m.GetHeight() }

// readMatrix runs gozxing's QR reader (detector or PURE_BARCODE) on a
// binarized picture; ok only for an invite link.
func (d *qrDecoder) readMatrix(m *gozxing.BitMatrix, pure bool) (text string, ok bool) {
	d.attempts++
	defer func() {
		if r := recover(); r != nil { // never let a decoder bug take the app down
			text, ok = "", false
		}
	}()
	bmp, err := gozxing.NewBinaryBitmap(matrixBinarizer{m})
	if err != nil {
		return "", false
	}
	hints := tryHarder
	if pure {
		hints = map[gozxing.DecodeHintType]interface{}{
			gozxing.DecodeHintType_TRY_HARDER:   true,
			gozxing.DecodeHintType_PURE_BARCODE: true,
		}
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", false
	}
	return d.accept(res.GetText())
}

func (d *qrDecoder) accept(text string) (string, bool) {
	d.sawQR = true
	if indexFold(text, Scheme) < 0 {
		return "", false
	}
	return text, true
}

// triple is three finder patterns: top-left (at the right angle), top-right, bottom-left.
type triple struct {
	tl, tr, bl *detector.FinderPattern
	module     float64 // mean estimated module size
}

// region is a part of the picture that may hold a code.
type region struct {
	rect     image.Rectangle
	module   float64
	inverted bool
}

func (r region) scaled(f float64) region {
	return region{
		rect: image.Rect(int(float64(r.rect.Min.X)*f), int(float64(r.rect.Min.Y)*f),
			int(math.Ceil(float64(r.rect.Max.X)*f)), int(math.Ceil(float64(r.rect.Max.Y)*f))),
		module:   r.module * f,
		inverted: r.inverted,
	}
}

// region is the code's square around the triple, plus two modules of the
// quiet zone (a finder centre is 3.5 modules from the code's edge).
func (t triple) region() region {
	brx := t.tr.GetX() + t.bl.GetX() - t.tl.GetX()
	bry := t.tr.GetY() + t.bl.GetY() - t.tl.GetY()
	minX := math.Min(math.Min(t.tl.GetX(), t.tr.GetX()), math.Min(t.bl.GetX(), brx))
	maxX := math.Max(math.Max(t.tl.GetX(), t.tr.GetX()), math.Max(t.bl.GetX(), brx))
	minY := math.Min(math.Min(t.tl.GetY(), t.tr.GetY()), math.Min(t.bl.GetY(), bry))
	maxY := math.Max(math.Max(t.tl.GetY(), t.tr.GetY()), math.Max(t.bl.GetY(), bry))
	pad := 5.5 * t.module
	return region{
		rect:   image.Rect(int(minX-pad), int(minY-pad), int(math.Ceil(maxX+pad)), int(math.Ceil(maxY+pad))),
		module: t.module,
	}
}

// sampleTriple samples the code the triple spans at each plausible size
// and decodes it. gozxing derives the size from the finder patterns'
// estimated module size alone, and gives up when that is a little off — as
// it is for codes scaled by a non-integer factor, whose modules are
// alternately one pixel wider and narrower (a 49-module code scaled 2.6×
// is estimated at 47 modules and rejected). Screenshots are not
// perspective-distorted, so the affine grid through the three centres is
// enough.
func (d *qrDecoder) sampleTriple(m *gozxing.BitMatrix, t triple) (text string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			text, ok = "", false
		}
	}()
	dist := (gozxing.ResultPoint_Distance(t.tl, t.tr) + gozxing.ResultPoint_Distance(t.tl, t.bl)) / 2
	est := dist/t.module + 7
	slack := math.Max(4, est*0.1)
	var dims []int
	for dim := 21; dim <= 177; dim += 4 {
		if math.Abs(float64(dim)-est) <= slack {
			dims = append(dims, dim)
		}
	}
	sort.Slice(dims, func(i, j int) bool { return math.Abs(float64(dims[i])-est) < math.Abs(float64(dims[j])-est) })
	for _, dim := range dims {
		d.attempts++
		transform := detector.Detector_createTransform(t.tl, t.tr, t.bl, nil, dim)
		bits, err := detector.Detector_sampleGrid(m, transform, dim)
		if err != nil {
			continue
		}
		res, err := decoder.NewDecoder().Decode(bits, tryHarder)
		if err != nil {
			continue
		}
		return d.accept(res.GetText())
	}
	return "", false
}

// finderTriples looks for finder patterns over the whole picture (with
// gozxing's multi-code finder: the single-code one stops at the first three
// patterns it confirms, which in a busy screenshot are often bits of text)
// and returns every triple of the candidate centres that is shaped like a
// code's: similar module sizes, two equal sides at a right angle, top-right
// clockwise from bottom-left. Larger codes first.
func finderTriples(m *gozxing.BitMatrix) (out []triple) {
	defer func() {
		if r := recover(); r != nil {
			out = nil
		}
	}()
	f := mdetector.NewMultiFinderPatternFinder(m, nil)
	f.FindMulti(tryHarder) // for the candidate centres it collects; its own choice is among the triples below
	centres := f.GetPossibleCenters()
	if len(centres) > 30 { // keep the most often confirmed
		centres = append([]*detector.FinderPattern(nil), centres...)
		sort.SliceStable(centres, func(i, j int) bool { return centres[i].GetCount() > centres[j].GetCount() })
		centres = centres[:30]
	}
	for i := range centres {
		for j := range centres {
			for k := range centres {
				if i == j || j == k || i == k {
					continue
				}
				if t, ok := makeTriple(centres[i], centres[j], centres[k]); ok {
					out = append(out, t)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].module*gozxing.ResultPoint_Distance(out[i].tl, out[i].tr) >
			out[j].module*gozxing.ResultPoint_Distance(out[j].tl, out[j].tr)
	})
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}

// makeTriple checks that tl, tr, bl can be a code's finder patterns.
func makeTriple(tl, tr, bl *detector.FinderPattern) (triple, bool) {
	m := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if m <= 0 {
		return triple{}, false
	}
	for _, p := range []*detector.FinderPattern{tl, tr, bl} {
		if r := p.GetEstimatedModuleSize() / m; r < 0.7 || r > 1.4 {
			return triple{}, false
		}
	}
	ax, ay := tr.GetX()-tl.GetX(), tr.GetY()-tl.GetY()
	bx, by := bl.GetX()-tl.GetX(), bl.GetY()-tl.GetY()
	la, lb := math.Hypot(ax, ay), math.Hypot(bx, by)
	if la == 0 || lb == 0 || la/lb < 0.85 || la/lb > 1.18 {
		return triple{}, false
	}
	if cos := (ax*bx + ay*by) / (la * lb); math.Abs(cos) > 0.2 {
		return triple{}, false
	}
	if ax*by-ay*bx < 0 { // mirrored: not this orientation
		return triple{}, false
	}
	if modules := (la+lb)/2/m + 7; modules < 21-4 || modules > 177+4 {
		return triple{}, false
	}
	return triple{tl: tl, tr: tr, bl: bl, module: m}, true
}

// luminance wraps g's pixels for gozxing.
func luminance(g *image.Gray) gozxing.LuminanceSource {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	pix := make([]byte, w*h)
	for y := 0; y < h; y++ {
		copy(pix[y*w:(y+1)*w], g.Pix[y*g.Stride:])
	}
	return &graySource{gozxing.LuminanceSourceBase{Width: w, Height: h}, pix, w}
}

// cropGray copies r out of g, inverted if asked.
func cropGray(g *image.Gray, r image.Rectangle, invert bool) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		src := g.Pix[(r.Min.Y+y)*g.Stride+r.Min.X:]
		dst := out.Pix[y*out.Stride : y*out.Stride+r.Dx()]
		copy(dst, src)
		if invert {
			for x := range dst {
				dst[x] = 255 - dst[x]
			}
		}
	}
	return out
}

// resize scales g by s: area-averaging when shrinking, bilinear when enlarging.
func resize(g *image.Gray, s float64) *image.Gray {
	w := max(1, int(math.Round(float64(g.Rect.Dx())*s)))
	h := max(1, int(math.Round(float64(g.Rect.Dy())*s)))
	out := image.NewGray(image.Rect(0, 0, w, h))
	var k draw.Interpolator = draw.BiLinear
	if s < 1 {
		k = draw.ApproxBiLinear
		if s < 0.75 {
			k = draw.CatmullRom
		}
	}
	k.Scale(out, out.Rect, g, g.Rect, draw.Src, nil)
	return out
}

// graySource is a gozxing luminance source over 8-bit grey pixels.
type graySource struct {
	gozxing.LuminanceSourceBase
	pix   []byte
	width int
}

func (s *graySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.GetHeight() {
		return nil, fmt.Errorf("row %d out of range", y)
	}
	w := s.GetWidth()
	if len(row) < w {
		row = make([]byte, w)
	}
	copy(row, s.pix[y*s.width:y*s.width+w])
	return row, nil
}

func (s *graySource) GetMatrix() []byte { return s.pix }

func (s *graySource) Invert() gozxing.LuminanceSource {
	pix := make([]byte, len(s.pix))
	for i, v := range s.pix {
		pix[i] = 255 - v
	}
	return &graySource{s.LuminanceSourceBase, pix, s.width}
}

func (s *graySource) String() string {
	return fmt.Sprintf("graySource %dx%d", s.GetWidth(), s.GetHeight())
}
