package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Setup tokens guard the first-run page that creates a node's first admin: each
// web process that starts while the node has no admin adds one (printed in its
// log), and creating the first admin deletes them all. Only hashes are kept.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE setup_tokens (
	token_hash TEXT PRIMARY KEY,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
)`)
	})
}
