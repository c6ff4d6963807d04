package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The visibility rule lets the accounts a followers-only or direct post
// mentions see it, and asks "which posts mention this reader?" on every
// feed: without an index by account, that was a scan of every mention.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `CREATE INDEX post_mentions_account ON post_mentions (account_id, post_id)`)
	})
}
