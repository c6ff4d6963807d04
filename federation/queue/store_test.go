package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
)

// TestFinishDeliveries: the outcomes of a claimed batch are written each to
// its own row, whatever their mix, and the claims are released.
func TestFinishDeliveries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		actor := &db.Account{ID: "A1", Type: "Person", Username: "alice", Status: "active", CreatedAt: now, UpdatedAt: now}
		if err := d.InsertAccount(ctx, actor); err != nil {
			t.Fatal(err)
		}
		act := &db.Activity{ID: "ACT1", URI: "https://a.example/activities/1", Type: "Create", ActorID: actor.ID, Body: "{}", CreatedAt: now}
		if err := d.InsertActivity(ctx, act); err != nil {
			t.Fatal(err)
		}
		var jobs []*db.Delivery
		for i := range 5 {
			host := fmt.Sprintf("h%d.example", i)
			jobs = append(jobs, &db.Delivery{ID: fmt.Sprintf("D%d", i), ActivityID: act.ID, Inbox: "https://" + host + "/inbox",
				Host: host, State: db.JobPending, NextAt: now.Add(-time.Minute), CreatedAt: now})
		}
		if err := d.InsertDeliveries(ctx, jobs); err != nil {
			t.Fatal(err)
		}
		w, err := lockWorker(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		claimed, err := claimDeliveries(ctx, d, w.ID(), now, time.Minute, 10)
		if err != nil || len(claimed) != 5 {
			t.Fatalf("claimed %d, %v; want 5", len(claimed), err)
		}
		// Two delivered, two failed with their own errors, one given up.
		want := map[string]db.Delivery{}
		for i, j := range claimed {
			j.Attempts++
			switch i {
			case 0, 1:
				j.State, j.DoneAt = db.JobDone, now
			case 2, 3:
				j.State, j.NextAt, j.LastError = db.JobPending, now.Add(time.Duration(i)*time.Minute), fmt.Sprintf("error %d", i)
			case 4:
				j.State, j.DoneAt, j.LastError, j.Attempts = db.JobDead, now, "gone", 9
			}
			want[j.ID] = *j
		}
		if err := d.InTx(ctx, func(tx *db.DB) error { return finishDeliveries(ctx, tx, claimed) }); err != nil {
			t.Fatal(err)
		}
		got, err := d.DeliveriesOfActivity(ctx, act.ID)
		if err != nil || len(got) != 5 {
			t.Fatalf("deliveries: %d, %v", len(got), err)
		}
		for _, g := range got {
			w := want[g.ID]
			if g.State != w.State || g.Attempts != w.Attempts || g.LastError != w.LastError ||
				!g.NextAt.Equal(w.NextAt) || !g.DoneAt.Equal(w.DoneAt) || g.ClaimedBy != 0 {
				t.Errorf("%s: got %s/%d/%q next %v done %v claimed %d; want %s/%d/%q next %v done %v",
					g.ID, g.State, g.Attempts, g.LastError, g.NextAt, g.DoneAt, g.ClaimedBy,
					w.State, w.Attempts, w.LastError, w.NextAt, w.DoneAt)
			}
		}
		// The failed ones are due again at their time, and claimable then.
		again, err := claimDeliveries(ctx, d, w.ID(), now.Add(time.Hour), time.Minute, 10)
		if err != nil || len(again) != 2 {
			t.Fatalf("claimed again %d, %v; want the 2 failed", len(again), err)
		}
	})
}

// TestHostsByName: known hosts come with their health, unknown ones healthy.
func TestHostsByName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		since := time.Now().UTC().Truncate(time.Second)
		if err := saveHost(ctx, d, &db.Host{Host: "down.example", Failures: 3, LastError: "refused", UnreachableSince: since}); err != nil {
			t.Fatal(err)
		}
		hosts, err := hostsByName(ctx, d, []string{"down.example", "new.example"})
		if err != nil || len(hosts) != 2 {
			t.Fatalf("hosts: %v, %v", hosts, err)
		}
		if h := hosts["down.example"]; h.Failures != 3 || h.LastError != "refused" || !h.UnreachableSince.Equal(since) {
			t.Fatalf("down.example: %+v", h)
		}
		if h := hosts["new.example"]; h.Host != "new.example" || h.Failures != 0 || !h.UnreachableSince.IsZero() {
			t.Fatalf("new.example: %+v", h)
		}
		if none, err := hostsByName(ctx, d, nil); err != nil || len(none) != 0 {
			t.Fatalf("no names: %v, %v", none, err)
		}
	})
}

// TestWorkerLockRenewed: the database restarts under a worker, which loses
// its lock with its connection. Renewing takes the same id again while it
// is free — the worker's claims stay its own — and a new one when another
// session holds it. Errors met while the server is down are told apart from
// failed statements.
func TestWorkerLockRenewed(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.PrivatePostgres(t)
	d := pg.Open(t)
	w, err := lockWorker(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	holders := func(id int64) int {
		t.Helper()
		n, err := d.Bun().NewSelect().TableExpr("pg_locks").
			Where("locktype = 'advisory' AND classid = ? AND objid = ? AND objsubid = 2 AND granted", 0x52756378, id).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if lost, err := renewWorkerLock(ctx, d, w); lost || err != nil {
		t.Fatalf("renewing a held lock: lost %v, %v", lost, err)
	}

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err = releaseDeadClaims(ctx, d, w, time.Now())
	if !db.Unavailable(err) {
		t.Fatalf("a query while the server is down fails with %v, which is not told as unavailable", err)
	}
	if lost, err := renewWorkerLock(ctx, d, w); !db.Unavailable(err) {
		t.Fatalf("renewing while the server is down: lost %v, %v", lost, err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	id := w.ID()
	if lost, err := renewWorkerLock(ctx, d, w); !lost || err != nil || w.ID() != id || holders(id) != 1 {
		t.Fatalf("renewed after a restart: lost %v, %v, id %d (was %d), %d holders", lost, err, w.ID(), id, holders(id))
	}
	if _, err := releaseDeadClaims(ctx, d, w, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Restarted again, and another process takes the id first.
	if err := pg.Restart(0); err != nil {
		t.Fatal(err)
	}
	other, err := db.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Bun().(*bun.DB).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, ?)", 0x52756378, id); err != nil {
		t.Fatal(err)
	}
	if lost, err := renewWorkerLock(ctx, d, w); !lost || err != nil || w.ID() == id || holders(w.ID()) != 1 {
		t.Fatalf("renewed while another session holds the id: lost %v, %v, id %d (was %d)", lost, err, w.ID(), id)
	}

	// A failed statement is no outage.
	if _, err := d.Bun().NewSelect().TableExpr("no_such_table").Count(ctx); err == nil || db.Unavailable(err) {
		t.Fatalf("a query of a missing table: %v, told as unavailable", err)
	}
	if _, err := d.PostByID(ctx, "nope"); !errors.Is(err, db.ErrNotFound) || db.Unavailable(err) {
		t.Fatalf("a missing row: %v, told as unavailable", err)
	}
}
