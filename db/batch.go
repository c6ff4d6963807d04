package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Batches.
//
// A worker that processes many small units of work (received activities)
// runs a batch of them in one transaction: SQLite then syncs its journal once
// per batch instead of once per unit, and PostgreSQL commits once. The
// batch's transaction rides in the context: every call of this package made
// with a context derived from it runs in that transaction, InTx included (in
// a savepoint of it), so the domain code between the worker and the stores is the same
// in a batch and out of one. Each unit runs in a savepoint, so that a unit
// that fails is rolled back alone.
//
// A batch is used by one goroutine at a time, as a transaction is. Once it has
// ended, a context that still carries it (captured by a function run after the
// commit) is served by the pool again.

type batchKey struct{}

type batch struct {
	root  *bun.DB
	tx    *DB
	after []func()
	n     int // savepoints taken, for their names
}

// batchOf returns the batch ctx carries, if it is running.
func batchOf(ctx context.Context) *batch {
	b, _ := ctx.Value(batchKey{}).(*batch)
	if b == nil || b.tx == nil || b.tx.ended.Load() {
		return nil
	}
	return b
}

// on is the handle a call made with ctx runs on: d itself, or the
// transaction ctx carries, or that of the batch it carries.
func (d *DB) on(ctx context.Context) *DB {
	if d.inTx {
		return d
	}
	if t := carried(ctx, d.root); t != nil {
		return t
	}
	if b := batchOf(ctx); b != nil && b.root == d.root {
		return b.tx
	}
	return d
}

// q is what a store method runs its query on.
func (d *DB) q(ctx context.Context) bun.IDB { return d.on(ctx).idb }

// InBatch reports whether ctx carries a running batch.
func InBatch(ctx context.Context) bool { return batchOf(ctx) != nil }

// Batch runs fn in one transaction, carried by the context fn is given, and
// commits it when fn returns nil. What the units registered with AfterCommit
// runs once the batch has committed. Within a batch or a transaction, fn runs
// in it.
func (d *DB) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.on(ctx).inTx {
		return fn(ctx)
	}
	b := &batch{root: d.root}
	err := d.root.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		b.tx = d.inTransaction(tx, &b.after)
		if d.dialect == Postgres {
			// A unit waiting on a row lock waits for another transaction
			// while holding the batch's own locks; bounded, the wait fails
			// that unit alone instead of stalling the batch.
			if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '5s'"); err != nil {
				return wrap(err, "batch")
			}
		}
		return fn(context.WithValue(ctx, batchKey{}, b))
	})
	if b.tx != nil {
		b.tx.ended.Store(true)
	}
	if err != nil {
		return err
	}
	for _, f := range b.after {
		f()
	}
	return nil
}

// Savepoint runs fn in a savepoint of the batch ctx carries, and keeps what
// fn wrote when it returns true; otherwise its writes are rolled back, and so
// is what it registered with AfterCommit, and the batch goes on. An error is
// the savepoint's own (the connection failed): the batch cannot go on.
// Outside a batch, Savepoint runs fn and keeps what it did.
func Savepoint(ctx context.Context, fn func() (keep bool)) error {
	b := batchOf(ctx)
	if b == nil {
		fn()
		return nil
	}
	return b.savepoint(ctx, fn)
}

// inTx is InTx within a batch: fn runs in a savepoint, rolled back when it
// fails, as a transaction of its own would be — so that a caller that goes on
// after a failed InTx (an "already liked" it ignores, say) finds the same
// rows in a batch as out of one, and PostgreSQL, which refuses any statement
// after a failed one until a rollback, goes on.
func (b *batch) inTx(ctx context.Context, fn func(tx *DB) error) error {
	var err error
	if serr := b.savepoint(ctx, func() bool { err = fn(b.tx); return err == nil }); serr != nil {
		return serr
	}
	return err
}

func (b *batch) savepoint(ctx context.Context, fn func() (keep bool)) error {
	b.n++
	name := fmt.Sprintf("unit_%d", b.n)
	if _, err := b.tx.idb.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return wrap(err, "savepoint")
	}
	after := len(b.after)
	if fn() {
		_, err := b.tx.idb.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return wrap(err, "savepoint")
	}
	b.after = b.after[:after]
	if _, err := b.tx.idb.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); err != nil {
		return wrap(err, "savepoint")
	}
	_, err := b.tx.idb.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return wrap(err, "savepoint")
}
