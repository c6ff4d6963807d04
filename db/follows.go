package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Follow is one account following another. It is pending until the target
// (or, for a remote target, its server) accepts it.
type Follow struct {
	bun.BaseModel `bun:"table:follows"`

	ID         string `bun:",pk"`
	FollowerID string
	TargetID   string
	State      string // pending, accepted
	URI        string `bun:",nullzero"` // id of the Follow activity, for Accept and Undo
	CreatedAt  time.Time
	UpdatedAt  time.Time

	Follower *Account `bun:"rel:belongs-to,join:follower_id=id"`
	Target   *Account `bun:"rel:belongs-to,join:target_id=id"`
}

// InsertFollow stores a new follow.
func (d *DB) InsertFollow(ctx context.Context, f *Follow) error {
	_, err := d.q(ctx).NewInsert().Model(f).Exec(ctx)
	return wrap(err, "insert follow")
}

// UpdateFollow writes the given columns of f.
func (d *DB) UpdateFollow(ctx context.Context, f *Follow, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(f).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update follow")
}

// DeleteFollow removes a follow.
func (d *DB) DeleteFollow(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewDelete().Model((*Follow)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "delete follow")
}

// FollowBetween finds the follow of followerID to targetID.
func (d *DB) FollowBetween(ctx context.Context, followerID, targetID string) (*Follow, error) {
	f := new(Follow)
	err := d.q(ctx).NewSelect().Model(f).
		Where("follower_id = ?", followerID).Where("target_id = ?", targetID).Scan(ctx)
	return f, wrap(err, "follow between")
}

// FollowByURI finds a follow by the id of its Follow activity.
func (d *DB) FollowByURI(ctx context.Context, uri string) (*Follow, error) {
	f := new(Follow)
	err := d.q(ctx).NewSelect().Model(f).Where("uri = ?", uri).Scan(ctx)
	return f, wrap(err, "follow by uri")
}

// FollowPage selects one page of follows, newest first.
type FollowPage struct {
	State  string // pending or accepted
	Before string // cursor: the last id of the previous page; empty for the first page
	Limit  int
}

// ListFollowers lists the follows whose target is targetID, with their followers.
func (d *DB) ListFollowers(ctx context.Context, targetID string, p FollowPage) ([]*Follow, error) {
	return d.listFollows(ctx, "target_id", targetID, "Follower", p)
}

// ListFollowing lists the follows made by followerID, with their targets.
func (d *DB) ListFollowing(ctx context.Context, followerID string, p FollowPage) ([]*Follow, error) {
	return d.listFollows(ctx, "follower_id", followerID, "Target", p)
}

func (d *DB) listFollows(ctx context.Context, column, id, relation string, p FollowPage) ([]*Follow, error) {
	var out []*Follow
	q := d.q(ctx).NewSelect().Model(&out).Relation(relation).
		Where("follow.? = ?", bun.Ident(column), id).
		Where("follow.state = ?", p.State).
		OrderExpr("follow.id DESC").
		Limit(int64(p.Limit))
	if p.Before != "" {
		q = q.Where("follow.id < ?", p.Before)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list follows")
}

// CountFollows counts the accepted follows whose column (target_id or
// follower_id) is id.
func (d *DB) CountFollows(ctx context.Context, column, id string) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*Follow)(nil)).
		Where("? = ?", bun.Ident(column), id).Where("state = 'accepted'").Count(ctx)
	return int(n), wrap(err, "count follows")
}

// DeleteFollowsOf removes every follow made by or of an account.
func (d *DB) DeleteFollowsOf(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*Follow)(nil)).
		Where("follower_id = ? OR target_id = ?", accountID, accountID).Exec(ctx)
	return wrap(err, "delete follows")
}
