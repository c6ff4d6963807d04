package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A form sent twice (a double click, a reload after a slow answer) must not
// publish twice: each composer carries a key, kept with the post it made, and
// unique per author.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE posts ADD COLUMN client_key TEXT`,
			`CREATE UNIQUE INDEX posts_client_key ON posts (account_id, client_key) WHERE client_key IS NOT NULL`,
		)
	})
}
