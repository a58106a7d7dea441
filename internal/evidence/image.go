package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
)

// The image content types an evidence pack can embed: the ones the PDF
// library draws.
const (
	ContentTypePNG  = "image/png"
	ContentTypeJPEG = "image/jpeg"
	ContentTypeGIF  = "image/gif"
)

// ErrUnsupportedImage is returned, wrapped with what was seen, for bytes
// that are not a PNG, JPEG or GIF image.
var ErrUnsupportedImage = errors.New("unsupported image")

// signature is a magic number at a fixed offset of a file format.
type signature struct {
	offset int
	magic  string
	name   string
}

// drawable are the formats SniffImage accepts, with their content types.
var drawable = []struct {
	signature
	contentType string
}{
	{signature{0, "\x89PNG\r\n\x1a\n", "PNG"}, ContentTypePNG},
	{signature{0, "\xff\xd8\xff", "JPEG"}, ContentTypeJPEG},
	{signature{0, "GIF87a", "GIF"}, ContentTypeGIF},
	{signature{0, "GIF89a", "GIF"}, ContentTypeGIF},
}

// known are formats a proof image plausibly arrives in but that cannot be
// embedded; naming them makes the error actionable (an iPhone's HEIC photo
// must be converted by whoever uploads it).
var known = []signature{
	{8, "WEBP", "WebP image"},
	{4, "ftypheic", "HEIC image"},
	{4, "ftypheix", "HEIC image"},
	{4, "ftypmif1", "HEIF image"},
	{4, "ftypavif", "AVIF image"},
	{0, "II*\x00", "TIFF image"},
	{0, "MM\x00*", "TIFF image"},
	{0, "BM", "BMP image"},
	{0, "%PDF-", "PDF document"},
	{0, "\x00\x00\x01\x00", "ICO image"},
	{0, "<svg", "SVG image"},
}

// SniffImage decides from its first bytes, never from a file name, whether
// b is a PNG, JPEG or GIF image and returns its content type. Anything
// else is an error wrapping ErrUnsupportedImage that says what the bytes
// look like. It checks the magic number only; RenderPDF decodes the image
// and draws a placeholder when it cannot.
func SniffImage(b []byte) (contentType string, err error) {
	if len(b) == 0 {
		return "", fmt.Errorf("%w: empty", ErrUnsupportedImage)
	}
	for _, f := range drawable {
		if f.matches(b) {
			return f.contentType, nil
		}
	}
	for _, s := range known {
		if s.matches(b) {
			return "", fmt.Errorf("%w: %s, want PNG, JPEG or GIF", ErrUnsupportedImage, s.name)
		}
	}
	head := b[:min(len(b), 8)]
	return "", fmt.Errorf("%w: %s starting %x, want PNG, JPEG or GIF",
		ErrUnsupportedImage, http.DetectContentType(b), head)
}

func (s signature) matches(b []byte) bool {
	end := s.offset + len(s.magic)
	return len(b) >= end && bytes.Equal(b[s.offset:end], []byte(s.magic))
}

// NewImage returns the Image of a pack for the bytes b of a photo or
// signature, with its sniffed content type and its SHA-256; url is where
// it can be fetched, if anywhere. It fails for bytes SniffImage refuses.
func NewImage(b []byte, url string) (Image, error) {
	ct, err := SniffImage(b)
	if err != nil {
		return Image{}, err
	}
	sum := sha256.Sum256(b)
	return Image{ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Bytes: b, URL: url}, nil
}
