package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
		q := New(Options{DB: d, InboxWorkers: 2,
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
