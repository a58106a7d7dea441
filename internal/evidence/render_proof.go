package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// maxPixels bounds the images RenderPDF decodes: a proof photo is a phone
// picture, and a crafted header must not make the renderer allocate
// gigabytes.
const maxPixels = 50_000_000

// Image boxes in millimetres: images are scaled to fit, keeping their
// aspect ratio.
const (
	photoBoxW, photoBoxH = 80.0, 52.0
	signBoxW, signBoxH   = 80.0, 28.0
	captionH             = 3.6
	// proofHeight is about what one proof takes below its heading.
	proofHeight = 26 + photoBoxH + 3*captionH + 4
)

func (r *renderer) proofs() {
	if len(r.p.Proofs) == 0 {
		r.heading("Proof of delivery", 10)
		r.font("I", 9, colorMuted)
		r.text(r.width, 6, "No proof of delivery recorded.", "L")
		r.f.Ln(9)
		return
	}
	for i, pr := range r.p.Proofs {
		title := "Proof of delivery"
		if len(r.p.Proofs) > 1 {
			title += fmt.Sprintf(" %d of %d", i+1, len(r.p.Proofs))
		}
		// Keep a proof's details and its images on one page.
		r.heading(title, proofHeight)
		r.proof(i, pr)
	}
}

func (r *renderer) proof(n int, pr Proof) {
	location, coords := pr.LocationDescription, coordinates(pr.Latitude, pr.Longitude)
	if scan, ok := r.eventOf(pr); ok {
		// A carrier's proof: the carrier gives its delivery scan's place,
		// rarely coordinates.
		if l := place(scan.Location); l != "" {
			location = strings.TrimSpace(location + " " + l + " (carrier's delivery scan, #" + strconv.Itoa(scan.Seq) + ")")
		}
		if coords == "" {
			coords = "not given by the carrier"
		}
	} else if coords == "" {
		coords = "not recorded"
	}
	r.grid(4, []field{
		{label: "Delivered", value: r.when(pr.DeliveredAt), bold: true},
		{label: "Signed by", value: pr.SignedBy, bold: true},
		{label: "Coordinates", value: coords},
		{label: "Location", value: location},
		{label: "Carrier reference", value: pr.CarrierReference},
		{label: "Source", value: sourceName(pr.Source)},
		{label: "Recorded", value: r.when(pr.RecordedAt)},
		{label: "Record", value: "#" + strconv.Itoa(pr.Seq) + " in the hash chain"},
	})
	r.ensure(photoBoxH + 3*captionH + 4)
	f := r.f
	x, y := f.GetX(), f.GetY()
	h1 := r.image(fmt.Sprintf("photo-%d", n), "Photo", pr.Photo, pr.PhotoSHA256, x, y, photoBoxW, photoBoxH)
	h2 := r.image(fmt.Sprintf("signature-%d", n), "Signature", pr.Signature, pr.SignatureSHA256, x+photoBoxW+r.width-2*photoBoxW, y, signBoxW, signBoxH)
	f.SetXY(x, y+max(h1, h2)+4)
}

// image draws one proof image scaled into a w by h box at (x, y) with a
// caption saying whether its bytes match the hash in the record, and
// returns the height it used. A missing or undecodable image becomes a
// framed placeholder naming the problem.
func (r *renderer) image(name, label string, img *Image, recorded string, x, y, w, h float64) float64 {
	f := r.f
	drawn := h
	var problem string
	switch {
	case img == nil && recorded == "":
		problem = "No " + strings.ToLower(label) + " recorded"
	case img == nil || len(img.Bytes) == 0:
		problem = label + " not attached to this pack"
	default:
		data, kind, err := embeddable(img.Bytes)
		if err != nil {
			problem = label + " cannot be shown: " + err.Error()
			break
		}
		info := f.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: kind}, bytes.NewReader(data))
		if info == nil || f.Err() {
			// Cannot happen for images embeddable produced; fpdf's error is
			// sticky and RenderPDF reports it.
			return h
		}
		iw, ih := info.Width(), info.Height()
		scale := min(w/iw, h/ih)
		f.ImageOptions(name, x, y, iw*scale, ih*scale, false, fpdf.ImageOptions{ImageType: kind}, 0, "")
		f.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
		f.SetLineWidth(0.2)
		f.Rect(x, y, iw*scale, ih*scale, "D")
		drawn = ih * scale
	}
	if problem != "" {
		drawn = min(h, 18)
		r.fill(colorBox)
		f.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
		f.Rect(x, y, w, drawn, "FD")
		r.font("I", 8, colorMuted)
		for i, l := range r.lines(problem, w-2, 3) {
			f.SetXY(x, y+2+float64(i)*4)
			f.CellFormat(w, 4, l, "", 0, "L", false, 0, "")
		}
	}
	cy := y + drawn + 1
	r.font("B", 7.5, colorInk)
	f.SetXY(x, cy)
	r.text(w, captionH, label+captionType(img), "L")
	r.imageCheck(img, recorded, x, cy+captionH, w)
	return drawn + 1 + 3*captionH
}

// captionType names the image's type as its bytes say, else as declared.
func captionType(img *Image) string {
	if img == nil {
		return ""
	}
	ct := img.ContentType
	if sniffed, err := SniffImage(img.Bytes); err == nil {
		ct = sniffed
	}
	if ct == "" {
		return ""
	}
	return " (" + ct + ")"
}

// imageCheck prints the image's SHA-256 against the one in the record.
func (r *renderer) imageCheck(img *Image, recorded string, x, y, w float64) {
	f := r.f
	recorded = strings.ToLower(recorded)
	var verdict string
	c := colorMuted
	switch {
	case img == nil || len(img.Bytes) == 0:
		if recorded != "" {
			verdict = "recorded SHA-256 " + short(recorded)
		}
		if img != nil && img.URL != "" {
			verdict = strings.TrimSpace(verdict + " " + img.URL)
		}
	case recorded == "":
		verdict = "no SHA-256 recorded for this image"
		c = colorBad
	default:
		sum := sha256.Sum256(img.Bytes)
		if hex.EncodeToString(sum[:]) == recorded {
			verdict = "SHA-256 matches the record: " + short(recorded)
			c = colorGood
		} else {
			verdict = "SHA-256 does NOT match the record (" + short(recorded) + ")"
			c = colorBad
		}
	}
	r.font("", 7, c)
	for i, l := range r.lines(verdict, w, 2) {
		f.SetXY(x, y+float64(i)*captionH)
		f.CellFormat(w, captionH, l, "", 0, "L", false, 0, "")
	}
}

// embeddable decodes b and returns bytes fpdf can embed with their fpdf
// image type. A JPEG is embedded as it is; PNG and GIF are re-encoded as
// 8-bit non-interlaced PNG, the only PNG fpdf reads. Decoding first also
// keeps a corrupt image from failing the whole document.
func embeddable(b []byte) (data []byte, kind string, err error) {
	ct, err := SniffImage(b)
	if err != nil {
		return nil, "", err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("decode image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, "", fmt.Errorf("image of %dx%d pixels is out of bounds", cfg.Width, cfg.Height)
	}
	var img image.Image
	switch ct {
	case ContentTypeJPEG:
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			return nil, "", fmt.Errorf("decode jpeg: %w", err)
		}
		return b, "JPG", nil
	case ContentTypeGIF:
		img, err = gif.Decode(bytes.NewReader(b))
	default:
		img, err = png.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", fmt.Errorf("decode image: %w", err)
	}
	rgba := image.NewNRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgba); err != nil {
		return nil, "", fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), "PNG", nil
}

// coordinates prints a position as "51.500729, -0.124625" (6 decimals,
// about 10 cm).
func coordinates(lat, lon *float64) string {
	if lat == nil || lon == nil {
		return ""
	}
	return strconv.FormatFloat(*lat, 'f', 6, 64) + ", " + strconv.FormatFloat(*lon, 'f', 6, 64)
}

// eventOf is the timeline event a carrier's proof came from.
func (r *renderer) eventOf(pr Proof) (TimelineEvent, bool) {
	if pr.EventID == "" {
		return TimelineEvent{}, false
	}
	for _, e := range r.p.Timeline {
		if e.ID == pr.EventID {
			return e, true
		}
	}
	return TimelineEvent{}, false
}
