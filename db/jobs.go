package db

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Job tables (deliveries, inbox_items) share one shape: a state, a due time
// (next_at) and the worker that claimed the row (claimed_by). A worker claims
// due rows in a short transaction — on PostgreSQL with FOR UPDATE SKIP LOCKED,
// so that several worker processes share the work without waiting on each
// other — and leases them: next_at moves to the end of the lease, so a row
// whose worker vanished becomes due again by itself. A worker that restarts
// need not wait that long: see ReleaseDeadClaims.

// claim takes up to limit due rows of table for worker and returns their ids.
func (d *DB) claim(ctx context.Context, table string, worker int64, now time.Time, lease time.Duration, limit int) ([]string, error) {
	var ids []string
	err := d.InTx(ctx, func(tx *DB) error {
		q := tx.idb.NewSelect().Table(table).Column("id").
			Where("state = ?", JobPending).Where("next_at <= ?", now).
			OrderExpr("next_at, id").Limit(int64(limit))
		if tx.dialect == Postgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil || len(ids) == 0 {
			return err
		}
		_, err := tx.idb.NewUpdate().Table(table).
			Set("claimed_by = ?", worker).Set("next_at = ?", now.Add(lease)).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		return err
	})
	return ids, wrap(err, "claim "+table)
}

// workerLockSpace is the first key of the PostgreSQL advisory locks that mark
// worker processes alive (the second is the worker's id).
const workerLockSpace = 0x52756378 // "Rucx"

// WorkerLock marks one worker process alive for as long as it runs. On
// PostgreSQL it is a session advisory lock held on a dedicated connection: the
// server drops it the moment the process dies (even by kill -9), which is how
// another process knows that the dead one's claims can be taken over.
type WorkerLock struct {
	ID   int64
	conn *bun.Conn // PostgreSQL only
}

// LockWorker registers a new worker process and returns its lock.
func (d *DB) LockWorker(ctx context.Context) (*WorkerLock, error) {
	for range 10 {
		id := randomWorkerID()
		if d.dialect != Postgres {
			return &WorkerLock{ID: id}, nil
		}
		conn, err := d.root.Conn(ctx)
		if err != nil {
			return nil, wrap(err, "worker connection")
		}
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?, ?)", workerLockSpace, id).Scan(&ok); err != nil {
			conn.Close()
			return nil, wrap(err, "worker lock")
		}
		if ok {
			return &WorkerLock{ID: id, conn: &conn}, nil
		}
		conn.Close() // another live worker drew the same id: draw again
	}
	return nil, fmt.Errorf("worker lock: no free worker id")
}

// Close releases the lock (the worker stops).
func (w *WorkerLock) Close() error {
	if w == nil || w.conn == nil {
		return nil
	}
	return w.conn.Close()
}

func randomWorkerID() int64 {
	var b [4]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint32(b[:]) &^ (1 << 31)) // fits PostgreSQL's int4 lock keys
}

// ReleaseDeadClaims makes due again the rows claimed by worker processes that
// are no longer alive. On SQLite a single process runs the node, so every claim
// but self's is dead; on PostgreSQL a claim is dead when its worker's advisory
// lock is free. It returns how many rows were released.
func (d *DB) ReleaseDeadClaims(ctx context.Context, self *WorkerLock, now time.Time) (int, error) {
	tables := []string{"deliveries", "inbox_items"}
	if d.dialect != Postgres {
		total := 0
		for _, t := range tables {
			res, err := d.idb.NewUpdate().Table(t).Set("claimed_by = NULL").Set("next_at = ?", now).
				Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID).Where("state = ?", JobPending).Exec(ctx)
			if err != nil {
				return total, wrap(err, "release claims")
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return total, nil
	}
	var owners []int64
	for _, t := range tables {
		var ids []int64
		if err := d.idb.NewSelect().Table(t).ColumnExpr("DISTINCT claimed_by").
			Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID).Scan(ctx, &ids); err != nil {
			return 0, wrap(err, "list claims")
		}
		owners = append(owners, ids...)
	}
	total := 0
	for _, owner := range owners {
		var free bool
		if err := self.conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?, ?)", workerLockSpace, owner).Scan(&free); err != nil {
			return total, wrap(err, "probe worker")
		}
		if !free {
			continue // that worker is alive: its claims are in flight
		}
		for _, t := range tables {
			res, err := d.idb.NewUpdate().Table(t).Set("claimed_by = NULL").Set("next_at = ?", now).
				Where("claimed_by = ?", owner).Where("state = ?", JobPending).Exec(ctx)
			if err != nil {
				return total, wrap(err, "release claims")
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		if _, err := self.conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?, ?)", workerLockSpace, owner); err != nil {
			return total, wrap(err, "unlock probe")
		}
	}
	return total, nil
}
