package monitor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // sellers' zones, on hosts without a zoneinfo database

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// Defaults of ImportOptions.
const (
	DefaultImportBatchRows = 10_000
	// DefaultImportWriters lets one batch commit while the next is written:
	// PostgreSQL then works on two cores.
	DefaultImportWriters = 2
	// importChunkBytes is the size of the pieces a file is stored in: big
	// enough that a gigabyte is a thousand rows, small enough to hold a few.
	importChunkBytes = 1 << 20
)

// ImportOptions configure file imports.
type ImportOptions struct {
	// MaxFileBytes is the largest file accepted.
	MaxFileBytes int64
	// MaxRowBytes is the longest row accepted; 0 means
	// ingest.DefaultMaxRowBytes.
	MaxRowBytes int
	// BatchRows is how many rows a load commits at once; 0 means
	// DefaultImportBatchRows.
	BatchRows int
	// Writers is how many batches a load writes at once, each on its own
	// connection; 0 means DefaultImportWriters.
	Writers int
	// MaxUploads and MaxLoads bound the uploads and loads this process runs
	// at once: each holds database connections (an upload one, a load
	// Writers plus one), and the pool is shared with every request. 0 means
	// 4 and 2.
	MaxUploads, MaxLoads int
	// OnBatch, when set, is told what each committed batch did (metrics).
	OnBatch func(created, updated, rejected int)
	// OnStep, when set, is told how long each step of each batch took
	// (the Step constants): where a load's time goes (metrics).
	OnStep func(step string, d time.Duration)
	// Enqueue inserts the job that loads an import, in the caller's
	// transaction (the upload's, or the resume sweep's).
	Enqueue func(ctx context.Context, tx *sqlx.Tx, sellerID, importID string) error
}

// Importer runs the file-import use cases: upload, load, resume and the
// errors file.
type Importer struct {
	svc     *Service
	store   *store.Store
	opt     ImportOptions
	uploads chan struct{} // semaphores
	loads   chan struct{}
}

// Importer returns the import use cases over s.
func (s *Service) Importer(opt ImportOptions) *Importer {
	if opt.MaxRowBytes <= 0 {
		opt.MaxRowBytes = ingest.DefaultMaxRowBytes
	}
	if opt.BatchRows <= 0 {
		opt.BatchRows = DefaultImportBatchRows
	}
	if opt.Writers <= 0 {
		opt.Writers = DefaultImportWriters
	}
	if opt.MaxUploads <= 0 {
		opt.MaxUploads = 4
	}
	if opt.MaxLoads <= 0 {
		opt.MaxLoads = 2
	}
	return &Importer{svc: s, store: s.store, opt: opt,
		uploads: make(chan struct{}, opt.MaxUploads), loads: make(chan struct{}, opt.MaxLoads)}
}

// Upload stores a seller's file as it streams in and queues its load, and
// returns the import at once. A file that is not delimited text with a
// known header, or is over the size limit, is refused with a
// *shipment.FieldError on "file" and nothing is stored: the file and the
// import commit together at the end.
func (im *Importer) Upload(ctx context.Context, seller store.Seller, filename string, format ingest.Format, file io.Reader) (store.Import, error) {
	loc, err := time.LoadLocation(seller.TimeZone)
	if err != nil {
		return store.Import{}, fmt.Errorf("upload: seller time zone: %w", err)
	}
	// The head holds the header row whatever the row limit, so the file is
	// judged before a byte of it is stored.
	headBytes := max(importChunkBytes, im.opt.MaxRowBytes+64<<10)
	br := bufio.NewReaderSize(file, headBytes)
	head, err := br.Peek(headBytes)
	if err != nil && err != io.EOF {
		return store.Import{}, uploadReadErr(err)
	}
	rd, err := ingest.NewReader(bytes.NewReader(head), ingest.Options{
		Format: format, Location: loc, MaxRowBytes: im.opt.MaxRowBytes, ResolveCarrier: tracking.ResolveCarrier,
	})
	var herr *ingest.HeaderError
	switch {
	case errors.Is(err, ingest.ErrNotDelimited), errors.As(err, &herr):
		return store.Import{}, &shipment.FieldError{Field: "file", Message: err.Error()}
	case err != nil:
		return store.Import{}, fmt.Errorf("upload: %w", err)
	}
	if int64(len(head)) > im.opt.MaxFileBytes {
		return store.Import{}, im.tooLarge()
	}
	// Waiting for a slot holds no connection: the client just waits to send.
	select {
	case im.uploads <- struct{}{}:
		defer func() { <-im.uploads }()
	case <-ctx.Done():
		return store.Import{}, fmt.Errorf("upload: %w", ctx.Err())
	}
	var out store.Import
	err = im.store.Transact(ctx, func(tx *sqlx.Tx) error {
		imp, err := im.store.InsertImport(ctx, tx, seller.ID, store.NewImport{
			Filename: cleanFilename(filename), Format: string(rd.Format()), TimeZone: seller.TimeZone,
			MaxRowBytes: im.opt.MaxRowBytes, Header: rd.Checkpoint().Header, ChunkBytes: importChunkBytes,
			Warnings: rd.Warnings(),
		})
		if err != nil {
			return err
		}
		size, lines, err := im.storeFile(ctx, tx, imp.ID, br)
		if err != nil {
			return err
		}
		if out, err = im.store.FinishImportUpload(ctx, tx, seller.ID, imp.ID, size, max(lines-1, 0)); err != nil {
			return err
		}
		return im.opt.Enqueue(ctx, tx, seller.ID, imp.ID)
	})
	if err != nil {
		return store.Import{}, fmt.Errorf("upload: %w", err)
	}
	return out, nil
}

// storeFile copies the file into chunks and returns its size and its
// number of lines, a last line without a line break included.
func (im *Importer) storeFile(ctx context.Context, tx *sqlx.Tx, importID string, r io.Reader) (size int64, lines int, err error) {
	buf := make([]byte, importChunkBytes)
	var last byte
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			size += int64(n)
			if size > im.opt.MaxFileBytes {
				return 0, 0, im.tooLarge()
			}
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
			if err := im.store.InsertImportChunk(ctx, tx, importID, seq, buf[:n]); err != nil {
				return 0, 0, err
			}
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			if size > 0 && last != '\n' {
				lines++
			}
			return size, lines, nil
		case err != nil:
			return 0, 0, uploadReadErr(err)
		}
	}
}

func (im *Importer) tooLarge() error {
	return &shipment.FieldError{Field: "file", Message: fmt.Sprintf("is larger than this server's limit of %s", byteSize(im.opt.MaxFileBytes))}
}

// uploadReadErr keeps a field error the transport made of a read error (a
// body over the limit) and wraps anything else.
func uploadReadErr(err error) error {
	var fe *shipment.FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return fmt.Errorf("read upload: %w", err)
}

// cleanFilename keeps the base name of what the client sent, as valid
// UTF-8 of at most 255 bytes.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	if len(name) > 255 {
		name = strings.ToValidUTF8(name[:255], "") // drops a rune cut in half
	}
	return name
}

// byteSize spells a size the way the configuration takes it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Import returns one of the seller's imports.
func (im *Importer) Import(ctx context.Context, sellerID, id string) (store.Import, error) {
	return im.store.Import(ctx, sellerID, id)
}

// Watch sends the seller's import now and then each time it changes,
// checking every interval, and closes the channel once the import is
// finished or ctx is done. Polling the row works the same on every replica,
// wherever the load runs.
func (im *Importer) Watch(ctx context.Context, sellerID, id string, interval time.Duration) (<-chan store.Import, error) {
	cur, err := im.store.Import(ctx, sellerID, id)
	if err != nil {
		return nil, err
	}
	ch := make(chan store.Import, 1)
	ch <- cur
	go func() {
		defer close(ch)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for last := cur; !last.Finished(); {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			next, err := im.store.Import(ctx, sellerID, id)
			if err != nil {
				return // deleted with its seller, or ctx ended mid-query
			}
			if progressOf(next) == progressOf(last) {
				continue
			}
			select {
			case ch <- next:
				last = next
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// progress is what a watcher sees change.
type progress struct {
	status                                               string
	processed, created, updated, rejected, invalid, rows int
	started, finished                                    bool
}

func progressOf(im store.Import) progress {
	p := progress{status: im.Status, processed: im.RowsProcessed, created: im.Created, updated: im.Updated,
		rejected: im.Rejected, invalid: im.InvalidTracking, started: im.StartedAt != nil, finished: im.FinishedAt != nil}
	if im.RowsTotal != nil {
		p.rows = *im.RowsTotal
	}
	return p
}
