package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// FAQ. An entry is a post of kind "faq" (its title the question, its body
// the answer) with its row here: a category, a free label, and its position
// in the whole FAQ of its space (0..n-1, kept dense by the domain). A
// proposal is a question a member asks the moderators to answer: open until
// answered (answered_post_id: the entry that answers it) or dismissed.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE faq_entries (
	post_id  TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	category TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL
)`, `
CREATE TABLE faq_proposals (
	id               TEXT PRIMARY KEY,
	space_id         TEXT NOT NULL REFERENCES spaces (account_id) ON DELETE CASCADE,
	account_id       TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	question         TEXT NOT NULL,
	language         TEXT NOT NULL,
	created_at       TIMESTAMPTZ NOT NULL,
	answered_post_id TEXT REFERENCES posts (id) ON DELETE SET NULL,
	dismissed_at     TIMESTAMPTZ
)`,
			`CREATE INDEX faq_proposals_space ON faq_proposals (space_id, created_at)`,
			`CREATE INDEX faq_proposals_account ON faq_proposals (account_id)`,
		)
	})
}
