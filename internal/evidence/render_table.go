package evidence

import (
	"sort"
	"strconv"
)

// field is one labelled value of a grid.
type field struct {
	label, value string
	bold         bool
}

// Grid and table metrics in millimetres.
const (
	labelH     = 3.6
	valueLineH = 4.3
	gridPad    = 2.0
	rowLineH   = 3.7
	rowPad     = 1.0
	maxRowLine = 8
)

// grid draws fields in a shaded box, cols to a row, each a small grey label
// over its value; long values wrap within their column.
func (r *renderer) grid(cols int, fields []field) {
	f := r.f
	colW := r.width / float64(cols)
	type cell struct {
		field
		lines []string
	}
	var rows [][]cell
	var heights []float64
	total := gridPad
	for i := 0; i < len(fields); i += cols {
		var row []cell
		n := 1
		for _, fl := range fields[i:min(i+cols, len(fields))] {
			r.valueFont(fl.bold)
			v := fl.value
			if v == "" {
				v = "\u2014"
			}
			c := cell{field: fl, lines: r.lines(v, colW-1, 3)}
			n = max(n, len(c.lines))
			row = append(row, c)
		}
		rows = append(rows, row)
		h := labelH + float64(n)*valueLineH + gridPad
		heights = append(heights, h)
		total += h
	}
	r.ensure(total)
	x, y := f.GetX(), f.GetY()
	r.fill(colorBox)
	f.Rect(x, y, r.width, total, "F")
	y += gridPad
	for i, row := range rows {
		for j, c := range row {
			cx := x + float64(j)*colW
			f.SetXY(cx, y)
			r.font("", 7, colorMuted)
			r.text(colW, labelH, c.label, "L")
			r.valueFont(c.bold)
			for k, l := range c.lines {
				f.SetXY(cx, y+labelH+float64(k)*valueLineH)
				f.CellFormat(colW, valueLineH, l, "", 0, "L", false, 0, "")
			}
		}
		y += heights[i]
	}
	f.SetXY(x, y)
	f.Ln(3)
}

func (r *renderer) valueFont(bold bool) {
	if bold {
		r.font("B", 9.5, colorInk)
		return
	}
	r.font("", 9.5, colorInk)
}

// column is one column of a table.
type column struct {
	title string
	width float64
	// mono draws the column in Courier.
	mono bool
	// size overrides the table's font size for this column.
	size float64
}

// table is a header and rows of plain text, one string per column.
type table struct {
	cols []column
	rows [][]string
	// size is the body font size, 8 points when zero.
	size float64
	// keepAfter is the height of what follows the table and must stay on
	// the page of its last row (a verdict is never alone on a page).
	keepAfter float64
}

// table draws t row by row: cells wrap, a row never splits across pages
// and the header is repeated at the top of every page the table reaches.
func (r *renderer) table(t table) {
	f := r.f
	r.tableHeader(t)
	for i, row := range t.rows {
		cells := make([][]string, len(t.cols))
		h := 0.0
		for j, c := range t.cols {
			r.cellFont(t, c)
			cells[j] = r.lines(row[j], c.width, maxRowLine)
			h = max(h, float64(len(cells[j]))*t.lineH(c))
		}
		h += 2 * rowPad
		need := h
		if i == len(t.rows)-1 {
			need += t.keepAfter
		}
		if r.ensure(need) {
			r.tableHeader(t)
		}
		x, y := f.GetX(), f.GetY()
		if i%2 == 1 {
			r.fill(colorZebra)
			f.Rect(x, y, r.width, h, "F")
		}
		cx := x
		for j, c := range t.cols {
			r.cellFont(t, c)
			lh := t.lineH(c)
			for k, l := range cells[j] {
				f.SetXY(cx, y+rowPad+float64(k)*lh)
				f.CellFormat(c.width, lh, l, "", 0, "L", false, 0, "")
			}
			cx += c.width
		}
		f.SetDrawColor(colorRule.r, colorRule.g, colorRule.b)
		f.SetLineWidth(0.1)
		f.Line(x, y+h, x+r.width, y+h)
		f.SetXY(x, y+h)
	}
}

// fontSize is the font size of column c in points.
func (t table) fontSize(c column) float64 {
	switch {
	case c.size > 0:
		return c.size
	case t.size > 0:
		return t.size
	}
	return 8
}

// lineH is the line height of column c in millimetres.
func (t table) lineH(c column) float64 { return rowLineH * t.fontSize(c) / 8 }

func (r *renderer) cellFont(t table, c column) {
	if c.mono {
		r.mono("", t.fontSize(c), colorInk)
		return
	}
	r.font("", t.fontSize(c), colorInk)
}

func (r *renderer) tableHeader(t table) {
	f := r.f
	r.ensure(14)
	x, y := f.GetX(), f.GetY()
	r.fill(colorHeader)
	f.Rect(x, y, r.width, 5.5, "F")
	r.font("B", 7.5, colorInk)
	cx := x
	for _, c := range t.cols {
		f.SetXY(cx, y)
		r.text(c.width, 5.5, c.title, "L")
		cx += c.width
	}
	f.SetXY(x, y+5.5)
}

// chainEntry is one record of the chain as the hashes section lists it:
// by what a reader sees elsewhere in the pack (the timeline's # column,
// a proof's heading), not by a database id printed nowhere else.
type chainEntry struct {
	seq            int
	what           string
	content, chain string
}

// chainEntries lists the pack's records in chain order.
func (r *renderer) chainEntries() []chainEntry {
	var out []chainEntry
	for _, e := range r.p.Timeline {
		what := "Event: " + humanize(string(e.Status)) + ", " + r.local(e.OccurredAt).Format("2006-01-02 15:04")
		if l := place(e.Location); l != "" {
			what += ", " + l
		}
		out = append(out, chainEntry{e.Seq, what, e.ContentHash, e.ChainHash})
	}
	for i, pr := range r.p.Proofs {
		what := "Proof of delivery"
		if len(r.p.Proofs) > 1 {
			what += " " + strconv.Itoa(i+1)
		}
		what += ": " + r.local(pr.DeliveredAt).Format("2006-01-02 15:04")
		if pr.SignedBy != "" {
			what += ", signed by " + pr.SignedBy
		}
		out = append(out, chainEntry{pr.Seq, what, pr.ContentHash, pr.ChainHash})
	}
	sortEntries(out)
	return out
}

func sortEntries(es []chainEntry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].seq < es[j].seq })
}

// hashes draws every record with a short hash to quote and its full
// content and chain hashes in small monospace, then the verdict.
func (r *renderer) hashes() {
	entries := r.chainEntries()
	r.heading("Record hashes", 22)
	r.font("", 8, colorMuted)
	intro := "Each record stores the SHA-256 of its canonical content (encoding " + Encoding +
		") and a chain hash, SHA-256(previous chain hash || content hash), so that changing, " +
		"removing or reordering any record breaks the chain from that record on."
	for _, l := range r.lines(intro, r.width, 4) {
		r.f.CellFormat(r.width, 3.8, l, "", 1, "L", false, 0, "")
	}
	r.f.Ln(1.5)
	shortW, fullW := 26.0, 80.0
	t := table{size: 7, keepAfter: 11, cols: []column{
		{title: "#", width: 9},
		{title: "Record", width: r.width - 9 - shortW - fullW},
		{title: "Chain (short)", width: shortW, mono: true},
		{title: "Full SHA-256: content / chain", width: fullW, mono: true, size: 5},
	}}
	v := r.p.Verification
	for _, e := range entries {
		rec := e.what
		if b := v.FirstBroken; b != nil && e.seq == b.Index+1 {
			rec += " (BROKEN: " + string(b.Reason) + ")"
		} else if b != nil && e.seq > b.Index+1 {
			rec += " (not verified)"
		}
		t.rows = append(t.rows, []string{
			strconv.Itoa(e.seq),
			rec,
			short(e.chain),
			e.content + " " + e.chain,
		})
	}
	r.table(t)
	r.f.Ln(3)
	c := colorGood
	if !v.Intact {
		c = colorBad
	}
	r.font("B", 11, c)
	lines := r.lines(verificationText(v), r.width, 3)
	r.ensure(float64(len(lines))*6 + 2)
	for _, l := range lines {
		r.f.CellFormat(r.width, 6, l, "", 1, "L", false, 0, "")
	}
	r.f.Ln(1)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
