package db

import (
	"context"
	"testing"

	"github.com/ruche-social/ruche/db/migrations"
)

// The migration that lets two posts attach the same remote file keeps every
// file row and the spaces' images (SQLite rebuilds the table).
func TestMediaURIMigration(t *testing.T) {
	const name = "20261124100000_media_uri_not_unique"
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			d := openTest(t, dialect)
			if err := d.ensureMigrationTable(ctx); err != nil {
				t.Fatal(err)
			}
			var mine migrations.Migration
			for _, m := range migrations.All() {
				if m.Name == name {
					mine = m
					break
				}
				if _, err := d.apply(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range []string{
				`INSERT INTO accounts (id, type, username, domain, status, created_at, updated_at) VALUES ('g', 'Group', 'g', '', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
				`INSERT INTO media (id, account_id, path, media_type, created_at) VALUES ('m1', 'g', 'x/m1.png', 'image/png', '2026-01-01T00:00:00Z')`,
				`INSERT INTO media (id, account_id, uri, media_type, created_at) VALUES ('m2', 'g', 'https://b.example/f.pdf', 'application/pdf', '2026-01-01T00:00:00Z')`,
				`INSERT INTO spaces (account_id, visibility, join_policy, posting, avatar_id, banner_id, created_at, updated_at) VALUES ('g', 'public', 'open', 'members', 'm1', 'm1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
			} {
				if _, err := d.idb.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if ran, err := d.apply(ctx, mine); err != nil || !ran {
				t.Fatalf("apply: %v %v", ran, err)
			}
			var avatar, banner string
			if err := d.idb.QueryRowContext(ctx, `SELECT avatar_id, banner_id FROM spaces WHERE account_id = 'g'`).Scan(&avatar, &banner); err != nil || avatar != "m1" || banner != "m1" {
				t.Fatalf("space images after the migration: %q %q %v", avatar, banner, err)
			}
			if _, err := d.idb.ExecContext(ctx, `INSERT INTO media (id, account_id, uri, media_type, created_at) VALUES ('m3', 'g', 'https://b.example/f.pdf', 'application/pdf', '2026-01-01T00:00:00Z')`); err != nil {
				t.Fatalf("a second row for the same remote file: %v", err)
			}
			if n, err := d.idb.NewSelect().Table("media").Count(ctx); err != nil || n != 3 {
				t.Fatalf("%d media rows: %v", n, err)
			}
			if _, err := d.idb.ExecContext(ctx, `DELETE FROM accounts WHERE id = 'g'`); err != nil {
				t.Fatal(err)
			}
			if n, _ := d.idb.NewSelect().Table("media").Count(ctx); n != 0 {
				t.Fatalf("the rebuilt table lost its cascade: %d rows left", n)
			}
		})
	}
}
