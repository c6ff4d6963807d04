package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Partner hosts admins add to the allowlist from the web, on top of those of
// the configuration (federation.allowlist).
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE allowed_hosts (
	host TEXT PRIMARY KEY,
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL
)`)
	})
}
