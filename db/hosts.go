package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Host is the delivery health of one peer host.
type Host struct {
	bun.BaseModel `bun:"table:hosts"`

	Host             string    `bun:",pk"`
	Failures         int       // consecutive failed deliveries
	FirstFailureAt   time.Time `bun:",nullzero"`
	LastFailureAt    time.Time `bun:",nullzero"`
	LastError        string
	UnreachableSince time.Time `bun:",nullzero"`
	LastSuccessAt    time.Time `bun:",nullzero"`
}

// FailingHosts lists hosts with consecutive failures, worst first.
func (d *DB) FailingHosts(ctx context.Context) ([]*Host, error) {
	var out []*Host
	err := d.q(ctx).NewSelect().Model(&out).Where("failures > 0").OrderExpr("failures DESC, host").Scan(ctx)
	return out, wrap(err, "failing hosts")
}
