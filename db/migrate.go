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
		ran := false
		err := d.InTx(ctx, func(tx *DB) error {
			if tx.dialect == Postgres {
				if _, err := tx.idb.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockKey); err != nil {
					return err
				}
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
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if ran {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// MigrationStatus lists every known migration with the time it was applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	if err := d.ensureMigrationTable(ctx); err != nil {
		return nil, err
	}
	var rows []schemaMigration
	if err := d.idb.NewSelect().Model(&rows).Scan(ctx); err != nil {
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

func (d *DB) ensureMigrationTable(ctx context.Context) error {
	_, err := d.root.NewCreateTable().Model((*schemaMigration)(nil)).IfNotExists().Exec(ctx)
	return wrap(err, "create schema_migrations")
}
