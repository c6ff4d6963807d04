package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The IRI of a remote file is no longer unique: two posts of other servers
// may attach the same file (a link, an image shared twice), and each keeps
// its own row. An index still finds files by IRI. SQLite cannot drop a
// column's UNIQUE: the table is rebuilt, and the spaces' avatars and banners,
// which the drop would set to NULL, are put back.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		if isPostgres(tx) {
			return exec(ctx, tx,
				`ALTER TABLE media DROP CONSTRAINT media_uri_key`,
				`CREATE INDEX media_uri ON media (uri)`,
			)
		}
		return exec(ctx, tx, `
CREATE TABLE media_rebuilt (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	post_id     TEXT REFERENCES posts (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL DEFAULT 0,
	path        TEXT NOT NULL DEFAULT '',
	uri         TEXT,
	media_type  TEXT NOT NULL,
	size        BIGINT NOT NULL DEFAULT 0,
	name        TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL
)`,
			`INSERT INTO media_rebuilt (id, account_id, post_id, position, path, uri, media_type, size, name, description, created_at)
SELECT id, account_id, post_id, position, path, uri, media_type, size, name, description, created_at FROM media`,
			`CREATE TEMP TABLE space_images AS SELECT account_id, avatar_id, banner_id FROM spaces
WHERE avatar_id IS NOT NULL OR banner_id IS NOT NULL`,
			`DROP TABLE media`,
			`ALTER TABLE media_rebuilt RENAME TO media`,
			`CREATE INDEX media_post ON media (post_id, position)`,
			`CREATE INDEX media_account ON media (account_id, id)`,
			`CREATE INDEX media_uri ON media (uri)`,
			`UPDATE spaces SET
	avatar_id = (SELECT i.avatar_id FROM space_images AS i WHERE i.account_id = spaces.account_id),
	banner_id = (SELECT i.banner_id FROM space_images AS i WHERE i.account_id = spaces.account_id)
WHERE account_id IN (SELECT account_id FROM space_images)`,
			`DROP TABLE space_images`,
		)
	})
}
