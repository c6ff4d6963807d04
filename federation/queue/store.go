package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/db"
)

// Job tables (deliveries, inbox_items) share one shape: a state, a due time
// (next_at) and the worker that claimed the row (claimed_by). A worker claims
// due rows in a short transaction — on PostgreSQL with FOR UPDATE SKIP LOCKED,
// so that several worker processes share the work without waiting on each
// other — and leases them: next_at moves to the end of the lease, so a row
// whose worker vanished becomes due again by itself. A worker that restarts
// need not wait that long: see releaseDeadClaims.

// claim takes up to limit due rows of table for worker and loads them (load,
// given their ids) in the same transaction: should the database go away
// between the two, no row is left claimed that the worker does not hold —
// such a row would wait for its lease to end.
func claim(ctx context.Context, d *db.DB, table string, worker int64, now time.Time, lease time.Duration, limit int, load func(tx *db.DB, ids []string) error) error {
	err := d.InTx(ctx, func(tx *db.DB) error {
		var ids []string
		q := tx.Bun().NewSelect().Table(table).Column("id").
			Where("state = ?", db.JobPending).Where("next_at <= ?", now).
			OrderExpr("next_at, id").Limit(int64(limit))
		if tx.Dialect() == db.Postgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil || len(ids) == 0 {
			return err
		}
		_, err := tx.Bun().NewUpdate().Table(table).
			Set("claimed_by = ?", worker).Set("next_at = ?", now.Add(lease)).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		if err != nil {
			return err
		}
		return load(tx, ids)
	})
	if err != nil {
		return fmt.Errorf("claim %s: %w", table, err)
	}
	return nil
}

// insertInboxItem stores a received activity. It reports false, and stores
// nothing, when an activity with the same id was received before.
func insertInboxItem(ctx context.Context, d *db.DB, it *db.InboxItem) (bool, error) {
	res, err := d.Bun().NewInsert().Model(it).On("CONFLICT (activity_uri) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, wrapErr(err, "insert inbox item")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// insertInboxItems stores several received activities in one statement;
// those whose activity id was received before are left out.
func insertInboxItems(ctx context.Context, d *db.DB, items []*db.InboxItem) error {
	if len(items) == 0 {
		return nil
	}
	_, err := d.Bun().NewInsert().Model(&items).On("CONFLICT (activity_uri) DO NOTHING").Exec(ctx)
	return wrapErr(err, "insert inbox items")
}

// claimInboxItems takes up to limit due items for worker; see claim.
func claimInboxItems(ctx context.Context, d *db.DB, worker int64, now time.Time, lease time.Duration, limit int) ([]*db.InboxItem, error) {
	var out []*db.InboxItem
	err := claim(ctx, d, "inbox_items", worker, now, lease, limit, func(tx *db.DB, ids []string) error {
		return tx.Bun().NewSelect().Model(&out).Where("id IN (?)", bun.In(ids)).OrderExpr("id").Scan(ctx)
	})
	return out, err
}

// finishInboxItems records the outcomes of a processed batch and releases
// their claims.
func finishInboxItems(ctx context.Context, d *db.DB, items []*db.InboxItem) error {
	outs := make([]jobOutcome, len(items))
	for i, it := range items {
		it.ClaimedBy = 0
		outs[i] = jobOutcome{it.State, it.LastError, it.Attempts, it.NextAt.UTC(), it.DoneAt.UTC()}
	}
	return finishJobs(ctx, d, "inbox_items", outs, func(i int) string { return items[i].ID })
}

// jobOutcome is what an attempt at a queued job (a received activity, a
// delivery) leaves on its row.
type jobOutcome struct {
	state, lastError string
	attempts         int
	nextAt, doneAt   time.Time
}

// finishJobs writes the outcomes of a batch of jobs of table and releases
// their claims: one UPDATE per distinct outcome (most batches have one or
// two: done, and ignored or failed) instead of one per job — on PostgreSQL a
// round trip each.
func finishJobs(ctx context.Context, d *db.DB, table string, outs []jobOutcome, id func(i int) string) error {
	groups := map[jobOutcome][]string{}
	var order []jobOutcome
	for i, o := range outs {
		if _, ok := groups[o]; !ok {
			order = append(order, o)
		}
		groups[o] = append(groups[o], id(i))
	}
	for _, o := range order {
		q := d.Bun().NewUpdate().Table(table).
			Set("state = ?", o.state).Set("attempts = ?", o.attempts).Set("last_error = ?", o.lastError).
			Set("next_at = ?", o.nextAt).Set("claimed_by = NULL").Where("id IN (?)", bun.In(groups[o]))
		if o.doneAt.IsZero() {
			q = q.Set("done_at = NULL")
		} else {
			q = q.Set("done_at = ?", o.doneAt)
		}
		if _, err := q.Exec(ctx); err != nil {
			return wrapErr(err, "finish "+table)
		}
	}
	return nil
}

// claimDeliveries takes up to limit due deliveries for worker, leasing them
// until now+lease; see claim.
func claimDeliveries(ctx context.Context, d *db.DB, worker int64, now time.Time, lease time.Duration, limit int) ([]*db.Delivery, error) {
	var out []*db.Delivery
	err := claim(ctx, d, "deliveries", worker, now, lease, limit, func(tx *db.DB, ids []string) error {
		return tx.Bun().NewSelect().Model(&out).Relation("Activity").Where("delivery.id IN (?)", bun.In(ids)).
			OrderExpr("delivery.id").Scan(ctx)
	})
	return out, err
}

// finishDeliveries records the outcomes of a batch of attempts and releases
// their claims.
func finishDeliveries(ctx context.Context, d *db.DB, jobs []*db.Delivery) error {
	outs := make([]jobOutcome, len(jobs))
	for i, j := range jobs {
		j.ClaimedBy = 0
		outs[i] = jobOutcome{j.State, j.LastError, j.Attempts, j.NextAt.UTC(), j.DoneAt.UTC()}
	}
	return finishJobs(ctx, d, "deliveries", outs, func(i int) string { return jobs[i].ID })
}

// retryHost makes every pending or dead delivery to host due now.
func retryHost(ctx context.Context, d *db.DB, host string, now time.Time) (int, error) {
	res, err := d.Bun().NewUpdate().Model((*db.Delivery)(nil)).
		Set("state = ?", db.JobPending).Set("next_at = ?", now).Set("claimed_by = NULL").
		Where("host = ?", host).Where("state IN (?)", bun.In([]string{db.JobPending, db.JobDead})).Exec(ctx)
	if err != nil {
		return 0, wrapErr(err, "retry host")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// hostsByName loads the health of several hosts at once, by name; hosts
// never seen are healthy.
func hostsByName(ctx context.Context, d *db.DB, names []string) (map[string]*db.Host, error) {
	out := make(map[string]*db.Host, len(names))
	if len(names) == 0 {
		return out, nil
	}
	var found []*db.Host
	if err := d.Bun().NewSelect().Model(&found).Where("host IN (?)", bun.In(names)).Scan(ctx); err != nil {
		return nil, wrapErr(err, "hosts")
	}
	for _, h := range found {
		out[h.Host] = h
	}
	for _, n := range names {
		if out[n] == nil {
			out[n] = &db.Host{Host: n}
		}
	}
	return out, nil
}

// saveHost writes a host's health.
func saveHost(ctx context.Context, d *db.DB, h *db.Host) error {
	_, err := d.Bun().NewInsert().Model(h).
		On("CONFLICT (host) DO UPDATE").
		Set("failures = EXCLUDED.failures").
		Set("first_failure_at = EXCLUDED.first_failure_at").
		Set("last_failure_at = EXCLUDED.last_failure_at").
		Set("last_error = EXCLUDED.last_error").
		Set("unreachable_since = EXCLUDED.unreachable_since").
		Set("last_success_at = EXCLUDED.last_success_at").
		Exec(ctx)
	return wrapErr(err, "save host")
}

// wrapErr gives a store error its operation, as package db does.
func wrapErr(err error, op string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
