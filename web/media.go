package web

import (
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// media: GET /media/{id} — an uploaded file, to whoever may see the post it
// is attached to (or the space it illustrates, or its uploader before it is
// used). Images are shown; every other file is downloaded, never rendered
// by the browser as a page of this node, and nothing in it may run. With
// ?key= (the address the Mastodon API gives apps), the key opens the file.
func (w *Web) media(rw http.ResponseWriter, r *http.Request, rq *request) error {
	id := mux.Vars(r)["id"]
	var (
		m   *spaces.Media
		f   *os.File
		err error
	)
	if key := r.URL.Query().Get("key"); key != "" {
		// an app's image, which comes without the session (see spaces.MediaKeys)
		m, f, err = w.spaces.OpenMediaByKey(r.Context(), id, key)
	} else {
		m, f, err = w.spaces.OpenMedia(r.Context(), rq.viewer, id)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := rw.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	disposition := "attachment"
	if strings.HasPrefix(m.MediaType, "image/") {
		disposition = "inline"
	}
	name := m.Name
	if name == "" {
		name = m.ID
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	http.ServeContent(rw, r, "", m.CreatedAt, f)
	return nil
}
