package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// closed_at: when the node saw a poll end — told its voters and its author,
// and published its results — so that it does so once.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `ALTER TABLE polls ADD COLUMN closed_at TIMESTAMPTZ`)
	})
}
