package spaces

import (
	"context"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// PasswordReset is a one-time link to set a new password.
type PasswordReset = db.PasswordReset

// passwordResetTTL is how long a reset link works: long enough for an admin
// to hand it over, short enough that a forgotten link is not a back door.
const passwordResetTTL = 72 * time.Hour

var (
	errResetInvalid = invalid("reset", "reset_invalid", "this password link is not valid")
	errResetExpired = invalid("reset", "reset_expired", "this password link has expired: ask an admin for a new one")
	errResetUsed    = invalid("reset", "reset_used", "this password link has been used already: ask an admin for a new one")
)

// CreatePasswordReset makes a one-time link with which the member sets a new
// password, for a member who forgot theirs; it returns the link's token, shown
// this once. Admins only. Older unused links of the member stop working.
func (s *Service) CreatePasswordReset(ctx context.Context, by *Account, username string) (*PasswordReset, string, error) {
	if !isAdmin(by) {
		return nil, "", forbidden("admin_only", "only an admin may reset passwords")
	}
	token, hash := newToken()
	now := s.now()
	p := &PasswordReset{ID: newID(), TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(passwordResetTTL)}
	if by != Console {
		p.CreatedByID = by.ID
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := s.localMember(ctx, tx, username)
		if err != nil {
			return err
		}
		p.AccountID = a.ID
		if err := tx.DeletePasswordResets(ctx, a.ID); err != nil {
			return err
		}
		return tx.InsertPasswordReset(ctx, p)
	})
	if err != nil {
		return nil, "", internal("create password reset", err)
	}
	return p, token, nil
}

// CheckPasswordReset returns the member a reset link is for, if it works now.
func (s *Service) CheckPasswordReset(ctx context.Context, token string) (*Account, error) {
	p, err := s.db.PasswordResetByTokenHash(ctx, hashToken(strings.TrimSpace(token)))
	if err != nil {
		return nil, notFoundOr("check password reset", err, errResetInvalid)
	}
	if err := s.resetUsable(p); err != nil {
		return nil, err
	}
	a, err := s.db.AccountByID(ctx, p.AccountID)
	if err != nil || a.User == nil {
		return nil, notFoundOr("check password reset", err, errResetInvalid)
	}
	return a, nil
}

func (s *Service) resetUsable(p *PasswordReset) error {
	switch {
	case !p.UsedAt.IsZero():
		return errResetUsed
	case !s.now().Before(p.ExpiresAt):
		return errResetExpired
	}
	return nil
}

// ResetPasswordWithLink sets the member's new password with a reset link, which
// then stops working, and ends every session of the member.
func (s *Service) ResetPasswordWithLink(ctx context.Context, token, newPassword string) (*Account, error) {
	a, err := s.CheckPasswordReset(ctx, token)
	if err != nil {
		return nil, err
	}
	err = s.setPassword(ctx, a, newPassword, "", func(tx *db.DB) error {
		p, err := tx.PasswordResetByTokenHash(ctx, hashToken(strings.TrimSpace(token)))
		if err != nil {
			return notFoundOr("password reset", err, errResetInvalid)
		}
		if err := s.resetUsable(p); err != nil {
			return err
		}
		ok, err := tx.UsePasswordReset(ctx, p.ID, s.now())
		if err != nil {
			return err
		}
		if !ok { // a concurrent use won
			return errResetUsed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
