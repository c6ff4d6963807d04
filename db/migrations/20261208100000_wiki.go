package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Wiki. A page is a post of kind "page" (its title the page's name, its
// body the text) with its row here: its slug, unique in its space (the
// name folded, for URLs and [[links]]), its parent page in the tree, and
// the number of its current revision. Every revision is kept whole: the
// name and the text as written (source: Markdown; HTML for a remote page
// that sent no source), who wrote it and when, and a short summary of the
// edit. A deleted page takes its revisions with it.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE wiki_pages (
	post_id   TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	space_id  TEXT NOT NULL REFERENCES spaces (account_id) ON DELETE CASCADE,
	slug      TEXT NOT NULL,
	parent_id TEXT REFERENCES wiki_pages (post_id) ON DELETE SET NULL,
	parent_uri TEXT,
	revision  INTEGER NOT NULL
)`,
			`CREATE UNIQUE INDEX wiki_pages_slug ON wiki_pages (space_id, slug)`,
			`CREATE INDEX wiki_pages_parent ON wiki_pages (parent_id)`, `
CREATE TABLE wiki_revisions (
	post_id    TEXT NOT NULL REFERENCES wiki_pages (post_id) ON DELETE CASCADE,
	number     INTEGER NOT NULL,
	account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	created_at TIMESTAMPTZ NOT NULL,
	title      TEXT NOT NULL,
	source     TEXT NOT NULL,
	content    TEXT NOT NULL,
	summary    TEXT NOT NULL DEFAULT '',
	restored   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (post_id, number)
)`,
			`CREATE INDEX wiki_revisions_account ON wiki_revisions (account_id)`,
		)
	})
}
