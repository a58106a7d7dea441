package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"
)

func gifBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 40, 20), color.Palette{color.White, color.Black})
	img.SetColorIndex(5, 5, 1)
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatalf("gif.Encode() = %v", err)
	}
	return buf.Bytes()
}

// png16 is a 16-bit grey PNG with transparency, which fpdf cannot read
// as it is.
func png16(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA64(image.Rect(0, 0, 60, 30))
	for x := range 60 {
		img.Set(x, 15, color.NRGBA64{0x1000, 0x2000, 0x8000, 0xffff})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("png.Encode() = %v", err)
	}
	return buf.Bytes()
}

func TestSniffImage(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    string
		wantErr string
	}{
		{"png", photoPNG(t), ContentTypePNG, ""},
		{"jpeg", signatureJPEG(t), ContentTypeJPEG, ""},
		{"gif", gifBytes(t), ContentTypeGIF, ""},
		{"gif87a", []byte("GIF87a\x01\x00"), ContentTypeGIF, ""},
		{"empty", nil, "", "empty"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "", "WebP image"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "", "HEIC image"},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), "", "TIFF image"},
		{"bmp", []byte("BM\x36\x00\x00\x00"), "", "BMP image"},
		{"pdf", []byte("%PDF-1.7\n"), "", "PDF document"},
		{"html", []byte("<html><body>not found</body></html>"), "", "text/html"},
		{"png name, text bytes", []byte("photo.png"), "", "text/plain; charset=utf-8 starting 70686f746f2e706e"},
		{"truncated png magic", []byte("\x89PNG"), "", "starting 89504e47"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SniffImage(tt.b)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("SniffImage(%s) = %q, %v, want %q, nil", tt.name, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrUnsupportedImage) {
				t.Errorf("SniffImage(%s) = %q, %v, want an ErrUnsupportedImage naming %q", tt.name, got, err, tt.wantErr)
			}
		})
	}
}

func TestNewImage(t *testing.T) {
	b := photoPNG(t)
	img, err := NewImage(b, "https://pod.example/1.png")
	if err != nil {
		t.Fatalf("NewImage(png) = %v", err)
	}
	want := Image{ContentType: ContentTypePNG, SHA256: hexSHA(b), Bytes: b, URL: "https://pod.example/1.png"}
	if img.ContentType != want.ContentType || img.SHA256 != want.SHA256 || img.URL != want.URL {
		t.Errorf("NewImage(png) = %+v, want %+v", img, want)
	}
	if _, err := NewImage([]byte("RIFF\x00\x00\x00\x00WEBP"), ""); !errors.Is(err, ErrUnsupportedImage) {
		t.Errorf("NewImage(webp) = %v, want ErrUnsupportedImage", err)
	}
}

// TestEmbeddable covers the images fpdf would refuse or choke on as they
// are: each becomes something fpdf embeds, or an error the PDF shows in a
// placeholder.
func TestEmbeddable(t *testing.T) {
	huge := func() []byte {
		// A valid PNG header claiming 100000x100000 pixels.
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
		binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
		return b
	}()
	tests := []struct {
		name     string
		b        []byte
		wantKind string
		wantErr  string
	}{
		{"jpeg as it is", signatureJPEG(t), "JPG", ""},
		{"png", photoPNG(t), "PNG", ""},
		{"16-bit png", png16(t), "PNG", ""},
		{"gif", gifBytes(t), "PNG", ""},
		{"corrupt png", []byte("\x89PNG\r\n\x1a\nnonsense"), "", "decode image"},
		{"corrupt jpeg", signatureJPEG(t)[:300], "", "decode image"},
		{"huge", huge, "", "out of bounds"},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBP"), "", "WebP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, kind, err := embeddable(tt.b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("embeddable(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil || kind != tt.wantKind || len(data) == 0 {
				t.Errorf("embeddable(%s) = %d bytes, %q, %v, want %q", tt.name, len(data), kind, err, tt.wantKind)
			}
		})
	}
}

// TestRenderPDFImageFormats renders every accepted format, including the
// ones that need re-encoding, without failing the document.
func TestRenderPDFImageFormats(t *testing.T) {
	for name, b := range map[string][]byte{"gif": gifBytes(t), "16-bit png": png16(t), "jpeg": signatureJPEG(t)} {
		p := samplePack(t, 2)
		img, err := NewImage(b, "")
		if err != nil {
			t.Fatalf("NewImage(%s) = %v", name, err)
		}
		p.Proofs[0].Photo, p.Proofs[0].PhotoSHA256 = &img, img.SHA256
		text, _ := extractText(t, render(t, p))
		if strings.Contains(text, "cannot be shown") {
			t.Errorf("RenderPDF(%s photo) drew a placeholder, want the image", name)
		}
	}
}

func FuzzSniffImage(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, err := SniffImage(b)
		if (err == nil) == (ct == "") {
			t.Errorf("SniffImage(%q) = %q, %v, want a content type or an error", b, ct, err)
		}
		if err != nil && !errors.Is(err, ErrUnsupportedImage) {
			t.Errorf("SniffImage(%q) = %v, want ErrUnsupportedImage", b, err)
		}
		// embeddable must never panic, whatever the bytes.
		if _, _, err := embeddable(b); err == nil && ct == "" {
			t.Errorf("embeddable(%q) = nil error for bytes SniffImage refuses", b)
		}
	})
}
