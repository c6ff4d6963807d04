package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Node settings an admin changes from the web (name, description,
// registrations, default language), one row per setting. A setting without a
// row keeps the value of the configuration.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx, `
CREATE TABLE node_settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
)`)
	})
}
