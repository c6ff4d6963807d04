package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Local members get an avatar: an image they uploaded, shown on their pages
// and published as their actor's icon. Deleting the file clears it.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `ALTER TABLE accounts ADD COLUMN avatar_id TEXT REFERENCES media (id) ON DELETE SET NULL`)
	})
}
