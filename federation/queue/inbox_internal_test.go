package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
)

// TestProcessInBatches: received activities are processed in batches, each
// in a savepoint of one transaction; an activity that asks to be processed
// alone (even one that goes on after asking) or that fails is rolled back
// out of its batch and processed again on its own, and ends as it would have
// without batches. Every activity's writes are stored once.
func TestProcessInBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Bun().ExecContext(ctx, "CREATE TABLE processed (uri TEXT, in_batch BOOLEAN)"); err != nil {
			t.Fatal(err)
		}
		refused := errors.New("refused by a rule")
		meter := &batchMeter{}
		q := New(Options{DB: d, InboxWorkers: 2, Meter: meter,
			Key:       func(it *db.InboxItem) string { return it.ActivityURI }, // lanes at once on PostgreSQL
			Retryable: func(err error) bool { return !errors.Is(err, refused) },
			Allowed:   func(context.Context) (func(string) bool, error) { return func(string) bool { return true }, nil },
			Process: func(ctx context.Context, it *db.InboxItem) error {
				err := d.InTx(ctx, func(tx *db.DB) error {
					_, err := tx.Bun().ExecContext(ctx, "INSERT INTO processed (uri, in_batch) VALUES (?, ?)", it.ActivityURI, db.InBatch(ctx))
					return err
				})
				if err != nil {
					return err
				}
				switch it.Type {
				case "Ignored":
					return ErrIgnored
				case "Alone":
					if err := Alone(ctx); err != nil {
						return err
					}
				case "GoesOn":
					Alone(ctx) // and swallows the error, as a caller that logs and goes on
				case "Fails":
					return errors.New("temporary")
				case "Refused":
					return refused
				}
				return nil
			}})
		kinds := []string{"Like", "Ignored", "Alone", "GoesOn", "Fails", "Refused"}
		now := q.clock()
		for i := range 100 {
			kind := kinds[i%len(kinds)]
			if i >= 60 {
				kind = "Like" // more than a batch of the common case
			}
			it := &db.InboxItem{ID: fmt.Sprintf("%026d", i), ActivityURI: fmt.Sprintf("https://other.example/%s/%d", kind, i),
				Type: kind, ActorURI: "https://other.example/users/bob", Host: "other.example", Body: "{}",
				State: db.JobPending, NextAt: now, ReceivedAt: now}
			if _, err := insertInboxItem(ctx, d, it); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.RunUntilIdle(ctx); err != nil {
			t.Fatal(err)
		}

		if meter.taken != 100 || meter.alone != 40 {
			t.Errorf("batches took %d and left %d alone, want 100 and 40", meter.taken, meter.alone)
		}

		var rows []struct {
			URI     string `bun:"uri"`
			InBatch bool   `bun:"in_batch"`
		}
		if err := d.Bun().NewSelect().Table("processed").Column("uri", "in_batch").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		stored := map[string][]bool{}
		for _, r := range rows {
			stored[r.URI] = append(stored[r.URI], r.InBatch)
		}
		want := map[string]struct {
			inBatch bool
			state   string
		}{
			"Like": {true, db.JobDone}, "Ignored": {true, db.JobIgnored}, "Alone": {false, db.JobDone},
			"GoesOn": {false, db.JobDone}, "Fails": {false, db.JobPending}, "Refused": {false, db.JobFailed},
		}
		for i := range 100 {
			kind := kinds[i%len(kinds)]
			if i >= 60 {
				kind = "Like"
			}
			uri := fmt.Sprintf("https://other.example/%s/%d", kind, i)
			w := want[kind]
			if got := stored[uri]; len(got) != 1 || got[0] != w.inBatch {
				t.Errorf("%s: stored %v (in a batch or not), want once, in a batch: %v", uri, got, w.inBatch)
			}
			it, err := d.InboxItemByActivity(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			if it.State != w.state || it.Attempts != 1 || it.ClaimedBy != 0 {
				t.Errorf("%s: %s after %d attempts (claimed by %d), want %s after 1", uri, it.State, it.Attempts, it.ClaimedBy, w.state)
			}
			if kind == "Fails" && (!strings.Contains(it.LastError, "temporary") || !it.NextAt.After(now.Add(5*time.Second))) {
				t.Errorf("%s: due again at %v with %q, want later with its error", uri, it.NextAt, it.LastError)
			}
		}
	})
}

// batchMeter counts what batches took and left alone.
type batchMeter struct {
	noMeter
	mu           sync.Mutex
	taken, alone int
}

func (m *batchMeter) InboxBatch(taken, alone int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.taken += taken
	m.alone += alone
}

// TestLanes: on PostgreSQL, received activities are split into inbox_workers
// lanes by key, all of one key in one lane, each lane in the order received;
// on SQLite they stay in one lane.
func TestLanes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		q := New(Options{DB: d, InboxWorkers: 3, Key: func(it *db.InboxItem) string { return it.Type }})
		var items []*db.InboxItem
		for i := range 60 {
			items = append(items, &db.InboxItem{ID: fmt.Sprintf("%03d", i), Type: fmt.Sprintf("key%d", i%7)})
		}
		lanes := q.lanes(items)
		if d.Dialect() == db.SQLite {
			if len(lanes) != 1 || len(lanes[0]) != len(items) {
				t.Fatalf("%d lanes on SQLite, want one with every item", len(lanes))
			}
			return
		}
		laneOf := map[string]int{}
		total, used := 0, 0
		for l, lane := range lanes {
			for i, it := range lane {
				if i > 0 && lane[i-1].ID >= it.ID {
					t.Errorf("lane %d: %s after %s", l, it.ID, lane[i-1].ID)
				}
				if prev, ok := laneOf[it.Type]; ok && prev != l {
					t.Errorf("%s in lanes %d and %d", it.Type, prev, l)
				}
				laneOf[it.Type] = l
			}
			total += len(lane)
			if len(lane) > 0 {
				used++
			}
		}
		if total != len(items) || used < 2 {
			t.Fatalf("%d items in %d lanes, want %d in more than one", total, used, len(items))
		}
	})
}
