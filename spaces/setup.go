package spaces

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// setupTokenTTL bounds how long a first-run link printed in a log stays good.
const setupTokenTTL = 24 * time.Hour

var (
	errSetupDone         = conflict("", "setup_done", "this node has an admin already: sign in instead")
	errSetupTokenInvalid = invalid("setup_token", "setup_token_invalid", "this setup code is not valid: copy it from the node's log")
	errSetupTokenExpired = invalid("setup_token", "setup_token_expired", "this setup code has expired: restart the node for a new one")
)

// NewSetupToken makes a one-time token that lets whoever holds it create the
// node's first admin from the browser, while the node has none. The node prints
// it in its log at start, so only someone who can read the console gets it.
// Every call adds a token; the first admin's creation voids them all.
func (s *Service) NewSetupToken(ctx context.Context) (string, error) {
	has, err := s.HasAdmin(ctx)
	if err != nil {
		return "", err
	}
	if has {
		return "", errSetupDone
	}
	token, hash := newToken()
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if err := tx.DeleteSetupTokens(ctx, now); err != nil {
			return err
		}
		return tx.InsertSetupToken(ctx, &db.SetupToken{TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(setupTokenTTL)})
	})
	if err != nil {
		return "", internal("new setup token", err)
	}
	return token, nil
}

// CheckSetupToken tells whether token may create the first admin now, without
// using it.
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	t, err := s.db.SetupTokenByHash(ctx, hashToken(strings.TrimSpace(token)))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return internal("check setup token", err)
	}
	// Asked after the token: a token that vanished because someone just
	// created the first admin reads as "done", not as a wrong code.
	has, herr := s.HasAdmin(ctx)
	switch {
	case herr != nil:
		return herr
	case has:
		return errSetupDone
	case err != nil:
		return errSetupTokenInvalid
	case !s.now().Before(t.ExpiresAt):
		return errSetupTokenExpired
	}
	return nil
}

// SetupAdmin creates the node's first admin with a setup token. It fails once
// the node has an admin, however it got one; of two people racing with tokens,
// one wins: the winner deletes every token, and the loser's token is gone.
func (s *Service) SetupAdmin(ctx context.Context, token string, in NewMember) (*Account, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, invalid("setup_token", "setup_token_required", "the setup code is required: copy it from the node's log")
	}
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return nil, err
	}
	in.Role, in.Invite = RoleAdmin, ""
	hash := hashToken(token)
	return s.createMember(ctx, in, func(tx *db.DB) error {
		taken, err := tx.TakeSetupTokens(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(taken, func(t db.SetupToken) bool { return t.TokenHash == hash })
		n, err := tx.CountLocalMembers(ctx, db.AccountFilter{Role: RoleAdmin, Status: StatusActive})
		switch {
		case err != nil:
			return err
		case n > 0:
			return errSetupDone
		case i < 0:
			return errSetupTokenInvalid
		case !s.now().Before(taken[i].ExpiresAt):
			return errSetupTokenExpired
		}
		return nil
	})
}
