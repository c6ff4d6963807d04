package spaces

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// PasswordReset is a one-time link to set a new password.
type PasswordReset = db.PasswordReset

// passwordResetTTL is how long a reset link works: long enough for an admin
// to hand it over, short enough that a forgotten link is not a back door.
// A link a member asked for by mail is used at once, and lives an hour.
const (
	passwordResetTTL     = 72 * time.Hour
	mailedResetTTL       = time.Hour
	resetRequestsPerMail = 3  // links per member, per window of the sign-in throttle
	resetRequestsPerIP   = 10 // requests per client address
)

var (
	errResetInvalid = invalid("reset", "reset_invalid", "this password link is not valid")
	errResetExpired = invalid("reset", "reset_expired", "this password link has expired: ask for a new one")
	errResetUsed    = invalid("reset", "reset_used", "this password link has been used already: ask for a new one")
)

// RequestPasswordReset is a member's own request for a reset link, by email
// address or username, from the client address ip. It returns the member and
// the link's token to mail them, or a nil account when the login names no
// active member: the caller answers the same either way, so that the form
// does not tell which addresses have accounts. Past a few requests per client
// address the answer is KindRateLimited; past a few links per member no more
// are made, silently for the same reason.
func (s *Service) RequestPasswordReset(ctx context.Context, login, ip string) (*Account, string, error) {
	if strings.TrimSpace(login) == "" {
		return nil, "", invalid("login", "login_required", "enter your email address or username")
	}
	now := s.now()
	if wait := s.resets.reserve(now, limited{"reset-ip:" + ip, resetRequestsPerIP}); wait > 0 {
		return nil, "", &Error{Kind: KindRateLimited, Code: "too_many_attempts",
			Message: "too many requests: try again later", RetryAfter: wait}
	}
	a, err := s.findLogin(ctx, login)
	if errors.Is(err, db.ErrNotFound) || (err == nil && a.Status != StatusActive) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", internal("request password reset", err)
	}
	if s.resets.reserve(now, limited{"reset-account:" + a.ID, resetRequestsPerMail}) > 0 {
		return nil, "", nil
	}
	token, hash := newToken()
	p := &PasswordReset{ID: newID(), AccountID: a.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(mailedResetTTL)}
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if err := tx.DeletePasswordResets(ctx, a.ID); err != nil {
			return err
		}
		return tx.InsertPasswordReset(ctx, p)
	})
	if err != nil {
		return nil, "", internal("request password reset", err)
	}
	return a, token, nil
}

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
