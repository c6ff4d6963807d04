package db

import (
	"context"
	"path/filepath"
	"testing"
)

// TestTurnEndsBeforeAfterCommit: on SQLite, a write transaction's turn ends
// when it commits, before what it scheduled after the commit runs — which
// may write in turn (a key made, an update sent once it is), and would
// otherwise wait for the turn its own transaction holds.
func TestTurnEndsBeforeAfterCommit(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "turns.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	held, ran := -1, false
	err = d.InTx(ctx, func(tx *DB) error {
		if len(d.turns) != 1 {
			t.Error("a write transaction runs without its turn")
		}
		tx.AfterCommit(ctx, func() {
			held = len(d.turns)
			ran = d.InTx(ctx, func(*DB) error { return nil }) == nil
		})
		return nil
	})
	if err != nil || !ran || held != 0 {
		t.Fatalf("after the commit the turn was held %d times (want 0); the next transaction ran: %v, %v", held, ran, err)
	}
}

// TestWrites: the statements run outside a transaction that take a turn.
func TestWrites(t *testing.T) {
	for q, want := range map[string]bool{
		`INSERT INTO "likes" VALUES (1)`: true, ` update "posts" SET x = 1`: true, "DELETE FROM sessions": true,
		"CREATE TABLE t (n INTEGER)": true, `SELECT "id" FROM "posts"`: false, "VACUUM INTO '/backup/db'": false,
		"PRAGMA journal_mode": false, "WITH x AS (SELECT 1) SELECT * FROM x": false,
	} {
		if got := writes(q); got != want {
			t.Errorf("writes(%q) = %v", q, got)
		}
	}
}
