package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The node's public_url as the first process that opened the database gave
// it: every id the node writes is built from it, so a process configured with
// another one must refuse to run rather than write ids no other server
// accepts. One row at most (id is always 1); it is recorded by the node at
// its first start, not here, because the migration cannot know the value.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE node_identity (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	public_url  TEXT NOT NULL,
	recorded_at TIMESTAMPTZ NOT NULL
)`)
	})
}
