package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/db"
)

// workerLockSpace is the first key of the PostgreSQL advisory locks that mark
// worker processes alive (the second is the worker's id).
const workerLockSpace = 0x52756378 // "Rucx"

// workerLock marks one worker process alive for as long as it runs. On
// PostgreSQL it is a session advisory lock held on a dedicated connection: the
// server drops it the moment the process dies (even by kill -9), which is how
// another process knows that the dead one's claims can be taken over.
//
// The server also drops it when the connection is lost — the database
// restarted, the network failed — though the process lives on, its claimed
// jobs in hand: renewWorkerLock takes it again.
type workerLock struct {
	id atomic.Int64

	mu   sync.Mutex // guards conn
	conn *bun.Conn  // PostgreSQL only
}

// ID is the worker's id, which its claims carry. It changes only when the
// lock was lost and another process took the id meanwhile (renewWorkerLock).
func (w *workerLock) ID() int64 { return w.id.Load() }

// lockWorker registers a new worker process and returns its lock.
func lockWorker(ctx context.Context, d *db.DB) (*workerLock, error) {
	w := &workerLock{}
	if d.Dialect() != db.Postgres {
		w.id.Store(randomWorkerID())
		return w, nil
	}
	id, conn, err := newWorkerLock(ctx, d)
	if err != nil {
		return nil, err
	}
	w.id.Store(id)
	w.conn = conn
	return w, nil
}

// newWorkerLock draws a free worker id and locks it on a new connection.
func newWorkerLock(ctx context.Context, d *db.DB) (int64, *bun.Conn, error) {
	for range 10 {
		id := randomWorkerID()
		conn, err := tryWorkerLock(ctx, d, id)
		if err != nil || conn != nil {
			return id, conn, err
		}
		// another live worker drew the same id: draw again
	}
	return 0, nil, fmt.Errorf("worker lock: no free worker id")
}

// tryWorkerLock takes the advisory lock of worker id on a new connection, or
// returns no connection when another session holds it.
func tryWorkerLock(ctx context.Context, d *db.DB, id int64) (*bun.Conn, error) {
	conn, err := d.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("worker connection: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?, ?)", workerLockSpace, id).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("worker lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return &conn, nil
}

// renewWorkerLock makes sure that w is still held, and takes it again if its
// connection was lost. It takes the same id when that is free: the claims
// the worker holds stay its own, and the outcomes it records are those of
// its jobs. If another session holds the id, another process has seen this
// one dead (and may have taken its claims over): the worker goes on under a
// new id, and its old claims are released like those of any dead worker.
// It reports whether the lock had been lost (and is held again).
func renewWorkerLock(ctx context.Context, d *db.DB, w *workerLock) (bool, error) {
	if d.Dialect() != db.Postgres {
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
	conn, err := tryWorkerLock(ctx, d, w.ID())
	if err != nil || conn != nil {
		w.conn = conn
		return err == nil, err
	}
	id, conn, err := newWorkerLock(ctx, d)
	if err != nil {
		return false, err
	}
	w.id.Store(id)
	w.conn = conn
	return true, nil
}

// Close releases the lock (the worker stops).
func (w *workerLock) Close() error {
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

// randomWorkerID draws a worker id.
func randomWorkerID() int64 {
	var b [4]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint32(b[:]) &^ (1 << 31)) // fits PostgreSQL's int4 lock keys
}

// releaseDeadClaims makes due again the rows claimed by worker processes that
// are no longer alive. On SQLite a single process runs the node, so every claim
// but self's is dead; on PostgreSQL a claim is dead when its worker's advisory
// lock is free. It returns how many rows were released.
func releaseDeadClaims(ctx context.Context, d *db.DB, self *workerLock, now time.Time) (int, error) {
	tables := []string{"deliveries", "inbox_items"}
	if d.Dialect() != db.Postgres {
		total := 0
		for _, t := range tables {
			res, err := d.Bun().NewUpdate().Table(t).Set("claimed_by = NULL").Set("next_at = ?", now).
				Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID()).Where("state = ?", db.JobPending).Exec(ctx)
			if err != nil {
				return total, fmt.Errorf("release claims: %w", err)
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
		if err := d.Bun().NewSelect().Table(t).ColumnExpr("DISTINCT claimed_by").
			Where("claimed_by IS NOT NULL").Where("claimed_by <> ?", self.ID()).Scan(ctx, &ids); err != nil {
			return 0, fmt.Errorf("list claims: %w", err)
		}
		owners = append(owners, ids...)
	}
	total := 0
	for _, owner := range owners {
		var free bool
		if err := self.conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(?, ?)", workerLockSpace, owner).Scan(&free); err != nil {
			return total, fmt.Errorf("probe worker: %w", err)
		}
		if !free {
			continue // that worker is alive: its claims are in flight
		}
		for _, t := range tables {
			res, err := d.Bun().NewUpdate().Table(t).Set("claimed_by = NULL").Set("next_at = ?", now).
				Where("claimed_by = ?", owner).Where("state = ?", db.JobPending).Exec(ctx)
			if err != nil {
				return total, fmt.Errorf("release claims: %w", err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		if _, err := self.conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?, ?)", workerLockSpace, owner); err != nil {
			return total, fmt.Errorf("unlock probe: %w", err)
		}
	}
	return total, nil
}
