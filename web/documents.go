package web

import (
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// Documents: a space's files in folders (its documents tab), a document's
// page with its preview and versions, and the forms that make folders,
// upload files (a file of a name the folder has is that document's new
// version), add a version and restore one. Who may do what is the domain's
// (spaces.MayAddDocument, GetDocument's MayChange), never decided here.
// Uploads are plain multipart forms; the page script shows their progress
// (form[data-upload]) and nothing depends on it.

// documentFields are the fields of the upload and folder forms.
var documentFields = []string{"file", "folder", "description", "name"}

// folderCrumb is a folder in the breadcrumbs or in a folder's list.
type folderCrumb struct {
	Name, Path, URL string
}

type documentsPage struct {
	Head    *spaceHead
	Path    string
	Crumbs  []folderCrumb // from the top to the folder shown, itself included
	Folders []folderCrumb
	Docs    []documentRow
	MayAdd  bool
	MaxMB   int64
}

// documentRow is a document in its folder's list.
type documentRow struct {
	P       *spaces.Post
	URL     string
	Current *spaces.DocumentVersion
}

type documentPage struct {
	Head     *spaceHead
	Entry    postView
	Doc      *spaces.DocumentView
	Crumbs   []folderCrumb
	Current  *spaces.DocumentVersion
	FileURL  string // the current version's file
	Preview  string // image, pdf, or "" when the file has no preview
	Versions []versionRow
	MaxMB    int64
}

type versionRow struct {
	V   *spaces.DocumentVersion
	URL string
}

// documentsURL is the page of a folder of a space's documents.
func documentsURL(sp *spaces.Space, folder string) string {
	u := spaceURL(sp) + "/documents"
	if folder != "" {
		u += "?folder=" + url.QueryEscape(folder)
	}
	return u
}

// documentURL is the page of a document.
func documentURL(p *spaces.Post) string {
	return spaceURL(p.Space) + "/documents/" + url.PathEscape(p.ID)
}

// versionURL is the file of a document's version.
func versionURL(p *spaces.Post, n int) string {
	return documentURL(p) + "/versions/" + strconv.Itoa(n)
}

func crumbs(sp *spaces.Space, path string) []folderCrumb {
	var out []folderCrumb
	for _, f := range spaces.FolderParents(path) {
		out = append(out, folderCrumb{Name: spaces.FolderName(f), Path: f, URL: documentsURL(sp, f)})
	}
	return out
}

// spaceDocuments: GET /spaces/{slug}/documents?folder= — a folder's
// subfolders and documents; 404 when the space switched its documents off.
func (w *Web) spaceDocuments(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderDocuments(rw, r, rq, http.StatusOK, r.URL.Query().Get("folder"), newForm(nil, documentFields...))
}

func (w *Web) renderDocuments(rw http.ResponseWriter, r *http.Request, rq *request, status int, folder string, f *form) error {
	h, err := w.loadSpace(r, rq, "documents")
	if err != nil {
		return err
	}
	if !h.Space.ToolOn(spaces.ToolDocuments) {
		return errNotFound // switched off: the documents stay, unlisted
	}
	list, err := w.spaces.SpaceDocuments(r.Context(), rq.viewer, accountHandle(h.Space.Account), folder)
	if err != nil {
		return err
	}
	view := documentsPage{Head: h, Path: list.Path, Crumbs: crumbs(h.Space, list.Path), MayAdd: list.MayAdd,
		MaxMB: w.spaces.Options().DocumentMaxUpload >> 20}
	for _, sub := range list.Folders {
		view.Folders = append(view.Folders, folderCrumb{Name: spaces.FolderName(sub), Path: sub, URL: documentsURL(h.Space, sub)})
	}
	for _, p := range list.Documents {
		row := documentRow{P: p, URL: documentURL(p)}
		if p.Document != nil && len(p.Document.Versions) > 0 {
			row.Current = p.Document.Versions[0]
		}
		view.Docs = append(view.Docs, row)
	}
	// an upload's answer, the document's page, replaces this page when the
	// script sent the form: this page may then embed its preview
	allowPreview(rw)
	title := rq.cat.T("documents.title", "name", h.Space.Account.DisplayName)
	if list.Path != "" {
		title = spaces.FolderName(list.Path) + " · " + title
	}
	w.renderForm(rw, r, rq, status, "space_documents", title, f, view)
	return nil
}

// uploadDocument: POST /spaces/{slug}/documents (multipart: folder,
// description, file) — a new document, or a new version of the folder's
// document of that name; then its page. A refused file comes back on the
// folder's page with its error.
func (w *Web) uploadDocument(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	folder := r.PostForm.Get("folder")
	fail := func(err error) error {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict, spaces.KindUnavailable:
			f := newForm(r, documentFields...)
			f.addError(rq.cat, err)
			return w.renderDocuments(rw, r, rq, errorStatus(err), folder, f)
		}
		return err
	}
	fh := formFile(r, "file")
	if fh == nil {
		return fail(&spaces.Error{Kind: spaces.KindInvalid, Field: "file", Code: "file_empty", Message: "choose a file"})
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	p, err := w.spaces.UploadDocument(r.Context(), me, mux.Vars(r)["slug"], spaces.DocumentUpload{Folder: folder,
		Name: fh.Filename, Description: r.PostForm.Get("description"), Language: rq.locale(), File: file})
	if err != nil {
		return fail(err)
	}
	w.setFlash(rw, "flash.document_uploaded")
	return redirect(rw, r, documentURL(p))
}

// formFile is the first file of a multipart form's field, nil for none.
func formFile(r *http.Request, field string) *multipart.FileHeader {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Filename == "" && fh.Size == 0 {
		return nil // the empty part of a file input left empty
	}
	return fh
}

// createFolder: POST /spaces/{slug}/documents/folders (parent, name) — a
// new folder, then its page.
func (w *Web) createFolder(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	slug, parent := mux.Vars(r)["slug"], r.PostForm.Get("folder")
	path, err := w.spaces.CreateDocumentFolder(r.Context(), me, slug, parent, r.PostForm.Get("name"))
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict:
			f := newForm(r, documentFields...)
			f.addError(rq.cat, err)
			return w.renderDocuments(rw, r, rq, errorStatus(err), parent, f)
		}
		return err
	}
	w.setFlash(rw, "flash.folder_created")
	return redirect(rw, r, "/spaces/"+url.PathEscape(slug)+"/documents?folder="+url.QueryEscape(path))
}

// document: GET /spaces/{slug}/documents/{id} — a document: its preview,
// description and versions, with the forms of those who may change it.
func (w *Web) document(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderDocument(rw, r, rq, http.StatusOK, newForm(nil, documentFields...))
}

func (w *Web) renderDocument(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	h, err := w.loadSpace(r, rq, "documents")
	if err != nil {
		return err
	}
	d, err := w.spaces.GetDocument(r.Context(), rq.viewer, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if d.Post.SpaceID != h.Space.AccountID {
		return errNotFound
	}
	views, err := w.postViews(r.Context(), rq.viewer, rq.locale(), []*spaces.Post{d.Post}, h.Rights)
	if err != nil {
		return err
	}
	p := d.Post
	view := documentPage{Head: h, Entry: views[0], Doc: d, Crumbs: crumbs(h.Space, p.Document.Folder),
		MaxMB: w.spaces.Options().DocumentMaxUpload >> 20}
	for _, v := range d.Versions {
		view.Versions = append(view.Versions, versionRow{V: v, URL: versionURL(p, v.Number)})
		if v.Number == p.Document.Current {
			view.Current = v
		}
	}
	if c := view.Current; c != nil && c.Media != nil {
		view.FileURL = versionURL(p, c.Number)
		switch {
		case c.Media.Path == "": // another server's file not copied here: a link only
		case strings.HasPrefix(c.Media.MediaType, "image/"):
			view.Preview = "image"
		case c.Media.MediaType == "application/pdf":
			view.Preview = "pdf"
			allowPreview(rw)
		}
	}
	w.renderForm(rw, r, rq, status, "space_document", p.Title+" · "+h.Space.Account.DisplayName, f, view)
	return nil
}

// allowPreview lets a page embed a PDF of this node (a document's preview),
// which Chromium's viewer shows in a frame of its own.
func allowPreview(rw http.ResponseWriter) {
	rw.Header().Set("Content-Security-Policy", contentSecurityPolicy+"; object-src 'self'; frame-src 'self'")
}

// addVersion: POST /spaces/{slug}/documents/{id}/versions (multipart:
// file) — a new version, whatever the file's name.
func (w *Web) addVersion(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	fail := func(err error) error {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict, spaces.KindUnavailable:
			f := newForm(r, documentFields...)
			f.addError(rq.cat, err)
			return w.renderDocument(rw, r, rq, errorStatus(err), f)
		}
		return err
	}
	fh := formFile(r, "file")
	if fh == nil {
		return fail(&spaces.Error{Kind: spaces.KindInvalid, Field: "file", Code: "file_empty", Message: "choose a file"})
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	p, err := w.spaces.AddDocumentVersion(r.Context(), me, mux.Vars(r)["id"], file, fh.Filename)
	if err != nil {
		return fail(err)
	}
	w.setFlash(rw, "flash.version_added")
	return redirect(rw, r, documentURL(p)+"#versions")
}

// restoreVersion: POST /spaces/{slug}/documents/{id}/versions/{n}/restore
// — version n's file becomes the current one, as a new version.
func (w *Web) restoreVersion(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(mux.Vars(r)["n"])
	if err != nil {
		return errNotFound
	}
	p, err := w.spaces.RestoreDocumentVersion(r.Context(), me, mux.Vars(r)["id"], n)
	if err != nil {
		return err
	}
	w.setFlash(rw, "flash.version_restored")
	return redirect(rw, r, documentURL(p)+"#versions")
}

// versionFile: GET /spaces/{slug}/documents/{id}/versions/{n} — the file
// of version n, to whoever may see the document: downloaded, as /media
// serves files, or with ?preview=1 an image or a PDF shown inline, which
// only this node's pages may frame. A file another server holds and this
// node has no copy of is a redirect to it.
func (w *Web) versionFile(rw http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := strconv.Atoi(mux.Vars(r)["n"])
	if err != nil {
		return errNotFound
	}
	v, f, err := w.spaces.OpenDocumentVersion(r.Context(), rq.viewer, mux.Vars(r)["id"], n)
	if err != nil {
		return err
	}
	if f == nil {
		http.Redirect(rw, r, v.Media.URI, http.StatusFound)
		return nil
	}
	defer f.Close()
	m := v.Media
	h := rw.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Cache-Control", "private, max-age=3600")
	disposition := "attachment"
	preview := r.URL.Query().Get("preview") != ""
	switch {
	case preview && m.MediaType == "application/pdf":
		// the browser's own viewer shows it; no page of this node is made of it
		disposition = "inline"
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
		h.Set("X-Frame-Options", "SAMEORIGIN")
	case preview && strings.HasPrefix(m.MediaType, "image/"):
		disposition = "inline"
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	default:
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": m.Name}))
	http.ServeContent(rw, r, "", v.CreatedAt, f)
	return nil
}
