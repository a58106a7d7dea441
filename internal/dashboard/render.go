package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageData is what every page template gets: the layout's data and the
// page's own (Page).
type pageData struct {
	Title  string
	Nav    string
	Seller store.Seller
	CSRF   string
	Page   any
	loc    *time.Location
}

// When prints an instant in the seller's time zone: "2026-11-19 09:02 EST".
func (p pageData) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := p.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// WhenPtr is When for an optional instant ("" for none).
func (p pageData) WhenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return p.When(*t)
}

// Zone is the seller's time zone name.
func (p pageData) Zone() string {
	if p.loc == nil {
		return "UTC"
	}
	return p.loc.String()
}

var funcs = template.FuncMap{
	// label turns an enum value into words: "OUT_FOR_DELIVERY" reads
	// "Out for delivery".
	"label": label,
	// carrier names a carrier code as people write it.
	"carrier": tracking.CarrierName,
	// disputeKind names a dispute kind as the marketplaces write it.
	"disputeKind": func(k string) string { return shipment.DisputeKind(k).Label() },
	// pct prints a rate from 0 to 1 as a percentage, "-" for none.
	"pct": func(r *float64) string {
		if r == nil {
			return "–"
		}
		return strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
	},
	"lower": strings.ToLower,
	// ptr makes a rate printable by pct.
	"ptr": func(f float64) *float64 { return &f },
	// format names a file format as people do.
	"format": func(f string) string { return ingest.Format(f).Name() },
}

func label(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(s[:1]) + s[1:]
}

// pages holds each page's template, parsed with the layout.
type pages struct {
	t map[string]*template.Template
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// render writes a page; a template error is a bug, answered as such.
func (p *pages) render(w http.ResponseWriter, r *http.Request, code int, name string, data pageData) {
	t, ok := p.t[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "page "+name+" failed (request "+auth.RequestID(r.Context())+"): "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// contentSecurityPolicy allows the dashboard's own scripts and styles only:
// no inline script (data for charts travels as JSON in non-executed script
// elements), no other origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// data is the layout's data for a signed-in page.
func (h *Dashboard) data(s session, nav, title string, page any) pageData {
	var loc *time.Location
	if s.Seller.TimeZone != "" {
		if l, err := time.LoadLocation(s.Seller.TimeZone); err == nil {
			loc = l
		}
	}
	return pageData{Title: title, Nav: nav, Seller: s.Seller, CSRF: s.csrf, Page: page, loc: loc}
}

// staticHandler serves the embedded styles, scripts and Chart.js; their
// names do not change with their content, so browsers revalidate.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic("dashboard: " + err.Error()) // embedded: cannot happen
	}
	files := http.StripPrefix("/app/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
