package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db/dbtest"
)

// TestQueriesAfterRestart: the server restarts while the pool holds idle
// connections, which the restart cut. Once it is back, every query
// succeeds: a dead connection is found out and replaced before a query is
// sent on it.
func TestQueriesAfterRestart(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.PrivatePostgres(t)
	d := pg.Open(t)
	// Fill the pool with idle connections.
	const conns = 8
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			if _, err := d.Bun().ExecContext(ctx, "SELECT pg_sleep(0.2)"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if idle := d.Pool().Stats().Idle; idle < conns {
		t.Fatalf("%d idle connections, want %d", idle, conns)
	}
	if err := pg.Restart(0); err != nil {
		t.Fatal(err)
	}
	for i := range 2 * conns {
		if _, err := d.Bun().ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatalf("query %d after the restart: %v", i, err)
		}
	}
}
