package evidence

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func TestPDFText(t *testing.T) {
	tests := []struct {
		in, want string // want is UTF-8: what the PDF shows
	}{
		{"1Z999AA10123456784", "1Z999AA10123456784"},
		{"Zoë Müller", "Zoë Müller"},
		{"Straße, Ærøskøbing", "Straße, Ærøskøbing"},
		{"“quoted” – €12 …", "“quoted” – €12 …"},
		{"Łódź", "Lódz"},
		{"Łukasz Żółć", "Lukasz Zólc"},
		{"Dvořák Ősz", "Dvorák Osz"},
		{"İstanbul ı", "Istanbul i"},
		{"東京", "??"},
		{"Москва", "??????"},
		{"📦 delivered", "? delivered"},
		{"line\nbreak\ttab\x00nul", "line break tab nul"},
		{"a → b", "a -> b"},
		{"\xff invalid", "? invalid"},
	}
	for _, tt := range tests {
		got := pdfText(tt.in)
		dec, err := charmap.Windows1252.NewDecoder().String(got)
		if err != nil {
			t.Fatalf("decode pdfText(%q) as Windows-1252: %v", tt.in, err)
		}
		if dec != tt.want {
			t.Errorf("pdfText(%q) = %q, want %q", tt.in, dec, tt.want)
		}
	}
}

func FuzzPDFText(f *testing.F) {
	for _, s := range []string{"Zoë", "東京", "Łódź", "\x00\xff", "📦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := pdfText(s)
		// One byte or a short fold per rune, never a control byte fpdf
		// would print as garbage.
		if len(got) < utf8.RuneCountInString(s) {
			t.Errorf("pdfText(%q) = %q, shorter than its runes", s, got)
		}
		if i := strings.IndexFunc(got, func(r rune) bool { return r < 0x20 }); i >= 0 {
			t.Errorf("pdfText(%q) = %q, has a control byte at %d", s, got, i)
		}
	})
}

// FuzzRenderText renders packs with arbitrary text in every kind of field
// the renderer wraps: whatever a carrier sends, the PDF is made.
func FuzzRenderText(f *testing.F) {
	f.Add("Zoë Müller", "Delivered, front porch", "1Z999AA10123456784")
	f.Add("東京", strings.Repeat("x", 3000), "")
	f.Add("", "\n\n\n", "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-0-1-2-3-4-5-6-7-8-9")
	p := samplePack(f, 3)
	f.Fuzz(func(t *testing.T, name, desc, ref string) {
		q := p
		q.Timeline = append([]TimelineEvent(nil), p.Timeline...)
		q.Timeline[0].Description = desc
		q.Timeline[0].Location.City = ref
		q.Proofs = append([]Proof(nil), p.Proofs...)
		q.Proofs[0].SignedBy = name
		q.Proofs[0].CarrierReference = ref
		q.Seller.Name = name
		q.Shipment.TrackingNumber = ref
		var buf bytes.Buffer
		if err := RenderPDF(&buf, q); err != nil {
			t.Errorf("RenderPDF(name %q, desc %q, ref %q) = %v", name, desc, ref, err)
		}
	})
}
