package federation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Received is an activity taken from the inbox for processing.
type Received struct {
	*activitystreams.Incoming
	// From is the remote account that sent it: the activity's actor, whose
	// key signed the request.
	From *spaces.Account
	Item *db.InboxItem
}

// Handler processes one received activity, through package spaces, with
// From as the one who acts. It must be idempotent: an activity may be
// processed again after a crash. It returns ErrIgnored for an activity it has
// nothing to do with, a domain error (spaces.Error) for one the rules refuse
// (not retried), and any other error for a failure worth retrying.
type Handler func(ctx context.Context, r *Received) error

// ErrIgnored marks an activity the node stores but does nothing with.
var ErrIgnored = errors.New("not handled")

// Handle registers the handler of an activity type. Keys are a type
// ("Follow", "Create") or, for activities about another object, the type and
// the object's type ("Undo/Like"); "Update/object" and "Delete/object" get
// updates and deletions of anything that is not the sender itself.
func (f *Federation) Handle(key string, h Handler) { f.handlers[key] = h }

// processInbox handles due received activities, inbox_workers at once, and
// records their outcomes in one transaction (one commit per batch, not per
// activity), retried while the database is unavailable. A crash before that
// commit loses nothing: the items are still claimed, and processed again
// once the claim is released — handlers are idempotent.
func (f *Federation) processInbox(ctx context.Context, w *db.WorkerLock) (int, error) {
	n := f.cfg.Federation.InboxWorkers
	items, err := f.db.ClaimInboxItems(ctx, w.ID(), f.clock(), deliveryLease, n*16)
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
			f.processItem(context.WithoutCancel(ctx), it)
		}()
	}
	wg.Wait()
	err = f.untilAvailable(ctx, "record inbox outcomes", func(ctx context.Context) error {
		return f.db.InTx(ctx, func(tx *db.DB) error { return tx.FinishInboxItems(ctx, items) })
	})
	if err != nil {
		return 0, fmt.Errorf("record inbox outcomes: %w", err)
	}
	return len(items), nil
}

// processItem runs the handler of one received activity and sets the
// outcome: done, ignored, failed (a rule refused it: retrying cannot help),
// or due again later with backoff, until it is dead.
func (f *Federation) processItem(ctx context.Context, it *db.InboxItem) {
	err := f.dispatch(ctx, it)
	now := f.clock()
	it.Attempts++
	it.LastError = ""
	switch {
	case err == nil:
		it.State, it.DoneAt = db.JobDone, now
	case errors.Is(err, ErrIgnored):
		it.State, it.DoneAt = db.JobIgnored, now
	case !spaces.Retryable(err):
		it.State, it.DoneAt, it.LastError = db.JobFailed, now, err.Error()
	case it.Attempts >= inboxAttempts:
		it.State, it.DoneAt, it.LastError = db.JobDead, now, err.Error()
		f.log.Warn("received activity dead", "activity", it.ActivityURI, "err", err)
	default:
		it.State, it.NextAt, it.LastError = db.JobPending, now.Add(backoff(it.Attempts, 10*time.Second, 6*time.Hour)), err.Error()
	}
	f.meter.InboxProcessed(outcome(it.State))
}

// outcome names a job's new state as the metrics count it: a job due again
// is a retry.
func outcome(state string) string {
	if state == db.JobPending {
		return "retry"
	}
	return state
}

func (f *Federation) dispatch(ctx context.Context, it *db.InboxItem) error {
	in, err := activitystreams.ParseActivity([]byte(it.Body))
	if err != nil {
		return &spaces.Error{Kind: spaces.KindInvalid, Code: "activity_invalid", Message: err.Error()}
	}
	from, err := f.spaces.RemoteAccountByURI(ctx, in.Actor)
	if err != nil {
		return err
	}
	r := &Received{Incoming: in, From: from, Item: it}
	if h, ok := f.handlers[in.Type+"/"+in.Object.Type]; ok && in.Object.Type != "" {
		return h(ctx, r)
	}
	if h, ok := f.handlers[in.Type]; ok {
		return h(ctx, r)
	}
	return ErrIgnored
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

// subHandler runs the handler registered for key, or ignores the activity.
func (f *Federation) subHandler(ctx context.Context, key string, r *Received) error {
	if h, ok := f.handlers[key]; ok {
		return h(ctx, r)
	}
	return ErrIgnored
}

// errNotForUs is an activity about something that is not the node's.
func errNotForUs(what string) error {
	return &spaces.Error{Kind: spaces.KindNotFound, Code: "not_found", Message: fmt.Sprintf("%s is not on this node", what)}
}
