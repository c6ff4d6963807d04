package db

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
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

// claim takes up to limit due rows of table for worker and loads them (load,
// given their ids) in the same transaction: should the database go away
// between the two, no row is left claimed that the worker does not hold —
// such a row would wait for its lease to end.
func (d *DB) claim(ctx context.Context, table string, worker int64, now time.Time, lease time.Duration, limit int, load func(tx *DB, ids []string) error) error {
	err := d.InTx(ctx, func(tx *DB) error {
		var ids []string
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
		if err != nil {
			return err
		}
		return load(tx, ids)
	})
	return wrap(err, "claim "+table)
}

// workerLockSpace is the first key of the PostgreSQL advisory locks that mark
// worker processes alive (the second is the worker's id).
const workerLockSpace = 0x52756378 // "Rucx"

// WorkerLock marks one worker process alive for as long as it runs. On
// PostgreSQL it is a session advisory lock held on a dedicated connection: the
// server drops it the moment the process dies (even by kill -9), which is how
// another process knows that the dead one's claims can be taken over.
//
// The server also drops it when the connection is lost — the database
// restarted, the network failed — though the process lives on, its claimed
// jobs in hand: RenewWorkerLock takes it again.
type WorkerLock struct {
	id atomic.Int64

	mu   sync.Mutex // guards conn
	conn *bun.Conn  // PostgreSQL only
}

// ID is the worker's id, which its claims carry. It changes only when the
// lock was lost and another process took the id meanwhile (RenewWorkerLock).
func (w *WorkerLock) ID() int64 { return w.id.Load() }

// LockWorker registers a new worker process and returns its lock.
func (d *DB) LockWorker(ctx context.Context) (*WorkerLock, error) {
	w := &WorkerLock{}
	if d.dialect != Postgres {
		w.id.Store(randomWorkerID())
		return w, nil
	}
	id, conn, err := d.newWorkerLock(ctx)
	if err != nil {
		return nil, err
	}
	w.id.Store(id)
	w.conn = conn
	return w, nil
}

// newWorkerLock draws a free worker id and locks it on a new connection.
func (d *DB) newWorkerLock(ctx context.Context) (int64, *bun.Conn, error) {
	for range 10 {
		id := randomWorkerID()
		conn, err := d.tryWorkerLock(ctx, id)
		if err != nil || conn != nil {
			return id, conn, err
		}
		// another live worker drew the same id: draw again
	}
	return 0, nil, fmt.Errorf("worker lock: no free worker id")
}

// tryWorkerLock takes the advisory lock of worker id on a new connection, or
// returns no connection when another session holds it.
func (d *DB) tryWorkerLock(ctx context.Context, id int64) (*bun.Conn, error) {
	conn, err := d.root.Conn(ctx)
	if err != nil {
		return nil, wrap(err, "worker connection")
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?, ?)", workerLockSpace, id).Scan(&ok); err != nil {
		conn.Close()
		return nil, wrap(err, "worker lock")
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return &conn, nil
}

// RenewWorkerLock makes sure that w is still held, and takes it again if its
// connection was lost. It takes the same id when that is free: the claims
// the worker holds stay its own, and the outcomes it records are those of
// its jobs. If another session holds the id, another process has seen this
// one dead (and may have taken its claims over): the worker goes on under a
// new id, and its old claims are released like those of any dead worker.
// It reports whether the lock had been lost (and is held again).
func (d *DB) RenewWorkerLock(ctx context.Context, w *WorkerLock) (bool, error) {
	if d.dialect != Postgres {
		return false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		// The session lives, so its lock does: advisory locks end only with
		// the session or an unlock.
		if _, err := w.conn.ExecContext(ctx, "SELECT 1"); err == nil {
			return false, nil
		}
		w.conn.Close()
		w.conn = nil
	}
	conn, err := d.tryWorkerLock(ctx, w.ID())
	if err != nil || conn != nil {
		w.conn = conn
		return err == nil, err
	}
	id, conn, err := d.newWorkerLock(ctx)
	if err != nil {
		return false, err
	}
	w.id.Store(id)
	w.conn = conn
	return true, nil
}

// Close releases the lock (the worker stops).
func (w *WorkerLock) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn = nil
	return err
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
				Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID()).Where("state = ?", JobPending).Exec(ctx)
			if err != nil {
				return total, wrap(err, "release claims")
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return total, nil
	}
	self.mu.Lock()
	defer self.mu.Unlock()
	if self.conn == nil {
		return 0, fmt.Errorf("release claims: the worker lock is lost")
	}
	var owners []int64
	for _, t := range tables {
		var ids []int64
		if err := d.idb.NewSelect().Table(t).ColumnExpr("DISTINCT claimed_by").
			Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID()).Scan(ctx, &ids); err != nil {
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
