package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Notifications tell a local member what happened that concerns them; each
// names the account that acted and, where relevant, the post and the space.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE notifications (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	actor_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	post_id    TEXT REFERENCES posts (id) ON DELETE CASCADE,
	space_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	read_at    TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX notifications_account ON notifications (account_id, id)`,
			`CREATE INDEX notifications_unread ON notifications (account_id, id) WHERE read_at IS NULL`,
		)
	})
}
