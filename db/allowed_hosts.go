package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// AllowedHost is a partner host an admin put on the allowlist.
type AllowedHost struct {
	bun.BaseModel `bun:"table:allowed_hosts"`

	Host      string `bun:",pk"`
	Note      string
	CreatedAt time.Time
}

// InsertAllowedHost stores a partner host; adding one twice is a conflict.
func (d *DB) InsertAllowedHost(ctx context.Context, h *AllowedHost) error {
	_, err := d.q(ctx).NewInsert().Model(h).Exec(ctx)
	return wrap(err, "insert allowed host")
}

// DeleteAllowedHost removes a partner host; it reports ErrNotFound for a host
// not on the list.
func (d *DB) DeleteAllowedHost(ctx context.Context, host string) error {
	res, err := d.q(ctx).NewDelete().Model((*AllowedHost)(nil)).Where("host = ?", host).Exec(ctx)
	if err != nil {
		return wrap(err, "delete allowed host")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(errNoRows, "delete allowed host")
	}
	return nil
}

// ListAllowedHosts lists the partner hosts admins added, by name.
func (d *DB) ListAllowedHosts(ctx context.Context) ([]*AllowedHost, error) {
	var out []*AllowedHost
	err := d.q(ctx).NewSelect().Model(&out).OrderExpr("host").Scan(ctx)
	return out, wrap(err, "list allowed hosts")
}
