package queue

import (
	"context"
	"crypto"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
)

// Rules of the jobs.
const (
	unreachableAt    = 10              // consecutive failures before a host is unreachable,
	unreachableAfter = time.Hour       // spread over this long at least
	unreachableGap   = 6 * time.Hour   // how often an unreachable host is tried
	lease            = 5 * time.Minute // a claimed job is another worker's again after this
	inboxAttempts    = 6               // a received activity that failed this often is dead
	pollInterval     = time.Second
)

// ErrIgnored marks a received activity the node stores but does nothing
// with: Process returns it, and the item ends ignored.
var ErrIgnored = errors.New("not handled")

// Meter counts the outcomes of jobs: done, retry, dead; for received
// activities also ignored and failed.
type Meter interface {
	InboxProcessed(outcome string)
	// InboxBatch counts a batch of received activities: how many it took,
	// and how many of them it left to process on their own (all of them
	// when it could not commit).
	InboxBatch(taken, alone int)
	Delivered(outcome string)
}

// Options are what a Queue needs: its limits, and the protocol's side of
// each job.
type Options struct {
	DB  *db.DB
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now   func() time.Time
	Meter Meter // nil counts nothing

	InboxWorkers    int           // received activities processed at once
	DeliveryWorkers int           // deliveries under way at once in the process
	DeliveryPerHost int           // deliveries under way at once to one host
	DeliveryTimeout time.Duration // of one POST
	DeliveryMaxAge  time.Duration // a delivery failing longer than this is given up

	// Client makes the deliveries.
	Client *transport.Client

	// Process handles one received activity. It must be idempotent: an
	// activity may be processed again after a crash. It returns ErrIgnored
	// for an activity it has nothing to do with, an error Retryable
	// refuses for one the rules refuse, and any other error for a failure
	// worth retrying.
	Process func(ctx context.Context, it *db.InboxItem) error
	// Key names what processing a received activity changes first of all
	// (the post a Like is about, the post a reply answers). On PostgreSQL,
	// batches run in inbox_workers lanes at once, and activities with one
	// key go to one lane, in the order received: two lanes would wait for
	// each other's row locks (the post's counters) until their batches
	// commit. Nil puts every activity in one lane.
	Key func(it *db.InboxItem) string
	// Retryable tells a failure worth retrying from a refusal; nil retries
	// every error.
	Retryable func(err error) bool
	// Signer returns the key that signs the deliveries of an actor, and
	// its keyId.
	Signer func(ctx context.Context, actorID string) (crypto.PrivateKey, string, error)
	// Allowed returns the federation rules: whether the node delivers to
	// a host.
	Allowed func(ctx context.Context) (func(host string) bool, error)
	// Expand runs before the deliveries of each round: it queues the
	// deliveries of activities whose recipients were not known yet. It
	// reports how much it did. Nil does nothing.
	Expand func(ctx context.Context) (int, error)
}

// Queue is the durable inbox and outbox of a node, and the worker that
// runs them. Create it with New.
type Queue struct {
	db    *db.DB
	log   *slog.Logger
	now   func() time.Time
	meter Meter
	opts  Options

	writer inboxWriter // stores received activities, many per commit

	wake         chan struct{}
	wakeDelivery chan struct{}
	// deliverySlots bounds the deliveries under way in this process, across
	// the worker's delivery lanes (delivery_workers).
	deliverySlots chan struct{}
	lockMu        sync.Mutex
	lock          *workerLock
	hostMu        sync.Mutex
	hostSems      map[string]chan struct{}

	// recovered is set when work that failed (the database was
	// unavailable, say) succeeds again: the worker then checks its lock.
	recovered atomic.Bool
}

type noMeter struct{}

func (noMeter) InboxProcessed(string) {}
func (noMeter) InboxBatch(int, int)   {}
func (noMeter) Delivered(string)      {}

// New returns the queue of a node.
func New(opts Options) *Queue {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Meter == nil {
		opts.Meter = noMeter{}
	}
	if opts.Retryable == nil {
		opts.Retryable = func(error) bool { return true }
	}
	if opts.Expand == nil {
		opts.Expand = func(context.Context) (int, error) { return 0, nil }
	}
	opts.InboxWorkers = max(opts.InboxWorkers, 1)
	opts.DeliveryWorkers = max(opts.DeliveryWorkers, 1)
	opts.DeliveryPerHost = max(opts.DeliveryPerHost, 1)
	return &Queue{
		db:            opts.DB,
		log:           opts.Log,
		now:           opts.Now,
		meter:         opts.Meter,
		opts:          opts,
		writer:        inboxWriter{db: opts.DB},
		wake:          make(chan struct{}, 1),
		wakeDelivery:  make(chan struct{}, 1),
		deliverySlots: make(chan struct{}, opts.DeliveryWorkers),
		hostSems:      map[string]chan struct{}{},
	}
}

// clock returns the current time in UTC at the database's precision.
func (q *Queue) clock() time.Time { return q.now().UTC().Truncate(time.Microsecond) }

// Notify wakes the worker of this process: new work was queued.
func (q *Queue) Notify() {
	for _, c := range []chan struct{}{q.wake, q.wakeDelivery} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Close releases the worker's hold on the database, if it took one.
func (q *Queue) Close() error {
	q.lockMu.Lock()
	defer q.lockMu.Unlock()
	err := q.lock.Close()
	q.lock = nil
	return err
}

// Run is the worker of a process: it processes received activities, expands
// new recipients and makes deliveries until ctx is done, then lets the work
// under way finish. On PostgreSQL any number of processes run it on one
// database; on SQLite, one.
func (q *Queue) Run(ctx context.Context) error {
	w, err := q.ownLock(ctx)
	if err != nil {
		return err
	}
	q.releaseDead(ctx, w)
	// A second lane of deliveries: while one lane is in the database
	// (claiming a batch, recording its outcomes), the other's jobs keep the
	// cores signing. Both share the process's delivery_workers slots.
	var lanes sync.WaitGroup
	defer lanes.Wait()
	lanes.Go(func() { q.deliveryLane(ctx, w) })
	lastRelease := time.Now()
	errs := q.ErrorLog("federation worker")
	for ctx.Err() == nil {
		n, err := q.step(ctx, w)
		if err != nil && ctx.Err() == nil {
			errs.Failed(err)
		} else if err == nil {
			errs.Ended()
		}
		// After failures the database may have been restarted, and the
		// worker's lock lost with its connection: it is taken again at
		// once, before another process takes this one's jobs for a dead
		// one's.
		if q.recovered.Swap(false) || time.Since(lastRelease) > 15*time.Second {
			q.releaseDead(ctx, w)
			lastRelease = time.Now()
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// deliveryLane makes due deliveries until ctx is done, sleeping while there
// are none.
func (q *Queue) deliveryLane(ctx context.Context, w *workerLock) {
	errs := q.ErrorLog("federation delivery")
	for ctx.Err() == nil {
		n, err := q.deliverDue(ctx, w)
		if err != nil && ctx.Err() == nil {
			errs.Failed(err)
		} else if err == nil {
			errs.Ended()
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.wakeDelivery:
		case <-time.After(pollInterval):
		}
	}
}

// RunUntilIdle works until nothing is due: every received activity
// processed, every due delivery attempted (those that failed wait for their
// retry time). Tests use it to drain queues deterministically; so does an
// admin command that must finish its work before exiting.
func (q *Queue) RunUntilIdle(ctx context.Context) (int, error) {
	w, err := q.ownLock(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := q.step(ctx, w)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// step does one round of each kind of work and reports how much it did.
func (q *Queue) step(ctx context.Context, w *workerLock) (int, error) {
	a, err := q.processInbox(ctx, w)
	if err != nil {
		return a, err
	}
	b, err := q.opts.Expand(ctx)
	if err != nil {
		return a + b, err
	}
	c, err := q.deliverDue(ctx, w)
	return a + b + c, err
}

// ownLock returns this process's worker lock, taking it the first time
// (and releasing claims a previous incarnation left behind).
func (q *Queue) ownLock(ctx context.Context) (*workerLock, error) {
	q.lockMu.Lock()
	defer q.lockMu.Unlock()
	if q.lock != nil {
		return q.lock, nil
	}
	w, err := lockWorker(ctx, q.db)
	if err != nil {
		return nil, err
	}
	q.lock = w
	q.releaseDead(ctx, w)
	return w, nil
}

// releaseDead makes due again the jobs claimed by worker processes that
// died. It first makes sure that this worker's own lock is held: a lock lost
// with its connection (the database restarted) is taken again.
func (q *Queue) releaseDead(ctx context.Context, w *workerLock) {
	id := w.ID()
	lost, err := renewWorkerLock(ctx, q.db, w)
	if err != nil {
		q.log.Error("renew the worker lock", "err", err)
		return
	}
	if lost && w.ID() == id {
		q.log.Info("worker lock taken again after its database connection was lost", "worker", id)
	} else if lost {
		q.log.Warn("worker lock lost to another process: going on under a new id", "worker", w.ID(), "was", id)
	}
	n, err := releaseDeadClaims(ctx, q.db, w, q.clock())
	if err != nil {
		q.log.Error("release dead claims", "err", err)
	} else if n > 0 {
		q.log.Info("took over jobs of a stopped worker", "jobs", n)
	}
}

// untilAvailable runs fn — recording the outcomes of a batch of jobs, say —
// again and again while it fails because the database is unavailable, until
// it succeeds, fails otherwise, or stop is done (the worker stops). fn's
// context is not stop: what runs is not cut half-way.
//
// A batch whose outcomes cannot be recorded stays claimed, and claims last
// lease (minutes): rather than wait that long when the database restarts,
// and then repeat work already done, the worker keeps the outcomes in
// memory and records them as soon as the database answers.
func (q *Queue) untilAvailable(stop context.Context, what string, fn func(ctx context.Context) error) error {
	ctx := context.WithoutCancel(stop)
	errs := q.ErrorLog(what)
	wait := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			errs.Ended()
			return nil
		}
		if !db.Unavailable(err) {
			return err
		}
		errs.Failed(err)
		select {
		case <-stop.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// RetryHost makes every pending or dead delivery to host (a normalised
// host name) due now and forgets its failures, for when an admin knows it
// is back.
func (q *Queue) RetryHost(ctx context.Context, host string) (int, error) {
	now := q.clock()
	var n int
	err := q.db.InTx(ctx, func(tx *db.DB) (err error) {
		if n, err = retryHost(ctx, tx, host, now); err != nil {
			return err
		}
		return saveHost(ctx, tx, &db.Host{Host: host, LastSuccessAt: time.Time{}})
	})
	q.Notify()
	return n, err
}
