package store_test

import (
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
)

// TestIndexesSayWhy fails when an index on shipments or flags has no
// comment naming the query that needs it: every index costs every write of
// a row (a million shipments loaded, 90,000 flags raised by the first sweep
// after), so one nobody can name goes.
func TestIndexesSayWhy(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	for _, table := range []string{"shipments", "flags"} {
		t.Run(table, func(t *testing.T) { indexesSayWhy(t, db, table) })
	}
}

func indexesSayWhy(t *testing.T, db *sqlx.DB, table string) {
	rows := []struct {
		Name    string `db:"name"`
		Comment string `db:"comment"`
		Def     string `db:"def"`
	}{}
	if err := db.Select(&rows, `
		SELECT indexrelid::regclass::text AS name, coalesce(obj_description(indexrelid, 'pg_class'), '') AS comment,
			pg_get_indexdef(indexrelid) AS def
		FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`, table); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("no index on %s", table)
	}
	defs := map[string]string{}
	for _, r := range rows {
		if r.Comment == "" {
			t.Errorf("index %s has no COMMENT ON INDEX saying which query needs it: %s", r.Name, r.Def)
		}
		if other, ok := defs[strings.ReplaceAll(r.Def, r.Name, "")]; ok {
			t.Errorf("indexes %s and %s are the same index", other, r.Name)
		}
		defs[strings.ReplaceAll(r.Def, r.Name, "")] = r.Name
	}
}
