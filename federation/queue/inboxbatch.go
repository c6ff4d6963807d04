package queue

import (
	"context"
	"sync"

	"github.com/ruche-social/ruche/db"
)

// inboxWriter stores received activities with group commit: requests that
// arrive while a write is under way queue up, and the next write stores all
// of them in one statement and one transaction. Each request still waits for
// the commit that holds its row before it answers 202, so nothing is
// acknowledged that a crash could lose; but one commit (on SQLite, one sync
// to disk) serves many requests instead of one.
//
// There is no background goroutine: the first request to find the writer
// idle becomes the one that writes, for itself and for whoever queued
// meanwhile, until the queue is empty.
type inboxWriter struct {
	db *db.DB

	mu      sync.Mutex
	writing bool
	queue   []*inboxWrite
}

// maxInboxBatch bounds one write (SQLite bounds the parameters of a statement).
const maxInboxBatch = 200

type inboxWrite struct {
	item *db.InboxItem
	done chan error
}

// insert stores it and returns once it is committed (or failed).
func (w *inboxWriter) insert(ctx context.Context, it *db.InboxItem) error {
	me := &inboxWrite{item: it, done: make(chan error, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, me)
	if w.writing {
		w.mu.Unlock()
		return <-me.done
	}
	w.writing = true
	for len(w.queue) > 0 {
		n := min(len(w.queue), maxInboxBatch)
		batch := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()
		w.write(context.WithoutCancel(ctx), batch)
		w.mu.Lock()
	}
	w.writing = false
	w.mu.Unlock()
	return <-me.done
}

// write stores a batch in one transaction. Should that fail, each row is
// tried alone, so that one bad row does not fail the others.
func (w *inboxWriter) write(ctx context.Context, batch []*inboxWrite) {
	items := make([]*db.InboxItem, len(batch))
	for i, b := range batch {
		items[i] = b.item
	}
	err := w.db.InTx(ctx, func(tx *db.DB) error { return insertInboxItems(ctx, tx, items) })
	if err == nil || len(batch) == 1 {
		for _, b := range batch {
			b.done <- err
		}
		return
	}
	for _, b := range batch {
		_, err := insertInboxItem(ctx, w.db, b.item)
		b.done <- err
	}
}

// Receive stores a received activity and returns once it is committed (or
// failed): received activities arriving together share one commit. An
// activity whose id was received before is not stored again, and is no
// error.
func (q *Queue) Receive(ctx context.Context, it *db.InboxItem) error {
	return q.writer.insert(ctx, it)
}
