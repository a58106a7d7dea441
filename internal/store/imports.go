package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Import statuses.
const (
	ImportQueued     = "QUEUED"
	ImportProcessing = "PROCESSING"
	ImportCompleted  = "COMPLETED"
	ImportFailed     = "FAILED"
)

// Import is a shipment_imports row: an uploaded file of shipments and how
// far its load has got.
type Import struct {
	ID              string         `db:"id"`
	SellerID        string         `db:"seller_id"`
	Filename        string         `db:"filename"`
	Format          string         `db:"format"`
	Status          string         `db:"status"`
	TimeZone        string         `db:"time_zone"`
	MaxRowBytes     int            `db:"max_row_bytes"`
	Header          string         `db:"header"`
	FileBytes       int64          `db:"file_bytes"`
	ChunkBytes      int            `db:"chunk_bytes"`
	RowsTotal       *int           `db:"rows_total"`
	RowsProcessed   int            `db:"rows_processed"`
	Created         int            `db:"created"`
	Updated         int            `db:"updated"`
	Rejected        int            `db:"rejected"`
	InvalidTracking int            `db:"invalid_tracking"`
	Warnings        pq.StringArray `db:"warnings"`
	Failure         string         `db:"failure"`
	// CheckpointOffset and CheckpointLine locate the first row not yet
	// committed; nil before the first batch.
	CheckpointOffset *int64     `db:"checkpoint_offset"`
	CheckpointLine   *int       `db:"checkpoint_line"`
	HeartbeatAt      *time.Time `db:"heartbeat_at"`
	Resumes          int        `db:"resumes"`
	CreatedAt        time.Time  `db:"created_at"`
	StartedAt        *time.Time `db:"started_at"`
	FinishedAt       *time.Time `db:"finished_at"`
}

// Finished reports whether the import reached a final status.
func (im Import) Finished() bool { return im.Status == ImportCompleted || im.Status == ImportFailed }

const importColumns = `id, seller_id, filename, format, status, time_zone, max_row_bytes, header,
	file_bytes, chunk_bytes, rows_total, rows_processed, created, updated, rejected, invalid_tracking,
	warnings, failure, checkpoint_offset, checkpoint_line, heartbeat_at, resumes,
	created_at, started_at, finished_at`

// NewImport is what an upload knows before its file is stored.
type NewImport struct {
	Filename    string
	Format      string
	TimeZone    string
	MaxRowBytes int
	Header      string
	ChunkBytes  int
	Warnings    []string
}

// InsertImport creates an import, QUEUED, in the upload's transaction: it
// and its chunks become visible together, or not at all.
func (s *Store) InsertImport(ctx context.Context, tx *sqlx.Tx, sellerID string, n NewImport) (Import, error) {
	if n.Warnings == nil {
		n.Warnings = []string{} // an empty array, not NULL
	}
	var im Import
	err := tx.GetContext(ctx, &im, `
		INSERT INTO shipment_imports (seller_id, filename, format, time_zone, max_row_bytes, header,
			file_bytes, chunk_bytes, warnings)
		VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)
		RETURNING `+importColumns,
		sellerID, n.Filename, n.Format, n.TimeZone, n.MaxRowBytes, n.Header, n.ChunkBytes, pq.StringArray(n.Warnings))
	if err != nil {
		return Import{}, fmt.Errorf("insert import: %w", mapErr(err))
	}
	return im, nil
}

// InsertImportChunk stores the seq-th chunk of an import's file.
func (s *Store) InsertImportChunk(ctx context.Context, tx *sqlx.Tx, importID string, seq int, data []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO shipment_import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`,
		importID, seq, data)
	if err != nil {
		return fmt.Errorf("insert import chunk %d: %w", seq, mapErr(err))
	}
	return nil
}

// FinishImportUpload records the stored file's size and row count.
func (s *Store) FinishImportUpload(ctx context.Context, tx *sqlx.Tx, sellerID, importID string, fileBytes int64, rowsTotal int) (Import, error) {
	var im Import
	err := tx.GetContext(ctx, &im, `
		UPDATE shipment_imports SET file_bytes = $3, rows_total = $4
		WHERE seller_id = $1 AND id = $2
		RETURNING `+importColumns, sellerID, importID, fileBytes, rowsTotal)
	if err != nil {
		return Import{}, fmt.Errorf("finish import upload: %w", mapErr(err))
	}
	return im, nil
}

// Import returns one of the seller's imports.
func (s *Store) Import(ctx context.Context, sellerID, id string) (Import, error) {
	var im Import
	err := s.db.GetContext(ctx, &im, `SELECT `+importColumns+` FROM shipment_imports WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return Import{}, fmt.Errorf("import: %w", mapErr(err))
	}
	return im, nil
}

// Imports lists the seller's imports, newest first.
func (s *Store) Imports(ctx context.Context, sellerID string, limit int, after Cursor) (Page[Import], error) {
	rows := []Import{}
	t, id := after.after()
	err := s.db.SelectContext(ctx, &rows, `SELECT `+importColumns+` FROM shipment_imports
		WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, t, id, limit+1)
	if err != nil {
		return Page[Import]{}, fmt.Errorf("imports: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(im Import) Cursor { return Cursor{Time: im.CreatedAt, ID: im.ID} }), nil
}

// ImportChunk returns the seq-th chunk of an import's file.
func (s *Store) ImportChunk(ctx context.Context, sellerID, importID string, seq int) ([]byte, error) {
	var data []byte
	err := s.db.GetContext(ctx, &data, `
		SELECT c.data FROM shipment_import_chunks c JOIN shipment_imports i ON i.id = c.import_id
		WHERE i.seller_id = $1 AND c.import_id = $2 AND c.seq = $3`, sellerID, importID, seq)
	if err != nil {
		return nil, fmt.Errorf("import chunk %d: %w", seq, mapErr(err))
	}
	return data, nil
}

// ImportError is a rejected row of an import.
type ImportError struct {
	Line    int    `db:"line"`
	Column  string `db:"column_name"`
	Message string `db:"message"`
	// Record is the row's raw bytes, as in the file.
	Record []byte `db:"record"`
}

// lineCursor makes a keyset cursor of a line number: the time is unused.
func lineCursor(line int) Cursor { return Cursor{Time: time.Unix(0, 0), ID: strconv.Itoa(line)} }

// ImportErrors lists an import's rejected rows by line, without their
// raw text.
func (s *Store) ImportErrors(ctx context.Context, sellerID, importID string, limit int, after Cursor) (Page[ImportError], error) {
	afterLine := 0
	if after.ID != "" {
		n, err := strconv.Atoi(after.ID)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return Page[ImportError]{}, ErrBadCursor
		}
		afterLine = n
	}
	rows := []ImportError{}
	err := s.db.SelectContext(ctx, &rows, `SELECT line, column_name, message FROM shipment_import_errors
		WHERE seller_id = $1 AND import_id = $2 AND line > $3
		ORDER BY line LIMIT $4`, sellerID, importID, afterLine, limit+1)
	if err != nil {
		return Page[ImportError]{}, fmt.Errorf("import errors: %w", mapErr(err))
	}
	return pageOf(rows, limit, func(e ImportError) Cursor { return lineCursor(e.Line) }), nil
}

// EachImportError calls fn with every rejected row of an import, raw text
// included, in line order, streaming: memory does not grow with the count.
func (s *Store) EachImportError(ctx context.Context, sellerID, importID string, fn func(ImportError) error) error {
	rows, err := s.db.QueryxContext(ctx, `SELECT line, column_name, message, record FROM shipment_import_errors
		WHERE seller_id = $1 AND import_id = $2 ORDER BY line`, sellerID, importID)
	if err != nil {
		return fmt.Errorf("import errors: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e ImportError
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("import errors: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import errors: %w", mapErr(err))
	}
	return nil
}
