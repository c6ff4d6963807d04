package spaces

import (
	"context"

	"github.com/ruche-social/ruche/db"
)

// NeedsOnboarding tells whether a member has not been through the onboarding
// yet: the doors lead them there after they sign in.
func NeedsOnboarding(a *Account) bool {
	return a != nil && a.User != nil && a.User.OnboardedAt.IsZero()
}

// CompleteOnboarding records that the member finished or skipped the
// onboarding. Doing it twice keeps the first time.
func (s *Service) CompleteOnboarding(ctx context.Context, by *Account) (*Account, error) {
	if by == nil || by.User == nil || by == Console || by.Status != StatusActive {
		return nil, errUnauthenticated
	}
	var out *Account
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := tx.AccountByID(ctx, by.ID)
		if err != nil {
			return err
		}
		out = a
		if !a.User.OnboardedAt.IsZero() {
			return nil
		}
		now := s.now()
		a.User.OnboardedAt, a.User.UpdatedAt = now, now
		return tx.UpdateUser(ctx, a.User, "onboarded_at", "updated_at")
	})
	if err != nil {
		return nil, internal("complete onboarding", err)
	}
	return out, nil
}
