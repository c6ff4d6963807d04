package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Members go through a short onboarding after their first sign-in; onboarded_at
// records that they finished (or skipped) it. Members who used the node before
// onboarding existed count as onboarded: they know their way already.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE users ADD COLUMN onboarded_at TIMESTAMPTZ`,
			`UPDATE users SET onboarded_at = created_at`,
		)
	})
}
