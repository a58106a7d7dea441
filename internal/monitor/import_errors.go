package monitor

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ErrorsFile is an import's rejected rows as a file to fix and upload
// again.
type ErrorsFile struct {
	Name        string
	ContentType string
	im          *Importer
	imp         store.Import
}

// ErrorsFile returns the rejected rows of one of the seller's imports as a
// file in the upload's own format and delimiter: the columns line, column
// and error first, then the original header and each rejected row as it
// was (an Amazon shipment of several item lines gives each line). The
// reader ignores the three extra columns, with a warning, so the fixed
// file can be uploaded as it is.
func (im *Importer) ErrorsFile(ctx context.Context, sellerID, importID string) (*ErrorsFile, error) {
	imp, err := im.store.Import(ctx, sellerID, importID)
	if err != nil {
		return nil, err
	}
	f := &ErrorsFile{im: im, imp: imp, Name: "errors.csv", ContentType: "text/csv; charset=utf-8"}
	if imp.Format == string(ingest.FormatAmazonFlatFile) {
		f.Name, f.ContentType = "errors.txt", "text/tab-separated-values; charset=utf-8"
	}
	if base := strings.TrimSuffix(imp.Filename, path.Ext(imp.Filename)); base != "" {
		f.Name = base + "-" + f.Name
	}
	return f, nil
}

// Stream writes the file to w: memory does not grow with the rows.
func (f *ErrorsFile) Stream(ctx context.Context, w io.Writer) error {
	d := delimiterOf(f.imp.Header)
	bw := bufio.NewWriterSize(w, 64<<10)
	sep := string(d)
	bw.WriteString("line" + sep + "column" + sep + "error" + sep + f.imp.Header + "\n") //nolint:errcheck // Flush reports it
	amazon := f.imp.Format == string(ingest.FormatAmazonFlatFile)
	err := f.im.store.EachImportError(ctx, f.imp.SellerID, f.imp.ID, func(e store.ImportError) error {
		prefix := strconv.Itoa(e.Line) + sep + e.Column + sep + quoteCell(e.Message, d) + sep
		lines := [][]byte{e.Record}
		if amazon { // one record per line: every item line of the shipment
			lines = bytes.Split(e.Record, []byte{'\n'})
		}
		for _, l := range lines {
			bw.WriteString(prefix) //nolint:errcheck // Flush reports it
			bw.Write(l)            //nolint:errcheck // Flush reports it
			if _, err := bw.WriteString("\n"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// delimiterOf returns the delimiter a header row uses most, as the reader
// decided it: tab for Amazon flat files, comma or semicolon for CSVs.
func delimiterOf(header string) byte {
	best, count := byte(','), 0
	for _, d := range []byte{',', ';', '\t'} {
		if n := strings.Count(header, string(d)); n > count {
			best, count = d, n
		}
	}
	return best
}

// quoteCell quotes a value that holds the delimiter, a quote or a line
// break, doubling its quotes.
func quoteCell(v string, delim byte) string {
	if !strings.ContainsAny(v, string(delim)+"\"\r\n") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}
