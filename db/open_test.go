package db

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// openTest opens a fresh, empty database of the dialect (see dbtest for the
// version other packages use).
func openTest(t *testing.T, dialect Dialect) *DB {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	if dialect == Postgres {
		server := os.Getenv("RUCHE_TEST_POSTGRES")
		if server == "" {
			t.Skip("RUCHE_TEST_POSTGRES is not set")
		}
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server), pgdriver.WithReadTimeout(5*time.Minute)))
		defer admin.Close()
		name := "ruche_dbtest_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server), pgdriver.WithReadTimeout(5*time.Minute)))
			defer admin.Close()
			admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		})
		url = strings.Replace(server, "/postgres?", "/"+name+"?", 1)
	}
	d, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenRefusesUnknownURLs(t *testing.T) {
	for _, u := range []string{"mysql://x", "", "sqlite:", "postgres://nobody@127.0.0.1:1/x?sslmode=disable"} {
		if d, err := Open(context.Background(), u); err == nil {
			d.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestOpenRedactsPasswords(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password or is missing: %v", err)
	}
}

func TestSQLitePragmas(t *testing.T) {
	d := openTest(t, SQLite)
	ctx := context.Background()
	var fk int
	var mode string
	if err := d.idb.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
	if err := d.idb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

// TestSlowStatement: a statement that takes longer than the driver's default
// read timeout (10 s), as a migration's CREATE INDEX on a large database
// does, gets its answer instead of an i/o timeout.
func TestSlowStatement(t *testing.T) {
	d := openTest(t, Postgres)
	if _, err := d.Bun().ExecContext(context.Background(), "SELECT pg_sleep(11)"); err != nil {
		t.Fatalf("a statement of 11 s failed: %v", err)
	}
}
