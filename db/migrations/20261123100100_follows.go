package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Follows link two accounts: a follower and the account (member or, later,
// space) it follows. A follow is pending until the target accepts it.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE follows (
	id          TEXT PRIMARY KEY,
	follower_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	state       TEXT NOT NULL,
	uri         TEXT UNIQUE,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (follower_id, target_id)
)`,
			`CREATE INDEX follows_target ON follows (target_id, state, id)`,
			`CREATE INDEX follows_follower ON follows (follower_id, state, id)`,
		)
	})
}
