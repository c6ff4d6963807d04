package spaces

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ruche-social/ruche/db"
)

// The documents of a space: files in folders, each with its versions. A
// document is a post of kind document — its title the file's name, its
// body an optional description — so that search, visibility, comments,
// deletion, export and federation treat it as any post; its row (Document)
// adds its folder and its current version, and each version (an upload, or
// the restoring of an older version, which shares that version's file) is
// a row of its own. A file uploaded into a folder under the name of a
// document there becomes that document's new version. Folders are paths of
// names ("Reports/2026"); the space's setting DocumentAdding says who adds
// documents and versions: its members (default) or its moderators only.

// KindDocument is the kind of a post that is a document.
const KindDocument = "document"

// Limits of the documents of a space.
const (
	MaxDocumentsListed = 1000 // one folder is listed whole, in one page
	MaxDocumentFolders = 500
	maxFolderRunes     = 60
	maxFolderDepth     = 5
	maxDocumentVersion = 1000 // versions of one document
	maxDocumentName    = maxTitleRunes
)

// DocumentInput is the document part of a post: its folder and, from
// another server, the number of its current version and, in an edit, the
// file of a new version.
type DocumentInput struct {
	Folder  string
	Version int         // remote only: the sender's number of the version
	File    *RemoteFile // remote edits only: the file of the new version
}

// DocumentUpload is a file a member adds to a space's documents.
type DocumentUpload struct {
	Folder      string
	Name        string // the file's name: a document of that name in the folder gets a new version
	Description string // Markdown, optional; the description of a new document
	Language    string
	File        io.Reader
}

var (
	errDocumentsOff        = forbidden("tool_off", "this space has switched off its documents")
	errDocumentsListOff    = notFound("tool_off", "this space has switched off its documents")
	errDocumentsModerators = forbidden("documents_moderators_only", "only the space's moderators add documents in this space")
	errDocumentNotFound    = notFound("document_not_found", "no such document")
	errVersionNotFound     = notFound("document_version_not_found", "no such version of this document")
	errFolderNotFound      = notFound("folder_not_found", "no such folder")
	errDocumentRemote      = forbidden("document_remote", "this document is another server's: its versions are added there")
	errNotDocument         = invalid("document", "document_not_allowed", "only a document has a folder and versions")
	errFolderInvalid       = invalid("folder", "folder_invalid", "a folder's name has 1 to 60 characters, without /, and folders go 5 deep at most")
	errDocumentNameInvalid = invalid("name", "document_name_invalid", "a file needs a name of 1 to 200 characters")
)

// DocumentAddingRights are who may add documents to a space.
var DocumentAddingRights = []string{PostingMembers, PostingModerators}

// mayAddDocument is the rule of documents, whoever asks (a web form, the
// API, another server's activity): an active member of a live space whose
// documents tool is on, and a moderator when the space keeps documents to
// its moderators. Someone who may not see the space is told it is not there.
func (s *Service) mayAddDocument(ctx context.Context, tx *db.DB, by *Account, sp *Space) error {
	if err := s.mayWrite(ctx, tx, by, sp, false); err != nil {
		return err
	}
	if !sp.ToolOn(ToolDocuments) {
		return errDocumentsOff
	}
	if sp.DocumentAdding != PostingModerators || !sp.Account.IsLocal() && !by.IsLocal() {
		// a remote space's own server applies its setting to remote members
		return nil
	}
	ok, err := s.mayModerateSpace(ctx, tx, by, sp)
	if err != nil {
		return err
	}
	if !ok {
		return errDocumentsModerators
	}
	return nil
}

// MayAddDocument tells whether by may add documents to sp now, for the
// doors to show or hide the upload form.
func (s *Service) MayAddDocument(ctx context.Context, by *Account, sp *Space) bool {
	return canAct(by) && s.mayAddDocument(ctx, s.db, by, sp) == nil
}

// documentName checks the name of an uploaded file: its base name, on one
// line, of at most 200 characters.
func documentName(name string) (string, error) {
	name = strings.TrimSpace(filepath.Base(filepath.ToSlash(strings.ReplaceAll(name, "\\", "/"))))
	if name == "." || name == "/" || name == "" || utf8.RuneCountInString(name) > maxDocumentName ||
		!utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", errDocumentNameInvalid
	}
	return name, nil
}

// nameWords is a file's name or a folder's path as words, for the search
// index.
func nameWords(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || r == '/' {
			return ' '
		}
		return r
	}, name)
}

// nameKey is how names are matched: the same letters, whatever their case.
func nameKey(name string) string { return strings.ToLower(name) }

// FolderPath checks and normalises a folder's path: names separated by
// "/", each of 1 to 60 characters; "" is the top.
func FolderPath(p string) (string, error) {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return "", nil
	}
	parts := strings.Split(p, "/")
	if len(parts) > maxFolderDepth {
		return "", errFolderInvalid
	}
	for i, part := range parts {
		part = strings.Join(strings.Fields(part), " ")
		if part == "" || part == "." || part == ".." || utf8.RuneCountInString(part) > maxFolderRunes ||
			!utf8.ValidString(part) || strings.IndexFunc(part, unicode.IsControl) >= 0 {
			return "", errFolderInvalid
		}
		parts[i] = part
	}
	return strings.Join(parts, "/"), nil
}

// FolderParents lists the folders from the top down to path, path included.
func FolderParents(path string) []string {
	if path == "" {
		return nil
	}
	parts := strings.Split(path, "/")
	out := make([]string, len(parts))
	for i := range parts {
		out[i] = strings.Join(parts[:i+1], "/")
	}
	return out
}

// folderParent is the path of the folder that holds path ("" at the top).
func folderParent(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[:i]
	}
	return ""
}

// FolderName is the last name of a folder's path.
func FolderName(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// ensureFolder makes the folder path and its parents, as another server's
// document names them or a member creates them.
func (s *Service) ensureFolder(ctx context.Context, tx *db.DB, spaceID, path string) error {
	if path == "" {
		return nil
	}
	folders, err := tx.DocumentFolders(ctx, spaceID)
	if err != nil {
		return err
	}
	for _, f := range FolderParents(path) {
		if slices.Contains(folders, f) {
			continue
		}
		if len(folders) >= MaxDocumentFolders {
			return conflict("folder", "folders_full", "a space holds at most 500 folders")
		}
		if err := tx.InsertDocumentFolder(ctx, &db.DocumentFolder{SpaceID: spaceID, Path: f, CreatedAt: s.now()}); err != nil {
			return err
		}
		folders = append(folders, f)
	}
	return nil
}

// folderExists tells whether a space has the folder path ("" always).
func folderExists(ctx context.Context, tx *db.DB, spaceID, path string) error {
	if path == "" {
		return nil
	}
	folders, err := tx.DocumentFolders(ctx, spaceID)
	if err != nil {
		return err
	}
	if !slices.Contains(folders, path) {
		return errFolderNotFound
	}
	return nil
}

// CreateDocumentFolder makes the folder name in the folder parent of a
// space's documents; whoever may add documents may. It returns its path.
func (s *Service) CreateDocumentFolder(ctx context.Context, by *Account, handle, parent, name string) (string, error) {
	if !canAct(by) {
		return "", errUnauthenticated
	}
	if strings.Contains(name, "/") {
		return "", errFolderInvalid
	}
	var out string
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		if err := s.mayAddDocument(ctx, tx, by, sp); err != nil {
			return err
		}
		if !sp.Account.IsLocal() {
			return forbidden("document_remote", "folders of another server's space are made there")
		}
		parent, err := FolderPath(parent)
		if err != nil {
			return err
		}
		if err := folderExists(ctx, tx, sp.AccountID, parent); err != nil {
			return err
		}
		if out, err = FolderPath(strings.TrimPrefix(parent+"/"+name, "/")); err != nil {
			return err
		}
		if strings.TrimSpace(name) == "" {
			return errFolderInvalid
		}
		return s.ensureFolder(ctx, tx, sp.AccountID, out)
	})
	if err != nil {
		return "", internal("create folder", err)
	}
	return out, nil
}

// UploadDocument adds a file to a space's documents: a new document, or a
// new version of the document of the same name in the same folder. The
// file is refused past the node's documents size limit or when its content
// is not of a type the node accepts for documents; nothing is kept then.
func (s *Service) UploadDocument(ctx context.Context, by *Account, handle string, in DocumentUpload) (*Post, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	name, err := documentName(in.Name)
	if err != nil {
		return nil, err
	}
	folder, err := FolderPath(in.Folder)
	if err != nil {
		return nil, err
	}
	sp, err := findSpace(ctx, s.db, handle)
	if err != nil {
		return nil, internal("upload document", err)
	}
	// checked before the file is received, and again with it
	if err := s.mayAddDocument(ctx, s.db, by, sp); err != nil {
		return nil, err
	}
	m, err := s.storeDocumentFile(ctx, by, in.File, name)
	if err != nil {
		return nil, err
	}
	var out *Post
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if err := folderExists(ctx, tx, sp.AccountID, folder); err != nil {
			return err
		}
		doc, err := tx.DocumentByName(ctx, sp.AccountID, folder, nameKey(name))
		switch {
		case err == nil:
			out, err = s.addVersion(ctx, tx, by, doc.PostID, m, 0)
			return err
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		out, err = s.createPost(ctx, tx, by, handle, PostInput{Kind: KindDocument, Title: name, Body: in.Description,
			Language: in.Language, Attachments: []string{m.ID}, Document: &DocumentInput{Folder: folder}})
		return err
	})
	if err != nil {
		if errors.Is(err, db.ErrConflict) { // the same name uploaded at the same time
			err = conflict("name", "document_exists", "a document of this name was just added: send the file again to add a version")
		}
		s.removeFiles([]string{m.Path})
		return nil, internal("upload document", err)
	}
	return out, nil
}

// storeDocumentFile stores an uploaded file as a media row of by's not
// attached yet.
func (s *Service) storeDocumentFile(ctx context.Context, by *Account, r io.Reader, name string) (*Media, error) {
	if r == nil {
		return nil, invalid("file", "file_empty", "the file is empty")
	}
	m := &Media{ID: newID(), AccountID: by.ID, Name: name, CreatedAt: s.now()}
	var err error
	if m.Path, m.MediaType, m.Size, err = s.storeFileWith(r, m.ID, name, s.opts.DocumentMaxUpload, s.opts.DocumentTypes); err != nil {
		return nil, err
	}
	if err := s.db.InsertMedia(ctx, m); err != nil {
		s.removeFiles([]string{m.Path})
		return nil, internal("upload", err)
	}
	return m, nil
}

// AddDocumentVersion uploads a new version of the document postID, whatever
// the file's name.
func (s *Service) AddDocumentVersion(ctx context.Context, by *Account, postID string, r io.Reader, name string) (*Post, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	name, err := documentName(name)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.changeableDocument(ctx, s.db, by, postID); err != nil {
		return nil, internal("add version", err)
	}
	m, err := s.storeDocumentFile(ctx, by, r, name)
	if err != nil {
		return nil, err
	}
	var out *Post
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		out, err = s.addVersion(ctx, tx, by, postID, m, 0)
		return err
	})
	if err != nil {
		s.removeFiles([]string{m.Path})
		return nil, internal("add version", err)
	}
	return out, nil
}

// RestoreDocumentVersion makes version number the document's current one
// again, as a new version sharing its file: the history is kept whole.
func (s *Service) RestoreDocumentVersion(ctx context.Context, by *Account, postID string, number int) (*Post, error) {
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		if _, _, err := s.changeableDocument(ctx, tx, by, postID); err != nil {
			return err
		}
		old, err := tx.DocumentVersion(ctx, postID, number)
		if err != nil {
			return notFoundOr("version", err, errVersionNotFound)
		}
		out, err = s.addVersion(ctx, tx, by, postID, old.Media, number)
		return err
	})
	if err != nil {
		return nil, internal("restore version", err)
	}
	return out, nil
}

// changeableDocument loads a document by may add a version to: a live
// document of this node (another server's are changed there) in a space
// where by may add documents.
func (s *Service) changeableDocument(ctx context.Context, tx *db.DB, by *Account, postID string) (*Post, *Space, error) {
	if !canAct(by) {
		return nil, nil, errUnauthenticated
	}
	p, sp, err := s.ownPost(ctx, tx, by, postID, tx.VisiblePostHead)
	if err != nil {
		return nil, nil, err
	}
	if p.Kind != KindDocument || sp == nil {
		return nil, nil, errDocumentNotFound
	}
	if err := s.mayAddDocument(ctx, tx, by, sp); err != nil {
		return nil, nil, err
	}
	if !p.Local {
		return nil, nil, errDocumentRemote
	}
	return p, sp, nil
}

// addVersion makes m the next version of the document postID (restored:
// the number of the version it restores, else 0), within tx, and tells
// the other servers by an edit of the document.
func (s *Service) addVersion(ctx context.Context, tx *db.DB, by *Account, postID string, m *Media, restored int) (*Post, error) {
	p, sp, err := s.changeableDocument(ctx, tx, by, postID)
	if err != nil {
		return nil, err
	}
	doc, err := tx.LockDocument(ctx, postID)
	if err != nil {
		return nil, notFoundOr("document", err, errDocumentNotFound)
	}
	if doc.Current >= maxDocumentVersion {
		return nil, conflict("", "document_versions_full", "a document keeps at most 1000 versions")
	}
	if restored == 0 {
		if ok, err := tx.AttachMedia(ctx, m.ID, by.ID, p.ID, doc.Current); err != nil {
			return nil, err
		} else if !ok {
			return nil, invalid("file", "attachment_invalid", "the file is not one you uploaded, or is used already")
		}
	}
	v := &db.DocumentVersion{PostID: p.ID, Number: doc.Current + 1, MediaID: m.ID, AccountID: by.ID,
		RestoredFrom: restored, CreatedAt: s.now()}
	if err := tx.AddDocumentVersion(ctx, doc, v); err != nil {
		return nil, err
	}
	p.EditedAt = v.CreatedAt // so that other servers take the version as the newer document
	if err := tx.UpdatePost(ctx, p, false, "edited_at"); err != nil {
		return nil, err
	}
	out, err := s.reload(ctx, tx, p.ID, sp, nil)
	if err != nil {
		return nil, err
	}
	return out, s.emit(ctx, tx, PostUpdated{Post: out})
}

// newDocument checks the document part of a new post p and makes its row;
// it is placed once p and its file are stored (placeDocument).
func newDocument(p *Post, sp *Space, in *DocumentInput, remote bool) (*db.Document, error) {
	if p.Kind != KindDocument {
		return nil, errNotDocument
	}
	if sp == nil {
		return nil, invalid("document", "document_in_space", "a document belongs to a space")
	}
	if in == nil {
		in = &DocumentInput{}
	}
	folder, err := FolderPath(in.Folder)
	if err != nil {
		if !remote {
			return nil, err
		}
		folder = "" // another server's odd folder: the document is kept at the top
	}
	return &db.Document{PostID: p.ID, SpaceID: sp.AccountID, Folder: folder}, nil
}

// placeDocument stores the row of a new document p and its first version,
// the file attached to p; another server's document keeps the number it
// gives its current version.
func (s *Service) placeDocument(ctx context.Context, tx *db.DB, by *Account, p *Post, doc *db.Document, in *DocumentInput) error {
	name, err := documentName(p.Title)
	if err != nil {
		return err
	}
	doc.NameKey = nameKey(name)
	if p.Local {
		if err := folderExists(ctx, tx, doc.SpaceID, doc.Folder); err != nil {
			return err
		}
	} else if err := s.ensureFolder(ctx, tx, doc.SpaceID, doc.Folder); err != nil {
		return err
	}
	mediaID, err := tx.FirstMediaOf(ctx, p.ID)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return invalid("file", "document_file_required", "a document needs its file")
		}
		return err
	}
	number := 1
	if !p.Local && in != nil && in.Version > 1 && in.Version <= maxDocumentVersion {
		number = in.Version
	}
	if !p.Local {
		// another server's document of a name taken here: kept apart, under
		// a key of its own (the mirror never merges two documents)
		if _, err := tx.DocumentByName(ctx, doc.SpaceID, doc.Folder, doc.NameKey); err == nil {
			doc.NameKey += " " + strings.ToLower(p.ID)
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	if err := tx.InsertDocument(ctx, doc); err != nil {
		return err
	}
	return tx.AddDocumentVersion(ctx, doc, &db.DocumentVersion{PostID: p.ID, Number: number, MediaID: mediaID,
		AccountID: p.AccountID, CreatedAt: p.CreatedAt})
}

// editDocument applies a remote edit's document part to p: a file with a
// number above the current version's is a new version.
func (s *Service) editDocument(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space, in *DocumentInput) error {
	if in == nil {
		return nil
	}
	if p.Kind != KindDocument || sp == nil || by.IsLocal() {
		return errNotDocument
	}
	doc, err := tx.LockDocument(ctx, p.ID)
	if err != nil {
		return notFoundOr("document", err, errDocumentNotFound)
	}
	if in.File == nil || in.Version <= doc.Current || in.Version > maxDocumentVersion {
		return nil // an edit of the text, or a version this node has already
	}
	if sp.Account.IsLocal() {
		// a remote space's server vouches for the versions it announces
		if err := s.mayAddDocument(ctx, tx, by, sp); err != nil {
			return err
		}
	}
	f := in.File
	m := &Media{ID: newID(), AccountID: by.ID, PostID: p.ID, Position: in.Version - 1,
		URI: f.URI, MediaType: f.MediaType, Size: f.Size, Name: PlainText(f.Name), CreatedAt: s.now()}
	if err := checkRemoteFile(m); err != nil {
		return err
	}
	if err := tx.InsertMedia(ctx, m); err != nil {
		return err
	}
	return tx.AddDocumentVersion(ctx, doc, &db.DocumentVersion{PostID: p.ID, Number: in.Version, MediaID: m.ID,
		AccountID: by.ID, CreatedAt: s.now()})
}

// removeDocument takes a deleted document out of its folder.
func (s *Service) removeDocument(ctx context.Context, tx *db.DB, p *Post) error {
	if p.Kind != KindDocument {
		return nil
	}
	return tx.RemoveDocument(ctx, p.ID)
}

// withDocuments attaches to posts of kind document their rows, with the
// current version (its file and author).
func (s *Service) withDocuments(ctx context.Context, r *db.DB, posts []*Post) error {
	var ids []string
	for _, p := range posts {
		if p.Kind == KindDocument {
			ids = append(ids, p.ID)
		}
	}
	rows, err := r.DocumentsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range posts {
		doc := rows[p.ID]
		p.Document = doc // nil for a deleted document
		if doc == nil {
			continue
		}
		v, err := r.DocumentVersion(ctx, p.ID, doc.Current)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if err == nil {
			doc.Versions = []*db.DocumentVersion{v}
		}
	}
	return nil
}

// DocumentFolderView is a folder of a space's documents as a reader sees
// it: its subfolders (paths) and its documents, by name.
type DocumentFolderView struct {
	Space      *Space
	Path       string
	Folders    []string
	Documents  []*Post
	MayAdd     bool // viewer may upload here and make folders
	MayRestore bool
}

// SpaceDocuments lists the folder path of a space's documents that viewer
// may see. A space that switched its documents off has none to show (not
// found, code tool_off); they are kept for when it is switched on again.
func (s *Service) SpaceDocuments(ctx context.Context, viewer *Account, handle, path string) (*DocumentFolderView, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	if !sp.ToolOn(ToolDocuments) {
		return nil, errDocumentsListOff
	}
	if path, err = FolderPath(path); err != nil {
		return nil, errFolderNotFound
	}
	folders, err := s.db.DocumentFolders(ctx, sp.AccountID)
	if err != nil {
		return nil, internal("documents", err)
	}
	if path != "" && !slices.Contains(folders, path) {
		return nil, errFolderNotFound
	}
	out := &DocumentFolderView{Space: sp, Path: path, MayAdd: s.MayAddDocument(ctx, viewer, sp)}
	for _, f := range folders {
		if folderParent(f) == path {
			out.Folders = append(out.Folders, f)
		}
	}
	posts, err := s.db.ListDocuments(ctx, s.Reader(viewer), sp.AccountID, path, MaxDocumentsListed)
	if err != nil {
		return nil, internal("documents", err)
	}
	if err := s.withSpaces(ctx, posts); err != nil {
		return nil, err
	}
	out.Documents = posts
	return out, nil
}

// DocumentView is a document with its versions, newest first.
type DocumentView struct {
	Post     *Post
	Versions []*db.DocumentVersion
	// MayChange: viewer may add a version and restore an older one.
	MayChange bool
}

// GetDocument returns the document postID with its versions, if viewer may
// see it.
func (s *Service) GetDocument(ctx context.Context, viewer *Account, postID string) (*DocumentView, error) {
	p, err := s.GetPost(ctx, viewer, postID)
	if err != nil {
		return nil, err
	}
	if p.Kind != KindDocument || p.Document == nil || p.Space == nil {
		return nil, errDocumentNotFound
	}
	if !p.Space.ToolOn(ToolDocuments) {
		return nil, errDocumentsListOff
	}
	versions, err := s.db.DocumentVersions(ctx, p.ID)
	if err != nil {
		return nil, internal("document versions", err)
	}
	out := &DocumentView{Post: p, Versions: versions}
	if canAct(viewer) && p.Local {
		out.MayChange = s.mayAddDocument(ctx, s.db, viewer, p.Space) == nil
	}
	return out, nil
}

// OpenDocumentVersion opens the file of version number (0: the current
// one) of a document viewer may see. A file another server holds and this
// node has no copy of comes without an open file: its URI is where it is.
// The caller closes the file.
func (s *Service) OpenDocumentVersion(ctx context.Context, viewer *Account, postID string, number int) (*db.DocumentVersion, *os.File, error) {
	d, err := s.GetDocument(ctx, viewer, postID)
	if err != nil {
		return nil, nil, err
	}
	if number == 0 {
		number = d.Post.Document.Current
	}
	var v *db.DocumentVersion
	for _, x := range d.Versions {
		if x.Number == number {
			v = x
		}
	}
	if v == nil || v.Media == nil {
		return nil, nil, errVersionNotFound
	}
	if v.Media.Path == "" {
		return v, nil, nil
	}
	f, err := os.Open(filepath.Join(s.opts.MediaDir, filepath.FromSlash(v.Media.Path)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, errVersionNotFound
		}
		return nil, nil, internal("open version", err)
	}
	return v, f, nil
}
