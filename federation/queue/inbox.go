package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ruche-social/ruche/db"
)

// processInbox handles due received activities, inbox_workers at once, and
// records their outcomes in one transaction (one commit per batch, not per
// activity), retried while the database is unavailable. A crash before that
// commit loses nothing: the items are still claimed, and processed again
// once the claim is released — Process is idempotent.
func (q *Queue) processInbox(ctx context.Context, w *workerLock) (int, error) {
	n := q.opts.InboxWorkers
	items, err := claimInboxItems(ctx, q.db, w.ID(), q.clock(), lease, n*16)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, n)
	for _, it := range items {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			q.processItem(context.WithoutCancel(ctx), it)
		}()
	}
	wg.Wait()
	err = q.untilAvailable(ctx, "record inbox outcomes", func(ctx context.Context) error {
		return q.db.InTx(ctx, func(tx *db.DB) error { return finishInboxItems(ctx, tx, items) })
	})
	if err != nil {
		return 0, fmt.Errorf("record inbox outcomes: %w", err)
	}
	return len(items), nil
}

// processItem processes one received activity and sets the outcome: done,
// ignored, failed (a rule refused it: retrying cannot help), or due again
// later with backoff, until it is dead.
func (q *Queue) processItem(ctx context.Context, it *db.InboxItem) {
	err := q.opts.Process(ctx, it)
	now := q.clock()
	it.Attempts++
	it.LastError = ""
	switch {
	case err == nil:
		it.State, it.DoneAt = db.JobDone, now
	case errors.Is(err, ErrIgnored):
		it.State, it.DoneAt = db.JobIgnored, now
	case !q.opts.Retryable(err):
		it.State, it.DoneAt, it.LastError = db.JobFailed, now, err.Error()
	case it.Attempts >= inboxAttempts:
		it.State, it.DoneAt, it.LastError = db.JobDead, now, err.Error()
		q.log.Warn("received activity dead", "activity", it.ActivityURI, "err", err)
	default:
		it.State, it.NextAt, it.LastError = db.JobPending, now.Add(backoff(it.Attempts, 10*time.Second, 6*time.Hour)), err.Error()
	}
	q.meter.InboxProcessed(outcome(it.State))
}

// outcome names a job's new state as the metrics count it: a job due again
// is a retry.
func outcome(state string) string {
	if state == db.JobPending {
		return "retry"
	}
	return state
}

// backoff is the wait before attempt n+1: base doubling each time, capped,
// with ±10 % jitter so that retries of one burst spread out.
func backoff(attempts int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}
