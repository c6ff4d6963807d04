package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Notification tells a local member that something concerns them.
type Notification struct {
	bun.BaseModel `bun:"table:notifications,alias:notification"`

	ID        string    `bun:",pk"`
	AccountID string    // the member notified
	Kind      string    // mention, reply, like, join_request, join_accepted, invitation, new_post, event_reminder, event_place
	ActorID   string    `bun:",nullzero"`
	PostID    string    `bun:",nullzero"`
	SpaceID   string    `bun:",nullzero"`
	ReadAt    time.Time `bun:",nullzero"`
	CreatedAt time.Time

	Actor *Account `bun:"rel:belongs-to,join:actor_id=id"`
	Space *Account `bun:"rel:belongs-to,join:space_id=id"`
}

// InsertNotifications stores notifications.
func (d *DB) InsertNotifications(ctx context.Context, ns []*Notification) error {
	if len(ns) == 0 {
		return nil
	}
	_, err := d.q(ctx).NewInsert().Model(&ns).Exec(ctx)
	return wrap(err, "insert notifications")
}

// NotificationPage selects a page of a member's notifications, newest first.
type NotificationPage struct {
	Unread bool
	Before string
	Limit  int
}

// ListNotifications lists accountID's notifications with their actors and spaces.
func (d *DB) ListNotifications(ctx context.Context, accountID string, p NotificationPage) ([]*Notification, error) {
	var out []*Notification
	q := d.q(ctx).NewSelect().Model(&out).Relation("Actor").Relation("Space").
		Where("notification.account_id = ?", accountID).
		OrderExpr("notification.id DESC").Limit(int64(p.Limit))
	if p.Unread {
		q = q.Where("notification.read_at IS NULL")
	}
	if p.Before != "" {
		q = q.Where("notification.id < ?", p.Before)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list notifications")
}

// MarkNotificationsRead marks accountID's notifications read: those in ids,
// or all of them up to and including upTo when ids is empty.
func (d *DB) MarkNotificationsRead(ctx context.Context, accountID string, ids []string, upTo string, now time.Time) (int, error) {
	q := d.q(ctx).NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", now).
		Where("account_id = ?", accountID).Where("read_at IS NULL")
	if len(ids) > 0 {
		q = q.Where("id IN (?)", bun.In(ids))
	} else if upTo != "" {
		q = q.Where("id <= ?", upTo)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, wrap(err, "mark notifications read")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CountUnread counts accountID's unread notifications.
func (d *DB) CountUnread(ctx context.Context, accountID string) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*Notification)(nil)).
		Where("account_id = ?", accountID).Where("read_at IS NULL").Count(ctx)
	return int(n), wrap(err, "count unread")
}
