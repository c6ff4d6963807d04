package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Contents says what a database holds, as a backup's manifest records it and a
// restore checks it: the rows of each table, the migrations applied, and the
// files that media rows point to under the media directory.
type Contents struct {
	Tables     map[string]int64
	Migrations []string
	MediaFiles []string
}

// UserRows counts the rows a node wrote: every table but the list of applied
// migrations, which a bare `ruche migrate up` fills too.
func (c Contents) UserRows() int64 {
	var n int64
	for table, rows := range c.Tables {
		if table != migrationsTable {
			n += rows
		}
	}
	return n
}

const migrationsTable = "schema_migrations"

// Contents counts the rows of every table of the node's schema and lists the
// applied migrations and the stored files. Read in one transaction, on a
// database being written to it describes one moment only on PostgreSQL inside
// ExportSnapshot, and on SQLite on a copy made by VacuumInto.
func (d *DB) Contents(ctx context.Context) (Contents, error) {
	c := Contents{Tables: map[string]int64{}}
	tables, err := d.tables(ctx)
	if err != nil {
		return c, err
	}
	for _, t := range tables {
		var n int64
		if err := d.q(ctx).NewSelect().TableExpr("?", bun.Ident(t)).ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
			return c, wrap(err, "count rows of "+t)
		}
		c.Tables[t] = n
	}
	if _, ok := c.Tables[migrationsTable]; ok {
		err := d.q(ctx).NewSelect().Table(migrationsTable).Column("name").Order("name").Scan(ctx, &c.Migrations)
		if err != nil {
			return c, wrap(err, "list applied migrations")
		}
	}
	if _, ok := c.Tables["media"]; ok {
		err := d.q(ctx).NewSelect().Table("media").Column("path").Where("path <> ''").Order("path").Scan(ctx, &c.MediaFiles)
		if err != nil {
			return c, wrap(err, "list media files")
		}
	}
	return c, nil
}

// tables lists the tables of the node's schema. On SQLite that leaves out the
// engine's own tables and the shadow tables behind the full-text index (their
// rows are the index's, counted through the virtual table).
func (d *DB) tables(ctx context.Context) ([]string, error) {
	var (
		names []string
		err   error
	)
	if d.dialect == Postgres {
		err = d.q(ctx).NewSelect().TableExpr("information_schema.tables").Column("table_name").
			Where("table_schema = current_schema()").Where("table_type = 'BASE TABLE'").
			Scan(ctx, &names)
	} else {
		err = d.q(ctx).NewSelect().TableExpr("pragma_table_list").Column("name").
			Where("schema = 'main'").Where("type IN ('table', 'virtual')").
			Where("name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").
			Scan(ctx, &names)
	}
	if err != nil {
		return nil, wrap(err, "list tables")
	}
	sort.Strings(names)
	return names, nil
}

// VacuumInto writes a copy of the SQLite database to path, which must not
// exist. The copy is one consistent moment of the database, taken while others
// keep writing (in WAL mode a reader blocks no writer), and compact.
func (d *DB) VacuumInto(ctx context.Context, path string) error {
	if d.dialect != SQLite {
		return fmt.Errorf("vacuum into: %s is not SQLite", d.dialect)
	}
	_, err := d.root.ExecContext(ctx, "VACUUM INTO ?", path)
	return wrap(err, "vacuum into")
}

// ExportSnapshot opens a read-only, repeatable-read transaction on
// PostgreSQL, exports its snapshot and hands its id to fn with the contents
// seen in it. While fn runs, another session that adopts the snapshot
// (pg_dump --snapshot) sees exactly these rows, whatever is written meanwhile.
func (d *DB) ExportSnapshot(ctx context.Context, fn func(id string, c Contents) error) error {
	if d.dialect != Postgres {
		return fmt.Errorf("export snapshot: %s is not PostgreSQL", d.dialect)
	}
	tx, err := d.root.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return wrap(err, "begin snapshot")
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&id); err != nil {
		return wrap(err, "export snapshot")
	}
	c, err := d.inTransaction(tx, nil).Contents(ctx)
	if err != nil {
		return err
	}
	return fn(id, c)
}

// OpenSQLiteCopy opens a SQLite file that nothing else writes (a copy made by
// VacuumInto) for reading only. Immutable, it is read without a lock, a
// journal or a WAL index: nothing is written beside it and its bytes stay as
// they were checksummed.
func OpenSQLiteCopy(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	q := url.Values{"mode": {"ro"}, "immutable": {"1"}}
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+escapePath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite copy: %w", err)
	}
	bdb := bun.NewDB(sqldb, sqlitedialect.New())
	d := &DB{idb: bdb, root: bdb, dialect: SQLite}
	if err := d.Ping(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open sqlite copy %s: %w", path, err)
	}
	return d, nil
}

// escapePath keeps a file name with ? or # from being read as the start of
// the URI's query or fragment.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
