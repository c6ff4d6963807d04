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

// HostsByName loads the health of several hosts at once, by name; hosts
// never seen are healthy.
func (d *DB) HostsByName(ctx context.Context, names []string) (map[string]*Host, error) {
	out := make(map[string]*Host, len(names))
	if len(names) == 0 {
		return out, nil
	}
	var found []*Host
	if err := d.idb.NewSelect().Model(&found).Where("host IN (?)", bun.In(names)).Scan(ctx); err != nil {
		return nil, wrap(err, "hosts")
	}
	for _, h := range found {
		out[h.Host] = h
	}
	for _, n := range names {
		if out[n] == nil {
			out[n] = &Host{Host: n}
		}
	}
	return out, nil
}

// SaveHost writes a host's health.
func (d *DB) SaveHost(ctx context.Context, h *Host) error {
	_, err := d.idb.NewInsert().Model(h).
		On("CONFLICT (host) DO UPDATE").
		Set("failures = EXCLUDED.failures").
		Set("first_failure_at = EXCLUDED.first_failure_at").
		Set("last_failure_at = EXCLUDED.last_failure_at").
		Set("last_error = EXCLUDED.last_error").
		Set("unreachable_since = EXCLUDED.unreachable_since").
		Set("last_success_at = EXCLUDED.last_success_at").
		Exec(ctx)
	return wrap(err, "save host")
}

// FailingHosts lists hosts with consecutive failures, worst first.
func (d *DB) FailingHosts(ctx context.Context) ([]*Host, error) {
	var out []*Host
	err := d.idb.NewSelect().Model(&out).Where("failures > 0").OrderExpr("failures DESC, host").Scan(ctx)
	return out, wrap(err, "failing hosts")
}
