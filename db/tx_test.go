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
			tx.AfterCommit(func() {
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
			tx.AfterCommit(func() { ran++ })
			return errors.New("roll back")
		})
		if err == nil || ran != 1 {
			t.Fatalf("after a rollback: err %v, ran %d times; want an error and no run", err, ran)
		}
		d.AfterCommit(func() { ran++ })
		if ran != 2 {
			t.Fatal("outside a transaction, AfterCommit runs at once")
		}
	})
}
