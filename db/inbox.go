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

// InboxItemByActivity finds a received activity by its id.
func (d *DB) InboxItemByActivity(ctx context.Context, uri string) (*InboxItem, error) {
	it := new(InboxItem)
	err := d.q(ctx).NewSelect().Model(it).Where("activity_uri = ?", uri).Scan(ctx)
	return it, wrap(err, "inbox item by activity")
}

// CountInbox counts received activities by state.
func (d *DB) CountInbox(ctx context.Context) ([]QueueCount, error) {
	var out []QueueCount
	err := d.q(ctx).NewSelect().Model((*InboxItem)(nil)).
		ColumnExpr("state, count(*) AS n").GroupExpr("state").OrderExpr("state").Scan(ctx, &out)
	return out, wrap(err, "count inbox")
}

// DeadInboxItems lists the most recent received activities that failed for good.
func (d *DB) DeadInboxItems(ctx context.Context, limit int) ([]*InboxItem, error) {
	var out []*InboxItem
	err := d.q(ctx).NewSelect().Model(&out).Where("state = ?", JobDead).
		OrderExpr("done_at DESC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "dead inbox items")
}

// InboxTotals counts received activities by state, with the oldest of each.
func (d *DB) InboxTotals(ctx context.Context) ([]QueueTotal, error) {
	return d.queueTotals(ctx, (*InboxItem)(nil), "received_at")
}
