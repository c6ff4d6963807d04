package queue

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
)

// TestHostUnreachable: a host is unreachable after unreachableAt failures
// in a row spread over unreachableAfter — not after a burst: the
// deliveries of one batch to a host down for a moment all fail at once.
func TestHostUnreachable(t *testing.T) {
	q := &Queue{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	down := errors.New("status 503")
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

	burst := &db.Host{Host: "burst.example"}
	for range 3 * unreachableAt {
		q.hostFailed(burst, down, now)
	}
	if !burst.UnreachableSince.IsZero() {
		t.Fatalf("%d failures in the same second make the host unreachable", burst.Failures)
	}
	q.hostFailed(burst, down, now.Add(unreachableAfter))
	if !burst.UnreachableSince.Equal(now.Add(unreachableAfter)) {
		t.Fatalf("failing for %v, %d times: unreachable since %v", unreachableAfter, burst.Failures, burst.UnreachableSince)
	}

	slow := &db.Host{Host: "slow.example"}
	for i := range unreachableAt - 1 {
		q.hostFailed(slow, down, now.Add(time.Duration(i)*unreachableAfter))
	}
	if !slow.UnreachableSince.IsZero() {
		t.Fatalf("%d failures make the host unreachable", slow.Failures)
	}
	q.hostFailed(slow, down, now.Add(unreachableAt*unreachableAfter))
	if slow.UnreachableSince.IsZero() {
		t.Fatalf("%d failures over %v: the host is not unreachable", slow.Failures, unreachableAt*unreachableAfter)
	}
}
