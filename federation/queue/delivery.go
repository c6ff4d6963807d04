package queue

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
)

// deliverDue makes the due deliveries, up to delivery_workers at once and
// delivery_per_host at once to one host, waits for them, and records every
// outcome in one transaction (one commit per batch, not per delivery: on
// SQLite a commit is a sync to disk), retried while the database is
// unavailable. A crash before that commit loses no delivery: the jobs are
// still claimed, and made again once the claim is released — at least once,
// as receivers expect.
func (q *Queue) deliverDue(ctx context.Context, w *workerLock) (int, error) {
	n := q.opts.DeliveryWorkers
	allowed, err := q.opts.Allowed(ctx)
	if err != nil {
		return 0, err
	}
	jobs, err := claimDeliveries(ctx, q.db, w.ID(), q.clock(), lease, n*4)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	names := make([]string, 0, len(jobs))
	for _, j := range jobs {
		if !slices.Contains(names, j.Host) {
			names = append(names, j.Host)
		}
	}
	// From here on the jobs are claimed: the database going away must not
	// leave them so until the lease ends.
	var hosts map[string]*db.Host
	err = q.untilAvailable(ctx, "load delivery hosts", func(ctx context.Context) (err error) {
		hosts, err = hostsByName(ctx, q.db, names)
		return err
	})
	if err != nil {
		return 0, err
	}
	spreadHosts(jobs)
	signers := newSignerCache(q.opts.Signer)
	outcomes := make([]error, len(jobs))
	var wg sync.WaitGroup
	slots := q.deliverySlots
	for i, j := range jobs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			host := q.hostSlot(j.Host)
			host <- struct{}{}
			defer func() { <-host }()
			// A delivery under way finishes even when the worker is asked to
			// stop: its outcome is recorded, nothing is left half done.
			outcomes[i] = q.attempt(context.WithoutCancel(ctx), j, hosts[j.Host], allowed, signers)
		}()
	}
	wg.Wait()
	now := q.clock()
	changed := map[string]bool{}
	for i, j := range jobs {
		if q.settle(j, hosts[j.Host], outcomes[i], now) {
			changed[j.Host] = true
		}
		q.meter.Delivered(outcome(j.State))
	}
	err = q.untilAvailable(ctx, "record delivery outcomes", func(ctx context.Context) error {
		return q.db.InTx(ctx, func(tx *db.DB) error {
			if err := finishDeliveries(ctx, tx, jobs); err != nil {
				return err
			}
			for h := range changed {
				if err := saveHost(ctx, tx, hosts[h]); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("record delivery outcomes: %w", err)
	}
	return len(jobs), nil
}

// spreadHosts orders a batch so that consecutive jobs go to different hosts
// (a host's first job of each, then its second, …). A job waiting for its
// host's slot holds a worker slot meanwhile: the jobs of one host bunched
// together — the followers of one server, listed one after the other — would
// leave every other worker idle while they wait their turn.
func spreadHosts(jobs []*db.Delivery) {
	nth := map[string]int{}
	rank := make(map[*db.Delivery]int, len(jobs))
	for _, j := range jobs {
		rank[j] = nth[j.Host]
		nth[j.Host]++
	}
	slices.SortStableFunc(jobs, func(a, b *db.Delivery) int { return cmp.Compare(rank[a], rank[b]) })
}

// hostSlot returns the semaphore that bounds concurrent deliveries to host.
func (q *Queue) hostSlot(host string) chan struct{} {
	q.hostMu.Lock()
	defer q.hostMu.Unlock()
	s, ok := q.hostSems[host]
	if !ok {
		s = make(chan struct{}, q.opts.DeliveryPerHost)
		q.hostSems[host] = s
	}
	return s
}

// Outcomes of an attempt that are not plain success or failure.
var (
	errPermanent = errors.New("refused by the receiving server")
	errBlocked   = errors.New("the host is blocked or not on the allowlist")
	errDeferred  = errors.New("host unreachable: waiting for its next probe")
)

// attempt makes one delivery attempt, unless the host is refused or
// unreachable and not due for a probe. It changes nothing in the database.
func (q *Queue) attempt(ctx context.Context, j *db.Delivery, h *db.Host, allowed func(string) bool, signers *signerCache) error {
	if !allowed(j.Host) {
		return errBlocked
	}
	if !h.UnreachableSince.IsZero() && q.clock().Sub(h.LastFailureAt) < unreachableGap {
		return errDeferred
	}
	return q.post(ctx, j, signers)
}

// settle sets a delivery's new state from the outcome of its attempt and
// updates its host's health; it reports whether the host changed.
func (q *Queue) settle(j *db.Delivery, h *db.Host, err error, now time.Time) bool {
	j.LastError = ""
	if err != nil {
		j.LastError = truncate(err.Error(), 500)
	}
	switch {
	case errors.Is(err, errBlocked):
		j.State, j.DoneAt = db.JobDead, now
		return false
	case errors.Is(err, errDeferred):
		j.State, j.NextAt = db.JobPending, h.LastFailureAt.Add(unreachableGap)
		return false
	}
	j.Attempts++
	switch {
	case err == nil:
		j.State, j.DoneAt = db.JobDone, now
		return q.hostSucceeded(h, now)
	case errors.Is(err, errPermanent):
		j.State, j.DoneAt = db.JobDead, now
		q.log.Warn("delivery refused", "inbox", j.Inbox, "activity", j.Activity.URI, "err", err)
		return q.hostSucceeded(h, now) // it answered: it is reachable
	}
	q.hostFailed(h, err, now)
	if now.Sub(j.CreatedAt) >= q.opts.DeliveryMaxAge {
		j.State, j.DoneAt = db.JobDead, now
		j.LastError = truncate(fmt.Sprintf("gave up after %d attempts: %v", j.Attempts, err), 500)
		q.log.Warn("delivery given up", "inbox", j.Inbox, "activity", j.Activity.URI, "err", err)
		return true
	}
	wait := backoff(j.Attempts, 30*time.Second, 12*time.Hour)
	if !h.UnreachableSince.IsZero() {
		wait = max(wait, unreachableGap)
	}
	j.State, j.NextAt = db.JobPending, now.Add(wait)
	return true
}

// hostSucceeded records that a host answered; it reports whether that is news.
func (q *Queue) hostSucceeded(h *db.Host, now time.Time) bool {
	if h.Failures == 0 && !h.LastSuccessAt.IsZero() && now.Sub(h.LastSuccessAt) < time.Minute {
		return false // healthy, recorded a moment ago: spare the write
	}
	h.Failures, h.FirstFailureAt, h.UnreachableSince, h.LastError = 0, time.Time{}, time.Time{}, ""
	h.LastSuccessAt = now
	return true
}

// hostFailed counts a failure; after unreachableAt in a row, spread over
// unreachableAfter at least, the host is unreachable, and tried rarely. The
// time matters as much as the count: the deliveries of one batch to a host
// that is down for a moment (restarting, its database restarting) fail
// together, and would otherwise make it unreachable for hours.
func (q *Queue) hostFailed(h *db.Host, err error, now time.Time) {
	if h.Failures == 0 {
		h.FirstFailureAt = now
	}
	h.Failures++
	h.LastFailureAt, h.LastError = now, truncate(err.Error(), 500)
	if h.Failures >= unreachableAt && now.Sub(h.FirstFailureAt) >= unreachableAfter && h.UnreachableSince.IsZero() {
		h.UnreachableSince = now
		q.log.Warn("host unreachable", "host", h.Host, "failures", h.Failures)
	}
}

// signerCache loads each sending actor's key once per batch.
type signerCache struct {
	load func(ctx context.Context, actorID string) (crypto.PrivateKey, string, error)
	mu   sync.Mutex
	m    map[string]*cachedSigner
}

type cachedSigner struct {
	key   crypto.PrivateKey
	keyID string
	err   error
}

func newSignerCache(load func(ctx context.Context, actorID string) (crypto.PrivateKey, string, error)) *signerCache {
	return &signerCache{load: load, m: map[string]*cachedSigner{}}
}

func (c *signerCache) get(ctx context.Context, actorID string) (crypto.PrivateKey, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[actorID]; ok {
		return s.key, s.keyID, s.err
	}
	s := &cachedSigner{}
	s.key, s.keyID, s.err = c.load(ctx, actorID)
	c.m[actorID] = s
	return s.key, s.keyID, s.err
}

// What a delivery is sent as, and what it accepts in answer (the media
// types of ActivityStreams).
const (
	mediaType   = "application/activity+json"
	ldMediaType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// post signs and sends one activity to one inbox.
func (q *Queue) post(ctx context.Context, j *db.Delivery, signers *signerCache) error {
	key, keyID, err := signers.get(ctx, j.Activity.ActorID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, q.opts.DeliveryTimeout)
	defer cancel()
	body := []byte(j.Activity.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Inbox, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: bad inbox %q", errPermanent, j.Inbox)
	}
	req.Header.Set("Content-Type", ldMediaType)
	req.Header.Set("Accept", mediaType)
	if err := transport.SignRequest(req, keyID, key, body, q.clock()); err != nil {
		return err
	}
	resp, err := q.opts.Client.Do(req)
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
