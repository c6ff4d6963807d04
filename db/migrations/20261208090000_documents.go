package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Documents. A document is a post of kind "document" (its title the file's
// name, its body an optional description) with its row here: the folder it
// is in (a path of folder names separated by "/", "" at the top), its name
// as matched when a file of the same name is uploaded into the same folder
// (name_key: folded, so that "Budget.pdf" and "budget.PDF" are one
// document), and the number of its current version. Each upload is a
// version; a restored version is a new version pointing at an older one's
// file (restored_from), history is never rewritten. The files are media
// rows attached to the document's post. Folders are kept by path, so that
// an empty folder exists; document_adding says who adds documents to a
// space: its members (default) or its moderators.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE spaces ADD COLUMN document_adding TEXT NOT NULL DEFAULT 'members'`, `
CREATE TABLE document_folders (
	space_id   TEXT NOT NULL REFERENCES spaces (account_id) ON DELETE CASCADE,
	path       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (space_id, path)
)`, `
CREATE TABLE documents (
	post_id  TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
	space_id TEXT NOT NULL REFERENCES spaces (account_id) ON DELETE CASCADE,
	folder   TEXT NOT NULL DEFAULT '',
	name_key TEXT NOT NULL,
	current  INTEGER NOT NULL
)`,
			`CREATE UNIQUE INDEX documents_name ON documents (space_id, folder, name_key)`, `
CREATE TABLE document_versions (
	post_id       TEXT NOT NULL REFERENCES documents (post_id) ON DELETE CASCADE,
	number        INTEGER NOT NULL,
	media_id      TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
	account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	restored_from INTEGER NOT NULL DEFAULT 0,
	created_at    TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (post_id, number)
)`,
			`CREATE INDEX document_versions_media ON document_versions (media_id)`,
			`CREATE INDEX document_versions_account ON document_versions (account_id)`,
		)
	})
}
