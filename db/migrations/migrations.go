// Package migrations holds the schema's history: one Go file per migration,
// named YYYYMMDDHHMMSS_what.go, each registering one function that runs inside
// a transaction. A released migration is never edited; a change is a new file.
// Migrations are plain SQL, not derived from the models in package db, so
// later changes to the models cannot change what an old migration did.
package migrations

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Migration is one step of the schema's history.
type Migration struct {
	Name string // the file's name without .go, e.g. 20261123100000_accounts
	Up   func(ctx context.Context, tx bun.Tx) error
}

var (
	all       []Migration
	namePatrn = regexp.MustCompile(`^\d{14}_[a-z0-9_]+$`)
)

// register adds the migration defined in the calling file, named after it.
func register(up func(ctx context.Context, tx bun.Tx) error) {
	_, file, _, ok := runtime.Caller(1)
	if !ok {
		panic("migrations: cannot tell the calling file")
	}
	name := strings.TrimSuffix(filepath.Base(file), ".go")
	if !namePatrn.MatchString(name) {
		panic(fmt.Sprintf("migrations: file %s is not named YYYYMMDDHHMMSS_what.go", file))
	}
	for _, m := range all {
		if m.Name == name {
			panic("migrations: duplicate " + name)
		}
	}
	all = append(all, Migration{Name: name, Up: up})
}

// All returns every migration, oldest first.
func All() []Migration {
	out := slices.Clone(all)
	slices.SortFunc(out, func(a, b Migration) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// exec runs DDL statements in order, stopping at the first error. Statements
// are written for PostgreSQL; on SQLite, TIMESTAMPTZ columns become TIMESTAMP
// (bun stores times there as ISO-8601 text in UTC).
func exec(ctx context.Context, tx bun.Tx, stmts ...string) error {
	for _, s := range stmts {
		if !isPostgres(tx) {
			s = strings.ReplaceAll(s, "TIMESTAMPTZ", "TIMESTAMP")
		}
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

// isPostgres tells the dialect apart for the few statements that differ.
func isPostgres(tx bun.Tx) bool { return tx.Dialect().Name() == dialect.PG }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
