package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// multipartStream is the GraphQL multipart request spec transport
// (https://github.com/jaydenseric/graphql-multipart-request-spec) with the
// last file streamed: the resolver reads it straight off the request body
// while it arrives, so a gigabyte upload is neither held in memory nor
// spooled to a temporary file first.
//
// gqlgen's MultipartForm (v0.17.95) reads every file before running the
// operation: into memory when the request's Content-Length is under
// MaxMemory, which a chunked request (no Content-Length, so -1) always is,
// and otherwise into a temporary file. The first lets one chunked upload
// take the whole upload limit of memory; the second copies every upload to
// disk before the import can look at its header, so a file to be refused
// is received whole anyway. Here only files before the last (which must be
// read past to reach it) and a file filling several variables are spooled
// to temporary files; uploadShipments takes one file, which always streams.
type multipartStream struct {
	maxFile int64 // for the message when the body outgrows its limit
}

var _ graphql.Transport = multipartStream{}

// Supports implements graphql.Transport.
func (multipartStream) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "multipart/form-data"
}

// Do implements graphql.Transport.
func (t multipartStream) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	start := graphql.Now()
	refuse := func(format string, args ...any) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: fmt.Sprintf(format, args...)}}})
	}
	mr, err := r.MultipartReader()
	if err != nil {
		refuse("failed to parse multipart form")
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "operations" {
		refuse("first part must be operations")
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(part)
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		refuse("operations form field could not be decoded")
		return
	}
	part, err = mr.NextPart()
	if err != nil || part.FormName() != "map" {
		refuse("second part must be map")
		return
	}
	uploads := map[string][]string{}
	if err := json.NewDecoder(part).Decode(&uploads); err != nil {
		refuse("map form field could not be decoded")
		return
	}
	for len(uploads) > 0 { // the files, after map
		part, err = mr.NextPart()
		if err != nil {
			refuse("expected %d more file parts named in map", len(uploads))
			return
		}
		key := part.FormName()
		paths, ok := uploads[key]
		if !ok || len(paths) == 0 {
			refuse("file part %s is not in map, or map gives it no path", clip.Quote(key))
			return
		}
		delete(uploads, key)
		info := graphql.Upload{Filename: part.FileName(), Size: -1, ContentType: part.Header.Get("Content-Type")}
		var files []io.ReadSeeker
		if len(uploads) == 0 && len(paths) == 1 { // the last part, for one variable
			files = append(files, &partFile{p: part, maxFile: t.maxFile})
		} else {
			sp, err := spool(&partFile{p: part, maxFile: t.maxFile}, len(paths))
			defer sp.remove()
			if err != nil {
				refuse("file %s could not be received: %s", clip.Quote(key), clip.Text(err.Error()))
				return
			}
			info.Size = sp.size
			for _, f := range sp.files {
				files = append(files, f)
			}
		}
		for j, path := range paths {
			u := info
			u.File = files[j]
			if gerr := addUpload(&params, u, key, path); gerr != nil {
				w.WriteHeader(http.StatusUnprocessableEntity)
				writeResponse(w, &graphql.Response{Errors: gqlerror.List{gerr}})
				return
			}
		}
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, gerrs := exec.CreateOperationContext(r.Context(), &params)
	if gerrs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(r.Context(), rc), gerrs)
		if errcode.GetErrorKind(gerrs) == errcode.KindProtocol {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		writeResponse(w, resp)
		return
	}
	// The operation runs here, reading the file from the body as it comes.
	responses, ctx := exec.DispatchOperation(r.Context(), rc)
	writeResponse(w, responses(ctx))
}

// addUpload puts the upload at its variables path; gqlgen's AddUpload
// panics on a path that does not match the variables' shape.
func addUpload(p *graphql.RawParams, u graphql.Upload, key, path string) (gerr *gqlerror.Error) {
	defer func() {
		if recover() != nil {
			gerr = gqlerror.Errorf("invalid operations path %s for file %s", clip.Quote(path), clip.Quote(key))
		}
	}()
	return p.AddUpload(u, key, path)
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("marshal GraphQL response: %w", err))
	}
	w.Write(b) //nolint:errcheck // the client went away
}

// partFile is a streaming file part as a graphql.Upload's File. It cannot
// seek; a body over the upload limit reads as a field error on "file".
type partFile struct {
	p       *multipart.Part
	maxFile int64
}

func (f *partFile) Read(b []byte) (int, error) {
	n, err := f.p.Read(b)
	var tooLarge *http.MaxBytesError
	var slow *SlowUploadError
	switch {
	case errors.As(err, &tooLarge):
		err = &shipment.FieldError{Field: "file", Message: fmt.Sprintf("is larger than this server's limit of %d bytes", f.maxFile)}
	case errors.As(err, &slow):
		err = &shipment.FieldError{Field: "file", Message: slow.Error()}
	}
	return n, err
}

func (f *partFile) Seek(int64, int) (int64, error) {
	return 0, errors.New("an uploaded file streams: it cannot seek")
}

// spooled is a file part copied to a temporary file, opened once for each
// variable it fills.
type spooled struct {
	name  string
	files []*os.File
	size  int64
}

func spool(r io.Reader, opens int) (*spooled, error) {
	f, err := os.CreateTemp("", "shipwatch-upload-")
	if err != nil {
		return &spooled{}, err
	}
	sp := &spooled{name: f.Name(), files: []*os.File{f}}
	if sp.size, err = io.Copy(f, r); err != nil {
		return sp, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return sp, err
	}
	for len(sp.files) < opens {
		g, err := os.Open(sp.name)
		if err != nil {
			return sp, err
		}
		sp.files = append(sp.files, g)
	}
	return sp, nil
}

// remove closes and deletes the temporary file.
func (sp *spooled) remove() {
	for _, f := range sp.files {
		f.Close()
	}
	if sp.name != "" {
		os.Remove(sp.name)
	}
}
