package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// PasswordReset is a one-time link that lets a member set a new password
// without the old one. Only the hash of its token is stored.
type PasswordReset struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID          string `bun:",pk"`
	TokenHash   string
	AccountID   string
	CreatedByID string `bun:",nullzero"` // empty when made from the command line
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time `bun:",nullzero"`
}

// InsertPasswordReset stores a new reset link.
func (d *DB) InsertPasswordReset(ctx context.Context, p *PasswordReset) error {
	_, err := d.q(ctx).NewInsert().Model(p).Exec(ctx)
	return wrap(err, "insert password reset")
}

// PasswordResetByTokenHash finds a reset link by the hash of its token.
func (d *DB) PasswordResetByTokenHash(ctx context.Context, hash string) (*PasswordReset, error) {
	p := new(PasswordReset)
	err := d.q(ctx).NewSelect().Model(p).Where("token_hash = ?", hash).Scan(ctx)
	return p, wrap(err, "password reset by token")
}

// UsePasswordReset marks the link used if it is still unused and unexpired at
// now, atomically, and reports whether it did: a link works once.
func (d *DB) UsePasswordReset(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model((*PasswordReset)(nil)).
		Set("used_at = ?", now).
		Where("id = ?", id).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Exec(ctx)
	if err != nil {
		return false, wrap(err, "use password reset")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "use password reset")
}

// DeletePasswordResets removes the unused links of an account: a new link, or a
// new password, makes the older links void.
func (d *DB) DeletePasswordResets(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*PasswordReset)(nil)).
		Where("account_id = ?", accountID).Where("used_at IS NULL").Exec(ctx)
	return wrap(err, "delete password resets")
}
