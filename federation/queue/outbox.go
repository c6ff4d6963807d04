package queue

import (
	"context"
	"net/url"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/db"
)

// The outbox: what the protocol queues for delivery, and what an admin sees
// of the queues.

// Enqueue queues the delivery of activity a (stored already) to each of
// inboxes, in the transaction ctx carries, and wakes the worker once it has
// committed.
func (q *Queue) Enqueue(ctx context.Context, a *db.Activity, inboxes []string) error {
	jobs := make([]*db.Delivery, 0, len(inboxes))
	for _, in := range inboxes {
		jobs = append(jobs, &db.Delivery{
			ID: ulid.Make().String(), ActivityID: a.ID, Inbox: in, Host: hostOf(in),
			State: db.JobPending, NextAt: a.CreatedAt, CreatedAt: a.CreatedAt,
		})
	}
	if err := q.db.InsertDeliveries(ctx, jobs); err != nil {
		return err
	}
	q.db.AfterCommit(ctx, q.Notify)
	return nil
}

// hostOf is the host[:port] of an inbox URL, lowercased.
func hostOf(inbox string) string {
	u, err := url.Parse(inbox)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// Drop ends every delivery not yet done to a host that matches (a domain
// the node now blocks), recording why.
func (q *Queue) Drop(ctx context.Context, match func(host string) bool, reason string) error {
	hosts, err := q.db.CountDeliveries(ctx)
	if err != nil {
		return err
	}
	now := q.clock()
	for _, h := range hosts {
		if match(h.Host) {
			if err := q.db.DropDeliveriesTo(ctx, h.Host, reason, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// Status is what an admin sees of the queues.
type Status struct {
	Inbox         []db.QueueCount // received activities by state
	Deliveries    []db.QueueCount // deliveries not done, by host and state
	Totals        []db.QueueTotal // deliveries by state, done ones included
	InboxTotals   []db.QueueTotal // received activities by state
	FailingHosts  []*db.Host
	DeadInbox     []*db.InboxItem // the last received activities that failed for good
	DeadDelivered []*db.Delivery  // the last deliveries given up
}

// Status reads the state of the queues, with the last dead jobs of each.
func (q *Queue) Status(ctx context.Context, dead int) (*Status, error) {
	var s Status
	var err error
	if s.Inbox, err = q.db.CountInbox(ctx); err != nil {
		return nil, err
	}
	if s.Deliveries, err = q.db.CountDeliveries(ctx); err != nil {
		return nil, err
	}
	if s.Totals, err = q.db.DeliveryTotals(ctx); err != nil {
		return nil, err
	}
	if s.InboxTotals, err = q.db.InboxTotals(ctx); err != nil {
		return nil, err
	}
	if s.FailingHosts, err = q.db.FailingHosts(ctx); err != nil {
		return nil, err
	}
	if s.DeadInbox, err = q.db.DeadInboxItems(ctx, dead); err != nil {
		return nil, err
	}
	if s.DeadDelivered, err = q.db.DeadDeliveries(ctx, dead); err != nil {
		return nil, err
	}
	return &s, nil
}
