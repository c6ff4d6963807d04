package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// mountDocuments adds the routes of a space's documents.
func (a *API) mountDocuments(r *mux.Router) {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	base := "/api/ruche/v1/spaces/{space}/documents"
	a.route(r, base, methods{get: a.spaceDocuments, post: a.uploadDocument})
	a.route(r, base+"/folders", methods{post: a.createDocumentFolder})
	a.route(r, base+"/{id}", methods{get: a.document, del: a.deleteDocument})
	a.route(r, base+"/{id}/versions", methods{post: a.addDocumentVersion})
	a.route(r, base+"/{id}/versions/{n:[0-9]+}/file", methods{get: a.documentFile})
	a.route(r, base+"/{id}/versions/{n:[0-9]+}/restore", methods{post: a.restoreDocumentVersion})
}

// versionJSON is one version of a document.
type versionJSON struct {
	Number       int                `json:"number"`
	Name         string             `json:"name"` // the file's name as uploaded
	MediaType    string             `json:"media_type"`
	Size         int64              `json:"size"`
	Account      *publicAccountJSON `json:"account"`
	RestoredFrom *int               `json:"restored_from"` // the version it restored
	CreatedAt    time.Time          `json:"created_at"`
	URL          string             `json:"url"` // the file
}

// documentJSON is a document: the post it is (its title the name, its
// content the description) with its folder and versions.
type documentJSON struct {
	postJSON
	Folder         string        `json:"folder"`
	CurrentVersion int           `json:"current_version"`
	MediaType      string        `json:"media_type"`
	Size           int64         `json:"size"`
	FileURL        string        `json:"file_url"` // the current version's file
	Versions       []versionJSON `json:"versions,omitempty"`
	MayChange      *bool         `json:"may_change,omitempty"` // add versions and restore
}

func versionOf(sp *spaces.Space, postID string, v *spaces.DocumentVersion) versionJSON {
	out := versionJSON{Number: v.Number, CreatedAt: v.CreatedAt,
		URL: "/api/ruche/v1/spaces/" + sp.Slug() + "/documents/" + postID + "/versions/" + strconv.Itoa(v.Number) + "/file"}
	if v.RestoredFrom > 0 {
		out.RestoredFrom = &v.RestoredFrom
	}
	if v.Account != nil {
		out.Account = accountOf(v.Account)
	}
	if m := v.Media; m != nil {
		out.Name, out.MediaType, out.Size = m.Name, m.MediaType, m.Size
	}
	return out
}

func (a *API) documentOf(p *spaces.Post, viewer *spaces.Account) documentJSON {
	out := documentJSON{postJSON: a.postOf(p, viewer, false, nil, "")}
	if d := p.Document; d != nil && p.Space != nil {
		out.Folder, out.CurrentVersion = d.Folder, d.Current
		if len(d.Versions) > 0 {
			v := versionOf(p.Space, p.ID, d.Versions[0])
			out.MediaType, out.Size, out.FileURL = v.MediaType, v.Size, v.URL
		}
	}
	return out
}

type folderJSON struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

type documentFolderJSON struct {
	Path      string         `json:"path"` // "" at the top
	Folders   []folderJSON   `json:"folders"`
	Documents []documentJSON `json:"documents"`
	MayAdd    bool           `json:"may_add"`
}

// spaceDocuments: GET /api/ruche/v1/spaces/{space}/documents?folder=A/B → the
// folder's subfolders and documents, by name.
func (a *API) spaceDocuments(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	f, err := a.spaces.SpaceDocuments(r.Context(), v, pathVar(r, "space"), r.URL.Query().Get("folder"))
	if err != nil {
		return err
	}
	out := documentFolderJSON{Path: f.Path, Folders: []folderJSON{}, Documents: []documentJSON{}, MayAdd: f.MayAdd}
	for _, path := range f.Folders {
		out.Folders = append(out.Folders, folderJSON{Path: path, Name: spaces.FolderName(path)})
	}
	for _, p := range f.Documents {
		out.Documents = append(out.Documents, a.documentOf(p, v))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createDocumentFolder: POST /api/ruche/v1/spaces/{space}/documents/folders
// {"parent": "A", "name": "B"} → 201 {"path": "A/B", "name": "B"}.
func (a *API) createDocumentFolder(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Parent string `json:"parent"`
		Name   string `json:"name"`
	}
	if err := decodeLimit(w, r, &in, 4<<10); err != nil {
		return err
	}
	path, err := a.spaces.CreateDocumentFolder(r.Context(), by, pathVar(r, "space"), in.Parent, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, folderJSON{Path: path, Name: spaces.FolderName(path)})
	return nil
}

// readDocumentUpload reads a multipart upload: its fields (folder,
// description, language), which come before the part "file", and then
// gives that part to store, streaming.
func (a *API) readDocumentUpload(w http.ResponseWriter, r *http.Request, store func(fields map[string]string, file io.Reader, name string) error) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errRoute(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the file as multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.spaces.Options().DocumentMaxUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return errRoute(http.StatusBadRequest, "invalid_multipart", "the body is not valid multipart/form-data")
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return errRoute(http.StatusUnprocessableEntity, "file_required", "send the file in a part named file")
		}
		if err != nil {
			return uploadError(err)
		}
		switch name := part.FormName(); name {
		case "folder", "description", "language", "name":
			b, err := io.ReadAll(io.LimitReader(part, 8<<10))
			if err != nil {
				return uploadError(err)
			}
			fields[name] = string(b)
		case "file":
			filename := part.FileName()
			if fields["name"] != "" {
				filename = fields["name"]
			}
			err := store(fields, part, filename)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return uploadError(err)
			}
			if de := spaces.AsError(err); de != nil && de.Code == "file_too_large" {
				return errRoute(http.StatusRequestEntityTooLarge, de.Code, de.Message)
			}
			return err
		}
	}
}

// uploadDocument: POST /api/ruche/v1/spaces/{space}/documents, multipart with
// the fields folder, description and language (optional) before the part
// file → 201, the document: a new one, or the document of the same name in
// the folder with this file as its new version.
func (a *API) uploadDocument(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	return a.readDocumentUpload(w, r, func(fields map[string]string, file io.Reader, name string) error {
		p, err := a.spaces.UploadDocument(r.Context(), by, pathVar(r, "space"), spaces.DocumentUpload{
			Folder: fields["folder"], Name: name, Description: fields["description"], Language: fields["language"], File: file})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, a.documentOf(p, by))
		return nil
	})
}

// documentIn loads the document id of the space in the path, with its
// versions.
func (a *API) documentIn(r *http.Request, viewer *spaces.Account) (*spaces.DocumentView, error) {
	d, err := a.spaces.GetDocument(r.Context(), viewer, pathVar(r, "id"))
	if err != nil {
		return nil, err
	}
	sp, err := a.spaces.Space(r.Context(), viewer, pathVar(r, "space"))
	if err != nil {
		return nil, err
	}
	if sp.AccountID != d.Post.SpaceID {
		return nil, &spaces.Error{Kind: spaces.KindNotFound, Code: "document_not_found", Message: "no such document in this space"}
	}
	return d, nil
}

// document: GET /api/ruche/v1/spaces/{space}/documents/{id} → the document and
// its versions, newest first.
func (a *API) document(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	d, err := a.documentIn(r, v)
	if err != nil {
		return err
	}
	out := a.documentOf(d.Post, v)
	for _, x := range d.Versions {
		out.Versions = append(out.Versions, versionOf(d.Post.Space, d.Post.ID, x))
	}
	out.MayChange = &d.MayChange
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addDocumentVersion: POST /api/ruche/v1/spaces/{space}/documents/{id}/versions,
// multipart with the part file → 201, the document.
func (a *API) addDocumentVersion(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if _, err := a.documentIn(r, by); err != nil {
		return err
	}
	return a.readDocumentUpload(w, r, func(_ map[string]string, file io.Reader, name string) error {
		p, err := a.spaces.AddDocumentVersion(r.Context(), by, pathVar(r, "id"), file, name)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, a.documentOf(p, by))
		return nil
	})
}

// restoreDocumentVersion: POST …/documents/{id}/versions/{n}/restore →
// 201, the document, whose new current version has version n's file.
func (a *API) restoreDocumentVersion(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if _, err := a.documentIn(r, by); err != nil {
		return err
	}
	n, _ := strconv.Atoi(pathVar(r, "n"))
	p, err := a.spaces.RestoreDocumentVersion(r.Context(), by, pathVar(r, "id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.documentOf(p, by))
	return nil
}

// deleteDocument: DELETE /api/ruche/v1/spaces/{space}/documents/{id} → 204; its
// author or a moderator deletes a document with all its versions.
func (a *API) deleteDocument(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if _, err := a.documentIn(r, by); err != nil {
		return err
	}
	if err := a.spaces.DeletePost(r.Context(), by, pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// documentFile: GET …/documents/{id}/versions/{n}/file → the file of
// version n (0: the current one), served as /api/ruche/v1/media serves files; a
// file another server holds and this node has no copy of: 302 to it.
func (a *API) documentFile(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(pathVar(r, "n"))
	v, f, err := a.spaces.OpenDocumentVersion(r.Context(), optionalViewer(r), pathVar(r, "id"), n)
	if err != nil {
		return err
	}
	if f == nil {
		http.Redirect(w, r, v.Media.URI, http.StatusFound)
		return nil
	}
	defer f.Close()
	serveFile(w, r, v.Media, f)
	return nil
}
