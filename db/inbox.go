package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// InboxItem is an activity received from another server, stored as it came
// (after its signature was verified) and processed by the inbox workers.
type InboxItem struct {
	bun.BaseModel `bun:"table:inbox_items"`

	ID          string `bun:",pk"`
	ActivityURI string // unique: a replayed activity is not stored twice
	Type        string
	ActorURI    string
	Host        string
	Body        string
	State       string // pending, done, ignored, failed, dead
	Attempts    int
	LastError   string
	NextAt      time.Time
	ClaimedBy   int64 `bun:",nullzero"`
	ReceivedAt  time.Time
	DoneAt      time.Time `bun:",nullzero"`
}

// InsertInboxItem stores a received activity. It reports false, and stores
// nothing, when an activity with the same id was received before.
func (d *DB) InsertInboxItem(ctx context.Context, it *InboxItem) (bool, error) {
	res, err := d.idb.NewInsert().Model(it).On("CONFLICT (activity_uri) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, wrap(err, "insert inbox item")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertInboxItems stores several received activities in one statement;
// those whose activity id was received before are left out.
func (d *DB) InsertInboxItems(ctx context.Context, items []*InboxItem) error {
	if len(items) == 0 {
		return nil
	}
	_, err := d.idb.NewInsert().Model(&items).On("CONFLICT (activity_uri) DO NOTHING").Exec(ctx)
	return wrap(err, "insert inbox items")
}

// ClaimInboxItems takes up to limit due items for worker; see claim.
func (d *DB) ClaimInboxItems(ctx context.Context, worker int64, now time.Time, lease time.Duration, limit int) ([]*InboxItem, error) {
	var out []*InboxItem
	err := d.claim(ctx, "inbox_items", worker, now, lease, limit, func(tx *DB, ids []string) error {
		return tx.idb.NewSelect().Model(&out).Where("id IN (?)", bun.In(ids)).OrderExpr("id").Scan(ctx)
	})
	return out, err
}

// FinishInboxItems records the outcomes of a processed batch and releases
// their claims.
func (d *DB) FinishInboxItems(ctx context.Context, items []*InboxItem) error {
	outs := make([]jobOutcome, len(items))
	for i, it := range items {
		it.ClaimedBy = 0
		outs[i] = jobOutcome{it.State, it.LastError, it.Attempts, it.NextAt.UTC(), it.DoneAt.UTC()}
	}
	return d.finishJobs(ctx, "inbox_items", outs, func(i int) string { return items[i].ID })
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
func (d *DB) finishJobs(ctx context.Context, table string, outs []jobOutcome, id func(i int) string) error {
	groups := map[jobOutcome][]string{}
	var order []jobOutcome
	for i, o := range outs {
		if _, ok := groups[o]; !ok {
			order = append(order, o)
		}
		groups[o] = append(groups[o], id(i))
	}
	for _, o := range order {
		q := d.idb.NewUpdate().Table(table).
			Set("state = ?", o.state).Set("attempts = ?", o.attempts).Set("last_error = ?", o.lastError).
			Set("next_at = ?", o.nextAt).Set("claimed_by = NULL").Where("id IN (?)", bun.In(groups[o]))
		if o.doneAt.IsZero() {
			q = q.Set("done_at = NULL")
		} else {
			q = q.Set("done_at = ?", o.doneAt)
		}
		if _, err := q.Exec(ctx); err != nil {
			return wrap(err, "finish "+table)
		}
	}
	return nil
}

// InboxItemByActivity finds a received activity by its id.
func (d *DB) InboxItemByActivity(ctx context.Context, uri string) (*InboxItem, error) {
	it := new(InboxItem)
	err := d.idb.NewSelect().Model(it).Where("activity_uri = ?", uri).Scan(ctx)
	return it, wrap(err, "inbox item by activity")
}

// CountInbox counts received activities by state.
func (d *DB) CountInbox(ctx context.Context) ([]QueueCount, error) {
	var out []QueueCount
	err := d.idb.NewSelect().Model((*InboxItem)(nil)).
		ColumnExpr("state, count(*) AS n").GroupExpr("state").OrderExpr("state").Scan(ctx, &out)
	return out, wrap(err, "count inbox")
}

// DeadInboxItems lists the most recent received activities that failed for good.
func (d *DB) DeadInboxItems(ctx context.Context, limit int) ([]*InboxItem, error) {
	var out []*InboxItem
	err := d.idb.NewSelect().Model(&out).Where("state = ?", JobDead).
		OrderExpr("done_at DESC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "dead inbox items")
}

// InboxTotals counts received activities by state, with the oldest of each.
func (d *DB) InboxTotals(ctx context.Context) ([]QueueTotal, error) {
	return d.queueTotals(ctx, (*InboxItem)(nil), "received_at")
}
