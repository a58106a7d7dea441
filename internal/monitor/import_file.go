package monitor

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/shipwatch/shipwatch/internal/store"
)

// chunkReader reads an import's stored file from an offset, fetching the
// next chunk while the current one is read.
type chunkReader struct {
	ctx     context.Context
	st      *store.Store
	imp     store.Import
	seq     int // next chunk to take
	chunks  int
	skip    int // bytes to drop from the first chunk taken
	cur     []byte
	pending chan chunkResult // the prefetched chunk seq, if any
}

type chunkResult struct {
	data []byte
	err  error
}

// storedReadError is a failure to read the stored file from the database:
// worth retrying, unlike a file that cannot be read as it was uploaded.
type storedReadError struct{ err error }

func (e *storedReadError) Error() string { return "read stored file: " + e.err.Error() }
func (e *storedReadError) Unwrap() error { return e.err }

func newChunkReader(ctx context.Context, st *store.Store, imp store.Import, offset int64) *chunkReader {
	size := int64(imp.ChunkBytes)
	return &chunkReader{
		ctx: ctx, st: st, imp: imp,
		seq:    int(offset / size),
		skip:   int(offset % size),
		chunks: int((imp.FileBytes + size - 1) / size),
	}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		if c.seq >= c.chunks {
			return 0, io.EOF
		}
		data, err := c.take()
		if err != nil {
			return 0, err
		}
		if c.skip > 0 {
			if c.skip > len(data) {
				return 0, fmt.Errorf("stored file: offset beyond chunk %d", c.seq-1)
			}
			data, c.skip = data[c.skip:], 0
		}
		c.cur = data
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// take returns chunk c.seq and starts fetching the one after.
func (c *chunkReader) take() ([]byte, error) {
	var r chunkResult
	if c.pending != nil {
		r, c.pending = <-c.pending, nil
	} else {
		r.data, r.err = c.st.ImportChunk(c.ctx, c.imp.SellerID, c.imp.ID, c.seq)
	}
	if r.err != nil {
		return nil, &storedReadError{r.err}
	}
	want := c.imp.ChunkBytes
	if c.seq == c.chunks-1 {
		want = int(c.imp.FileBytes - int64(c.seq)*int64(c.imp.ChunkBytes))
	}
	if len(r.data) != want {
		return nil, &storedReadError{fmt.Errorf("chunk %d has %d bytes, want %d", c.seq, len(r.data), want)}
	}
	c.seq++
	if c.seq < c.chunks {
		ch, seq := make(chan chunkResult, 1), c.seq
		go func() {
			data, err := c.st.ImportChunk(c.ctx, c.imp.SellerID, c.imp.ID, seq)
			ch <- chunkResult{data, err}
		}()
		c.pending = ch
	}
	return r.data, nil
}

// recorder passes a file through and keeps the bytes read since the last
// forget, so a rejected row's raw text can be cut out of them.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // file offset of buf[0]
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

// forget drops the bytes before offset upTo, in large steps so the copying
// stays a small fraction of the reading.
func (rc *recorder) forget(upTo int64) {
	k := upTo - rc.base
	switch {
	case k <= 0:
		return
	case k >= int64(len(rc.buf)):
		rc.buf, k = rc.buf[:0], int64(len(rc.buf))
	case k >= 1<<20:
		rc.buf = rc.buf[:copy(rc.buf, rc.buf[k:])]
	default:
		return
	}
	rc.base += k
}

// record returns the file's bytes from start to end, without the first
// skipLines lines (blank lines skipped before a row) and the final line
// break.
func (rc *recorder) record(start, end int64, skipLines int) []byte {
	if start < rc.base || end > rc.base+int64(len(rc.buf)) || start > end {
		return nil
	}
	b := rc.buf[start-rc.base : end-rc.base]
	for ; skipLines > 0; skipLines-- {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		b = b[i+1:]
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return bytes.Clone(b)
}
