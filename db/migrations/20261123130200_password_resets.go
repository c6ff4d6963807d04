package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Password resets are one-time links an admin makes for a member who forgot
// their password (there is no mail yet: the admin hands the link over). Only
// the hash of the link's token is kept.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE password_resets (
	id            TEXT PRIMARY KEY,
	token_hash    TEXT NOT NULL UNIQUE,
	account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_by_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	expires_at    TIMESTAMPTZ NOT NULL,
	used_at       TIMESTAMPTZ
)`,
			`CREATE INDEX password_resets_account ON password_resets (account_id)`,
		)
	})
}
