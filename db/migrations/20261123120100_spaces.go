package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A space is an account of type Group (its slug is the account's username,
// its name and description the account's display name and bio); its settings
// live here, keyed by the account. Memberships carry a role and a state
// (pending request, active, banned: a ban keeps the row so the account cannot
// come back). Space invitations name a known account (local or remote), a
// handle not resolved yet (user@host), or are links (only a token hash kept).
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE spaces (
	account_id    TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	rules         TEXT NOT NULL DEFAULT '',
	languages     TEXT NOT NULL DEFAULT '',
	visibility    TEXT NOT NULL,
	join_policy   TEXT NOT NULL,
	posting       TEXT NOT NULL,
	avatar_id     TEXT REFERENCES media (id) ON DELETE SET NULL,
	banner_id     TEXT REFERENCES media (id) ON DELETE SET NULL,
	created_by_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	archived_at   TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX spaces_visibility ON spaces (visibility, account_id)`,
			`
CREATE TABLE space_themes (
	space_id TEXT NOT NULL REFERENCES spaces (account_id) ON DELETE CASCADE,
	theme    TEXT NOT NULL,
	PRIMARY KEY (space_id, theme)
)`,
			`CREATE INDEX space_themes_theme ON space_themes (theme, space_id)`,
			`
CREATE TABLE space_members (
	id         TEXT PRIMARY KEY,
	space_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	role       TEXT NOT NULL,
	state      TEXT NOT NULL,
	watch      BOOLEAN NOT NULL DEFAULT FALSE,
	uri        TEXT UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (space_id, account_id)
)`,
			`CREATE INDEX space_members_account ON space_members (account_id, state, space_id)`,
			`CREATE INDEX space_members_space ON space_members (space_id, state, id)`,
			`
CREATE TABLE space_invitations (
	id            TEXT PRIMARY KEY,
	space_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_by_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	account_id    TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	handle        TEXT NOT NULL DEFAULT '',
	token_hash    TEXT UNIQUE,
	max_uses      INTEGER NOT NULL DEFAULT 1,
	uses          INTEGER NOT NULL DEFAULT 0,
	expires_at    TIMESTAMPTZ NOT NULL,
	revoked_at    TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX space_invitations_space ON space_invitations (space_id, id)`,
			`CREATE INDEX space_invitations_account ON space_invitations (account_id, space_id)`,
		)
	})
}
