// Command trackbench compares Shipwatch's tracking-number checker with
// ts-tracking-number, the most used JavaScript library for the same job, in
// one run: both check the same benchmark numbers (the Go side in process,
// the JavaScript side under node), and the tool prints both rates and their
// ratio, then how often the two disagree on the conformance set
// (internal/tracking/testdata/conformance).
//
// Run it from the repository root after installing the JavaScript side:
//
//	(cd internal/tracking/jsbench && npm ci --silent)
//	go run ./internal/tracking/cmd/trackbench
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/tracking"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags set.
type config struct {
	mix, conformance, jsbench, node string
	seconds                         float64
	verbose                         bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("trackbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.mix, "mix", "internal/tracking/testdata/mix.txt", "benchmark numbers, one per line")
	fs.StringVar(&c.conformance, "conformance", "internal/tracking/testdata/conformance/tracking-numbers.jsonl", "the conformance set")
	fs.StringVar(&c.jsbench, "jsbench", "internal/tracking/jsbench", "directory of bench.js, with node_modules installed")
	fs.StringVar(&c.node, "node", "node", "the node binary")
	fs.Float64Var(&c.seconds, "seconds", 2, "seconds to time each side")
	fs.BoolVar(&c.verbose, "v", false, "list every conformance disagreement")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := bench(c, stdout); err != nil {
		fmt.Fprintf(stderr, "trackbench: %v\n", err)
		return 1
	}
	return 0
}

func bench(c config, out io.Writer) error {
	mix, err := readLines(c.mix)
	if err != nil {
		return err
	}
	goRate := timeGo(mix, c.seconds)
	js, err := runNode(c, c.mix, c.seconds)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "benchmark mix: %d numbers from %s, %s/%s, GOMAXPROCS %d, one goroutine\n",
		len(mix), c.mix, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "  %-34s %12.0f checks/s wall  %12.0f checks/s per CPU-second  %.2f allocs/check\n",
		"Go internal/tracking.Check", goRate.wall, goRate.cpu, goRate.allocs)
	fmt.Fprintf(out, "  %-34s %12.0f checks/s wall  %12.0f checks/s per CPU-second\n",
		"JS "+js.Library+" "+js.Version, js.RatePerSec, js.CPURatePerSec)
	fmt.Fprintf(out, "  ratio Go/JS: %.0fx wall, %.0fx per CPU-second\n",
		goRate.wall/js.RatePerSec, goRate.cpu/js.CPURatePerSec)
	return compare(c, out)
}

// rate is a measured checking rate.
type rate struct {
	wall, cpu float64 // checks per second of wall time and of thread CPU time
	allocs    float64 // heap allocations per check
}

// timeGo checks the numbers over and over for the given seconds on one
// locked OS thread, after a warm-up.
func timeGo(numbers []string, seconds float64) rate {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, n := range numbers {
		tracking.Check(n, "")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	limit := time.Duration(seconds * float64(time.Second))
	start, cpuStart := time.Now(), threadCPU()
	checks := 0
	for time.Since(start) < limit {
		for _, n := range numbers {
			tracking.Check(n, "")
		}
		checks += len(numbers)
	}
	wall, cpu := time.Since(start), threadCPU()-cpuStart
	runtime.ReadMemStats(&after)
	r := rate{wall: float64(checks) / wall.Seconds(), allocs: float64(after.Mallocs-before.Mallocs) / float64(checks)}
	if cpu > 0 {
		r.cpu = float64(checks) / cpu.Seconds()
	}
	return r
}

// jsResult is what bench.js prints.
type jsResult struct {
	Library       string  `json:"library"`
	Version       string  `json:"version"`
	RatePerSec    float64 `json:"rate_per_sec"`
	CPURatePerSec float64 `json:"cpu_rate_per_sec"`
	Results       []struct {
		Number  string `json:"number"`
		Valid   bool   `json:"valid"`
		Courier string `json:"courier"`
	} `json:"results"`
}

// runNode runs bench.js over a file of numbers.
func runNode(c config, file string, seconds float64) (*jsResult, error) {
	if _, err := os.Stat(filepath.Join(c.jsbench, "node_modules", "ts-tracking-number")); err != nil {
		return nil, fmt.Errorf("ts-tracking-number is not installed: run (cd %s && npm ci --silent)", c.jsbench)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.node, "bench.js", abs, "--seconds", fmt.Sprint(seconds))
	cmd.Dir = c.jsbench
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run %s bench.js: %w", c.node, err)
	}
	var js jsResult
	if err := json.Unmarshal(b, &js); err != nil {
		return nil, fmt.Errorf("read bench.js output: %w", err)
	}
	return &js, nil
}

// conformanceRow is the part of a conformance line compare reads.
type conformanceRow struct {
	Courier  string `json:"courier"`
	FormatID string `json:"format_id"`
	Number   string `json:"number"`
	Valid    bool   `json:"valid"`
}

// compare runs both libraries over the conformance set, with no carrier
// declared, and counts where their answers differ: one says valid and the
// other not, or both say valid but name different carriers.
func compare(c config, out io.Writer) error {
	rows, err := readConformance(c.conformance)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "trackbench-*.txt")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for _, r := range rows {
		fmt.Fprintln(tmp, r.Number)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	js, err := runNode(c, tmp.Name(), 0)
	if err != nil {
		return err
	}
	if len(js.Results) != len(rows) {
		return fmt.Errorf("bench.js answered %d numbers, want %d", len(js.Results), len(rows))
	}
	var goOnly, jsOnly, carrier, goLabel, jsLabel int
	var lines []string
	for i, row := range rows {
		g, j := tracking.Check(row.Number, ""), js.Results[i]
		if g.Valid == row.Valid {
			goLabel++
		}
		if j.Valid == row.Valid {
			jsLabel++
		}
		gc := g.Carrier
		if g.Format == "upu_s10" {
			gc = "s10" // the library names the S10 standard, not the operator
		}
		what := ""
		switch {
		case g.Valid && !j.Valid:
			goOnly++
			what = "Go valid (" + g.Carrier + "), JS invalid"
		case !g.Valid && j.Valid:
			jsOnly++
			what = "JS valid (" + j.Courier + "), Go invalid (" + string(g.Reason) + ")"
		case g.Valid && gc != j.Courier:
			carrier++
			what = "Go " + g.Carrier + ", JS " + j.Courier
		}
		if what != "" {
			lines = append(lines, fmt.Sprintf("    %-36q %-32s label %-5v  %s", row.Number, row.FormatID, row.Valid, what))
		}
	}
	fmt.Fprintf(out, "conformance set: %d numbers from %s, no carrier declared\n", len(rows), c.conformance)
	fmt.Fprintf(out, "  Go and JS disagree on %d (%.1f%%): %d valid only for Go, %d valid only for JS, %d valid for both with different carriers\n",
		len(lines), 100*float64(len(lines))/float64(len(rows)), goOnly, jsOnly, carrier)
	fmt.Fprintf(out, "  agreement with the dataset's labels: Go %d/%d, JS %d/%d\n", goLabel, len(rows), jsLabel, len(rows))
	if c.verbose {
		fmt.Fprintln(out, strings.Join(lines, "\n"))
	}
	return nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read benchmark numbers: %w (run from the repository root, or set -mix)", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

func readConformance(path string) ([]conformanceRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read conformance set: %w (run from the repository root, or set -conformance)", err)
	}
	defer f.Close()
	var rows []conformanceRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r conformanceRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}
