package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Document is the place of a post of kind document in its space: its
// folder, the key its name is matched by, and its current version.
type Document struct {
	bun.BaseModel `bun:"table:documents,alias:doc"`

	PostID  string `bun:",pk"`
	SpaceID string
	Folder  string `bun:",notnull"` // folder names joined by "/"; "" at the top
	NameKey string // the folded name: one document per name and folder
	Current int    `bun:",notnull"` // the number of the current version, from 1

	// Versions are loaded by DocumentVersions, newest first.
	Versions []*DocumentVersion `bun:"-"`
}

// DocumentVersion is one upload of a document, or the restoring of an
// older one (RestoredFrom: its number), which shares that version's file.
type DocumentVersion struct {
	bun.BaseModel `bun:"table:document_versions,alias:dv"`

	PostID       string `bun:",pk"`
	Number       int    `bun:",pk"`
	MediaID      string
	AccountID    string
	RestoredFrom int `bun:",notnull"`
	CreatedAt    time.Time

	Media   *Media   `bun:"rel:belongs-to,join:media_id=id"`
	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// DocumentFolder is a folder of a space's documents, by its path.
type DocumentFolder struct {
	bun.BaseModel `bun:"table:document_folders,alias:df"`

	SpaceID   string `bun:",pk"`
	Path      string `bun:",pk"`
	CreatedAt time.Time
}

// InsertDocument stores the row of a new document.
func (d *DB) InsertDocument(ctx context.Context, doc *Document) error {
	_, err := d.q(ctx).NewInsert().Model(doc).Exec(ctx)
	return wrap(err, "insert document")
}

// LockDocument loads the row of the live document postID for a change of
// its versions, locking it until the transaction ends.
func (d *DB) LockDocument(ctx context.Context, postID string) (*Document, error) {
	doc := new(Document)
	q := d.q(ctx).NewSelect().Model(doc).Where("doc.post_id = ?", postID)
	if d.dialect == Postgres {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	return doc, wrap(err, "lock document")
}

// DocumentByName finds the live document of a space named key in folder.
func (d *DB) DocumentByName(ctx context.Context, spaceID, folder, key string) (*Document, error) {
	doc := new(Document)
	err := d.q(ctx).NewSelect().Model(doc).
		Where("doc.space_id = ? AND doc.folder = ? AND doc.name_key = ?", spaceID, folder, key).Scan(ctx)
	return doc, wrap(err, "document by name")
}

// AddDocumentVersion stores v and makes it the document's current version.
func (d *DB) AddDocumentVersion(ctx context.Context, doc *Document, v *DocumentVersion) error {
	if _, err := d.q(ctx).NewInsert().Model(v).Exec(ctx); err != nil {
		return wrap(err, "insert document version")
	}
	doc.Current = v.Number
	_, err := d.q(ctx).NewUpdate().Model(doc).WherePK().Column("current").Exec(ctx)
	return wrap(err, "set current version")
}

// DocumentVersion loads one version of a document, with its file and author.
func (d *DB) DocumentVersion(ctx context.Context, postID string, number int) (*DocumentVersion, error) {
	v := new(DocumentVersion)
	err := d.q(ctx).NewSelect().Model(v).Relation("Media").Relation("Account").
		Where("dv.post_id = ? AND dv.number = ?", postID, number).Scan(ctx)
	return v, wrap(err, "document version")
}

// DocumentVersions lists the versions of a document, newest first, with
// their files and authors.
func (d *DB) DocumentVersions(ctx context.Context, postID string) ([]*DocumentVersion, error) {
	var out []*DocumentVersion
	err := d.q(ctx).NewSelect().Model(&out).Relation("Media").Relation("Account").
		Where("dv.post_id = ?", postID).OrderExpr("dv.number DESC").Scan(ctx)
	return out, wrap(err, "document versions")
}

// RemoveDocument deletes the row of a document and its versions (their
// files go with the post's attachments).
func (d *DB) RemoveDocument(ctx context.Context, postID string) error {
	if _, err := d.q(ctx).NewDelete().Model((*DocumentVersion)(nil)).Where("post_id = ?", postID).Exec(ctx); err != nil {
		return wrap(err, "remove document versions")
	}
	_, err := d.q(ctx).NewDelete().Model((*Document)(nil)).Where("post_id = ?", postID).Exec(ctx)
	return wrap(err, "remove document")
}

// DocumentsOf loads the document rows of posts, by post id.
func (d *DB) DocumentsOf(ctx context.Context, postIDs []string) (map[string]*Document, error) {
	out := map[string]*Document{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []*Document
	err := d.q(ctx).NewSelect().Model(&rows).Where("doc.post_id IN (?)", bun.In(postIDs)).Scan(ctx)
	for _, e := range rows {
		out[e.PostID] = e
	}
	return out, wrap(err, "documents of posts")
}

// ListDocuments returns the live documents of a space's folder that r may
// see, by name, without their document rows (DocumentsOf loads them).
func (d *DB) ListDocuments(ctx context.Context, r Reader, spaceID, folder string, limit int) ([]*Post, error) {
	var out []*Post
	q := d.postQuery(ctx, &out).
		Join("JOIN documents AS doc ON doc.post_id = post.id").
		Where("post.kind = 'document' AND post.space_id = ? AND doc.folder = ?", spaceID, folder).
		OrderExpr("doc.name_key ASC, post.id ASC").Limit(int64(limit))
	err := visiblePosts(q, r).Scan(ctx)
	return out, wrap(err, "list documents")
}

// InsertDocumentFolder stores a folder; one that exists already is kept.
func (d *DB) InsertDocumentFolder(ctx context.Context, f *DocumentFolder) error {
	_, err := d.q(ctx).NewInsert().Model(f).On("CONFLICT (space_id, path) DO NOTHING").Exec(ctx)
	return wrap(err, "insert document folder")
}

// DocumentFolders lists the folders of a space, by path.
func (d *DB) DocumentFolders(ctx context.Context, spaceID string) ([]string, error) {
	var out []string
	err := d.q(ctx).NewSelect().Model((*DocumentFolder)(nil)).Column("path").
		Where("space_id = ?", spaceID).OrderExpr("path").Scan(ctx, &out)
	return out, wrap(err, "document folders")
}

// CountDocumentFolders counts the folders of a space.
func (d *DB) CountDocumentFolders(ctx context.Context, spaceID string) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*DocumentFolder)(nil)).Where("space_id = ?", spaceID).Count(ctx)
	return int(n), wrap(err, "count document folders")
}

// FirstMediaOf returns the id of a post's first file.
func (d *DB) FirstMediaOf(ctx context.Context, postID string) (string, error) {
	var id string
	err := d.q(ctx).NewSelect().Model((*Media)(nil)).Column("id").Where("post_id = ?", postID).
		OrderExpr("position, id").Limit(1).Scan(ctx, &id)
	return id, wrap(err, "first media of post")
}

// DocumentVersionsOfAccount lists the versions an account uploaded or
// restored, oldest first, with their files.
func (d *DB) DocumentVersionsOfAccount(ctx context.Context, accountID string) ([]*DocumentVersion, error) {
	var out []*DocumentVersion
	err := d.q(ctx).NewSelect().Model(&out).Relation("Media").
		Where("dv.account_id = ?", accountID).OrderExpr("dv.created_at, dv.post_id, dv.number").Scan(ctx)
	return out, wrap(err, "document versions of account")
}
