package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Key is an actor's key pair, named by its keyId (the IRI other servers see in
// signatures). Local actors' keys carry the private half; remote actors' keys
// only the public one, cached from their documents.
type Key struct {
	bun.BaseModel `bun:"table:keys"`

	ID            string `bun:",pk"`
	KeyID         string // e.g. https://node.example/users/alice#main-key
	AccountID     string
	PublicKeyPEM  string `bun:"public_key_pem"`
	PrivateKeyPEM string `bun:"private_key_pem"` // empty for remote keys
	CreatedAt     time.Time
	FetchedAt     time.Time `bun:",nullzero"` // remote keys: when last read from their owner

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// InsertKey stores a new key.
func (d *DB) InsertKey(ctx context.Context, k *Key) error {
	_, err := d.q(ctx).NewInsert().Model(k).Exec(ctx)
	return wrap(err, "insert key")
}

// InsertKeyIfAbsent stores k unless a key with its keyId is already
// stored, and tells whether it stored it: of several writers racing to make
// one actor's key, one wins and the others read the winner's.
func (d *DB) InsertKeyIfAbsent(ctx context.Context, k *Key) (bool, error) {
	res, err := d.q(ctx).NewInsert().Model(k).On("CONFLICT (key_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, wrap(err, "insert key")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "insert key")
}

// UpdateKey writes the given columns of k.
func (d *DB) UpdateKey(ctx context.Context, k *Key, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(k).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update key")
}

// KeyByKeyID finds a key by its keyId, with its account.
func (d *DB) KeyByKeyID(ctx context.Context, keyID string) (*Key, error) {
	k := new(Key)
	err := d.q(ctx).NewSelect().Model(k).Relation("Account").Where("key.key_id = ?", keyID).Scan(ctx)
	return k, wrap(err, "key by key id")
}

// KeyOfAccount finds the (newest) key of an account.
func (d *DB) KeyOfAccount(ctx context.Context, accountID string) (*Key, error) {
	k := new(Key)
	err := d.q(ctx).NewSelect().Model(k).Where("account_id = ?", accountID).
		OrderExpr("created_at DESC").Limit(1).Scan(ctx)
	return k, wrap(err, "key of account")
}

// DeleteKeysOf removes every key of an account.
func (d *DB) DeleteKeysOf(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*Key)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return wrap(err, "delete keys")
}
