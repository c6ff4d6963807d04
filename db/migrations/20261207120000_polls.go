package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A note may carry a poll: its options in order, one choice or several, an
// end. Counts are kept on the rows (votes per option, voters) so that a feed
// shows results without counting votes; poll_votes holds each voter's
// choices, local or remote (uri: the Create(Note) a remote vote came as, or
// a local member's vote sent to a remote poll), one row per choice.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE polls (
	post_id      TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	multiple     BOOLEAN NOT NULL DEFAULT FALSE,
	hide_totals  BOOLEAN NOT NULL DEFAULT FALSE,
	ends_at      TIMESTAMPTZ NOT NULL,
	voters_count INTEGER NOT NULL DEFAULT 0
)`, `
CREATE TABLE poll_options (
	post_id     TEXT NOT NULL REFERENCES polls (post_id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	title       TEXT NOT NULL,
	votes_count INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (post_id, position)
)`, `
CREATE TABLE poll_votes (
	id         TEXT PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES polls (post_id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	choice     INTEGER NOT NULL,
	uri        TEXT,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (post_id, account_id, choice)
)`,
			`CREATE INDEX poll_votes_account ON poll_votes (account_id)`,
		)
	})
}
