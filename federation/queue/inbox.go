package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ruche-social/ruche/db"
)

// processInbox handles due received activities — in batches first, then on
// their own, inbox_workers at once, those a batch left — and records their
// outcomes in one transaction, retried while the database is unavailable. A
// crash before that commit loses nothing: the items are still claimed, and
// processed again once the claim is released — Process is idempotent.
func (q *Queue) processInbox(ctx context.Context, w *workerLock) (int, error) {
	n := q.opts.InboxWorkers
	items, err := claimInboxItems(ctx, q.db, w.ID(), q.clock(), lease, n*batchSize)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	work := context.WithoutCancel(ctx) // claimed work is finished, not dropped
	alone := q.processBatches(work, items)
	var wg sync.WaitGroup
	slots := make(chan struct{}, n)
	for _, it := range alone {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			q.settleReceived(it, q.opts.Process(work, it))
		})
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

// settleReceived sets the outcome of a received activity that Process
// returned err for: done, ignored, failed (a rule refused it: retrying cannot
// help), or due again later with backoff, until it is dead.
func (q *Queue) settleReceived(it *db.InboxItem, err error) {
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

// Received activities are processed in batches: many of them in one
// transaction (db.Batch), each in a savepoint. One commit per batch is what
// lets processing keep pace with the inbox: a commit is a disk sync on
// SQLite and a round trip on PostgreSQL, and with one per activity the
// workers stored a tenth of what the inbox accepted under load.
//
// A batch holds the database (on SQLite, its one write lock) while it runs,
// so nothing slow may happen in it: no request to another server, no key
// made. Process says so by calling Alone before such work; the activity is
// then rolled back to its savepoint and processed again after the batch, on
// its own, as an activity that fails in a batch is: alone, every activity has
// the outcome it would have had without batches, which a batch only makes
// faster to reach. The common case — a Create or a Like from an account the
// node knows, about a post it holds — needs none of that.

// A batch ends after batchSize activities — enough to share one commit
// among many — and on SQLite also once it has run for batchTime: the
// inbox's writes wait for it there (SQLite has one writer), and a batch of
// posts, each with its mentions, notifications and search document, kept
// them waiting tens of milliseconds.
const (
	batchSize = 32
	batchTime = 15 * time.Millisecond
)

// ErrAlone is what Alone returns in a batch.
var ErrAlone = errors.New("to be processed on its own, outside a batch")

type unitKey struct{}

// unit is the mark an activity processed in a batch carries.
type unit struct{ alone bool }

// Alone is for Process to call before what may not run in a batch: a
// request to another server, a key made, work that outlives the call. In a
// batch it marks the activity as one to process on its own and returns
// ErrAlone, which the caller returns (should it go on anyway, the mark
// stands: what it did is rolled back). Outside a batch it returns nil.
func Alone(ctx context.Context) error {
	u, _ := ctx.Value(unitKey{}).(*unit)
	if u == nil || !db.InBatch(ctx) {
		return nil
	}
	u.alone = true
	return ErrAlone
}

// settled is an activity's outcome in a batch, applied once it committed.
type settled struct {
	it  *db.InboxItem
	err error
}

// processBatches processes items a batch at a time in each of its lanes
// (see Options.Key), the lanes at once, and returns those to process on
// their own: the ones marked Alone or that failed, and every one of a batch
// that could not commit.
func (q *Queue) processBatches(ctx context.Context, items []*db.InboxItem) (alone []*db.InboxItem) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, lane := range q.lanes(items) {
		wg.Go(func() {
			for len(lane) > 0 {
				taken, left := q.processBatch(ctx, lane[:min(batchSize, len(lane))])
				lane = lane[taken:]
				mu.Lock()
				alone = append(alone, left...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return alone
}

// lanes splits items by key, each lane in the order received: one lane on
// SQLite, which has one writer at a time.
func (q *Queue) lanes(items []*db.InboxItem) [][]*db.InboxItem {
	n := q.opts.InboxWorkers
	if q.opts.Key == nil || q.db.Dialect() == db.SQLite || n == 1 {
		return [][]*db.InboxItem{items}
	}
	lanes := make([][]*db.InboxItem, n)
	for _, it := range items {
		h := fnv.New32a()
		h.Write([]byte(q.opts.Key(it)))
		i := h.Sum32() % uint32(n)
		lanes[i] = append(lanes[i], it)
	}
	return lanes
}

// processBatch processes the first of items in one transaction (on SQLite,
// as many as it can in batchTime, one at least), and records the outcome of
// each one it keeps once that has committed. It returns how many it took, and those of
// them to process on their own.
func (q *Queue) processBatch(ctx context.Context, items []*db.InboxItem) (taken int, alone []*db.InboxItem) {
	var kept []settled
	err := q.db.Batch(ctx, func(ctx context.Context) error {
		start, timed := time.Now(), q.db.Dialect() == db.SQLite
		for _, it := range items {
			if timed && taken > 0 && time.Since(start) > batchTime {
				break
			}
			taken++
			var err error
			u := &unit{}
			serr := db.Savepoint(ctx, func() bool {
				err = q.opts.Process(context.WithValue(ctx, unitKey{}, u), it)
				return !u.alone && (err == nil || errors.Is(err, ErrIgnored))
			})
			if serr != nil {
				return serr
			}
			if u.alone || (err != nil && !errors.Is(err, ErrIgnored)) {
				alone = append(alone, it)
				continue
			}
			kept = append(kept, settled{it, err})
		}
		return nil
	})
	if err != nil {
		if taken == 0 { // it did not begin: the database is unavailable, say
			taken = len(items)
		}
		q.log.Warn("batch of received activities rolled back: each is processed on its own", "activities", taken, "err", err)
		q.meter.InboxBatch(taken, taken)
		return taken, items[:taken]
	}
	for _, s := range kept {
		q.settleReceived(s.it, s.err)
	}
	q.meter.InboxBatch(taken, len(alone))
	return taken, alone
}
