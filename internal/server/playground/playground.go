// Package playground serves GraphiQL from the binary: the page, and the
// script and style sheet that esbuild bundled from the npm packages pinned
// in package-lock.json (dist/, committed, rebuilt with `make playground`).
// Nothing is fetched from elsewhere, so the playground works with the
// network off. Queries and mutations go to the GraphQL endpoint over HTTP,
// subscriptions over its websocket (graphql-transport-ws), both with the
// headers pane's Authorization header, which the page prefills.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"time"
)

//go:embed dist/graphiql.js dist/graphiql.css
var dist embed.FS

// asset is one bundled file with the version its URL carries, so a
// browser may cache it for good and still gets a rebuilt one.
type asset struct {
	body    []byte
	version string
	ctype   string
}

func load(name, ctype string) asset {
	b, err := dist.ReadFile("dist/" + name)
	if err != nil {
		panic("playground: " + err.Error()) // embedded: cannot happen
	}
	sum := sha256.Sum256(b)
	return asset{body: b, version: hex.EncodeToString(sum[:6]), ctype: ctype}
}

var (
	script = load("graphiql.js", "text/javascript; charset=utf-8")
	style  = load("graphiql.css", "text/css; charset=utf-8")
)

// DefaultQuery is what the editor shows on a first visit.
const DefaultQuery = `# Welcome to Shipwatch's GraphQL playground.
#
# 1. Put your API key in the Headers pane below:
#    {"Authorization": "Bearer sw_..."}
#    (create one with: shipwatch seller create --name "My shop")
# 2. Run this query with the play button or Ctrl-Enter.
# 3. The Docs button (top left) describes every type and field.
#
# Subscriptions (flagRaised, shipmentUpdated, shipmentImportProgress)
# run over this endpoint's websocket with the same header.

query Overview {
  viewer { name timeZone }
  flags(filter: {open: true}, first: 10) {
    totalCount
    edges { node { kind severity message shipment { orderId trackingNumber } } }
  }
}
`

// DefaultHeaders prefills the headers pane.
const DefaultHeaders = `{"Authorization": "Bearer <api_key>"}`

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.Base}}/graphiql.css?v={{.StyleVersion}}">
<style>html, body, #graphiql { height: 100%; margin: 0; } noscript p { font: 16px sans-serif; padding: 1rem; }</style>
</head>
<body>
<div id="graphiql"><noscript><p>The playground needs JavaScript. The API is at <code>{{.Endpoint}}</code>.</p></noscript></div>
<script id="playground-config" type="application/json">{{.Config}}</script>
<script src="{{.Base}}/graphiql.js?v={{.ScriptVersion}}"></script>
</body>
</html>
`))

// Handler serves the page at its route and the assets under base
// ("/playground" serves /playground/graphiql.js and .css). endpoint is
// the GraphQL endpoint's path.
func Handler(title, endpoint, base string) (pageHandler, assets http.Handler) {
	cfg, err := json.Marshal(map[string]string{"endpoint": endpoint, "headers": DefaultHeaders, "query": DefaultQuery})
	if err != nil {
		panic("playground: " + err.Error()) // strings: cannot happen
	}
	var buf bytes.Buffer
	err = page.Execute(&buf, map[string]any{
		"Title": title, "Base": base, "Endpoint": endpoint,
		// template.JS: html/template would otherwise quote the JSON as a
		// string; it is JSON of strings only, with < escaped by Marshal.
		"Config":       template.JS(cfg), //nolint:gosec // JSON from constants
		"StyleVersion": style.version, "ScriptVersion": script.version,
	})
	if err != nil {
		panic("playground: " + err.Error())
	}
	html := buf.Bytes()
	pageHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(html) //nolint:errcheck // the client went away
	})
	assets = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a asset
		switch r.URL.Path {
		case base + "/graphiql.js":
			a = script
		case base + "/graphiql.css":
			a = style
		default:
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
	return pageHandler, assets
}

// ContentSecurityPolicy keeps the page to its own origin: scripts and
// styles from the server (GraphiQL sets inline styles, its fonts are data:
// URLs), requests to the same host over HTTP and websocket.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
