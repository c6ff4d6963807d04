package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Delivery states.
const (
	JobPending = "pending" // waiting for next_at, or claimed by a worker until then
	JobDone    = "done"
	JobDead    = "dead"    // gave up; last_error says why
	JobIgnored = "ignored" // inbox only: an activity type the node does not handle
	JobFailed  = "failed"  // inbox only: refused by a rule; retrying cannot help
)

// Delivery is one job: POST one activity to one inbox.
type Delivery struct {
	bun.BaseModel `bun:"table:deliveries"`

	ID         string `bun:",pk"`
	ActivityID string
	Inbox      string
	Host       string
	State      string
	Attempts   int
	LastError  string
	NextAt     time.Time
	ClaimedBy  int64 `bun:",nullzero"`
	CreatedAt  time.Time
	DoneAt     time.Time `bun:",nullzero"`

	Activity *Activity `bun:"rel:belongs-to,join:activity_id=id"`
}

// InsertDeliveries stores new delivery jobs; a job that exists for the same
// activity and inbox is left as it is.
func (d *DB) InsertDeliveries(ctx context.Context, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	_, err := d.q(ctx).NewInsert().Model(&ds).On("CONFLICT (activity_id, inbox) DO NOTHING").Exec(ctx)
	return wrap(err, "insert deliveries")
}

// DeliveriesOfActivity lists the deliveries of one activity.
func (d *DB) DeliveriesOfActivity(ctx context.Context, activityID string) ([]*Delivery, error) {
	var out []*Delivery
	err := d.q(ctx).NewSelect().Model(&out).Where("activity_id = ?", activityID).OrderExpr("inbox").Scan(ctx)
	return out, wrap(err, "deliveries of activity")
}

// DropDeliveriesTo gives up every pending delivery to host, with reason.
func (d *DB) DropDeliveriesTo(ctx context.Context, host, reason string, now time.Time) error {
	_, err := d.q(ctx).NewUpdate().Model((*Delivery)(nil)).
		Set("state = ?", JobDead).Set("last_error = ?", reason).Set("claimed_by = NULL").Set("done_at = ?", now).
		Where("host = ?", host).Where("state = ?", JobPending).Exec(ctx)
	return wrap(err, "drop deliveries")
}

// QueueCount is the number of jobs in one state, for one host or all.
type QueueCount struct {
	Host  string
	State string
	N     int
}

// CountDeliveries counts deliveries by host and state (done ones left out).
func (d *DB) CountDeliveries(ctx context.Context) ([]QueueCount, error) {
	var out []QueueCount
	err := d.q(ctx).NewSelect().Model((*Delivery)(nil)).
		ColumnExpr("host, state, count(*) AS n").Where("state <> ?", JobDone).
		GroupExpr("host, state").OrderExpr("host, state").Scan(ctx, &out)
	return out, wrap(err, "count deliveries")
}

// DeadDeliveries lists the most recent dead deliveries.
func (d *DB) DeadDeliveries(ctx context.Context, limit int) ([]*Delivery, error) {
	var out []*Delivery
	err := d.q(ctx).NewSelect().Model(&out).Relation("Activity").Where("delivery.state = ?", JobDead).
		OrderExpr("delivery.done_at DESC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "dead deliveries")
}

// QueueTotal is the number of jobs in one state, and when the oldest of
// them was queued.
type QueueTotal struct {
	State  string
	N      int
	Oldest time.Time
}

// DeliveryTotals counts every delivery by state, done ones included.
func (d *DB) DeliveryTotals(ctx context.Context) ([]QueueTotal, error) {
	return d.queueTotals(ctx, (*Delivery)(nil), "created_at")
}

// queueTotals counts the rows of a job table by state, with the oldest time
// in column at of each state.
func (d *DB) queueTotals(ctx context.Context, model any, at string) ([]QueueTotal, error) {
	var rows []struct {
		State  string
		N      int
		Oldest time.Time
	}
	err := d.q(ctx).NewSelect().Model(model).
		ColumnExpr("state, count(*) AS n, min(?) AS oldest", bun.Ident(at)).
		GroupExpr("state").OrderExpr("state").Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "count jobs")
	}
	out := make([]QueueTotal, len(rows))
	for i, r := range rows {
		out[i] = QueueTotal{State: r.State, N: r.N, Oldest: r.Oldest.UTC()}
	}
	return out, nil
}
