package ingest

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDocs keeps docs/csv.md, the sellers' contract, true to the code.
func TestDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/csv.md")
	if err != nil {
		t.Fatalf("read docs: %v", err)
	}
	sections := map[string]string{}
	var title string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			title = line
		}
		sections[title] += line + "\n"
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_-]+)` \\| (yes|no) \\|")
	for _, tc := range []struct {
		section string
		cols    []column
	}{
		{"## Shipwatch CSV (`SHIPWATCH_CSV`)", shipwatchColumns},
		{"## Amazon shipping-confirmation flat file (`AMAZON_FLAT_FILE`)", amazonColumns},
	} {
		var documented, code []string
		for _, m := range row.FindAllStringSubmatch(sections[tc.section], -1) {
			documented = append(documented, m[1]+" "+m[2])
		}
		for _, c := range tc.cols {
			req := "no"
			if c.required {
				req = "yes"
			}
			code = append(code, c.name+" "+req)
		}
		if diff := cmp.Diff(code, documented); diff != "" {
			t.Errorf("%s: documented columns (-code +docs):\n%s", tc.section, diff)
		}
	}
	// Every documented date example is read as a date.
	examples := regexp.MustCompile("`([^`]+)`")
	table := strings.SplitN(sections["## Dates and times"], "\n\n", 3)[1]
	n := 0
	for _, line := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range examples.FindAllStringSubmatch(cells[2], -1) {
			n++
			if _, ok := parseTime([]byte(m[1]), time.UTC, startOfDay); !ok {
				t.Errorf("documented date %q is not read as a date", m[1])
			}
		}
	}
	if n < 8 {
		t.Errorf("found %d documented date examples, want the whole table", n)
	}
}
