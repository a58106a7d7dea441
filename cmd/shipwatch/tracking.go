package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/shipwatch/shipwatch/internal/tracking"
)

const trackingCheckHelp = `Usage: shipwatch tracking check [--carrier CODE] < numbers.txt

Checks a column of tracking numbers, such as one pasted from a seller's
spreadsheet. Reads one number per line on standard input and writes one JSON
object per line, in the same order (blank lines are answered too, so output
line N answers input line N), with the keys:

  input, normalized   the line as read, and as compared (no spaces or separators, upper case)
  valid               valid for the declared carrier, or for some carrier when none is declared
  carrier, format     the most likely carrier and format ("" when none fits)
  reason, message     UNKNOWN_FORMAT, CHECK_DIGIT_MISMATCH, UNKNOWN_COUNTRY or
                      CARRIER_MISMATCH, and a sentence; "" when valid
  candidates          every format that fits, ranked, with confidence
  suggestions         for a mistyped number, up to 5 valid numbers one edit away
  trackingUrl         the carrier's tracking page for the number
  fields              what the number encodes (service, mailer ID, country, ZIP, ...)

--carrier declares the carrier of every number: a code (ups, usps, fedex, dhl,
amazon, ontrac, lasership, canada_post, purolator, dpd, canpar, old_dominion,
yodel, landmark, yunexpress, gofo, speedee, royal_mail, post_<country>, ...)
or a name as sellers and marketplaces write it ("FedEx Ground", "AMZN_US").

Exit status: 0 when every line was answered, valid or not; 1 when reading or
writing failed; 2 for bad usage or an unknown carrier.

Flags:
`

// runTrackingCheck runs "shipwatch tracking check" and returns its exit code.
func runTrackingCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tracking check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	carrier := fs.String("carrier", "", "the carrier of every number: a code or an alias (default: none, detect it)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), trackingCheckHelp); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipwatch tracking check: unexpected argument %q: numbers are read from standard input\n", fs.Arg(0))
		return 2
	}
	code := ""
	if *carrier != "" {
		var ok bool
		if code, ok = tracking.ResolveCarrier(*carrier); !ok {
			fmt.Fprintf(stderr, "shipwatch tracking check: unknown carrier %q (known: %s, post_<country code>)\n",
				*carrier, strings.Join(tracking.Carriers(), ", "))
			return 2
		}
	}
	if err := checkLines(stdin, stdout, code); err != nil {
		fmt.Fprintf(stderr, "shipwatch tracking check: %v\n", err)
		return 1
	}
	return 0
}

// checkLines answers every line of in with one JSON line on out.
func checkLines(in io.Reader, out io.Writer, carrier string) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // tracking URLs keep their "&"
	for {
		line, err := r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read standard input: %w", err)
		}
		if line == "" && err != nil {
			break
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if werr := enc.Encode(tracking.Check(line, carrier)); werr != nil {
			return fmt.Errorf("write standard output: %w", werr)
		}
		if err != nil {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write standard output: %w", err)
	}
	return nil
}
