package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun/driver/sqliteshim"
)

// Turns of SQLite's writers.
//
// SQLite has one writer at a time, and a connection that finds the write lock
// taken polls for it, sleeping longer each time (up to 100 ms between
// tries): under a steady stream of transactions (the inbox's, the workers'
// batches) one writer could wait for seconds while others went ahead, and a
// writer that polls loses against any that is handed the lock at once. So
// every write of the process takes a turn first — a transaction from its
// BEGIN to its end, a statement that writes outside one for its run — first
// come, first served (a channel serves its waiting senders in order). Reads
// take none: WAL lets them run beside the writer.
//
// A writer that waits past the busy timeout goes on to SQLite's own wait, so
// that a transaction opened inside another, which would wait for its caller
// forever, fails as it always did.

// turns is the one writer's place of a process's SQLite database.
type turns chan struct{}

// take waits for the turn and returns what ends it (once, however often it
// is called).
func (t turns) take(ctx context.Context) (end func()) {
	timer := time.NewTimer(busyTimeout)
	defer timer.Stop()
	select {
	case t <- struct{}{}:
		return sync.OnceFunc(func() { <-t })
	case <-timer.C:
	case <-ctx.Done():
	}
	return func() {}
}

// writes tells whether a statement run outside a transaction may write. A
// VACUUM INTO (a backup) reads; it must not keep writers waiting.
func writes(query string) bool {
	verb, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	switch strings.ToUpper(verb) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER":
		return true
	}
	return false
}

// errUnexpectedDriver: the SQLite driver's connections lack what the turns
// need (a change of driver).
var errUnexpectedDriver = errors.New("sqlite: unexpected driver connection")

// turnConnector opens SQLite connections whose writes take turns.
type turnConnector struct {
	dsn   string
	turns turns
}

func (c *turnConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errUnexpectedDriver
	}
	return &turnConn{sqliteConn: sc, turns: c.turns}, nil
}

func (c *turnConnector) Driver() driver.Driver { return sqliteshim.Driver() }

// sqliteConn is what database/sql uses of a SQLite connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// turnConn is a SQLite connection whose writes take turns. database/sql
// uses a connection from one goroutine at a time.
type turnConn struct {
	sqliteConn
	turns turns
	inTx  bool
	stmts map[string]*statement // compiled statements (statements.go)
}

func (c *turnConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	end := c.turns.take(ctx)
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		end()
		return nil, err
	}
	c.inTx = true
	return &turnTx{Tx: tx, end: func() { c.inTx = false; end() }}, nil
}

func (c *turnConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !c.inTx && writes(query) {
		defer c.turns.take(ctx)()
	}
	return c.exec(ctx, query, args)
}

// QueryContext keeps the turn of a write (an INSERT … RETURNING) until its
// rows are closed: the statement runs as they are read.
func (c *turnConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	end := func() {}
	if !c.inTx && writes(query) {
		end = c.turns.take(ctx)
	}
	return c.query(ctx, query, args, end)
}

// turnTx ends its connection's turn when it ends.
type turnTx struct {
	driver.Tx
	end func()
}

func (t *turnTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *turnTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

// turnRows ends a write's turn, and frees its compiled statement, once its
// rows are closed.
type turnRows struct {
	driver.Rows
	end func()
}

func (r *turnRows) Close() error {
	defer r.end()
	return r.Rows.Close()
}
