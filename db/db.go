// Package db opens the node's database (embedded SQLite or PostgreSQL), migrates
// it, and stores and loads the domain's rows: one file per entity, bun models,
// typed not-found and conflict errors. It holds no rules: those live in spaces.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ruche-social/ruche/internal/dburl"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a handle on the database, or on one transaction of it. Store methods
// work the same on both, so a domain operation composes them inside InTx.
type DB struct {
	idb     bun.IDB
	root    *bun.DB
	dialect Dialect
	inTx    bool
	// ended is set once the transaction has committed or rolled back: a
	// context still carrying it is served by the pool again.
	ended *atomic.Bool
	// afterCommit holds what runs once the transaction commits (nil
	// outside a transaction).
	afterCommit *[]func()
	// turns is the writers' turn of a SQLite database, which its
	// connections take (see turns.go); nil on PostgreSQL.
	turns turns
}

// sqlitePragmas make the embedded database safe for concurrent use: without
// WAL and a busy timeout, concurrent writers fail with SQLITE_BUSY; immediate
// transactions take the write lock up front instead of failing on upgrade.
// Temporary storage in memory keeps statement journals (written inside a
// transaction by statements that may stop half-way: several rows, foreign
// keys) off the disk: they were nearly half of the cost of storing the
// notification of a received Like. The pragmas run in order: the busy
// timeout comes first, so that switching a new file to WAL, which needs the
// file to itself, waits for another process doing the same rather than
// failing with SQLITE_BUSY.
var sqlitePragmas = url.Values{
	"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "foreign_keys(1)", "journal_mode(WAL)", "temp_store(MEMORY)"},
	"_txlock": {"immediate"},
}

// busyTimeout is how long a SQLite connection waits for the write lock.
const busyTimeout = 5 * time.Second

// Connection pool sizes. database/sql keeps 2 idle connections by default:
// under concurrent requests every other query then opens a connection (on
// SQLite it runs the pragmas and re-reads the schema, on PostgreSQL the
// server forks a backend) and closes it at once. On SQLite the idle pool is
// as large as the concurrency a busy inbox brings (50 senders at once): with
// 16, opening connections took a tenth of the CPU and the inbox accepted
// 0.07x of a bare handler's rate; with 64, 0.11x. On PostgreSQL the pool is
// also capped, so that a burst of requests waits a moment for a connection
// instead of opening one backend each (the server allows 100 in all, for
// every process of the node).
const (
	sqliteIdleConns = 64
	pgConns         = 32
)

// pgReadTimeout bounds the wait for PostgreSQL's answer to one statement.
// It ends a connection whose server went silent; it is long because some
// statements are rightly slow on a large database — a migration's CREATE
// INDEX, a VACUUM after a bulk load — and the driver's default (10 s) failed
// them.
const pgReadTimeout = 5 * time.Minute

// Open connects to the database that dbURL names: sqlite:PATH or file:PATH for
// the embedded database (its directory is created), postgres://… for PostgreSQL.
// It checks the connection before returning.
func Open(ctx context.Context, dbURL string) (*DB, error) {
	var (
		bdb     *bun.DB
		dialect Dialect
		wturns  turns
	)
	kind, err := dburl.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database url %q: %w", dburl.Redact(dbURL), err)
	}
	switch kind {
	case dburl.SQLite:
		dsn, err := sqliteDSN(dbURL)
		if err != nil {
			return nil, err
		}
		wturns = make(turns, 1)
		sqldb := sql.OpenDB(&turnConnector{dsn: dsn, turns: wturns})
		bdb, dialect = bun.NewDB(sqldb, sqlitedialect.New()), SQLite
	case dburl.Postgres:
		connector := pgdriver.NewConnector(
			pgdriver.WithDSN(dbURL),
			pgdriver.WithApplicationName("ruche"),
			pgdriver.WithDialTimeout(10*time.Second),
			pgdriver.WithWriteTimeout(10*time.Second),
			pgdriver.WithReadTimeout(pgReadTimeout),
			pgdriver.WithResetSessionFunc(checkIdleConn),
		)
		bdb, dialect = bun.NewDB(sql.OpenDB(connector), pgdialect.New()), Postgres
	}
	if dialect == Postgres {
		bdb.SetMaxOpenConns(pgConns)
		bdb.SetMaxIdleConns(pgConns)
	} else {
		bdb.SetMaxIdleConns(sqliteIdleConns)
	}
	bdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{idb: bdb, root: bdb, dialect: dialect, turns: wturns}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Ping(pingCtx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", dialect, dburl.Redact(dbURL), err)
	}
	return d, nil
}

// checkIdleConn runs before a pooled connection is used again, and
// discards it when the server closed it meanwhile. After the server
// restarted, every idle connection of the pool is dead; without this check
// each would fail the next statement sent on it — a request answered 500 for
// every connection the pool held — as the driver reports the first failure
// on a connection as it is, and only the next one as a bad connection,
// which database/sql replaces.
func checkIdleConn(_ context.Context, cn *pgdriver.Conn) error {
	if connCheck(cn.Conn()) != nil {
		return driver.ErrBadConn
	}
	return nil
}

// sqliteDSN turns sqlite:PATH?params into the driver's file: DSN with the pragmas
// the node needs, creating the file's directory.
func sqliteDSN(dbURL string) (string, error) {
	path := dburl.SQLitePath(dbURL)
	_, rawQuery, _ := strings.Cut(dbURL, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("database url %q: %w", dbURL, err)
	}
	for k, vs := range sqlitePragmas {
		query[k] = append(query[k], vs...)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create database directory: %w", err)
		}
	}
	return "file:" + path + "?" + query.Encode(), nil
}

// Dialect tells which engine this is, for the few queries that differ.
func (d *DB) Dialect() Dialect { return d.dialect }

// Bun is the underlying handle, for queries the stores do not cover yet.
func (d *DB) Bun() bun.IDB { return d.idb }

// Pool is the connection pool, for its statistics (/metrics).
func (d *DB) Pool() *sql.DB { return d.root.DB }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.root.PingContext(ctx) }

// Conn takes a connection of its own from the pool, for what must hold a
// session (an advisory lock); the caller closes it.
func (d *DB) Conn(ctx context.Context) (bun.Conn, error) { return d.root.Conn(ctx) }

// Close closes the connection pool.
func (d *DB) Close() error { return d.root.Close() }

// InTx runs fn in a transaction, committed if fn returns nil and rolled back
// otherwise. Inside a transaction (d's, or one ctx carries) it runs fn in the
// same one; with a context that carries a batch (see Batch), in a savepoint
// of the batch's.
func (d *DB) InTx(ctx context.Context, fn func(tx *DB) error) error {
	if d.inTx {
		return fn(d)
	}
	if t := carried(ctx, d.root); t != nil {
		return fn(t)
	}
	if b := batchOf(ctx); b != nil && b.root == d.root {
		return b.inTx(ctx, fn)
	}
	var after []func()
	var t *DB
	err := d.root.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		t = d.inTransaction(tx, &after)
		return fn(t)
	})
	if t != nil {
		t.ended.Store(true)
	}
	if err == nil {
		for _, f := range after {
			f()
		}
	}
	return err
}

// inTransaction is the handle of transaction tx of d's database.
func (d *DB) inTransaction(tx bun.Tx, after *[]func()) *DB {
	return &DB{idb: tx, root: d.root, dialect: d.dialect, inTx: true, ended: new(atomic.Bool), afterCommit: after, turns: d.turns}
}

// Tx is InTx for code that passes the transaction in its context rather than
// as a handle: fn's context carries it (see WithTx).
func (d *DB) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return d.InTx(ctx, func(tx *DB) error { return fn(WithTx(ctx, tx)) })
}

type txKey struct{}

// WithTx returns ctx carrying transaction tx: every call of this package made
// with it, on any handle of tx's database, runs in tx. Once tx has ended, a
// context that still carries it (captured by a function run after the
// commit) is served by the pool again. Outside a transaction, tx is the
// database itself and ctx is returned as is.
func WithTx(ctx context.Context, tx *DB) context.Context {
	if !tx.inTx {
		return ctx
	}
	return context.WithValue(ctx, txKey{}, tx)
}

// carried returns the running transaction of database root that ctx carries.
func carried(ctx context.Context, root *bun.DB) *DB {
	t, _ := ctx.Value(txKey{}).(*DB)
	if t == nil || t.root != root || t.ended.Load() {
		return nil
	}
	return t
}

// AfterCommit runs f once the transaction a call made with ctx runs in has
// committed (never if it rolls back); outside a transaction it runs f at
// once. Waking a worker for rows written in the transaction belongs here:
// woken before the commit, the worker would find nothing and go back to sleep.
func (d *DB) AfterCommit(ctx context.Context, f func()) {
	t := d.on(ctx)
	if t.afterCommit == nil {
		f()
		return
	}
	*t.afterCommit = append(*t.afterCommit, f)
}

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a unique constraint.
var ErrConflict = errors.New("conflict")

// ErrUnavailable marks the failures of this package's calls that
// Unavailable recognises: the database could not be reached. Unlike
// Unavailable, which reads any error, it says that the failure was the
// database's and not, say, a remote server's.
var ErrUnavailable = errors.New("database unavailable")

// wrap translates driver errors into ErrNotFound, ErrConflict and
// ErrUnavailable, keeping the cause.
func wrap(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("%s: %w (%v)", op, ErrConflict, err)
	case Unavailable(err):
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Unavailable tells whether err says that the database could not be
// reached or went away — refused connections, a connection cut, a server
// shutting down or starting up — rather than that a statement failed. Work
// that met it may succeed as it is once the database answers again: callers
// retry it, and a server door answers 503.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		code := pgErr.Field('C')
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			code == "57P01", code == "57P02", code == "57P03", // admin or crash shutdown, cannot connect now
			code == "53300": // too many connections
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	// modernc reports SQLITE_CONSTRAINT_UNIQUE (2067) and _PRIMARYKEY (1555)
	// with this text; matching it avoids importing the driver's error type.
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// errNoRows stands for a missing row in writes that find none to change.
var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Now is the database's notion of the current time, truncated to microseconds so
// that a value read back equals the value written on both engines.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
