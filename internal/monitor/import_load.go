package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// ErrImportBusy is returned by LoadImport when another live loader holds
// the import, or this process runs as many loads as it may: the caller
// should try again later.
var ErrImportBusy error = busyError{}

type busyError struct{}

func (busyError) Error() string { return "import is being loaded by another worker" }

// RetryAfter says when to try again.
func (busyError) RetryAfter() time.Duration { return 10 * time.Second }

// ImportFailure is a load that can never succeed (the stored file cannot
// be read as the upload read it). LoadImport has marked the import FAILED.
type ImportFailure struct{ Reason string }

func (e *ImportFailure) Error() string { return "import failed: " + e.Reason }

// Permanent reports that retrying is pointless.
func (e *ImportFailure) Permanent() bool { return true }

// LoadImport loads an import's stored file into shipments, batch by batch,
// from its checkpoint. Each batch's shipments, rejected rows, checkpoint
// and counts commit in one transaction, so a load killed at any moment and
// run again continues exactly after the last commit. Two loads of one
// import never run at once: the second returns ErrImportBusy.
func (im *Importer) LoadImport(ctx context.Context, sellerID, importID string) error {
	select {
	case im.loads <- struct{}{}:
		defer func() { <-im.loads }()
	default:
		return ErrImportBusy // this process loads enough already
	}
	conn, err := im.store.Conn(ctx)
	if err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	defer func() {
		im.store.UnlockImport(context.WithoutCancel(ctx), conn, importID) //nolint:errcheck // a connection that cannot unlock is closed, which unlocks
		conn.Close()
	}()
	ok, err := im.store.LockImport(ctx, conn, importID)
	if err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	if !ok {
		return ErrImportBusy
	}
	var imp store.Import
	err = conn.Transact(ctx, func(tx *sqlx.Tx) error {
		imp, err = im.store.StartImport(ctx, tx, sellerID, importID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // finished, or deleted with its seller
	}
	if err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx) // stops the reader and its prefetch
	defer cancel()
	rd, src, err := im.openStored(ctx, imp)
	var readErr *storedReadError
	switch {
	case errors.As(err, &readErr) || ctx.Err() != nil:
		return fmt.Errorf("load import: %w", err) // the database, not the file: retry
	case err != nil:
		return im.fail(ctx, imp, err)
	}
	// Batches committed beyond the checkpoint by an earlier attempt are
	// skipped; the first batch of the file starts at origin.
	ahead, err := im.store.ImportBatchesAhead(ctx, imp.SellerID, imp.ID)
	if err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	origin := rd.Offset()
	writers := []*store.Conn{conn}
	for len(writers) < im.opt.Writers {
		c, err := im.store.Conn(ctx)
		if err != nil {
			return fmt.Errorf("load import: %w", err)
		}
		defer c.Close()
		writers = append(writers, c)
	}
	batches := make(chan *importBatch, 1) // parse the next batch while others commit
	readDone := make(chan error, 1)
	go func() {
		defer close(batches)
		readDone <- im.readBatches(ctx, imp, rd, src, ahead, batches)
	}()
	if err := im.writeBatches(ctx, writers, imp, origin, batches); err != nil {
		cancel()
		for range batches { // drain, so the reader ends
		}
		return fmt.Errorf("load import: %w", err)
	}
	if err := <-readDone; err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	return conn.Transact(ctx, func(tx *sqlx.Tx) error {
		_, err := im.store.CompleteImport(ctx, tx, imp.SellerID, imp.ID)
		return err
	})
}

// openStored opens the import's stored file at its checkpoint.
func (im *Importer) openStored(ctx context.Context, imp store.Import) (*ingest.Reader, *recorder, error) {
	loc, err := time.LoadLocation(imp.TimeZone)
	if err != nil {
		return nil, nil, err
	}
	opt := ingest.Options{
		Format: ingest.Format(imp.Format), Location: loc, MaxRowBytes: imp.MaxRowBytes,
		ResolveCarrier: tracking.ResolveCarrier,
	}
	var offset int64
	if imp.CheckpointOffset != nil {
		offset = *imp.CheckpointOffset
	}
	src := &recorder{r: newChunkReader(ctx, im.store, imp, offset), base: offset}
	if imp.CheckpointOffset == nil {
		rd, err := ingest.NewReader(src, opt)
		return rd, src, err
	}
	cp := ingest.Checkpoint{Offset: offset, Line: *imp.CheckpointLine, Header: imp.Header}
	rd, err := ingest.NewReaderAt(src, cp, opt)
	return rd, src, err
}

// fail marks the import FAILED for an error that retrying cannot fix.
func (im *Importer) fail(ctx context.Context, imp store.Import, cause error) error {
	reason := "the stored file cannot be read again: " + cause.Error()
	if err := im.store.FailImport(ctx, imp.SellerID, imp.ID, reason); err != nil {
		return fmt.Errorf("load import: %w", err)
	}
	return &ImportFailure{Reason: reason}
}

// FailImport marks an unfinished import FAILED, for a load that gave up.
func (im *Importer) FailImport(ctx context.Context, sellerID, importID, reason string) error {
	return im.store.FailImport(ctx, sellerID, importID, reason)
}

// importBatch is a batch of rows, ready to commit.
type importBatch struct {
	writes   []store.ShipmentWrite // one per identity, the last row's fields winning
	numbers  []string              // distinct normalised numbers of writes
	errs     []store.ImportError
	accepted int // rows accepted, repeats of an identity included
	created  int // set once written
	progress store.ImportProgress
}

type identity struct{ order, number string }

// readBatches reads rows into batches of opt.BatchRows and sends them. The
// ranges in ahead (committed by an earlier attempt beyond its checkpoint,
// by offset) are read past, not sent: a batch ends where one begins.
func (im *Importer) readBatches(ctx context.Context, imp store.Import, rd *ingest.Reader, src *recorder, ahead []store.ImportBatch, out chan<- *importBatch) error {
	for eof := false; !eof; {
		if len(ahead) > 0 && rd.Offset() >= ahead[0].Start {
			if err := skipRange(rd, src, ahead[0]); err != nil {
				return err
			}
			ahead = ahead[1:]
			continue
		}
		parseStart := time.Now()
		b := &importBatch{writes: make([]store.ShipmentWrite, 0, im.opt.BatchRows)}
		b.progress.Start, b.progress.Lines = rd.Offset(), -rd.Line()
		slot := make(map[identity]int, im.opt.BatchRows)
		seen := make(map[string]bool, im.opt.BatchRows)
		for n := 0; n < im.opt.BatchRows; n++ {
			if len(ahead) > 0 && rd.Offset() >= ahead[0].Start {
				break // a batch committed earlier starts here
			}
			start, startLine := rd.Offset(), rd.Line()
			src.forget(start) // rows before this one are settled
			row, err := rd.Next()
			if err == io.EOF {
				eof = true
				break
			}
			var rerr *ingest.RowError
			switch {
			case errors.As(err, &rerr):
				b.errs = append(b.errs, store.ImportError{Line: rerr.Line, Column: rerr.Column, Message: rerr.Message, Record: []byte(rerr.Record)})
				b.progress.Rejected++
				continue
			case err != nil:
				return err
			}
			w, ferr := write(rowInput(row))
			if ferr != nil {
				b.errs = append(b.errs, store.ImportError{
					Line: row.Line, Column: columnOf(imp.Format, ferr.Field), Message: ferr.Message,
					Record: src.record(start, rd.Offset(), row.Line-startLine),
				})
				b.progress.Rejected++
				continue
			}
			b.accepted++
			if !w.TrackingValid {
				b.progress.InvalidTracking++
			}
			key := identity{w.OrderID, w.NormalizedTrackingNumber}
			if j, ok := slot[key]; ok {
				b.writes[j] = w
			} else {
				slot[key] = len(b.writes)
				b.writes = append(b.writes, w)
			}
			if !seen[w.NormalizedTrackingNumber] {
				seen[w.NormalizedTrackingNumber] = true
				b.numbers = append(b.numbers, w.NormalizedTrackingNumber)
			}
		}
		cp := rd.Checkpoint()
		b.progress.Offset, b.progress.Line = cp.Offset, cp.Line
		b.progress.Lines += cp.Line
		if cp.Offset == b.progress.Start {
			continue // nothing read: the end of the file
		}
		if im.opt.OnStep != nil {
			im.opt.OnStep(StepParse, time.Since(parseStart))
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// skipRange reads past a batch an earlier attempt committed, which must
// end on a row boundary where it said.
func skipRange(rd *ingest.Reader, src *recorder, b store.ImportBatch) error {
	if rd.Offset() != b.Start {
		return fmt.Errorf("a committed batch starts at offset %d; the file has a row boundary at %d", b.Start, rd.Offset())
	}
	for rd.Offset() < b.End {
		src.forget(rd.Offset())
		_, err := rd.Next()
		var rerr *ingest.RowError
		switch {
		case err == io.EOF:
			return fmt.Errorf("the file ends at %d, inside a committed batch (%d to %d)", rd.Offset(), b.Start, b.End)
		case err != nil && !errors.As(err, &rerr):
			return err
		}
	}
	if rd.Offset() != b.End || rd.Line() != b.EndLine {
		return fmt.Errorf("a committed batch ends at offset %d, line %d; the file has a row boundary at %d, line %d", b.End, b.EndLine, rd.Offset(), rd.Line())
	}
	return nil
}

func rowInput(r ingest.Row) shipment.Input {
	return shipment.Input{
		OrderID: r.OrderID, Carrier: r.Carrier, TrackingNumber: r.TrackingNumber, Service: r.Service,
		ShipBy: r.ShipBy, ShippedAt: r.ShippedAt, DeliverBy: r.DeliverBy, PostalCode: r.PostalCode, Country: r.Country,
		Origin: shipment.Place{PostalCode: r.OriginPostal, Country: r.OriginCountry},
	}
}

// columnOf names, in the file's terms, the column of a field the write
// rules rejected.
func columnOf(format, field string) string {
	if format == string(ingest.FormatAmazonFlatFile) {
		switch field {
		case "orderId":
			return "order-id"
		case "trackingNumber":
			return "tracking-number"
		case "service":
			return "ship-method"
		case "carrier":
			return "carrier-code"
		case "shippedAt":
			return "ship-date"
		}
		return ""
	}
	switch field {
	case "orderId":
		return "order_id"
	case "trackingNumber":
		return "tracking_number"
	case "carrier", "service":
		return field
	case "shipBy":
		return "ship_by"
	case "shippedAt":
		return "shipped_at"
	case "deliverBy":
		return "deliver_by"
	case "destination.postalCode":
		return "destination_postal_code"
	case "destination.country":
		return "destination_country"
	case "origin.postalCode":
		return "origin_postal_code"
	case "origin.country":
		return "origin_country"
	}
	return ""
}

// ResumeImports finds loads whose worker died (its process was killed, or
// lost the database) and queues them again; they continue from their
// checkpoint. An import resumed too often is failed instead: something in
// it kills its loader.
func (im *Importer) ResumeImports(ctx context.Context) (int, error) {
	const staleAfter, maxResumes = 10 * time.Second, 20
	var failed []store.ImportRef
	n := 0
	err := im.store.Transact(ctx, func(tx *sqlx.Tx) error {
		failed, n = nil, 0 // a retried transaction starts over
		refs, err := im.store.ClaimOrphanedImports(ctx, tx, staleAfter)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if ref.Resumes > maxResumes {
				failed = append(failed, ref)
				continue
			}
			if err := im.opt.Enqueue(ctx, tx, ref.SellerID, ref.ID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("resume imports: %w", err)
	}
	for _, ref := range failed {
		reason := fmt.Sprintf("the load stopped %d times without finishing", ref.Resumes)
		if err := im.store.FailImport(ctx, ref.SellerID, ref.ID, reason); err != nil {
			return n, fmt.Errorf("resume imports: %w", err)
		}
	}
	return n, nil
}
