package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The search index holds one document per post and per space, keyed by ref
// (the post's or space's id). Its text is folded (lower case, no diacritics)
// before it is stored, so "ecole" finds "École" on both engines. PostgreSQL
// keeps a tsvector built with each language's configuration plus the
// 'simple' one (exact words in any language); SQLite keeps an FTS5 table whose
// rowid is the document's id, tokenised by unicode61 with diacritics removed.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		if isPostgres(tx) {
			return exec(ctx, tx, `
CREATE TABLE search_docs (
	id   BIGSERIAL PRIMARY KEY,
	ref  TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	doc  TSVECTOR NOT NULL
)`,
				`CREATE INDEX search_docs_doc ON search_docs USING GIN (doc)`,
			)
		}
		return exec(ctx, tx, `
CREATE TABLE search_docs (
	id   INTEGER PRIMARY KEY AUTOINCREMENT,
	ref  TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL
)`,
			`CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`,
		)
	})
}
