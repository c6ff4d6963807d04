package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Invitation lets people register while registrations are by invitation. Only
// the hash of its token is stored: the token itself is shown once, to its creator.
type Invitation struct {
	bun.BaseModel `bun:"table:invitations"`

	ID          string `bun:",pk"`
	TokenHash   string
	CreatedByID string `bun:",nullzero"` // empty when made from the command line
	MaxUses     int    // 0 means unlimited
	Uses        int
	Note        string
	ExpiresAt   time.Time
	RevokedAt   time.Time `bun:",nullzero"`
	CreatedAt   time.Time
}

// InsertInvitation stores a new invitation.
func (d *DB) InsertInvitation(ctx context.Context, inv *Invitation) error {
	_, err := d.q(ctx).NewInsert().Model(inv).Exec(ctx)
	return wrap(err, "insert invitation")
}

// InvitationByTokenHash finds an invitation by the hash of its token.
func (d *DB) InvitationByTokenHash(ctx context.Context, hash string) (*Invitation, error) {
	inv := new(Invitation)
	err := d.q(ctx).NewSelect().Model(inv).Where("token_hash = ?", hash).Scan(ctx)
	return inv, wrap(err, "invitation by token")
}

// UseInvitation counts one use of the invitation if it is still valid at now,
// atomically: two registrations racing for the last use cannot both win.
// It reports whether the use was counted.
func (d *DB) UseInvitation(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model((*Invitation)(nil)).
		Set("uses = uses + 1").
		Where("id = ?", id).
		Where("revoked_at IS NULL").
		Where("expires_at > ?", now).
		Where("max_uses = 0 OR uses < max_uses").
		Exec(ctx)
	if err != nil {
		return false, wrap(err, "use invitation")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "use invitation")
}

// ListInvitations lists invitations, newest first; createdBy empty lists all.
func (d *DB) ListInvitations(ctx context.Context, createdBy string, limit int) ([]*Invitation, error) {
	var out []*Invitation
	q := d.q(ctx).NewSelect().Model(&out).OrderExpr("id DESC").Limit(int64(limit))
	if createdBy != "" {
		q = q.Where("created_by_id = ?", createdBy)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list invitations")
}

// RevokeInvitation stops an invitation from being used again.
func (d *DB) RevokeInvitation(ctx context.Context, id string, now time.Time) error {
	res, err := d.q(ctx).NewUpdate().Model((*Invitation)(nil)).
		Set("revoked_at = ?", now).Where("id = ?", id).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return wrap(err, "revoke invitation")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(ErrNotFound, "revoke invitation")
	}
	return nil
}
