package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// OAuth 2, for the apps that speak the Mastodon client API. An app registers
// itself (POST /api/v1/apps) and gets a client id and a secret; a member who
// consents gives it a one-use authorization code, which it exchanges for an
// access token (and a refresh token). Secrets, codes and tokens are stored
// hashed only, like sessions: a leaked database leaks no live credential.
// A token without an account stands for the app alone (client_credentials).
// Scopes are kept as the space-separated list OAuth sends.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE oauth_apps (
	id            TEXT PRIMARY KEY,
	client_id     TEXT NOT NULL UNIQUE,
	secret_hash   TEXT NOT NULL,
	name          TEXT NOT NULL,
	website       TEXT NOT NULL DEFAULT '',
	redirect_uris TEXT NOT NULL,
	scopes        TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
)`, `
CREATE TABLE oauth_codes (
	code_hash      TEXT PRIMARY KEY,
	app_id         TEXT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
	account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	redirect_uri   TEXT NOT NULL,
	scopes         TEXT NOT NULL,
	code_challenge TEXT NOT NULL DEFAULT '',
	created_at     TIMESTAMPTZ NOT NULL,
	expires_at     TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at)`, `
CREATE TABLE oauth_tokens (
	id           TEXT PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	refresh_hash TEXT UNIQUE,
	app_id       TEXT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
	account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	scopes       TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX oauth_tokens_account ON oauth_tokens (account_id)`,
			`CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id)`,
		)
	})
}
