package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// SetupToken lets the person at the console create a node's first admin from
// the browser. Only the hash of the token is stored.
type SetupToken struct {
	bun.BaseModel `bun:"table:setup_tokens"`

	TokenHash string `bun:",pk"`
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InsertSetupToken stores a new setup token.
func (d *DB) InsertSetupToken(ctx context.Context, t *SetupToken) error {
	_, err := d.q(ctx).NewInsert().Model(t).Exec(ctx)
	return wrap(err, "insert setup token")
}

// SetupTokenByHash finds a setup token by its hash.
func (d *DB) SetupTokenByHash(ctx context.Context, hash string) (*SetupToken, error) {
	t := new(SetupToken)
	err := d.q(ctx).NewSelect().Model(t).Where("token_hash = ?", hash).Scan(ctx)
	return t, wrap(err, "setup token by hash")
}

// TakeSetupTokens deletes every setup token and returns them. Run in a
// transaction, it locks them all in one statement: of two setups racing, the
// second waits for the first and then finds nothing (no deadlock).
func (d *DB) TakeSetupTokens(ctx context.Context) ([]SetupToken, error) {
	var out []SetupToken
	_, err := d.q(ctx).NewDelete().Model((*SetupToken)(nil)).Where("1 = 1").Returning("*").Exec(ctx, &out)
	return out, wrap(err, "take setup tokens")
}

// DeleteSetupTokens deletes every setup token (the node has its admin), and
// those that expired before now when now is not zero.
func (d *DB) DeleteSetupTokens(ctx context.Context, expiredBefore time.Time) error {
	q := d.q(ctx).NewDelete().Model((*SetupToken)(nil))
	if expiredBefore.IsZero() {
		q = q.Where("1 = 1")
	} else {
		q = q.Where("expires_at < ?", expiredBefore)
	}
	_, err := q.Exec(ctx)
	return wrap(err, "delete setup tokens")
}
