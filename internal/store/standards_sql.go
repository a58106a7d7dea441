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
	g := groupColumns(qs)
	var cols, counts strings.Builder
	names := make([]string, len(g.exprs))
	for i, e := range g.exprs {
		names[i] = fmt.Sprintf("c%d", i)
		fmt.Fprintf(&cols, ",\n\t\t\t\t%s AS %s", e, names[i])
	}
	for i, q := range g.queries {
		k := "g." + names[q.key]
		in := fmt.Sprintf(`%s >= w.pfroms[%d] AND %s < w.pnows[%d] AND g.%s`, k, i+1, k, i+1, names[q.den])
		fmt.Fprintf(&counts, ",\n\t\t\tcoalesce(sum(g.n) FILTER (WHERE %s AND g.%s), 0), coalesce(sum(g.n) FILTER (WHERE %s), 0)", in, names[q.num], in)
	}
	return `SELECT ARRAY[0` + counts.String() + `]::bigint[]
		FROM w, (SELECT count(*) AS n` + cols.String() + `
			FROM w JOIN shipments sh ON sh.seller_id = $1 AND ` + bound + `
			GROUP BY ` + strings.Join(names, ", ") + `) g`
}

// groupedCols are the columns countsGrouped groups the rows by (each an
// expression on sh and w: a keying's place among w.t, a condition, a
// denominator reading the clock at a query's end w.nows[i]), which of
// them are places, the keyings in the order of their columns, and each
// query's key, denominator and numerator column.
type groupedCols struct {
	exprs   []string
	isKey   []bool
	keyings []string
	queries []groupedQuery
}

type groupedQuery struct{ key, den, num int }

func groupColumns(qs []StandardQuery) groupedCols {
	var g groupedCols
	column := func(expr string, key bool) int {
		g.exprs = append(g.exprs, expr)
		g.isKey = append(g.isKey, key)
		return len(g.exprs) - 1
	}
	keyCol, denCol, numCol := map[string]int{}, map[StandardCount]int{}, map[StandardCount]int{}
	for i, q := range qs {
		conds := standardCounts[q.Count]
		key, ok := keyCol[q.Keying]
		if !ok {
			key = column(`width_bucket(`+standardKeys[q.Keying]+`, w.t)`, true)
			keyCol[q.Keying] = key
			g.keyings = append(g.keyings, q.Keying)
		}
		den, ok := denCol[q.Count]
		if strings.Contains(conds[0], "w.now") {
			den = column(strings.ReplaceAll(conds[0], "w.now", fmt.Sprintf("w.nows[%d]", i+1)), false)
		} else if !ok {
			den = column(conds[0], false)
			denCol[q.Count] = den
		}
		num, ok := numCol[q.Count]
		if !ok {
			num = column(conds[1], false)
			numCol[q.Count] = num
		}
		g.queries = append(g.queries, groupedQuery{key, den, num})
	}
	return g
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
