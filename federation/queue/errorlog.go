package queue

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrorLog logs the errors of work that is tried again and again, at a
// sane rate: the first of a run of failures, then one a minute, and the end
// of the run — not one a second for as long as the database is down.
type ErrorLog struct {
	log       *slog.Logger
	msg       string
	recovered *atomic.Bool // set when a run of failures ends
	mu        sync.Mutex
	n         int // failures in the current run
	first     time.Time
	logged    time.Time
}

// ErrorLog returns a log of the failures of work described by msg. The end
// of a run of failures also tells the worker to check its lock: the
// database may have restarted meanwhile.
func (q *Queue) ErrorLog(msg string) *ErrorLog {
	return &ErrorLog{log: q.log, msg: msg, recovered: &q.recovered}
}

// Failed counts a failure, and logs it when due.
func (e *ErrorLog) Failed(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if e.n == 0 {
		e.first = now
	}
	e.n++
	if e.n == 1 || now.Sub(e.logged) >= time.Minute {
		e.log.Error(e.msg, "err", err, "failures", e.n, "since", e.first.Format(time.RFC3339))
		e.logged = now
	}
}

// Ended closes a run of failures, if there was one: the work succeeded.
func (e *ErrorLog) Ended() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return
	}
	e.log.Info(e.msg+": working again", "failures", e.n, "after", time.Since(e.first).Round(time.Millisecond).String())
	e.n = 0
	e.recovered.Store(true)
}
