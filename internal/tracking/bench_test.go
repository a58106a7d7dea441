package tracking

import (
	"os"
	"strings"
	"testing"
)

// loadMix reads the benchmark mix, failing when it is missing.
func loadMix(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(mixPath)
	if err != nil {
		tb.Fatalf("read %s: %v", mixPath, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// BenchmarkCheck measures Check over the realistic mix and over its parts.
// The checks/s metric is per core: the loop runs on one goroutine.
func BenchmarkCheck(b *testing.B) {
	mix := loadMix(b)
	var valid, invalid []string
	for _, s := range mix {
		if Check(s, "").Valid && Normalize(s) == strings.TrimSpace(s) {
			valid = append(valid, s)
		} else if !Check(s, "").Valid {
			invalid = append(invalid, s)
		}
	}
	declared := make([]string, len(valid))
	for i, s := range valid {
		declared[i] = Check(s, "").Carrier
	}
	run := func(name string, numbers, carriers []string) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := ""
				if carriers != nil {
					c = carriers[i]
				}
				Check(numbers[i], c)
				if i++; i == len(numbers) {
					i = 0
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
	run("mix", mix, nil)
	run("valid", valid, nil)
	run("valid_declared", valid, declared)
	run("invalid", invalid, nil)
}

// BenchmarkSuggestions measures the lazy part of an invalid result.
func BenchmarkSuggestions(b *testing.B) {
	r := Check("9400111999991234567869", "")
	b.ReportAllocs()
	for b.Loop() {
		r.Suggestions()
	}
}

// Check must not allocate for a valid number, declared carrier or not, as
// long as the number needs no more than trimming to be normalised.
func TestCheckDoesNotAllocate(t *testing.T) {
	var numbers []string
	for _, v := range formatVectors {
		numbers = append(numbers, v.valid, " "+v.valid+"\t")
	}
	for _, v := range shapeVectors {
		if v.fits && !strings.ContainsAny(v.number, "-") && v.format != "dhl_ecommerce_14" {
			numbers = append(numbers, v.number)
		}
	}
	for _, s := range numbers {
		r := Check(s, "")
		if !r.Valid {
			t.Fatalf("Check(%q) is not valid: %s", s, r.Message)
		}
		for _, carrier := range []string{"", r.Carrier, strings.ToUpper(r.Carrier)} {
			if n := testing.AllocsPerRun(50, func() { Check(s, carrier) }); n != 0 {
				t.Errorf("Check(%q, %q) allocates %v times, want 0", s, carrier, n)
			}
		}
	}
}
