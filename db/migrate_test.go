package db

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/db/migrations"
)

// The test lives in package db to reach apply; dbtest would import db and cycle,
// so it opens its databases the same way dbtest does.
func TestFailedMigrationLeavesNothing(t *testing.T) {
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			d := openTest(t, dialect)
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			bad := migrations.Migration{Name: "29990101000000_broken", Up: func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "CREATE TABLE half_done (id TEXT)"); err != nil {
					return err
				}
				return boom
			}}
			if ran, err := d.apply(ctx, bad); !errors.Is(err, boom) || ran {
				t.Fatalf("apply: ran=%v err=%v", ran, err)
			}
			if _, err := d.idb.ExecContext(ctx, "SELECT * FROM half_done"); err == nil {
				t.Fatal("the failed migration's table survived: it did not run in a transaction")
			}
			marked, err := d.idb.NewSelect().Model((*schemaMigration)(nil)).Where("name = ?", bad.Name).Exists(ctx)
			if err != nil || marked {
				t.Fatalf("the failed migration was marked applied: %v %v", marked, err)
			}
			good := migrations.Migration{Name: "29990101000001_fine", Up: func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, "CREATE TABLE fine (id TEXT)")
				return err
			}}
			for i, want := range []bool{true, false} {
				if ran, err := d.apply(ctx, good); err != nil || ran != want {
					t.Fatalf("apply #%d: ran=%v err=%v", i, ran, err)
				}
			}
		})
	}
}
