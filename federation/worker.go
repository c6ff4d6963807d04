package federation

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruche-social/ruche/db"
)

// Run is the worker of a process: it processes received activities, resolves
// new recipients and makes deliveries until ctx is done, then lets the work
// under way finish. On PostgreSQL any number of processes run it on one
// database; on SQLite, one.
func (f *Federation) Run(ctx context.Context) error {
	w, err := f.workerLock(ctx)
	if err != nil {
		return err
	}
	f.releaseDead(ctx, w)
	// A second lane of deliveries: while one lane is in the database
	// (claiming a batch, recording its outcomes), the other's jobs keep the
	// cores signing. Both share the process's delivery_workers slots.
	var lanes sync.WaitGroup
	defer lanes.Wait()
	lanes.Go(func() { f.deliveryLane(ctx, w) })
	lastRelease := time.Now()
	errs := f.errorLog("federation worker")
	for ctx.Err() == nil {
		n, err := f.step(ctx, w)
		if err != nil && ctx.Err() == nil {
			errs.failed(err)
		} else if err == nil {
			errs.ended()
		}
		// After failures the database may have been restarted, and the
		// worker's lock lost with its connection: it is taken again at
		// once, before another process takes this one's jobs for a dead
		// one's.
		if f.recovered.Swap(false) || time.Since(lastRelease) > 15*time.Second {
			f.releaseDead(ctx, w)
			lastRelease = time.Now()
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-f.wake:
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// deliveryLane makes due deliveries until ctx is done, sleeping while there
// are none.
func (f *Federation) deliveryLane(ctx context.Context, w *db.WorkerLock) {
	errs := f.errorLog("federation delivery")
	for ctx.Err() == nil {
		n, err := f.deliverDue(ctx, w)
		if err != nil && ctx.Err() == nil {
			errs.failed(err)
		} else if err == nil {
			errs.ended()
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-f.wakeDelivery:
		case <-time.After(pollInterval):
		}
	}
}

// RunUntilIdle works until nothing is due: every received activity
// processed, every due delivery attempted (those that failed wait for their
// retry time). Tests use it to drain queues deterministically; so does an
// admin command that must finish its work before exiting.
func (f *Federation) RunUntilIdle(ctx context.Context) (int, error) {
	w, err := f.workerLock(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := f.step(ctx, w)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// step does one round of each kind of work and reports how much it did.
func (f *Federation) step(ctx context.Context, w *db.WorkerLock) (int, error) {
	a, err := f.processInbox(ctx, w)
	if err != nil {
		return a, err
	}
	b, err := f.resolveRecipients(ctx)
	if err != nil {
		return a + b, err
	}
	c, err := f.deliverDue(ctx, w)
	return a + b + c, err
}

// workerLock returns this process's worker lock, taking it the first time
// (and releasing claims a previous incarnation left behind).
func (f *Federation) workerLock(ctx context.Context) (*db.WorkerLock, error) {
	f.lockMu.Lock()
	defer f.lockMu.Unlock()
	if f.lock != nil {
		return f.lock, nil
	}
	w, err := f.db.LockWorker(ctx)
	if err != nil {
		return nil, err
	}
	f.lock = w
	f.releaseDead(ctx, w)
	return w, nil
}

// releaseDead makes due again the jobs claimed by worker processes that
// died. It first makes sure that this worker's own lock is held: a lock lost
// with its connection (the database restarted) is taken again.
func (f *Federation) releaseDead(ctx context.Context, w *db.WorkerLock) {
	id := w.ID()
	lost, err := f.db.RenewWorkerLock(ctx, w)
	if err != nil {
		f.log.Error("renew the worker lock", "err", err)
		return
	}
	if lost && w.ID() == id {
		f.log.Info("worker lock taken again after its database connection was lost", "worker", id)
	} else if lost {
		f.log.Warn("worker lock lost to another process: going on under a new id", "worker", w.ID(), "was", id)
	}
	n, err := f.db.ReleaseDeadClaims(ctx, w, f.clock())
	if err != nil {
		f.log.Error("release dead claims", "err", err)
	} else if n > 0 {
		f.log.Info("took over jobs of a stopped worker", "jobs", n)
	}
}

// untilAvailable runs fn — recording the outcomes of a batch of jobs, say —
// again and again while it fails because the database is unavailable, until
// it succeeds, fails otherwise, or stop is done (the worker stops). fn's
// context is not stop: what runs is not cut half-way.
//
// A batch whose outcomes cannot be recorded stays claimed, and claims last
// deliveryLease (minutes): rather than wait that long when the database
// restarts, and then repeat work already done, the worker keeps the outcomes
// in memory and records them as soon as the database answers.
func (f *Federation) untilAvailable(stop context.Context, what string, fn func(ctx context.Context) error) error {
	ctx := context.WithoutCancel(stop)
	errs := f.errorLog(what)
	wait := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			errs.ended()
			return nil
		}
		if !db.Unavailable(err) {
			return err
		}
		errs.failed(err)
		select {
		case <-stop.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// errorLog logs the errors of work that is tried again and again, at a
// sane rate: the first of a run of failures, then one a minute, and the end
// of the run — not one a second for as long as the database is down.
type errorLog struct {
	log       *slog.Logger
	msg       string
	recovered *atomic.Bool // set when a run of failures ends
	mu        sync.Mutex
	n         int // failures in the current run
	first     time.Time
	logged    time.Time
}

func (f *Federation) errorLog(msg string) *errorLog {
	return &errorLog{log: f.log, msg: msg, recovered: &f.recovered}
}

// failed counts a failure, and logs it when due.
func (e *errorLog) failed(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if e.n == 0 {
		e.first = now
	}
	e.n++
	if e.n == 1 || now.Sub(e.logged) >= time.Minute {
		e.log.Error(e.msg, "err", err, "failures", e.n, "since", e.first.Format(time.RFC3339))
		e.logged = now
	}
}

// ended closes a run of failures, if there was one: the work succeeded.
func (e *errorLog) ended() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return
	}
	e.log.Info(e.msg+": working again", "failures", e.n, "after", time.Since(e.first).Round(time.Millisecond).String())
	e.n = 0
	e.recovered.Store(true)
}

// resolveRecipients fetches the actors an activity was addressed to that the
// node did not know when it was written, and queues their deliveries. An
// actor that cannot be fetched is given up (logged): the activity reaches
// everyone else.
func (f *Federation) resolveRecipients(ctx context.Context) (int, error) {
	acts, err := f.db.ActivitiesUnresolved(ctx, 20)
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	for _, act := range acts {
		var inboxes []string
		for _, iri := range strings.Split(act.Unresolved, "\n") {
			a, err := f.ResolveActor(ctx, iri)
			if err != nil {
				f.log.Warn("recipient cannot be resolved", "recipient", iri, "activity", act.URI, "err", err)
				continue
			}
			if in := inboxOf(a, false); in != "" {
				inboxes = append(inboxes, in)
			}
		}
		err := f.db.InTx(ctx, func(tx *db.DB) error {
			if err := tx.InsertDeliveries(ctx, f.deliveries(act, inboxes)); err != nil {
				return err
			}
			return tx.ClearUnresolved(ctx, act.ID)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(acts), nil
}
