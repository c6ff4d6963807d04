package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Media is an uploaded file (stored under the media directory at Path) or a
// remote one (URI). It belongs to its uploader until a post takes it as an
// attachment, or a space as its avatar or banner.
type Media struct {
	bun.BaseModel `bun:"table:media,alias:media"`

	ID          string `bun:",pk"`
	AccountID   string
	PostID      string `bun:",nullzero"`
	Position    int
	Path        string // relative to the media directory; empty for remote media
	URI         string `bun:",nullzero"`
	MediaType   string
	Size        int64
	Name        string // the file's name as uploaded
	Description string // alternative text
	CreatedAt   time.Time
}

// InsertMedia stores a new media row.
func (d *DB) InsertMedia(ctx context.Context, m *Media) error {
	_, err := d.q(ctx).NewInsert().Model(m).Exec(ctx)
	return wrap(err, "insert media")
}

// MediaByID loads a media row.
func (d *DB) MediaByID(ctx context.Context, id string) (*Media, error) {
	m := new(Media)
	err := d.q(ctx).NewSelect().Model(m).Where("id = ?", id).Scan(ctx)
	return m, wrap(err, "media by id")
}

// AttachMedia gives the media to a post at a position, if it belongs to
// accountID and no post has it yet. It reports whether it did.
func (d *DB) AttachMedia(ctx context.Context, id, accountID, postID string, position int) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model((*Media)(nil)).
		Set("post_id = ?", postID).Set("position = ?", position).
		Where("id = ?", id).Where("account_id = ?", accountID).Where("post_id IS NULL").Exec(ctx)
	if err != nil {
		return false, wrap(err, "attach media")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "attach media")
}

// MediaIsProfileImage tells whether the media is a space's avatar or banner
// or a member's avatar: images anyone who sees the profile may load.
func (d *DB) MediaIsProfileImage(ctx context.Context, id string) (bool, error) {
	ok, err := d.q(ctx).NewSelect().Model((*Space)(nil)).
		Where("avatar_id = ? OR banner_id = ?", id, id).Exists(ctx)
	if err != nil || ok {
		return ok, wrap(err, "media used by space")
	}
	ok, err = d.q(ctx).NewSelect().Model((*Account)(nil)).Where("avatar_id = ?", id).Exists(ctx)
	return ok, wrap(err, "media used by account")
}

// UpdateMedia writes the given columns of m.
func (d *DB) UpdateMedia(ctx context.Context, m *Media, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(m).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update media")
}

// DeleteMedia removes a file's row (the caller removes the file).
func (d *DB) DeleteMedia(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewDelete().Model((*Media)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "delete media")
}
