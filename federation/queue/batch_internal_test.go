package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
)

// TestSpreadHosts: a batch's jobs are reordered so that consecutive ones go
// to different hosts, each host's jobs keeping their order.
func TestSpreadHosts(t *testing.T) {
	var jobs []*db.Delivery
	for _, h := range []string{"a", "a", "a", "b", "b", "c"} {
		jobs = append(jobs, &db.Delivery{ID: fmt.Sprintf("%s%d", h, len(jobs)), Host: h})
	}
	spreadHosts(jobs)
	got := ""
	for _, j := range jobs {
		got += j.ID + " "
	}
	if want := "a0 b3 c5 a1 b4 a2 "; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
}

// TestInboxWriterGroupCommit: activities stored by many requests at once are
// all stored, once each — a replay in the same batch as its original too —
// and every request returns only after its row is committed.
func TestInboxWriterGroupCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := &inboxWriter{db: d}
		now := time.Now().UTC().Truncate(time.Microsecond)
		var wg sync.WaitGroup
		errs := make([]error, 300)
		for i := range errs {
			wg.Go(func() {
				uri := fmt.Sprintf("https://other.example/activities/%d", i%200) // 100 replays
				errs[i] = w.insert(ctx, &db.InboxItem{ID: fmt.Sprintf("%026d", i), ActivityURI: uri, Type: "Like",
					ActorURI: "https://other.example/users/bob", Host: "other.example", Body: "{}", State: db.JobPending,
					NextAt: now, ReceivedAt: now})
				if errs[i] == nil {
					if _, err := d.InboxItemByActivity(ctx, uri); err != nil {
						errs[i] = fmt.Errorf("answered before its row was committed: %w", err)
					}
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		n, err := d.Bun().NewSelect().Table("inbox_items").Count(ctx)
		if err != nil || n != 200 {
			t.Fatalf("%d rows stored (%v), want 200", n, err)
		}
	})
}
