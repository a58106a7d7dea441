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

// Stream writes the file to w: memory does not grow with the rows. Every
// cell, the seller's own included, is neutralized against formula
// injection (ingest.NeutralizeCell); the reader takes the prefix off again
// when the fixed file is uploaded.
func (f *ErrorsFile) Stream(ctx context.Context, w io.Writer) error {
	d := delimiterOf(f.imp.Header)
	bw := bufio.NewWriterSize(w, 64<<10)
	sep := string(d)
	bw.WriteString("line" + sep + "column" + sep + "error" + sep) //nolint:errcheck // Flush reports it
	bw.Write(ingest.NeutralizeRecord([]byte(f.imp.Header), d))    //nolint:errcheck // Flush reports it
	bw.WriteString("\n")                                          //nolint:errcheck // Flush reports it
	amazon := f.imp.Format == string(ingest.FormatAmazonFlatFile)
	var buf []byte
	err := f.im.store.EachImportError(ctx, f.imp.SellerID, f.imp.ID, func(e store.ImportError) error {
		prefix := strconv.AppendInt(buf[:0], int64(e.Line), 10)
		prefix = append(prefix, d)
		prefix = ingest.AppendCell(prefix, []byte(e.Column), d)
		prefix = append(prefix, d)
		prefix = ingest.AppendCell(prefix, []byte(e.Message), d)
		prefix = append(prefix, d)
		buf = prefix
		lines := [][]byte{e.Record}
		if amazon { // one record per line: every item line of the shipment
			lines = bytes.Split(e.Record, []byte{'\n'})
		}
		for _, l := range lines {
			bw.Write(prefix)                        //nolint:errcheck // Flush reports it
			bw.Write(ingest.NeutralizeRecord(l, d)) //nolint:errcheck // Flush reports it
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
