package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Posts are short notes, comments (notes in reply to a post, one level deep)
// and best-practice articles, local or remote. Local posts are keyed by ULID,
// remote ones also carry their IRI (uri, unique). Each post keeps its main
// language's text in the row, for feeds, and every language (main included)
// in post_translations, so contentMap/nameMap/summaryMap are one query away.
// visibility is copied from the space (or set by the author for a profile
// post) so that feeds filter on the post row alone; changing a space's
// visibility rewrites it. The partial indexes serve the feeds newest first.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE posts (
	id             TEXT PRIMARY KEY,
	uri            TEXT UNIQUE,
	url            TEXT NOT NULL DEFAULT '',
	kind           TEXT NOT NULL,
	account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	space_id       TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	in_reply_to_id TEXT REFERENCES posts (id) ON DELETE CASCADE,
	thread_id      TEXT NOT NULL,
	context_uri    TEXT NOT NULL DEFAULT '',
	local          BOOLEAN NOT NULL,
	visibility     TEXT NOT NULL,
	language       TEXT NOT NULL,
	title          TEXT NOT NULL DEFAULT '',
	summary        TEXT NOT NULL DEFAULT '',
	source         TEXT NOT NULL DEFAULT '',
	content        TEXT NOT NULL DEFAULT '',
	applies_to     TEXT NOT NULL DEFAULT '',
	like_count     INTEGER NOT NULL DEFAULT 0,
	comment_count  INTEGER NOT NULL DEFAULT 0,
	pinned_at      TIMESTAMPTZ,
	created_at     TIMESTAMPTZ NOT NULL,
	edited_at      TIMESTAMPTZ,
	deleted_at     TIMESTAMPTZ,
	deleted_by_id  TEXT REFERENCES accounts (id) ON DELETE SET NULL
)`,
			`CREATE INDEX posts_space_feed ON posts (space_id, id) WHERE in_reply_to_id IS NULL AND deleted_at IS NULL`,
			`CREATE INDEX posts_account_feed ON posts (account_id, id) WHERE in_reply_to_id IS NULL AND deleted_at IS NULL`,
			`CREATE INDEX posts_public_feed ON posts (id) WHERE in_reply_to_id IS NULL AND deleted_at IS NULL AND visibility = 'public'`,
			`CREATE INDEX posts_articles ON posts (id) WHERE kind = 'article' AND deleted_at IS NULL`,
			`CREATE INDEX posts_thread ON posts (thread_id, id)`,
			`CREATE INDEX posts_in_reply_to ON posts (in_reply_to_id)`,
			`CREATE INDEX posts_pinned ON posts (space_id, pinned_at) WHERE pinned_at IS NOT NULL`,
			`
CREATE TABLE post_translations (
	post_id  TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	language TEXT NOT NULL,
	title    TEXT NOT NULL DEFAULT '',
	summary  TEXT NOT NULL DEFAULT '',
	source   TEXT NOT NULL DEFAULT '',
	content  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (post_id, language)
)`,
			`CREATE INDEX post_translations_language ON post_translations (language, post_id)`,
			`
CREATE TABLE post_tags (
	post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	kind    TEXT NOT NULL,
	tag     TEXT NOT NULL,
	PRIMARY KEY (post_id, kind, tag)
)`,
			`CREATE INDEX post_tags_tag ON post_tags (kind, tag, post_id)`,
			`
CREATE TABLE post_mentions (
	post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	username   TEXT NOT NULL,
	domain     TEXT NOT NULL DEFAULT '',
	account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
	PRIMARY KEY (post_id, username, domain)
)`,
			`
CREATE TABLE likes (
	id         TEXT PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	uri        TEXT UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (post_id, account_id)
)`,
			`
CREATE TABLE media (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	post_id     TEXT REFERENCES posts (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL DEFAULT 0,
	path        TEXT NOT NULL DEFAULT '',
	uri         TEXT UNIQUE,
	media_type  TEXT NOT NULL,
	size        BIGINT NOT NULL DEFAULT 0,
	name        TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX media_post ON media (post_id, position)`,
			`CREATE INDEX media_account ON media (account_id, id)`,
		)
	})
}
