// Package dbtest gives tests fresh, migrated databases on both engines: a SQLite
// file in the test's temporary directory, and a PostgreSQL database created on
// the server named by RUCHE_TEST_POSTGRES and dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/dburl"
)

// EnvPostgres names the variable holding the DSN of a PostgreSQL server that
// tests may create databases on. Unset, PostgreSQL tests skip; set, they must
// reach it or fail.
const EnvPostgres = "RUCHE_TEST_POSTGRES"

// Each runs fn as two subtests, "sqlite" and "postgres", each on a fresh
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, db.SQLite)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, db.Postgres)) })
}

// Open returns a fresh migrated database of the given dialect, closed (and for
// PostgreSQL dropped) when the test ends.
func Open(t testing.TB, dialect db.Dialect) *db.DB {
	t.Helper()
	return openMigrated(t, URL(t, dialect))
}

// openMigrated opens the database at url and migrates it; it is closed when
// the test ends.
func openMigrated(t testing.TB, url string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatalf("open %s: %v", dburl.Redact(url), err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", dburl.Redact(url), err)
	}
	return d
}

// URL returns the URL of a fresh, empty database of the given dialect, for
// tests that hand it to a separate process. It is removed when the test ends.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "ruche.db")
	}
	server := os.Getenv(EnvPostgres)
	if server == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL run", EnvPostgres)
	}
	admin := adminDB(server)
	defer admin.Close()
	name := "ruche_test_" + randomHex(8)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("%s=%s: cannot create a test database: %v", EnvPostgres, server, err)
	}
	t.Cleanup(func() {
		admin := adminDB(server)
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// adminDB connects to the server to create and drop test databases. Both
// wait for a checkpoint, which on a busy machine takes longer than the
// driver's default 10 s read timeout: the answer is awaited as the node's
// own statements are (db.Open).
func adminDB(server string) *sql.DB {
	return sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(server), pgdriver.WithReadTimeout(5*time.Minute)))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
