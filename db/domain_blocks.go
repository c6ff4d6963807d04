package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// DomainBlock is a domain the node refuses to federate with.
type DomainBlock struct {
	bun.BaseModel `bun:"table:domain_blocks"`

	Domain    string `bun:",pk"`
	Reason    string
	CreatedAt time.Time
}

// InsertDomainBlock stores a block; blocking twice is a conflict.
func (d *DB) InsertDomainBlock(ctx context.Context, b *DomainBlock) error {
	_, err := d.q(ctx).NewInsert().Model(b).Exec(ctx)
	return wrap(err, "insert domain block")
}

// DeleteDomainBlock lifts a block; it reports ErrNotFound for a domain not blocked.
func (d *DB) DeleteDomainBlock(ctx context.Context, domain string) error {
	res, err := d.q(ctx).NewDelete().Model((*DomainBlock)(nil)).Where("domain = ?", domain).Exec(ctx)
	if err != nil {
		return wrap(err, "delete domain block")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(errNoRows, "delete domain block")
	}
	return nil
}

// ListDomainBlocks lists every blocked domain, by name.
func (d *DB) ListDomainBlocks(ctx context.Context) ([]*DomainBlock, error) {
	var out []*DomainBlock
	err := d.q(ctx).NewSelect().Model(&out).OrderExpr("domain").Scan(ctx)
	return out, wrap(err, "list domain blocks")
}
