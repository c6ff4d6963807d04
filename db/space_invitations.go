package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// SpaceInvitation invites someone into a space, past its join policy. It names
// a known account (local, or remote once resolved), or a handle not resolved
// yet (user@host, for the federation layer to resolve), or it is a link: only
// the hash of its token is stored, the token is shown once to its creator.
type SpaceInvitation struct {
	bun.BaseModel `bun:"table:space_invitations,alias:invitation"`

	ID          string `bun:",pk"`
	SpaceID     string
	CreatedByID string `bun:",nullzero"`
	AccountID   string `bun:",nullzero"`
	Handle      string
	TokenHash   string `bun:",nullzero"`
	MaxUses     int    // 0 means unlimited (links only)
	Uses        int
	ExpiresAt   time.Time
	RevokedAt   time.Time `bun:",nullzero"`
	CreatedAt   time.Time

	Account   *Account `bun:"rel:belongs-to,join:account_id=id"`
	CreatedBy *Account `bun:"rel:belongs-to,join:created_by_id=id"`
	Space     *Space   `bun:"-"`
}

// InsertSpaceInvitation stores a new space invitation.
func (d *DB) InsertSpaceInvitation(ctx context.Context, inv *SpaceInvitation) error {
	_, err := d.q(ctx).NewInsert().Model(inv).Exec(ctx)
	return wrap(err, "insert space invitation")
}

// SpaceInvitationByTokenHash finds a link invitation by the hash of its token.
func (d *DB) SpaceInvitationByTokenHash(ctx context.Context, hash string) (*SpaceInvitation, error) {
	inv := new(SpaceInvitation)
	err := d.q(ctx).NewSelect().Model(inv).Where("token_hash = ?", hash).Scan(ctx)
	return inv, wrap(err, "space invitation by token")
}

// PendingSpaceInvitation finds a live invitation of accountID into spaceID.
func (d *DB) PendingSpaceInvitation(ctx context.Context, spaceID, accountID string, now time.Time) (*SpaceInvitation, error) {
	inv := new(SpaceInvitation)
	err := d.q(ctx).NewSelect().Model(inv).
		Where("space_id = ?", spaceID).Where("account_id = ?", accountID).
		Where("revoked_at IS NULL").Where("expires_at > ?", now).Where("uses < max_uses").
		OrderExpr("id DESC").Limit(1).Scan(ctx)
	return inv, wrap(err, "pending space invitation")
}

// UseSpaceInvitation counts one use if the invitation is still valid at now,
// atomically. It reports whether the use was counted.
func (d *DB) UseSpaceInvitation(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model((*SpaceInvitation)(nil)).
		Set("uses = uses + 1").
		Where("id = ?", id).Where("revoked_at IS NULL").Where("expires_at > ?", now).
		Where("max_uses = 0 OR uses < max_uses").
		Exec(ctx)
	if err != nil {
		return false, wrap(err, "use space invitation")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "use space invitation")
}

// ListSpaceInvitations lists a space's invitations, newest first.
func (d *DB) ListSpaceInvitations(ctx context.Context, spaceID string, limit int) ([]*SpaceInvitation, error) {
	var out []*SpaceInvitation
	err := d.q(ctx).NewSelect().Model(&out).Relation("Account").Relation("CreatedBy").
		Where("invitation.space_id = ?", spaceID).OrderExpr("invitation.id DESC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "list space invitations")
}

// RevokeSpaceInvitation withdraws one of a space's invitations.
func (d *DB) RevokeSpaceInvitation(ctx context.Context, spaceID, id string, now time.Time) error {
	res, err := d.q(ctx).NewUpdate().Model((*SpaceInvitation)(nil)).Set("revoked_at = ?", now).
		Where("id = ?", id).Where("space_id = ?", spaceID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return wrap(err, "revoke space invitation")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(ErrNotFound, "revoke space invitation")
	}
	return nil
}
