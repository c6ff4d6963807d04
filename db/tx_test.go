package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
)

// TestAfterCommit: what a transaction schedules runs once it has committed —
// when the rows it wrote are visible to others — and never when it rolls back.
func TestAfterCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ran := 0
		seen := -1
		err := d.InTx(ctx, func(tx *db.DB) error {
			if _, err := tx.Bun().ExecContext(ctx, "CREATE TABLE after_commit (n INTEGER)"); err != nil {
				return err
			}
			if _, err := tx.Bun().ExecContext(ctx, "INSERT INTO after_commit VALUES (1)"); err != nil {
				return err
			}
			tx.AfterCommit(ctx, func() {
				ran++
				// outside the transaction, the row is there
				c, err := d.Bun().NewSelect().Table("after_commit").Count(ctx)
				if err == nil {
					seen = int(c)
				}
			})
			if ran != 0 {
				t.Error("ran before the commit")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ran != 1 || seen != 1 {
			t.Fatalf("after commit: ran %d times, saw %d rows; want 1 and 1", ran, seen)
		}
		err = d.InTx(ctx, func(tx *db.DB) error {
			tx.AfterCommit(ctx, func() { ran++ })
			return errors.New("roll back")
		})
		if err == nil || ran != 1 {
			t.Fatalf("after a rollback: err %v, ran %d times; want an error and no run", err, ran)
		}
		d.AfterCommit(ctx, func() { ran++ })
		if ran != 2 {
			t.Fatal("outside a transaction, AfterCommit runs at once")
		}
	})
}

// TestBatch: units run in one transaction that the context carries, so that a
// store call made with it — through InTx or not — sees what earlier units
// wrote; a unit that is not kept is rolled back alone (on PostgreSQL, even
// after a statement of it failed, which aborts a transaction), with what it
// scheduled after the commit, and so is an InTx that fails within a unit; the rest is committed at once, and a context
// kept past the batch is served by the pool.
func TestBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var ran []string
		var kept context.Context
		unit := func(ctx context.Context, id string, keep bool) error {
			return db.Savepoint(ctx, func() bool {
				err := d.InTx(ctx, func(tx *db.DB) error {
					tx.AfterCommit(ctx, func() { ran = append(ran, id) })
					return tx.InsertAccount(ctx, account(id))
				})
				if err != nil {
					return false
				}
				if _, err := d.AccountByID(ctx, id); err != nil {
					t.Errorf("%s: not seen in the batch: %v", id, err)
				}
				return keep
			})
		}
		err := d.Batch(ctx, func(ctx context.Context) error {
			if !db.InBatch(ctx) {
				t.Error("the context carries no batch")
			}
			kept = ctx
			for _, u := range []struct {
				id   string
				keep bool
			}{{"A", true}, {"B", false}, {"A", true}, {"C", true}} { // the second A conflicts
				if err := unit(ctx, u.id, u.keep); err != nil {
					return err
				}
			}
			// A failed InTx that its caller goes past is rolled back alone,
			// and the unit goes on (on PostgreSQL too, after a failed
			// statement) and keeps the rest.
			err := db.Savepoint(ctx, func() bool {
				d.InTx(ctx, func(tx *db.DB) error {
					tx.InsertAccount(ctx, account("E"))
					return errors.New("fails after a write")
				})
				d.InTx(ctx, func(tx *db.DB) error { return tx.InsertAccount(ctx, account("A")) }) // a conflict
				return d.InsertAccount(ctx, account("F")) == nil
			})
			if err != nil {
				return err
			}
			if _, err := d.AccountByID(context.Background(), "A"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("outside the batch, A before the commit: %v, want not found", err)
			}
			if len(ran) != 0 {
				t.Errorf("ran %v before the commit", ran)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"A": true, "B": false, "C": true, "E": false, "F": true} {
			_, err := d.AccountByID(ctx, id)
			if got := err == nil; got != want || (err != nil && !errors.Is(err, db.ErrNotFound)) {
				t.Errorf("%s stored: %v (%v), want %v", id, got, err, want)
			}
		}
		if len(ran) != 2 || ran[0] != "A" || ran[1] != "C" {
			t.Errorf("after commit ran %v, want [A C]", ran)
		}
		if db.InBatch(kept) {
			t.Error("an ended batch is still carried")
		}
		if err := d.InsertAccount(kept, account("D")); err != nil {
			t.Fatalf("with the context of an ended batch: %v", err)
		}
	})
}

// TestBatchRolledBack: a batch that ends in an error stores nothing, and runs
// nothing of what its units scheduled.
func TestBatchRolledBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ran := false
		err := d.Batch(ctx, func(ctx context.Context) error {
			err := db.Savepoint(ctx, func() bool {
				d.InTx(ctx, func(tx *db.DB) error {
					tx.AfterCommit(ctx, func() { ran = true })
					return tx.InsertAccount(ctx, account("A"))
				})
				return true
			})
			if err != nil {
				return err
			}
			return errors.New("the batch fails")
		})
		if err == nil {
			t.Fatal("the batch's error was lost")
		}
		if _, err := d.AccountByID(ctx, "A"); !errors.Is(err, db.ErrNotFound) || ran {
			t.Fatalf("after a rolled-back batch: A %v, after-commit ran %v", err, ran)
		}
	})
}

// TestCarriedTx: a transaction carried by a context (Tx, WithTx) is the one
// every call made with that context runs in, on any handle of the database:
// a write through the root handle commits or rolls back with it, a read sees
// it, a nested InTx joins it, AfterCommit waits for it — and a context kept
// past its end is served by the pool.
func TestCarriedTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var kept context.Context
		ran := false
		err := d.Tx(ctx, func(ctx context.Context) error {
			kept = ctx
			if err := d.InsertAccount(ctx, account("A")); err != nil {
				return err
			}
			if _, err := d.AccountByID(ctx, "A"); err != nil {
				t.Errorf("the transaction's own write, read with its context: %v", err)
			}
			if _, err := d.AccountByID(context.Background(), "A"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("outside the transaction before its commit: %v, want not found", err)
			}
			d.AfterCommit(ctx, func() { ran = true })
			return d.InTx(ctx, func(tx *db.DB) error { return tx.InsertAccount(ctx, account("B")) })
		})
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			t.Error("AfterCommit did not run after the commit")
		}
		for _, id := range []string{"A", "B"} {
			if _, err := d.AccountByID(ctx, id); err != nil {
				t.Errorf("%s after the commit: %v", id, err)
			}
		}
		if err := d.InsertAccount(kept, account("C")); err != nil {
			t.Fatalf("with the context of an ended transaction: %v", err)
		}

		ran = false
		err = d.Tx(ctx, func(ctx context.Context) error {
			d.AfterCommit(ctx, func() { ran = true })
			if err := d.InsertAccount(ctx, account("D")); err != nil {
				return err
			}
			return errors.New("roll back")
		})
		if err == nil || ran {
			t.Fatalf("a rolled back transaction: err %v, after commit ran %v", err, ran)
		}
		if _, err := d.AccountByID(ctx, "D"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("a write of a rolled back transaction: %v, want not found", err)
		}
	})
}

// account is a local Person with id.
func account(id string) *db.Account {
	now := db.Now()
	return &db.Account{ID: id, Type: "Person", Username: "u" + id, Status: "active", CreatedAt: now, UpdatedAt: now}
}
