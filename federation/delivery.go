package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
)

// deliverDue makes the due deliveries, up to delivery_workers at once and
// delivery_per_host at once to one host, and waits for them.
func (f *Federation) deliverDue(ctx context.Context, w *db.WorkerLock) (int, error) {
	n := f.cfg.Federation.DeliveryWorkers
	jobs, err := f.db.ClaimDeliveries(ctx, w.ID, f.clock(), deliveryLease, n*2)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, n)
	for _, j := range jobs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			host := f.hostSlot(j.Host)
			host <- struct{}{}
			defer func() { <-host }()
			// A delivery under way finishes even when the worker is asked to
			// stop: its outcome is recorded, nothing is left half done.
			f.deliver(context.WithoutCancel(ctx), j)
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

// hostSlot returns the semaphore that bounds concurrent deliveries to host.
func (f *Federation) hostSlot(host string) chan struct{} {
	f.hostMu.Lock()
	defer f.hostMu.Unlock()
	s, ok := f.hostSems[host]
	if !ok {
		s = make(chan struct{}, f.cfg.Federation.DeliveryPerHost)
		f.hostSems[host] = s
	}
	return s
}

// errPermanent marks an answer that retrying cannot change.
var errPermanent = errors.New("refused by the receiving server")

// deliver makes one delivery attempt and records its outcome.
func (f *Federation) deliver(ctx context.Context, j *db.Delivery) {
	now := f.clock()
	h, err := f.db.HostByName(ctx, j.Host)
	if err != nil {
		f.log.Error("host health", "err", err, "host", j.Host)
		return // the lease expires and the job comes back
	}
	if err := f.hostAllowed(ctx, j.Host); err != nil {
		f.finish(ctx, j, db.JobDead, err, now)
		return
	}
	if !h.UnreachableSince.IsZero() && now.Sub(h.LastFailureAt) < unreachableGap {
		// An unreachable host is tried rarely: wait for its next probe.
		j.NextAt = h.LastFailureAt.Add(unreachableGap)
		f.finish(ctx, j, db.JobPending, errors.New("host unreachable"), now)
		return
	}
	err = f.post(ctx, j)
	now = f.clock()
	j.Attempts++
	switch {
	case err == nil:
		f.finish(ctx, j, db.JobDone, nil, now)
		f.recordHost(ctx, h, nil, now)
	case errors.Is(err, errPermanent):
		f.finish(ctx, j, db.JobDead, err, now)
		f.recordHost(ctx, h, nil, now) // the host answered: it is reachable
	default:
		f.recordHost(ctx, h, err, now)
		if now.Sub(j.CreatedAt) >= f.cfg.Federation.DeliveryMaxAge {
			f.finish(ctx, j, db.JobDead, fmt.Errorf("gave up after %d attempts: %w", j.Attempts, err), now)
			return
		}
		wait := backoff(j.Attempts, 30*time.Second, 12*time.Hour)
		if h.Failures >= unreachableAt {
			wait = max(wait, unreachableGap)
		}
		j.NextAt = now.Add(wait)
		f.finish(ctx, j, db.JobPending, err, now)
	}
}

// finish records a delivery's new state.
func (f *Federation) finish(ctx context.Context, j *db.Delivery, state string, cause error, now time.Time) {
	j.State, j.LastError = state, ""
	if cause != nil {
		j.LastError = truncate(cause.Error(), 500)
	}
	if state != db.JobPending {
		j.DoneAt = now
	}
	if err := f.db.FinishDelivery(ctx, j); err != nil {
		f.log.Error("record delivery", "err", err, "inbox", j.Inbox)
	}
	if state == db.JobDead {
		f.log.Warn("delivery given up", "inbox", j.Inbox, "activity", j.Activity.URI, "err", j.LastError)
	}
}

// recordHost keeps the health of a host: consecutive failures, and whether
// it is unreachable (so tried rarely).
func (f *Federation) recordHost(ctx context.Context, h *db.Host, failure error, now time.Time) {
	if failure == nil {
		if h.Failures == 0 && !h.LastSuccessAt.IsZero() && now.Sub(h.LastSuccessAt) < time.Minute {
			return // healthy, recorded a moment ago: spare the write
		}
		h.Failures, h.FirstFailureAt, h.UnreachableSince, h.LastError = 0, time.Time{}, time.Time{}, ""
		h.LastSuccessAt = now
	} else {
		if h.Failures == 0 {
			h.FirstFailureAt = now
		}
		h.Failures++
		h.LastFailureAt, h.LastError = now, truncate(failure.Error(), 500)
		if h.Failures >= unreachableAt && h.UnreachableSince.IsZero() {
			h.UnreachableSince = now
			f.log.Warn("host unreachable", "host", h.Host, "failures", h.Failures)
		}
	}
	if err := f.db.SaveHost(ctx, h); err != nil {
		f.log.Error("record host", "err", err, "host", h.Host)
	}
}

// post signs and sends one activity to one inbox.
func (f *Federation) post(ctx context.Context, j *db.Delivery) error {
	actor, err := f.db.AccountByID(ctx, j.Activity.ActorID)
	if err != nil {
		return err
	}
	key, keyID, err := f.signingKey(ctx, actor)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Federation.DeliveryTimeout)
	defer cancel()
	body := []byte(j.Activity.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Inbox, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: bad inbox %q", errPermanent, j.Inbox)
	}
	req.Header.Set("Content-Type", activitystreams.LDMediaType)
	req.Header.Set("Accept", activitystreams.MediaType)
	if err := SignRequest(req, keyID, key, body, f.clock()); err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusUnauthorized, s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return fmt.Errorf("status %d: %s", s, strings.TrimSpace(string(msg)))
	default: // 4xx: the receiver will not take it, however often it is sent
		return fmt.Errorf("%w: status %d: %s", errPermanent, s, strings.TrimSpace(string(msg)))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
