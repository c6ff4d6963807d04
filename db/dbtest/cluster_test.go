package dbtest_test

import (
	"context"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
)

// TestPrivatePostgres: a private cluster serves a node's database, refuses
// connections while stopped, and serves it again, data intact, once started.
func TestPrivatePostgres(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.PrivatePostgres(t)
	d, err := db.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(ctx); err == nil {
		t.Fatal("the stopped server answers")
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if pending, err := d.PendingMigrations(ctx); err != nil || pending != 0 {
		t.Fatalf("after a restart: %d migrations pending, %v", pending, err)
	}
}
