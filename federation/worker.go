package federation

import (
	"context"
	"strings"
	"sync"
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
	for ctx.Err() == nil {
		n, err := f.step(ctx, w)
		if err != nil && ctx.Err() == nil {
			f.log.Error("federation worker", "err", err)
		}
		if time.Since(lastRelease) > 15*time.Second {
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
	for ctx.Err() == nil {
		n, err := f.deliverDue(ctx, w)
		if err != nil && ctx.Err() == nil {
			f.log.Error("federation delivery", "err", err)
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
