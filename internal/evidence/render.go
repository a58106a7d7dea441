package evidence

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// Page geometry in millimetres (A4 portrait) and the palette. The footer
// lives in the bottom margin, below the automatic page break.
const (
	pageMargin   = 15.0
	bottomMargin = 18.0
	nbAlias      = "{nb}"
	// cellMargin is the padding fpdf leaves inside a cell on each side.
	cellMargin = 1.2
	// maxText bounds the bytes of one value the PDF draws; the JSON pack
	// keeps all of it.
	maxText = 2000
)

type rgb struct{ r, g, b int }

var (
	colorInk     = rgb{33, 37, 41}
	colorMuted   = rgb{108, 117, 125}
	colorAccent  = rgb{13, 71, 161}
	colorRule    = rgb{206, 212, 218}
	colorBox     = rgb{244, 246, 249}
	colorHeader  = rgb{229, 234, 241}
	colorZebra   = rgb{248, 249, 251}
	colorGoodBg  = rgb{222, 244, 228}
	colorGood    = rgb{22, 101, 52}
	colorBadBg   = rgb{253, 228, 228}
	colorBad     = rgb{176, 0, 32}
	colorPlainBg = rgb{236, 239, 243}
	colorWarnBg  = rgb{255, 243, 205}
	colorWarn    = rgb{122, 74, 0}
)

// renderer draws one pack on one document.
type renderer struct {
	f *fpdf.Fpdf
	p Pack
	// width is the width between the margins.
	width float64
	// loc is the seller's time zone; nil when it is UTC or unknown (then
	// times are printed in UTC only).
	loc *time.Location
}

// RenderPDF writes p as a PDF document to w: the dispute, the order and
// shipment, the promise verdict, the tracking timeline, each proof of
// delivery with its photo and signature, every record's hashes and the
// chain verification, with the generation time and page numbers in the
// footer. A typical shipment fits on one or two A4 pages; long timelines
// flow onto more. Text is drawn with the PDF core fonts in Windows-1252:
// characters outside it are folded or replaced (see pdfText), the JSON
// pack keeps them. An image that cannot be decoded is drawn as a labelled
// placeholder rather than failing the document. The output depends only
// on p, so the same pack renders to the same bytes.
func RenderPDF(w io.Writer, p Pack) error {
	f := fpdf.New("P", "mm", "A4", "")
	pageW, _ := f.GetPageSize()
	r := &renderer{f: f, p: p, width: pageW - 2*pageMargin, loc: sellerZone(p.Seller.TimeZone)}
	f.SetMargins(pageMargin, pageMargin, pageMargin)
	f.SetAutoPageBreak(true, bottomMargin)
	f.SetCellMargin(cellMargin)
	f.AliasNbPages(nbAlias)
	f.SetTitle("Delivery evidence, dispute "+r.disputeName(), true)
	f.SetSubject("Delivery evidence for order "+p.Shipment.OrderID, true)
	f.SetAuthor(p.Seller.Name, true)
	f.SetCreator("Shipwatch", true)
	f.SetCreationDate(p.GeneratedAt.UTC())
	f.SetModificationDate(p.GeneratedAt.UTC())
	// Sorted catalogs make the output depend on p alone, not on map order.
	f.SetCatalogSort(true)
	f.SetFooterFunc(r.footer)
	f.AddPage()

	r.title()
	r.disputeBox()
	r.shipmentBox()
	r.banners()
	r.findings()
	r.timeline()
	r.proofs()
	r.hashes()
	r.checkpoint()

	if err := f.Error(); err != nil {
		return fmt.Errorf("render evidence pdf: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write evidence pdf: %w", err)
	}
	return nil
}

func (r *renderer) font(style string, size float64, c rgb) {
	r.f.SetFont("Helvetica", style, size)
	r.f.SetTextColor(c.r, c.g, c.b)
}

func (r *renderer) mono(style string, size float64, c rgb) {
	r.f.SetFont("Courier", style, size)
	r.f.SetTextColor(c.r, c.g, c.b)
}

func (r *renderer) fill(c rgb) { r.f.SetFillColor(c.r, c.g, c.b) }

// text draws s (translated for the core fonts) on one line of a cell of
// width w, cut with "..." when it is too long.
func (r *renderer) text(w, h float64, s, align string) {
	r.f.CellFormat(w, h, r.lines(s, w, 1)[0], "", 0, align, false, 0, "")
}

// lines wraps s into lines that fit width w in the current font, at most
// limit of them (the last one ends with "..." when text was cut). Words too
// long for a line (ids, references, URLs) break after a hyphen or slash
// when they have one.
func (r *renderer) lines(s string, w float64, limit int) []string {
	words := strings.Fields(pdfText(s[:min(len(s), maxText)]))
	avail := w - 2*cellMargin
	var out []string
	cur := ""
	for _, word := range words {
		if cand := strings.TrimSpace(cur + " " + word); r.f.GetStringWidth(cand) <= avail {
			cur = cand
			continue
		}
		if cur != "" {
			out = append(out, cur)
		}
		for r.f.GetStringWidth(word) > avail && len(out) <= limit {
			head, tail := r.breakWord(word, avail)
			out = append(out, head)
			word = tail
		}
		cur = word
		if len(out) > limit {
			break
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	if len(out) > limit {
		out = out[:limit]
		out[limit-1] = strings.TrimRight(out[limit-1], " ") + "..."
	}
	return out
}

// breakWord splits a word too wide for avail into the longest head that
// fits, preferring to end it after a hyphen or slash, and the rest.
func (r *renderer) breakWord(word string, avail float64) (head, tail string) {
	n := 1
	for n < len(word) && r.f.GetStringWidth(word[:n+1]) <= avail {
		n++
	}
	if i := strings.LastIndexAny(word[:n], "-/"); i > 0 && n < len(word) {
		n = i + 1
	}
	return word[:n], word[n:]
}

// ensure starts a new page when fewer than h millimetres are left on this
// one, and reports whether it did.
func (r *renderer) ensure(h float64) bool {
	_, pageH := r.f.GetPageSize()
	if r.f.GetY()+h <= pageH-bottomMargin {
		return false
	}
	r.f.AddPage()
	return true
}

func (r *renderer) footer() {
	f := r.f
	f.SetY(-12)
	f.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
	f.SetLineWidth(0.2)
	f.Line(pageMargin, f.GetY(), pageMargin+r.width, f.GetY())
	f.Ln(1.5)
	r.font("", 7.5, colorMuted)
	left := "Shipwatch delivery evidence, dispute " + r.disputeName() +
		". Generated " + stamp(r.p.GeneratedAt) + "."
	r.text(r.width*0.8, 4, left, "L")
	r.f.CellFormat(r.width*0.2, 4, fmt.Sprintf("Page %d of %s", f.PageNo(), nbAlias), "", 0, "R", false, 0, "")
}

func (r *renderer) title() {
	f := r.f
	r.font("B", 20, colorInk)
	r.text(r.width*0.6, 10, "Delivery evidence", "L")
	r.font("", 8.5, colorMuted)
	r.text(r.width*0.4, 5, "Generated "+stamp(r.p.GeneratedAt), "R")
	f.Ln(10)
	r.font("", 10, colorMuted)
	sub := "Dispute " + r.disputeName()
	if r.p.Seller.Name != "" {
		sub += " against " + r.p.Seller.Name
	}
	if r.p.Shipment.OrderID != "" {
		sub += ", order " + r.p.Shipment.OrderID
	}
	r.text(r.width, 5, sub, "L")
	f.Ln(8)
}

// heading draws a section title with a rule under it, keeping at least
// keep millimetres of the section's start on the same page.
func (r *renderer) heading(s string, keep float64) {
	r.ensure(10 + keep)
	f := r.f
	r.font("B", 11.5, colorAccent)
	r.text(r.width, 6, s, "L")
	f.Ln(6.5)
	f.SetDrawColor(colorAccent.r, colorAccent.g, colorAccent.b)
	f.SetLineWidth(0.3)
	f.Line(pageMargin, f.GetY(), pageMargin+r.width, f.GetY())
	f.Ln(2)
}

func (r *renderer) disputeBox() {
	d := r.p.Dispute
	amount := strings.TrimSpace(d.Amount + " " + d.Currency)
	r.heading("Dispute", 20)
	r.grid(4, []field{
		{label: "Dispute", value: d.ID},
		{label: "Kind", value: shipment.DisputeKind(d.Kind).Label()},
		{label: "Marketplace reference", value: d.ExternalReference},
		{label: "Status", value: humanize(d.Status)},
		{label: "Amount", value: amount},
		{label: "Opened", value: r.when(d.OpenedAt)},
		{label: "Respond by", value: r.whenPtr(d.RespondBy), bold: true},
		{label: "Seller", value: r.p.Seller.Name},
	})
}

func (r *renderer) shipmentBox() {
	s := r.p.Shipment
	r.heading("Order and shipment", 30)
	r.grid(4, []field{
		{label: "Order", value: s.OrderID, bold: true},
		{label: "Tracking number", value: s.TrackingNumber, bold: true},
		{label: "Carrier and service", value: strings.TrimSpace(tracking.CarrierName(s.Carrier) + " " + s.Service)},
		{label: "Status", value: humanize(string(s.Status))},
		{label: "Ship by", value: r.whenPtr(s.ShipBy)},
		{label: "Shipped", value: r.whenPtr(s.ShippedAt)},
		{label: "Deliver by", value: r.whenPtr(s.DeliverBy)},
		{label: "Delivered", value: r.whenPtr(s.DeliveredAt)},
		{label: "Destination", value: place(s.Destination)},
		{label: "Shipment", value: s.ID},
	})
}

// banners draws the two answers a reader looks for first: was it
// delivered on time, and can the records be trusted.
func (r *renderer) banners() {
	r.ensure(22)
	r.f.Ln(1)
	pr := r.p.Promise
	bg, fg := colorPlainBg, colorInk
	if pr.OnTime != nil && *pr.OnTime {
		bg, fg = colorGoodBg, colorGood
	} else if pr.OnTime != nil {
		bg, fg = colorBadBg, colorBad
	}
	verdict := pr.Verdict
	if verdict == "" {
		verdict = "No delivery promise on file."
	}
	r.banner("Delivery against the promise", verdict, bg, fg)
	bg, fg = colorGoodBg, colorGood
	if !r.p.Verification.Intact {
		bg, fg = colorBadBg, colorBad
	}
	r.banner("Tamper evidence", verificationText(r.p.Verification), bg, fg)
	r.f.Ln(2)
}

func (r *renderer) banner(label, text string, bg, fg rgb) {
	f := r.f
	r.font("B", 10, fg)
	lines := r.lines(text, r.width-48, 3)
	h := float64(len(lines))*5 + 3
	r.ensure(h + 1)
	x, y := f.GetX(), f.GetY()
	r.fill(bg)
	f.Rect(x, y, r.width, h, "F")
	f.SetFillColor(fg.r, fg.g, fg.b)
	f.Rect(x, y, 1.2, h, "F")
	f.SetXY(x+3, y+1.5)
	r.font("", 8, colorMuted)
	r.text(44, 5, label, "L")
	r.font("B", 10, fg)
	for i, l := range lines {
		f.SetXY(x+48, y+1.5+float64(i)*5)
		f.CellFormat(r.width-48, 5, l, "", 0, "L", false, 0, "")
	}
	f.SetXY(x, y+h+1.5)
}

// verificationText is the chain verdict as the PDF prints it.
func verificationText(v Verification) string {
	if v.Intact {
		return fmt.Sprintf("Evidence chain intact: %s verified", plural(v.Records, "record"))
	}
	if b := v.FirstBroken; b != nil && b.Detail != "" {
		return "Evidence chain BROKEN: " + b.Detail
	}
	if b := v.FirstBroken; b != nil {
		id := b.ID
		if id == "" {
			id = "#" + strconv.Itoa(b.Index+1)
		}
		return fmt.Sprintf("Evidence chain BROKEN at record #%d (%s %s): %s", b.Index+1, kindOr(b.Kind), id, b.Reason)
	}
	return "Evidence chain BROKEN"
}

func kindOr(k Kind) string {
	if k == "" {
		return "record"
	}
	return string(k)
}

// sortedTimeline is the timeline as a reader follows it: by the time the
// events happened, not by when Shipwatch received them.
func sortedTimeline(events []TimelineEvent) []TimelineEvent {
	out := append([]TimelineEvent(nil), events...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].OccurredAt.Equal(out[j].OccurredAt) {
			return out[i].OccurredAt.Before(out[j].OccurredAt)
		}
		return out[i].Seq < out[j].Seq
	})
	return out
}

func (r *renderer) timeline() {
	events := sortedTimeline(r.p.Timeline)
	r.heading(fmt.Sprintf("Tracking timeline (%s, times in %s)", plural(len(events), "event"), r.zoneName()), 16)
	if len(events) == 0 {
		r.font("I", 9, colorMuted)
		r.text(r.width, 6, "No carrier events recorded.", "L")
		r.f.Ln(9)
		return
	}
	t := table{cols: []column{
		{title: "#", width: 8},
		{title: "Time", width: 26},
		{title: "Status", width: 28},
		{title: "Location", width: 36},
		{title: "Description", width: r.width - 8 - 26 - 28 - 36 - 22},
		{title: "Source", width: 22},
	}}
	for _, e := range events {
		desc := e.Description
		if desc == "" {
			desc = e.CarrierStatus
		}
		if e.SignedBy != "" {
			desc = strings.TrimSpace(desc + " (signed by " + e.SignedBy + ")")
		}
		t.rows = append(t.rows, []string{
			strconv.Itoa(e.Seq),
			r.local(e.OccurredAt).Format("2006-01-02 15:04"),
			humanize(string(e.Status)),
			place(e.Location),
			desc,
			sourceName(e.Source),
		})
	}
	r.table(t)
	r.f.Ln(4)
}

// place prints a location as an address line: "Memphis, TN 38118, US".
func place(l shipment.Location) string {
	var parts []string
	if l.City != "" {
		parts = append(parts, l.City)
	}
	if rp := strings.TrimSpace(l.Region + " " + l.PostalCode); rp != "" {
		parts = append(parts, rp)
	}
	if l.Country != "" {
		parts = append(parts, l.Country)
	}
	return strings.Join(parts, ", ")
}

// humanize turns an enum value such as "OUT_FOR_DELIVERY" into "Out for
// delivery"; other text is left as it is.
func humanize(s string) string {
	if s == "" || strings.ToUpper(s) != s {
		return s
	}
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(s[:1]) + s[1:]
}

func sourceName(s shipment.Source) string {
	switch s {
	case shipment.SourceEasyPost:
		return "EasyPost"
	case shipment.SourceAfterShip:
		return "AfterShip"
	case shipment.SourceSeventeenTrack:
		return "17TRACK"
	case shipment.SourceShippo:
		return "Shippo"
	case shipment.SourceBackOffice:
		return "Back office"
	case shipment.SourceUPS:
		return "UPS (polled)"
	case shipment.SourceFedEx:
		return "FedEx (polled)"
	case shipment.SourceUSPS:
		return "USPS (polled)"
	}
	return humanize(string(s))
}

// sellerZone loads the seller's zone; nil for UTC, none or an unknown
// name (the pack then speaks UTC only, as before the zone was known).
func sellerZone(name string) *time.Location {
	if name == "" || name == "UTC" || name == "Etc/UTC" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// zoneName is the zone the timeline's times are in.
func (r *renderer) zoneName() string {
	if r.loc == nil {
		return "UTC"
	}
	return r.loc.String()
}

// local is t in the seller's zone (UTC without one).
func (r *renderer) local(t time.Time) time.Time {
	if r.loc == nil {
		return t.UTC()
	}
	return t.In(r.loc)
}

// when prints an instant in the seller's zone and in UTC:
// "2026-11-19 06:20 PST (14:20 UTC)"; in UTC alone when the seller's zone
// is UTC. The zero time prints as nothing.
func (r *renderer) when(t time.Time) string {
	if t.IsZero() || r.loc == nil {
		return stamp(t)
	}
	l, u := t.In(r.loc), t.UTC()
	utc := u.Format("15:04") + " UTC"
	if l.YearDay() != u.YearDay() {
		utc = u.Format("2006-01-02 15:04") + " UTC"
	}
	return l.Format("2006-01-02 15:04 MST") + " (" + utc + ")"
}

func (r *renderer) whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return r.when(*t)
}

// disputeName is how the document names its dispute: the marketplace's
// reference, which the reader knows, else Shipwatch's id.
func (r *renderer) disputeName() string {
	if r.p.Dispute.ExternalReference != "" {
		return r.p.Dispute.ExternalReference
	}
	return r.p.Dispute.ID
}

// findings draws what the records say against each other or the order,
// in amber, right under the verdicts: a reviewer will see it, so the
// seller should see it first.
func (r *renderer) findings() {
	for _, f := range r.p.Findings {
		label := "Check before sending"
		switch f.Kind {
		case FindingLocationMismatch:
			label = "Delivery location"
		case FindingSignersDiffer:
			label = "Signers"
		}
		r.banner(label, f.Message, colorWarnBg, colorWarn)
	}
	if len(r.p.Findings) > 0 {
		r.f.Ln(2)
	}
}
