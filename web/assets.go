package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// assets are the static files, served under fingerprinted names
// (/static/app.3f2a9c1e.css) that change whenever the content does: browsers
// keep them for a year and never ask again, and a new release is fetched at once.
type assets struct {
	byURL  map[string]*asset // /static/app.3f2a9c1e.css → asset
	byName map[string]string // app.css → /static/app.3f2a9c1e.css
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byURL: map[string]*asset{}, byName: map[string]string{}}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		u := "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byURL[u] = &asset{body: body, contentType: ct, etag: `"` + hash + `"`}
		a.byName[name] = u
		return nil
	})
	return a, err
}

// url returns the fingerprinted URL of a static file; templates call it as asset.
func (a *assets) url(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

// serve answers a request for a static file. Only current fingerprints exist:
// an old one is a 404 (a page of the previous release, long gone from caches).
func (a *assets) serve(rw http.ResponseWriter, r *http.Request) {
	f, ok := a.byURL[r.URL.Path]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(rw, r, "", time.Time{}, bytes.NewReader(f.body))
}

// StaticURL is the address (path, fingerprinted) of a static file, for the
// other doors that show the node's images (the Mastodon API's default
// avatar and header).
func (w *Web) StaticURL(name string) (string, error) { return w.assets.url(name) }
