package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Accounts are every actor the node knows — its members, and later its spaces
// and remote actors — in one namespace; users hold the private part of a local
// member (credentials, role, language); invitations and sessions belong to users.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE accounts (
	id           TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	username     TEXT NOT NULL,
	domain       TEXT NOT NULL DEFAULT '',
	display_name TEXT NOT NULL DEFAULT '',
	bio          TEXT NOT NULL DEFAULT '',
	locked       BOOLEAN NOT NULL DEFAULT FALSE,
	status       TEXT NOT NULL DEFAULT 'active',
	uri          TEXT UNIQUE,
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL
)`,
			`CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), domain)`,
			`
CREATE TABLE invitations (
	id            TEXT PRIMARY KEY,
	token_hash    TEXT NOT NULL UNIQUE,
	created_by_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	max_uses      INTEGER NOT NULL DEFAULT 1,
	uses          INTEGER NOT NULL DEFAULT 0,
	note          TEXT NOT NULL DEFAULT '',
	expires_at    TIMESTAMPTZ NOT NULL,
	revoked_at    TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX invitations_created_by ON invitations (created_by_id)`,
			`
CREATE TABLE users (
	account_id    TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	email         TEXT UNIQUE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL DEFAULT 'member',
	locale        TEXT NOT NULL DEFAULT 'fr',
	invitation_id TEXT REFERENCES invitations (id) ON DELETE SET NULL,
	last_seen_at  TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX users_role ON users (role)`,
			`
CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_agent   TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX sessions_account ON sessions (account_id)`,
			`CREATE INDEX sessions_expires ON sessions (expires_at)`,
		)
	})
}
