package monitor

import (
	"io"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/ingest"
)

func TestRecorder(t *testing.T) {
	file := "h\n\n\nrow one\r\nrow two\n" + strings.Repeat("x", 3<<20) + "\nlast"
	rc := &recorder{r: strings.NewReader(file[2:]), base: 2}
	buf := make([]byte, 4096)
	for {
		if _, err := rc.Read(buf); err == io.EOF {
			break
		}
		if len(rc.buf) > 2<<20 {
			rc.forget(rc.base + int64(len(rc.buf)) - 100)
		}
		if int64(len(file))-rc.base < 200 {
			break
		}
	}
	// Far behind: gone. The tail is kept.
	if got := rc.record(2, 9, 0); got != nil {
		t.Errorf("record of forgotten bytes = %q, want nil", got)
	}
	if got := string(rc.record(int64(len(file)-9), int64(len(file)), 0)); got != "xxxx\nlast" {
		t.Errorf("record(tail) = %q", got)
	}

	rc = &recorder{r: strings.NewReader(file[2:]), base: 2}
	io.CopyN(io.Discard, rc, 30) //nolint:errcheck // strings.Reader
	// Blank lines before the row are skipped, its CR LF dropped.
	if got := string(rc.record(2, 13, 2)); got != "row one" {
		t.Errorf("record(skip 2 lines) = %q, want %q", got, "row one")
	}
	rc.forget(13)
	if rc.base != 2 {
		t.Errorf("forget of a few bytes moved base to %d: copying is meant to be rare", rc.base)
	}
	rc.forget(int64(len(rc.buf)) + 2)
	if rc.base != 32 || len(rc.buf) != 0 {
		t.Errorf("forget of everything read: base %d, %d bytes kept", rc.base, len(rc.buf))
	}
}

func TestCleanFilename(t *testing.T) {
	for in, want := range map[string]string{
		"shipments.csv":                "shipments.csv",
		`C:\Users\me\Desktop\ship.txt`: "ship.txt",
		"../../etc/passwd":             "passwd",
		"":                             "",
		"bad\xffname.csv":              "badname.csv",
		strings.Repeat("é", 200):       strings.Repeat("é", 127),
	} {
		if got := cleanFilename(in); got != want {
			t.Errorf("cleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsFileCells(t *testing.T) {
	if d := delimiterOf("order-id\torder-item-id\tquantity"); d != '\t' {
		t.Errorf("delimiterOf(Amazon header) = %q", d)
	}
	if d := delimiterOf("order_id;tracking_number;service"); d != ';' {
		t.Errorf("delimiterOf(semicolons) = %q", d)
	}
	for in, want := range map[string]string{
		"required, but empty":           `"required, but empty"`,
		`"Fedx" is not a known carrier`: `"""Fedx"" is not a known carrier"`,
		"is before shipBy":              "is before shipBy",
		"=HYPERLINK(\"x\")":             `"'=HYPERLINK(""x"")"`,
		"-1":                            "'-1",
	} {
		if got := string(ingest.AppendCell(nil, []byte(in), ',')); got != want {
			t.Errorf("AppendCell(%q) = %s, want %s", in, got, want)
		}
	}
	if got := byteSize(1 << 30); got != "1 GiB" {
		t.Errorf("byteSize(1<<30) = %q", got)
	}
	if got := byteSize(1000); got != "1000 bytes" {
		t.Errorf("byteSize(1000) = %q", got)
	}
}
