package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Members choose which kinds of notifications they receive: notifications_off
// lists the kinds they turned off, separated by spaces. Everything is on by
// default, as before.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `ALTER TABLE users ADD COLUMN notifications_off TEXT NOT NULL DEFAULT ''`)
	})
}
