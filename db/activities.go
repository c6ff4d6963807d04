package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Activity is an activity this node sent (the transactional outbox): written
// in the same transaction as the change it announces, then delivered by jobs.
type Activity struct {
	bun.BaseModel `bun:"table:activities"`

	ID        string `bun:",pk"`
	URI       string // the activity's id, /activities/{ID}
	Type      string
	ActorID   string
	ObjectURI string
	Public    bool   // addressed to as:Public: shown in the actor's outbox
	Body      string // the JSON sent
	// Unresolved lists, one per line, recipients the transaction could not
	// turn into inboxes (actors the node has not fetched yet); the delivery
	// worker resolves them and clears it.
	Unresolved string
	CreatedAt  time.Time
}

// InsertActivity stores an outgoing activity.
func (d *DB) InsertActivity(ctx context.Context, a *Activity) error {
	_, err := d.q(ctx).NewInsert().Model(a).Exec(ctx)
	return wrap(err, "insert activity")
}

// ActivityByID loads an outgoing activity.
func (d *DB) ActivityByID(ctx context.Context, id string) (*Activity, error) {
	a := new(Activity)
	err := d.q(ctx).NewSelect().Model(a).Where("id = ?", id).Scan(ctx)
	return a, wrap(err, "activity by id")
}

// ActivitiesUnresolved lists activities that still have recipients to resolve.
func (d *DB) ActivitiesUnresolved(ctx context.Context, limit int) ([]*Activity, error) {
	var out []*Activity
	err := d.q(ctx).NewSelect().Model(&out).Where("unresolved <> ''").OrderExpr("id").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "unresolved activities")
}

// ClearUnresolved marks an activity's recipients as all resolved.
func (d *DB) ClearUnresolved(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewUpdate().Model((*Activity)(nil)).Set("unresolved = ''").Where("id = ?", id).Exec(ctx)
	return wrap(err, "clear unresolved")
}

// ActivityPage selects a page of an actor's public activities, newest first.
type ActivityPage struct {
	Before string // cursor: the last id of the previous page
	Limit  int
}

// ListPublicActivities lists an actor's public activities.
func (d *DB) ListPublicActivities(ctx context.Context, actorID string, p ActivityPage) ([]*Activity, error) {
	var out []*Activity
	q := d.q(ctx).NewSelect().Model(&out).Where("actor_id = ?", actorID).Where("public").
		OrderExpr("id DESC").Limit(int64(p.Limit))
	if p.Before != "" {
		q = q.Where("id < ?", p.Before)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list activities")
}

// CountPublicActivities counts an actor's public activities.
func (d *DB) CountPublicActivities(ctx context.Context, actorID string) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*Activity)(nil)).Where("actor_id = ?", actorID).Where("public").Count(ctx)
	return int(n), wrap(err, "count activities")
}
