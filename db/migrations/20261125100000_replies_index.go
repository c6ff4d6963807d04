package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The index of replies holds replies only. Holding every top-level post under
// NULL, it made SQLite's planner read "in_reply_to_id IS NULL" — a condition
// of every feed — as a narrow index search, and walk three quarters of the
// posts through it instead of the feed's own index (a space's 20 newest
// posts took seconds at a million posts). Lookups of a post's replies
// (in_reply_to_id = ?) use the partial index as they used the full one.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`DROP INDEX posts_in_reply_to`,
			`CREATE INDEX posts_in_reply_to ON posts (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL`,
		)
	})
}
