package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/db/migrations"
)

// MigrationStatus says whether one migration has been applied, and when.
type MigrationStatus struct {
	Name      string
	AppliedAt *time.Time
}

type schemaMigration struct {
	bun.BaseModel `bun:"table:schema_migrations"`
	Name          string    `bun:",pk"`
	AppliedAt     time.Time `bun:",notnull"`
}

// migrationLockKey is the PostgreSQL advisory lock that serialises processes
// migrating the same database at once (several `ruche serve` starting together).
const migrationLockKey = 0x52756368 // "Ruch"

// Migrate applies every pending migration, oldest first. Each runs in its own
// transaction together with the row that marks it applied, so a migration is
// either wholly applied and marked, or not at all. It returns the names applied.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	if err := d.ensureMigrationTable(ctx); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range migrations.All() {
		ran, err := d.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if ran {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// apply runs m unless it is applied already, and marks it applied, in one
// transaction. It reports whether m ran.
func (d *DB) apply(ctx context.Context, m migrations.Migration) (ran bool, err error) {
	err = d.InTx(ctx, func(tx *DB) error {
		if err := tx.lockMigrations(ctx); err != nil {
			return err
		}
		done, err := tx.idb.NewSelect().Model((*schemaMigration)(nil)).Where("name = ?", m.Name).Exists(ctx)
		if err != nil || done {
			return err
		}
		if err := m.Up(ctx, tx.idb.(bun.Tx)); err != nil {
			return err
		}
		ran = true
		_, err = tx.idb.NewInsert().Model(&schemaMigration{Name: m.Name, AppliedAt: Now()}).Exec(ctx)
		return err
	})
	return ran && err == nil, err
}

// MigrationStatus lists every known migration with the time it was applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	if err := d.ensureMigrationTable(ctx); err != nil {
		return nil, err
	}
	var rows []schemaMigration
	if err := d.q(ctx).NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, wrap(err, "list applied migrations")
	}
	appliedAt := map[string]time.Time{}
	for _, r := range rows {
		appliedAt[r.Name] = r.AppliedAt
	}
	var out []MigrationStatus
	for _, m := range migrations.All() {
		s := MigrationStatus{Name: m.Name}
		if t, ok := appliedAt[m.Name]; ok {
			s.AppliedAt = &t
		}
		out = append(out, s)
	}
	return out, nil
}

// PendingMigrations counts the migrations not applied yet.
func (d *DB) PendingMigrations(ctx context.Context) (int, error) {
	st, err := d.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if s.AppliedAt == nil {
			n++
		}
	}
	return n, nil
}

// ensureMigrationTable creates the table of applied migrations. On PostgreSQL
// it holds the migration lock: two processes running CREATE TABLE IF NOT
// EXISTS at once can still collide in the catalog.
func (d *DB) ensureMigrationTable(ctx context.Context) error {
	err := d.InTx(ctx, func(tx *DB) error {
		if err := tx.lockMigrations(ctx); err != nil {
			return err
		}
		_, err := tx.idb.NewCreateTable().Model((*schemaMigration)(nil)).IfNotExists().Exec(ctx)
		return err
	})
	return wrap(err, "create schema_migrations")
}

// lockMigrations takes, until the end of the transaction, the lock that
// serialises migrating processes. SQLite needs none: its transactions are
// immediate, so a writer already holds the database.
func (d *DB) lockMigrations(ctx context.Context) error {
	if d.dialect != Postgres {
		return nil
	}
	_, err := d.q(ctx).ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockKey)
	return err
}
