package evidence

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

var pdfDir = flag.String("pdf-dir", "", "also write every PDF TestRenderPDF renders to this directory, to look at them")

// extractText extracts the text of a PDF, all pages, with a Go PDF reader
// that decodes fpdf's compressed streams and WinAnsi fonts.
func extractText(t *testing.T, doc []byte) (text string, pages int) {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatalf("pdf.NewReader() = %v", err)
	}
	rd, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("GetPlainText() = %v", err)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("read text: %v", err)
	}
	return string(b), r.NumPage()
}

func render(t *testing.T, p Pack) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, p); err != nil {
		t.Fatalf("RenderPDF() = %v", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("RenderPDF() wrote %q..., want a PDF", buf.Bytes()[:min(buf.Len(), 8)])
	}
	return buf.Bytes()
}

func TestRenderPDF(t *testing.T) {
	tests := []struct {
		name     string
		pack     func(t *testing.T) Pack
		want     []string
		notWant  []string
		maxPages int
	}{
		{
			name: "typical shipment",
			pack: func(t *testing.T) Pack { return samplePack(t, 10) },
			want: []string{
				"Delivery evidence",
				"1Z999AA10123456784",
				"Zoë Müller",
				"Evidence chain intact: 11 records verified",
				"Delivered 2026-11-19 14:20 UTC, 1 day before the promised 2026-11-20.",
				"AZ-114-2231907",
				"45.518731, -122.679402",
				"SHA-256 matches the record",
				"Page 1 of 2",
				"Generated 2026-11-25 09:30 UTC",
			},
			notWant:  []string{"does NOT match", "cannot be shown"},
			maxPages: 2,
		},
		{
			name: "broken chain",
			pack: func(t *testing.T) Pack {
				p := samplePack(t, 10)
				rs := Link(records(p))
				e := rs[3].Record.(EventRecord)
				e.Description = "Delivered to neighbour"
				rs[3].Record = e
				p.Timeline, p.Proofs, p.Verification = Chain(rs)
				return p
			},
			want:     []string{"Evidence chain BROKEN at record #4 (event 1003): content changed"},
			notWant:  []string{"Evidence chain intact"},
			maxPages: 2,
		},
		{
			name: "60 events flow onto more pages",
			pack: func(t *testing.T) Pack { return samplePack(t, 60) },
			want: []string{
				"Evidence chain intact: 61 records verified",
				"Tracking timeline (60 events, times in UTC)",
				"Page 3 of",
			},
			maxPages: 6,
		},
		{
			name: "text outside Windows-1252",
			pack: func(t *testing.T) Pack {
				p := samplePack(t, 3)
				p.Seller.Name = "東京 Trading"
				p.Proofs[0].SignedBy = "Łukasz Żółć"
				p.Proofs[0].LocationDescription = "玄関 🚪 " + strings.Repeat("very long description ", 40)
				p.Shipment.Destination.City = "Zoë's Straße"
				return p
			},
			want: []string{"?? Trading", "Lukasz Zólc", "Zoë's Straße"},
		},
		{
			name: "images missing, unreadable or not matching",
			pack: func(t *testing.T) Pack {
				p := samplePack(t, 3)
				p.Proofs[0].Photo = &Image{ContentType: ContentTypePNG, Bytes: []byte("\x89PNG\r\n\x1a\n garbage")}
				p.Proofs[0].Signature.Bytes = photoPNG(t)
				p.Proofs = append(p.Proofs, Proof{Seq: 99, ProofRecord: ProofRecord{ID: "pod-2", PhotoSHA256: "ab"}})
				return p
			},
			want: []string{
				"Photo cannot be shown: decode image",
				"SHA-256 does NOT match the record",
				"Photo not attached to this pack",
				"No signature recorded",
				"Proof of delivery 2 of 2",
			},
		},
		{
			name: "empty pack",
			pack: func(*testing.T) Pack { return Pack{Verification: Verify(nil)} },
			want: []string{"No carrier events recorded.", "No proof of delivery recorded.", "Evidence chain intact: 0 records verified"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := render(t, tt.pack(t))
			if *pdfDir != "" {
				name := filepath.Join(*pdfDir, strings.ReplaceAll(tt.name, " ", "-")+".pdf")
				if err := os.WriteFile(name, doc, 0o644); err != nil {
					t.Fatalf("write %s: %v", name, err)
				}
			}
			text, pages := extractText(t, doc)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("RenderPDF() text does not contain %q; text:\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("RenderPDF() text contains %q, want it absent", w)
				}
			}
			if tt.maxPages > 0 && pages > tt.maxPages {
				t.Errorf("RenderPDF() = %d pages, want at most %d", pages, tt.maxPages)
			}
		})
	}
}

// records rebuilds the chain of a pack from its timeline and proofs.
func records(p Pack) []Record {
	var out []Record
	for _, e := range p.Timeline {
		out = append(out, e.EventRecord)
	}
	for _, pr := range p.Proofs {
		out = append(out, pr.ProofRecord)
	}
	return out
}

// TestRenderPDFDeterministic: the same pack renders to the same bytes, so
// a pack sent to a marketplace can be rendered again and compared.
func TestRenderPDFDeterministic(t *testing.T) {
	p := samplePack(t, 10)
	a, b := render(t, p), render(t, p)
	if !bytes.Equal(a, b) {
		t.Errorf("RenderPDF() twice = different bytes, want identical")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestRenderPDFWriteError(t *testing.T) {
	if err := RenderPDF(failingWriter{}, samplePack(t, 2)); err == nil {
		t.Errorf("RenderPDF(failing writer) = nil, want an error")
	}
}

func BenchmarkRenderPDF(b *testing.B) {
	p := samplePack(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderPDF(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
