package dbtest_test

import (
	"context"
	"testing"

	"github.com/ruche-social/ruche/db/dbtest"
)

// TestPrivatePostgres: a private cluster serves a node's database, refuses
// connections while stopped, and serves it again, data intact, once started.
func TestPrivatePostgres(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.PrivatePostgres(t)
	d := pg.Open(t)
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
