package store

import (
	"fmt"
	"strings"
)

// The statements of StandardCounts: each query of qs (checked already) is
// a pair of counts, its numerator then its denominator, over the rows of
// shipments sh that pass bound, with w the seller's time zone (tz), the
// windows' ends (nows) and starts (froms), and for countsGrouped every
// bound sorted (t) and each start's and end's place in it (pfroms,
// pnows). The fragments are the constants of standards.go; the numbers
// are indexes.

// countsGrouped counts in two steps. The rows are first grouped by what
// the windows can tell apart: each keying's date as its place among the
// windows' bounds (width_bucket over w.t, every start and end sorted),
// each count's denominator and numerator, and a denominator that depends
// on the window's end (w.now) evaluated at each end that needs it. Each
// query then sums the groups in its window: key >= from is bucket >=
// from's place in w.t, key < end is bucket < end's place. A third of a
// million rows make a hundred groups or so, and the dozen windows'
// FILTERs run over those instead of every row.
func countsGrouped(qs []StandardQuery, bound string) string {
	var cols, counts strings.Builder
	names := []string{}
	column := func(expr string) string {
		name := fmt.Sprintf("c%d", len(names))
		names = append(names, name)
		fmt.Fprintf(&cols, ",\n\t\t\t\t%s AS %s", expr, name)
		return name
	}
	keyCol, denCol, numCol := map[string]string{}, map[StandardCount]string{}, map[StandardCount]string{}
	for i, q := range qs {
		conds := standardCounts[q.Count]
		if _, ok := keyCol[q.Keying]; !ok {
			keyCol[q.Keying] = column(`width_bucket(` + standardKeys[q.Keying] + `, w.t)`)
		}
		den, ok := denCol[q.Count]
		if strings.Contains(conds[0], "w.now") {
			den = column(strings.ReplaceAll(conds[0], "w.now", fmt.Sprintf("w.nows[%d]", i+1)))
		} else if !ok {
			den = column(conds[0])
			denCol[q.Count] = den
		}
		if _, ok := numCol[q.Count]; !ok {
			numCol[q.Count] = column(conds[1])
		}
		k := "g." + keyCol[q.Keying]
		in := fmt.Sprintf(`%s >= w.pfroms[%d] AND %s < w.pnows[%d] AND g.%s`, k, i+1, k, i+1, den)
		fmt.Fprintf(&counts, ",\n\t\t\tcoalesce(sum(g.n) FILTER (WHERE %s AND g.%s), 0), coalesce(sum(g.n) FILTER (WHERE %s), 0)", in, numCol[q.Count], in)
	}
	return `SELECT ARRAY[0` + counts.String() + `]::bigint[]
		FROM w, (SELECT count(*) AS n` + cols.String() + `
			FROM w JOIN shipments sh ON sh.seller_id = $1 AND ` + bound + `
			GROUP BY ` + strings.Join(names, ", ") + `) g`
}

// countsPerWindow is the statement as it was before countsGrouped:
// every query's FILTERs evaluate the keys and conditions again. The
// direct computation (StandardCountsDirect) keeps it, as the baseline.
func countsPerWindow(qs []StandardQuery, bound string) string {
	var counts strings.Builder
	for i, q := range qs {
		conds, key := standardCounts[q.Count], standardKeys[q.Keying]
		end := fmt.Sprintf("w.nows[%d]", i+1)
		in := fmt.Sprintf(`%s >= w.froms[%d] AND %s < %s AND %s`, key, i+1, key, end, strings.ReplaceAll(conds[0], "w.now", end))
		fmt.Fprintf(&counts, ",\n\t\t\tcount(*) FILTER (WHERE %s AND %s), count(*) FILTER (WHERE %s)", in, strings.ReplaceAll(conds[1], "w.now", end), in)
	}
	return `SELECT ARRAY[0` + counts.String() + `]
		FROM w JOIN shipments sh ON sh.seller_id = $1 AND ` + bound
}
