package spaces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/ruche-social/ruche/db"
)

// allowedTypes are the kinds of files members may upload, by sniffed type,
// with the extension the stored file gets. What the sender declares is not
// believed: the first bytes decide.
var allowedTypes = map[string]string{
	"image/png":       ".png",
	"image/jpeg":      ".jpg",
	"image/gif":       ".gif",
	"image/webp":      ".webp",
	"application/pdf": ".pdf",
	"text/plain":      ".txt",
}

// officeTypes are the zip-based office documents, told apart by extension
// once the content sniffs as a zip archive.
var officeTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
}

var errFileType = invalid("file", "file_type_not_allowed", "this kind of file is not accepted: images (PNG, JPEG, GIF, WebP), PDF, text and office documents are")

// sniff tells the stored type and extension of a file from its first bytes
// and (for office documents only) its name.
func sniff(head []byte, name string) (mediaType, ext string, err error) {
	mt, _, _ := strings.Cut(http.DetectContentType(head), ";")
	if ext, ok := allowedTypes[mt]; ok {
		return mt, ext, nil
	}
	if mt == "application/zip" {
		ext := strings.ToLower(filepath.Ext(name))
		if t, ok := officeTypes[ext]; ok {
			return t, ext, nil
		}
	}
	return "", "", errFileType
}

// UploadMedia stores a file a member uploads, for a post or as a space's
// avatar or banner. The file is refused past the node's size limit or when
// its content is not of an accepted type; nothing is kept then.
func (s *Service) UploadMedia(ctx context.Context, by *Account, r io.Reader, name, description string) (*Media, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	name = strings.TrimSpace(filepath.Base(filepath.ToSlash(name)))
	if name == "." || name == "/" {
		name = ""
	}
	if err := checkText("name", name, 200, false); err != nil {
		return nil, err
	}
	description = strings.TrimSpace(description)
	if err := checkText("description", description, 1500, true); err != nil {
		return nil, err
	}
	m := &Media{ID: newID(), AccountID: by.ID, Name: name, Description: description, CreatedAt: s.now()}
	var err error
	if m.Path, m.MediaType, m.Size, err = s.storeFile(r, m.ID, name); err != nil {
		return nil, err
	}
	if err := s.db.InsertMedia(ctx, m); err != nil {
		s.removeFiles([]string{m.Path})
		return nil, internal("upload", err)
	}
	return m, nil
}

// storeFile writes a file under the media directory as the media id, once it
// is known to be within the size limit and of an accepted type (by its
// content), and returns its path relative to the directory. Nothing is kept
// when it is refused or cannot be written: the file is first written (and
// synced) under a temporary name, then renamed.
func (s *Service) storeFile(r io.Reader, id, name string) (rel, mediaType string, size int64, err error) {
	return s.storeFileWith(r, id, name, s.opts.MaxUpload, nil)
}

// storeFileWith is storeFile with a size limit and, unless nil, the only
// media types accepted among those sniff knows.
func (s *Service) storeFileWith(r io.Reader, id, name string, limit int64, types []string) (rel, mediaType string, size int64, err error) {
	if err := os.MkdirAll(s.opts.MediaDir, 0o750); err != nil {
		return "", "", 0, storageError(err)
	}
	tmp, err := os.CreateTemp(s.opts.MediaDir, ".upload-*")
	if err != nil {
		return "", "", 0, storageError(err)
	}
	keep := false
	defer func() {
		tmp.Close()
		if !keep {
			os.Remove(tmp.Name())
		}
	}()
	// Reading the member's file and writing the disk fail for different
	// reasons, and only the first is the member's to fix.
	src := &sourceReader{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(tmp, src)
	switch {
	case src.err != nil:
		return "", "", 0, invalid("file", "upload_failed", "the file could not be received")
	case err != nil:
		return "", "", 0, storageError(err)
	}
	if n > limit {
		return "", "", 0, &Error{Kind: KindInvalid, Field: "file", Code: "file_too_large",
			Message: fmt.Sprintf("a file may have at most %d MiB", limit>>20)}
	}
	if n == 0 {
		return "", "", 0, invalid("file", "file_empty", "the file is empty")
	}
	head := make([]byte, 512)
	k, _ := tmp.ReadAt(head, 0)
	mediaType, ext, err := sniff(head[:k], name)
	if err != nil {
		return "", "", 0, err
	}
	if types != nil && !slices.Contains(types, mediaType) {
		return "", "", 0, errFileType
	}
	rel = path.Join(strings.ToLower(id[len(id)-2:]), strings.ToLower(id)+ext)
	final := filepath.Join(s.opts.MediaDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", "", 0, storageError(err)
	}
	// A full disk may show only when the data is flushed: sync before the
	// file gets its name, so a named file is always whole.
	if err := tmp.Sync(); err != nil {
		return "", "", 0, storageError(err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", 0, storageError(err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", "", 0, storageError(err)
	}
	keep = true
	return rel, mediaType, n, nil
}

// sourceReader remembers the error of the reader it wraps, so that a failed
// copy tells a broken upload from a failed write.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// storageError is what a member is told when the node cannot write a file:
// its storage is full, or cannot be written at all (read-only, no
// permission). Either is the node's fault and may pass: the member retries
// later, the admin reads the cause in the log.
func storageError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Kind: KindUnavailable, Field: "file", Code: "storage_full",
			Message: "the server has no room left for files; try again later", Err: err}
	}
	return &Error{Kind: KindUnavailable, Field: "file", Code: "storage_unavailable",
		Message: "the server cannot store files at the moment; try again later", Err: err}
}

// OpenMedia opens a stored file for viewer: an attachment of a post viewer may
// see, a space's avatar or banner, a member's avatar, or an upload of
// viewer's own not used yet.
// The caller closes the file.
func (s *Service) OpenMedia(ctx context.Context, viewer *Account, id string) (*Media, *os.File, error) {
	m, err := s.db.MediaByID(ctx, id)
	if err != nil {
		return nil, nil, notFoundOr("media", err, errMediaNotFound)
	}
	switch {
	case m.PostID != "":
		if ok, err := s.CanSee(ctx, viewer, m.PostID); err != nil || !ok {
			return nil, nil, errMediaNotFound
		}
	case viewer != nil && viewer.ID == m.AccountID:
	default:
		used, err := s.db.MediaIsProfileImage(ctx, m.ID)
		if err != nil {
			return nil, nil, internal("media", err)
		}
		if !used {
			return nil, nil, errMediaNotFound
		}
	}
	return s.openStored(m)
}

// openStored opens the file of m, which the node stores.
func (s *Service) openStored(m *Media) (*Media, *os.File, error) {
	if m.Path == "" {
		return nil, nil, errMediaNotFound // a remote file: its URI is the place to fetch it
	}
	f, err := os.Open(filepath.Join(s.opts.MediaDir, filepath.FromSlash(m.Path)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, errMediaNotFound
		}
		return nil, nil, internal("open media", err)
	}
	return m, f, nil
}

var mediaTypePattern = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]+$`)

// checkRemoteFile checks the description of a file another server holds.
func checkRemoteFile(m *db.Media) error {
	u, err := url.Parse(m.URI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalid("attachments", "attachment_invalid", "a remote attachment needs an http(s) URL")
	}
	if !mediaTypePattern.MatchString(m.MediaType) || m.Size < 0 {
		return invalid("attachments", "attachment_invalid", "a remote attachment needs a media type")
	}
	return nil
}

// UploadTypes lists the media types the node accepts in uploads.
func UploadTypes() []string {
	var out []string
	for t := range allowedTypes {
		out = append(out, t)
	}
	for _, t := range officeTypes {
		out = append(out, t)
	}
	return out
}

var errMediaNotFound = notFound("media_not_found", "no such file")

// OwnMedia returns a file by uploaded, for the app that uploaded it.
func (s *Service) OwnMedia(ctx context.Context, by *Account, id string) (*Media, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	m, err := s.db.MediaByID(ctx, id)
	if err != nil {
		return nil, notFoundOr("own media", err, errMediaNotFound)
	}
	if m.AccountID != by.ID {
		return nil, errMediaNotFound
	}
	return m, nil
}

// DescribeMedia sets the alternative text of a file by uploaded and has not
// yet attached to a post (an attached file is described by editing the post).
func (s *Service) DescribeMedia(ctx context.Context, by *Account, id, description string) (*Media, error) {
	m, err := s.OwnMedia(ctx, by, id)
	if err != nil {
		return nil, err
	}
	if m.PostID != "" {
		return nil, conflict("description", "media_attached", "this file is attached to a post already")
	}
	description = strings.TrimSpace(description)
	if err := checkText("description", description, 1500, true); err != nil {
		return nil, err
	}
	m.Description = description
	if err := s.db.UpdateMedia(ctx, m, "description"); err != nil {
		return nil, internal("describe media", err)
	}
	return m, nil
}
