package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// WikiPage is the place of a post of kind page in its space's wiki.
type WikiPage struct {
	bun.BaseModel `bun:"table:wiki_pages,alias:wp"`

	PostID   string `bun:",pk"`
	SpaceID  string
	Slug     string // unique in the space
	ParentID string `bun:",nullzero"` // the parent page's post id; "" at the top
	// ParentURI is the IRI of the parent of a page of another server,
	// kept until that parent arrives (deliveries come in any order).
	ParentURI string `bun:",nullzero"`
	Revision  int    `bun:",notnull"` // the current revision's number, from 1
}

// WikiRevision is one version of a page, kept whole.
type WikiRevision struct {
	bun.BaseModel `bun:"table:wiki_revisions,alias:wr"`

	PostID    string `bun:",pk"`
	Number    int    `bun:",pk"`
	AccountID string `bun:",nullzero"` // who wrote it
	CreatedAt time.Time
	Title     string
	Source    string // Markdown; "" for a remote page that sent none
	Content   string // sanitised HTML
	Summary   string // what the edit did, in the editor's words
	Restored  int    `bun:",notnull"` // the revision it copied back, if any

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// InsertWikiPage stores a page's row; a slug taken in the space is
// ErrConflict.
func (d *DB) InsertWikiPage(ctx context.Context, p *WikiPage) error {
	_, err := d.q(ctx).NewInsert().Model(p).Exec(ctx)
	return wrap(err, "insert wiki page")
}

// InsertWikiRevision stores a revision; its number taken is ErrConflict.
func (d *DB) InsertWikiRevision(ctx context.Context, r *WikiRevision) error {
	_, err := d.q(ctx).NewInsert().Model(r).Exec(ctx)
	return wrap(err, "insert wiki revision")
}

// SetWikiRevisionAccount records revision number of page postID under
// the account who made it.
func (d *DB) SetWikiRevisionAccount(ctx context.Context, postID string, number int, accountID string) error {
	_, err := d.q(ctx).NewUpdate().Model((*WikiRevision)(nil)).Set("account_id = ?", accountID).
		Where("post_id = ? AND number = ?", postID, number).Exec(ctx)
	return wrap(err, "set wiki revision account")
}

// AdvanceWikiPage makes revision next the current one of page postID if
// base is current still, and tells whether it was: of two edits based on
// the same revision, exactly one advances the page (the row's update is
// atomic, and on PostgreSQL the second waits for the first and then finds
// its base gone).
func (d *DB) AdvanceWikiPage(ctx context.Context, postID string, base, next int) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model((*WikiPage)(nil)).Set("revision = ?", next).
		Where("post_id = ? AND revision = ?", postID, base).Exec(ctx)
	if err != nil {
		return false, wrap(err, "advance wiki page")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "advance wiki page")
}

// SetWikiPlace writes a page's slug and parent.
func (d *DB) SetWikiPlace(ctx context.Context, p *WikiPage) error {
	_, err := d.q(ctx).NewUpdate().Model(p).WherePK().Column("slug", "parent_id", "parent_uri").Exec(ctx)
	return wrap(err, "set wiki place")
}

// AdoptWikiChildren places under page p the pages of its space that were
// waiting for it: those whose parent's IRI is uri.
func (d *DB) AdoptWikiChildren(ctx context.Context, p *WikiPage, uri string) error {
	_, err := d.q(ctx).NewUpdate().Model((*WikiPage)(nil)).Set("parent_id = ?", p.PostID).
		Where("space_id = ? AND parent_uri = ? AND parent_id IS NULL AND post_id <> ?", p.SpaceID, uri, p.PostID).Exec(ctx)
	return wrap(err, "adopt wiki children")
}

// DeleteWikiPage removes a deleted page's row and revisions; its children
// move to the top of the tree.
func (d *DB) DeleteWikiPage(ctx context.Context, postID string) error {
	if _, err := d.q(ctx).NewDelete().Model((*WikiRevision)(nil)).Where("post_id = ?", postID).Exec(ctx); err != nil {
		return wrap(err, "delete wiki revisions")
	}
	if _, err := d.q(ctx).NewUpdate().Model((*WikiPage)(nil)).Set("parent_id = NULL").Where("parent_id = ?", postID).Exec(ctx); err != nil {
		return wrap(err, "delete wiki page")
	}
	_, err := d.q(ctx).NewDelete().Model((*WikiPage)(nil)).Where("post_id = ?", postID).Exec(ctx)
	return wrap(err, "delete wiki page")
}

// WikiPagesOf loads the wiki rows of posts, by post id.
func (d *DB) WikiPagesOf(ctx context.Context, postIDs []string) (map[string]*WikiPage, error) {
	out := map[string]*WikiPage{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []*WikiPage
	err := d.q(ctx).NewSelect().Model(&rows).Where("wp.post_id IN (?)", bun.In(postIDs)).Scan(ctx)
	for _, p := range rows {
		out[p.PostID] = p
	}
	return out, wrap(err, "wiki pages of posts")
}

// WikiPageBySlug finds the row of a page of a space by its slug, whoever
// may see it.
func (d *DB) WikiPageBySlug(ctx context.Context, spaceID, slug string) (*WikiPage, error) {
	p := new(WikiPage)
	err := d.q(ctx).NewSelect().Model(p).Where("space_id = ? AND slug = ?", spaceID, slug).Scan(ctx)
	return p, wrap(err, "wiki page by slug")
}

// WikiSlugs tells which of slugs are pages of a space.
func (d *DB) WikiSlugs(ctx context.Context, spaceID string, slugs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(slugs) == 0 {
		return out, nil
	}
	var found []string
	err := d.q(ctx).NewSelect().Model((*WikiPage)(nil)).Column("slug").
		Where("space_id = ? AND slug IN (?)", spaceID, bun.In(slugs)).Scan(ctx, &found)
	for _, s := range found {
		out[s] = true
	}
	return out, wrap(err, "wiki slugs")
}

// ListWiki returns the pages of a space that r may see, by title, without
// their wiki rows (WikiPagesOf loads them).
func (d *DB) ListWiki(ctx context.Context, r Reader, spaceID string, limit int) ([]*Post, error) {
	var out []*Post
	q := d.postQuery(ctx, &out).
		Join("JOIN wiki_pages AS wp ON wp.post_id = post.id").
		Where("post.kind = 'page' AND post.space_id = ?", spaceID).
		OrderExpr("lower(post.title) ASC, post.id ASC").Limit(int64(limit))
	err := visiblePosts(q, r).Scan(ctx)
	return out, wrap(err, "list wiki")
}

// WikiRevisions lists a page's revisions, newest first, with their
// authors; with text false, without the name and text.
func (d *DB) WikiRevisions(ctx context.Context, postID string, text bool) ([]*WikiRevision, error) {
	var out []*WikiRevision
	q := d.q(ctx).NewSelect().Model(&out).Relation("Account").Where("wr.post_id = ?", postID).OrderExpr("wr.number DESC")
	if !text {
		q = q.Column("wr.post_id", "wr.number", "wr.account_id", "wr.created_at", "wr.title", "wr.summary", "wr.restored")
	}
	err := q.Scan(ctx)
	return out, wrap(err, "wiki revisions")
}

// WikiRevisionByNumber loads one revision of a page, with its author.
func (d *DB) WikiRevisionByNumber(ctx context.Context, postID string, number int) (*WikiRevision, error) {
	r := new(WikiRevision)
	err := d.q(ctx).NewSelect().Model(r).Relation("Account").Where("wr.post_id = ? AND wr.number = ?", postID, number).Scan(ctx)
	return r, wrap(err, "wiki revision")
}

// WikiRevisionsOfAccount lists the revisions an account wrote, oldest
// first.
func (d *DB) WikiRevisionsOfAccount(ctx context.Context, accountID string) ([]*WikiRevision, error) {
	var out []*WikiRevision
	err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at, post_id, number").Scan(ctx)
	return out, wrap(err, "wiki revisions of account")
}
