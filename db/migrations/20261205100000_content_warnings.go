package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Notes and comments may be sensitive: shown collapsed behind their content
// warning until the reader opens them, and federated as sensitive with the
// warning as summary. A sensitive note without a warning's text (what
// Mastodon sends for sensitive media) is collapsed behind a generic label.
// Existing posts are not sensitive.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE posts ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE`,
			`ALTER TABLE posts ADD COLUMN content_warning TEXT NOT NULL DEFAULT ''`,
		)
	})
}
