package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Post is a short post, a comment (a note in reply to a post) or a
// best-practice article, local or remote. Its main language's text is in the
// row; every language, the main one included, is in Translations.
type Post struct {
	bun.BaseModel `bun:"table:posts,alias:post"`

	ID           string `bun:",pk"`
	URI          string `bun:",nullzero"` // remote posts: the object's IRI
	URL          string // remote posts: the page to show people
	Kind         string // note, article, event, faq, page
	AccountID    string
	SpaceID      string `bun:",nullzero"` // empty for a profile post
	InReplyToID  string `bun:",nullzero"` // comments: the post they answer
	ThreadID     string // the id of the thread's root post (its own id for a root)
	ContextURI   string // remote threads: their context IRI (FEP-7888)
	Local        bool   // written on this node
	Visibility   string // public, network, members, followers
	Language     string // the main language
	Title        string // articles
	Summary      string // articles
	Source       string // the Markdown the author wrote (local posts)
	Content      string // sanitised HTML
	AppliesTo    string // articles: to whom the practice applies
	Sensitive    bool   // notes: shown collapsed, behind their Warning
	Warning      string `bun:"content_warning"` // plain text; empty: a generic label
	LikeCount    int
	CommentCount int
	PinnedAt     time.Time `bun:",nullzero"`
	CreatedAt    time.Time
	EditedAt     time.Time `bun:",nullzero"`
	DeletedAt    time.Time `bun:",nullzero"`
	DeletedByID  string    `bun:",nullzero"` // who removed it, when not its author
	ClientKey    string    `bun:",nullzero"` // the key of the form that made it, unique per author

	Author       *Account       `bun:"rel:belongs-to,join:account_id=id"`
	Translations []*Translation `bun:"rel:has-many,join:id=post_id"`
	Tags         []*Tag         `bun:"rel:has-many,join:id=post_id"`
	Mentions     []*Mention     `bun:"rel:has-many,join:id=post_id"`
	Attachments  []*Media       `bun:"rel:has-many,join:id=post_id"`
	// Set by the domain when it needs them.
	Space     *Space `bun:"-"`
	InReplyTo *Post  `bun:"-"`
	Poll      *Poll  `bun:"-"` // the poll it carries, if any
	// Event is the when and where of a post of kind event.
	Event *CalendarEvent `bun:"-"`
	// FAQ is the category and position of a post of kind faq.
	FAQ *FAQEntry `bun:"-"`
	// Document is the folder and current version of a post of kind document.
	Document *Document `bun:"-"`
	// Wiki is the slug, parent and revision of a post of kind page.
	Wiki *WikiPage `bun:"-"`
}

// IsDeleted tells whether the post is a tombstone.
func (p *Post) IsDeleted() bool { return !p.DeletedAt.IsZero() }

// Translation is a post's text in one language.
type Translation struct {
	bun.BaseModel `bun:"table:post_translations,alias:tr"`

	PostID   string `bun:",pk"`
	Language string `bun:",pk"`
	Title    string
	Summary  string
	Source   string
	Content  string
}

// Tag is a hashtag found in a post's text, or a theme its author chose.
type Tag struct {
	bun.BaseModel `bun:"table:post_tags,alias:tag"`

	PostID string `bun:",pk"`
	Kind   string `bun:",pk"` // hashtag, theme
	Tag    string `bun:",pk"`
}

// Mention is an @user or @user@host found in a post's text. AccountID is set
// when the account is known.
type Mention struct {
	bun.BaseModel `bun:"table:post_mentions,alias:mention"`

	PostID    string `bun:",pk"`
	Username  string `bun:",pk"`
	Domain    string `bun:",pk"`
	AccountID string `bun:",nullzero"`
}

// InsertPost stores a post with its translations, tags and mentions.
func (d *DB) InsertPost(ctx context.Context, p *Post) error {
	if _, err := d.q(ctx).NewInsert().Model(p).Exec(ctx); err != nil {
		return wrap(err, "insert post")
	}
	return d.writeParts(ctx, p)
}

// UpdatePost writes the given columns of p; with parts, it also replaces its
// translations, tags and mentions.
func (d *DB) UpdatePost(ctx context.Context, p *Post, parts bool, columns ...string) error {
	if _, err := d.q(ctx).NewUpdate().Model(p).WherePK().Column(columns...).Exec(ctx); err != nil {
		return wrap(err, "update post")
	}
	if !parts {
		return nil
	}
	for _, m := range []any{(*Translation)(nil), (*Tag)(nil), (*Mention)(nil)} {
		if _, err := d.q(ctx).NewDelete().Model(m).Where("post_id = ?", p.ID).Exec(ctx); err != nil {
			return wrap(err, "clear post parts")
		}
	}
	return d.writeParts(ctx, p)
}

func (d *DB) writeParts(ctx context.Context, p *Post) error {
	for _, t := range p.Translations {
		t.PostID = p.ID
	}
	for _, t := range p.Tags {
		t.PostID = p.ID
	}
	for _, m := range p.Mentions {
		m.PostID = p.ID
	}
	if len(p.Translations) > 0 {
		if _, err := d.q(ctx).NewInsert().Model(&p.Translations).Exec(ctx); err != nil {
			return wrap(err, "insert translations")
		}
	}
	if len(p.Tags) > 0 {
		if _, err := d.q(ctx).NewInsert().Model(&p.Tags).Exec(ctx); err != nil {
			return wrap(err, "insert tags")
		}
	}
	if len(p.Mentions) > 0 {
		if _, err := d.q(ctx).NewInsert().Model(&p.Mentions).Exec(ctx); err != nil {
			return wrap(err, "insert mentions")
		}
	}
	return nil
}

// Tombstone empties a deleted post: its text, translations, tags, mentions and
// attachments go; the row stays (deleted_at set) so its id answers Tombstone.
// It returns the paths of the files the attachments had.
func (d *DB) Tombstone(ctx context.Context, p *Post) ([]string, error) {
	p.Title, p.Summary, p.Source, p.Content, p.AppliesTo, p.Warning = "", "", "", "", "", ""
	p.Translations, p.Tags, p.Mentions = nil, nil, nil
	p.PinnedAt, p.Sensitive = time.Time{}, false
	if err := d.UpdatePost(ctx, p, true, "title", "summary", "source", "content", "applies_to",
		"content_warning", "sensitive", "pinned_at", "deleted_at", "deleted_by_id"); err != nil {
		return nil, err
	}
	var paths []string
	err := d.q(ctx).NewSelect().Model((*Media)(nil)).Column("path").
		Where("post_id = ?", p.ID).Where("path <> ''").Scan(ctx, &paths)
	if err != nil {
		return nil, wrap(err, "attachment paths")
	}
	if _, err := d.q(ctx).NewDelete().Model((*Media)(nil)).Where("post_id = ?", p.ID).Exec(ctx); err != nil {
		return nil, wrap(err, "delete attachments")
	}
	return paths, d.DeleteSearchDoc(ctx, p.ID)
}

// postQuery selects posts with their authors and parts.
func (d *DB) postQuery(ctx context.Context, out any) *bun.SelectQuery {
	return d.q(ctx).NewSelect().Model(out).Relation("Author").
		Relation("Translations", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("tr.language") }).
		Relation("Tags", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("tag.kind, tag.tag") }).
		Relation("Mentions").
		Relation("Attachments", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("position") })
}

// PostByID loads a post, deleted or not, without checking who may see it.
func (d *DB) PostByID(ctx context.Context, id string) (*Post, error) {
	p := new(Post)
	err := d.postQuery(ctx, p).Where("post.id = ?", id).Scan(ctx)
	return p, wrap(err, "post by id")
}

// PostsByIDs loads posts by id, deleted or not, in no order, without
// checking who may see them.
func (d *DB) PostsByIDs(ctx context.Context, ids []string) ([]*Post, error) {
	var out []*Post
	if len(ids) == 0 {
		return out, nil
	}
	err := d.q(ctx).NewSelect().Model(&out).Where("post.id IN (?)", bun.In(ids)).Scan(ctx)
	return out, wrap(err, "posts by ids")
}

// PostByURI loads a remote post by its IRI.
func (d *DB) PostByURI(ctx context.Context, uri string) (*Post, error) {
	p := new(Post)
	err := d.postQuery(ctx, p).Where("post.uri = ?", uri).Scan(ctx)
	return p, wrap(err, "post by uri")
}

// PostIDByIDOrURI returns the id of the post this node holds with id (when
// id is set) or with the IRI uri: a one-column lookup, for callers that need
// nothing else of the post.
func (d *DB) PostIDByIDOrURI(ctx context.Context, id, uri string) (string, error) {
	q := d.q(ctx).NewSelect().Table("posts").Column("id")
	if id != "" {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("uri = ?", uri)
	}
	var out string
	err := q.Scan(ctx, &out)
	return out, wrap(err, "post id")
}

// VisiblePost loads a post if r may see it, by the one visibility rule.
func (d *DB) VisiblePost(ctx context.Context, r Reader, id string) (*Post, error) {
	p := new(Post)
	err := visiblePosts(d.postQuery(ctx, p).Where("post.id = ?", id), r).Scan(ctx)
	return p, wrap(err, "visible post")
}

// VisiblePostHead is VisiblePost without the post's parts (translations,
// tags, mentions, files): the post and its author, in one query, for a
// change that needs no more (a like).
func (d *DB) VisiblePostHead(ctx context.Context, r Reader, id string) (*Post, error) {
	p := new(Post)
	err := visiblePosts(d.q(ctx).NewSelect().Model(p).Relation("Author").Where("post.id = ?", id), r).Scan(ctx)
	return p, wrap(err, "visible post")
}

// AddPostCounts adds to a post's like and comment counters.
func (d *DB) AddPostCounts(ctx context.Context, id string, likes, comments int) error {
	_, err := d.q(ctx).NewUpdate().Model((*Post)(nil)).
		Set("like_count = like_count + ?", likes).
		Set("comment_count = comment_count + ?", comments).
		Where("id = ?", id).Exec(ctx)
	return wrap(err, "count post")
}

// PinnedPosts lists the pinned posts of a space or a profile that r may
// see, most recently pinned first.
func (d *DB) PinnedPosts(ctx context.Context, r Reader, of Pins) ([]*Post, error) {
	var out []*Post
	q := of.where(d.postQuery(ctx, &out)).Where("post.pinned_at IS NOT NULL").
		OrderExpr("post.pinned_at DESC").Limit(50)
	err := visiblePosts(q, r).Scan(ctx)
	return out, wrap(err, "pinned posts")
}

// Pins names whose pinned posts: a space's (SpaceID), or a member's own
// profile posts (AuthorID).
type Pins struct{ SpaceID, AuthorID string }

func (p Pins) where(q *bun.SelectQuery) *bun.SelectQuery {
	if p.SpaceID != "" {
		return q.Where("post.space_id = ?", p.SpaceID)
	}
	return q.Where("post.space_id IS NULL").Where("post.account_id = ?", p.AuthorID)
}

// CountPinned counts the live pinned posts of a space or a profile.
func (d *DB) CountPinned(ctx context.Context, of Pins) (int, error) {
	n, err := of.where(d.q(ctx).NewSelect().Model((*Post)(nil))).
		Where("post.pinned_at IS NOT NULL").Where("post.deleted_at IS NULL").Count(ctx)
	return int(n), wrap(err, "count pinned")
}

// PostsByAuthor lists an account's live posts, comments and articles, oldest
// first, after the post with id after: everything it wrote, for an export.
func (d *DB) PostsByAuthor(ctx context.Context, accountID, after string, limit int) ([]*Post, error) {
	var out []*Post
	q := d.postQuery(ctx, &out).Where("post.account_id = ?", accountID).Where("post.deleted_at IS NULL").
		OrderExpr("post.id ASC").Limit(int64(limit))
	if after != "" {
		q = q.Where("post.id > ?", after)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "posts by author")
}

// PostByClientKey finds the post an author made with a form's key.
func (d *DB) PostByClientKey(ctx context.Context, accountID, key string) (*Post, error) {
	p := new(Post)
	err := d.postQuery(ctx, p).Where("post.account_id = ?", accountID).Where("post.client_key = ?", key).Scan(ctx)
	return p, wrap(err, "post by client key")
}

// CountLocalPosts counts the live posts and comments written on this node.
func (d *DB) CountLocalPosts(ctx context.Context) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*Post)(nil)).Where("local").Where("deleted_at IS NULL").Count(ctx)
	return int(n), wrap(err, "count local posts")
}

// PostStats are the posts of an account (or a space) a reader may see: how
// many, and when the last was written.
type PostStats struct {
	Count int
	Last  time.Time
}

// AccountPostStats counts the posts and comments accountID wrote, or (space)
// those in the space accountID, that r may see.
func (d *DB) AccountPostStats(ctx context.Context, r Reader, accountID string, space bool) (PostStats, error) {
	column := "post.account_id"
	if space {
		column = "post.space_id"
	}
	var out struct {
		N    int
		Last time.Time `bun:",nullzero"`
	}
	q := d.q(ctx).NewSelect().Model((*Post)(nil)).ColumnExpr("count(*) AS n, max(post.created_at) AS last").
		Where("? = ?", bun.Ident(column), accountID)
	err := visiblePosts(q, r).Scan(ctx, &out)
	return PostStats{Count: out.N, Last: out.Last}, wrap(err, "account post stats")
}
