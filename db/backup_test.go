package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db/migrations"
)

func migrated(t *testing.T, dialect Dialect) *DB {
	t.Helper()
	d := openTest(t, dialect)
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func block(t *testing.T, d *DB, domain string) {
	t.Helper()
	if err := d.InsertDomainBlock(context.Background(), &DomainBlock{Domain: domain, CreatedAt: Now()}); err != nil {
		t.Fatal(err)
	}
}

// TestContents: a freshly migrated database holds no user rows (a restore may
// go there), lists every migration, and counts the node's tables but not the
// engine's own.
func TestContents(t *testing.T) {
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			d := migrated(t, dialect)
			ctx := context.Background()
			c, err := d.Contents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := c.UserRows(); n != 0 {
				t.Fatalf("a migrated database has %d user rows: %v", n, c.Tables)
			}
			var names []string
			for _, m := range migrations.All() {
				names = append(names, m.Name)
			}
			slices.Sort(names)
			if !slices.Equal(c.Migrations, names) {
				t.Fatalf("migrations %v, want %v", c.Migrations, names)
			}
			for _, want := range []string{"posts", "media", "accounts", "schema_migrations"} {
				if _, ok := c.Tables[want]; !ok {
					t.Errorf("table %s is not counted: %v", want, c.Tables)
				}
			}
			for table := range c.Tables {
				if strings.HasPrefix(table, "sqlite_") || strings.HasPrefix(table, "search_fts_") {
					t.Errorf("engine table %s is counted", table)
				}
			}
			block(t, d, "a.example")
			if c, err = d.Contents(ctx); err != nil || c.UserRows() != 1 || c.Tables["domain_blocks"] != 1 {
				t.Fatalf("after one insert: %v %v", c.Tables, err)
			}
		})
	}
}

// TestVacuumInto: the copy holds what the database held, opens read-only
// without leaving a journal or a WAL index beside it, and keeps its bytes.
func TestVacuumInto(t *testing.T) {
	d := migrated(t, SQLite)
	ctx := context.Background()
	for i := range 3 {
		block(t, d, fmt.Sprintf("h%d.example", i))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "copy.db")
	if err := d.VacuumInto(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := d.VacuumInto(ctx, path); err == nil {
		t.Fatal("VACUUM INTO overwrote an existing file")
	}
	block(t, d, "later.example")
	before, _ := os.ReadFile(path)
	cp, err := OpenSQLiteCopy(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cp.Contents(ctx)
	cp.Close()
	if err != nil || c.Tables["domain_blocks"] != 3 {
		t.Fatalf("copy holds %v (%v), want the 3 blocks made before it", c.Tables, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files beside the copy: %v", entries)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("reading the copy changed it")
	}
	if _, err := OpenSQLiteCopy(ctx, filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("opened a copy that does not exist")
	}
}

// TestExportSnapshot: a second session that adopts the exported snapshot sees
// the rows counted in it, not those written after.
func TestExportSnapshot(t *testing.T) {
	d := migrated(t, Postgres)
	ctx := context.Background()
	block(t, d, "before.example")
	err := d.ExportSnapshot(ctx, func(id string, c Contents) error {
		if c.Tables["domain_blocks"] != 1 {
			return fmt.Errorf("snapshot counts %v", c.Tables)
		}
		block(t, d, "after.example")
		conn, err := d.root.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET TRANSACTION SNAPSHOT '"+id+"'"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM domain_blocks").Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("the adopted snapshot sees %d blocks, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrated(t, SQLite).ExportSnapshot(ctx, func(string, Contents) error { return nil }); err == nil {
		t.Fatal("SQLite exported a snapshot")
	}
}
