package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"time"
)

// client speaks to the server as sellers and providers do: GraphQL with a
// Bearer key, multipart uploads, signed webhooks.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

type gqlError struct {
	Message string `json:"message"`
}

// graphql posts one request and decodes data into v. A GraphQL error is
// an error here: the soak sends only valid requests.
func (c *client) graphql(ctx context.Context, key, query string, vars map[string]any, v any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	return c.do(req, v)
}

func (c *client) do(req *http.Request, v any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("graphql: HTTP %d: %.200s", resp.StatusCode, raw)
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("graphql: %s", out.Errors[0].Message)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(out.Data, v)
}

const uploadQuery = `mutation($file: Upload!) { uploadShipments(file: $file) { id status } }`

// upload sends a file as `curl -F operations=... -F map=... -F 0=@file`
// does, streamed, and returns the import's id.
func (c *client) upload(ctx context.Context, key, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			ops, err := json.Marshal(map[string]any{"query": uploadQuery, "variables": map[string]any{"file": nil}})
			if err != nil {
				return err
			}
			if err := mw.WriteField("operations", string(ops)); err != nil {
				return err
			}
			if err := mw.WriteField("map", `{"0":["variables.file"]}`); err != nil {
				return err
			}
			part, err := mw.CreateFormFile("0", "soak-shipments.txt")
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", pr)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	var out struct {
		UploadShipments struct{ ID string }
	}
	if err := c.do(req, &out); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	return out.UploadShipments.ID, nil
}
