package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Like is an account liking a post.
type Like struct {
	bun.BaseModel `bun:"table:likes,alias:like"`

	ID        string `bun:",pk"`
	PostID    string
	AccountID string
	URI       string `bun:",nullzero"` // the Like activity of a remote account
	CreatedAt time.Time

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
	Post    *Post    `bun:"-"`
}

// InsertLike stores a like; a second like of the same post is ErrConflict.
func (d *DB) InsertLike(ctx context.Context, l *Like) error {
	_, err := d.q(ctx).NewInsert().Model(l).Exec(ctx)
	return wrap(err, "insert like")
}

// LikeOf finds accountID's like of postID.
func (d *DB) LikeOf(ctx context.Context, postID, accountID string) (*Like, error) {
	l := new(Like)
	err := d.q(ctx).NewSelect().Model(l).Where("post_id = ?", postID).Where("account_id = ?", accountID).Scan(ctx)
	return l, wrap(err, "like")
}

// DeleteLike removes a like.
func (d *DB) DeleteLike(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewDelete().Model((*Like)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "delete like")
}

// LikedAmong returns which of postIDs accountID likes.
func (d *DB) LikedAmong(ctx context.Context, accountID string, postIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if accountID == "" || len(postIDs) == 0 {
		return out, nil
	}
	var ids []string
	err := d.q(ctx).NewSelect().Model((*Like)(nil)).Column("post_id").
		Where("account_id = ?", accountID).Where("post_id IN (?)", bun.In(postIDs)).Scan(ctx, &ids)
	for _, id := range ids {
		out[id] = true
	}
	return out, wrap(err, "liked among")
}

// LikeByURI finds a like by the id of its Like activity.
func (d *DB) LikeByURI(ctx context.Context, uri string) (*Like, error) {
	l := new(Like)
	err := d.q(ctx).NewSelect().Model(l).Where("uri = ?", uri).Scan(ctx)
	return l, wrap(err, "like by uri")
}

// SetLikeURI records the id of the Like activity a local like was sent as.
func (d *DB) SetLikeURI(ctx context.Context, id, uri string) error {
	return d.setURI(ctx, (*Like)(nil), id, uri)
}

// SetFollowURI records the IRI of the Follow activity a local account sent.
func (d *DB) SetFollowURI(ctx context.Context, id, uri string) error {
	return d.setURI(ctx, (*Follow)(nil), id, uri)
}

// SetMembershipURI records the IRI of the Join activity a local account sent.
func (d *DB) SetMembershipURI(ctx context.Context, id, uri string) error {
	return d.setURI(ctx, (*Membership)(nil), id, uri)
}

// setURI records the IRI of the activity sent for a row of model.
func (d *DB) setURI(ctx context.Context, model any, id, uri string) error {
	_, err := d.q(ctx).NewUpdate().Model(model).Set("uri = ?", uri).Where("id = ?", id).Exec(ctx)
	return wrap(err, "set uri")
}

// Likers lists the accounts that like a post, the latest first.
func (d *DB) Likers(ctx context.Context, postID string, limit int) ([]*Account, error) {
	var out []*Account
	err := d.q(ctx).NewSelect().Model(&out).
		Join("JOIN likes AS l ON l.account_id = account.id").
		Where("l.post_id = ?", postID).OrderExpr("l.created_at DESC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "likers")
}
