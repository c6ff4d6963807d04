package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Space tools and calendar events. A space lists the tools its moderators
// switched off (tools_off, names separated by spaces): a tool added later is
// on in every space until they switch it off, and nothing is lost by
// switching one off. An event is a post of kind "event" with its row here:
// when and where, how many may come; event_registrations holds who comes
// (going), who waits for a place (waiting, in order of arrival) and the
// local members' registrations to other servers' events that wait for
// their answer (pending). uri: the Join a registration came as, or was sent
// as. reminded_at: when the going members were reminded it starts soon.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE spaces ADD COLUMN tools_off TEXT NOT NULL DEFAULT ''`, `
CREATE TABLE events (
	post_id       TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	starts_at     TIMESTAMPTZ NOT NULL,
	ends_at       TIMESTAMPTZ NOT NULL,
	time_zone     TEXT NOT NULL,
	place_name    TEXT NOT NULL DEFAULT '',
	address       TEXT NOT NULL DEFAULT '',
	online_url    TEXT NOT NULL DEFAULT '',
	capacity      INTEGER NOT NULL DEFAULT 0,
	going_count   INTEGER NOT NULL DEFAULT 0,
	waiting_count INTEGER NOT NULL DEFAULT 0,
	reminded_at   TIMESTAMPTZ
)`,
			`CREATE INDEX events_starts_at ON events (starts_at)`, `
CREATE TABLE event_registrations (
	id         TEXT PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES events (post_id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	state      TEXT NOT NULL,
	uri        TEXT UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (post_id, account_id)
)`,
			`CREATE INDEX event_registrations_account ON event_registrations (account_id)`, `
CREATE TABLE calendar_tokens (
	account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL
)`,
		)
	})
}
