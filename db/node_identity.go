package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// NodeIdentity is the node's public_url as recorded at its first start: the
// origin of every id it writes. One row at most.
type NodeIdentity struct {
	bun.BaseModel `bun:"table:node_identity"`

	ID         int `bun:",pk"` // always 1
	PublicURL  string
	RecordedAt time.Time
}

// NodeIdentity returns the recorded public_url, or ErrNotFound when none is
// recorded yet. A schema older than the table has none: the node checks its
// public_url before migrating, so that a command it refuses changes nothing.
func (d *DB) NodeIdentity(ctx context.Context) (*NodeIdentity, error) {
	if ok, err := d.tableExists(ctx, "node_identity"); err != nil || !ok {
		return nil, wrap(orNotFound(err), "node identity")
	}
	id := new(NodeIdentity)
	err := d.q(ctx).NewSelect().Model(id).Where("id = 1").Scan(ctx)
	return id, wrap(err, "node identity")
}

// RecordNodeIdentity records publicURL unless a value is recorded already,
// and returns the recorded value: publicURL, or what a process starting at
// the same moment recorded first. ErrNotFound means the schema has no table
// for it yet (a node started with migrations pending).
func (d *DB) RecordNodeIdentity(ctx context.Context, publicURL string, now time.Time) (*NodeIdentity, error) {
	if ok, err := d.tableExists(ctx, "node_identity"); err != nil || !ok {
		return nil, wrap(orNotFound(err), "record node identity")
	}
	_, err := d.q(ctx).NewInsert().Model(&NodeIdentity{ID: 1, PublicURL: publicURL, RecordedAt: now}).
		On("CONFLICT (id) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, wrap(err, "record node identity")
	}
	return d.NodeIdentity(ctx)
}

// LocalKeyOrigins returns the origins (scheme://host[:port], spelled as in
// the ids) of the node's own keys, oldest first, each once. On a database
// from before the public_url was recorded, they show which URL the node
// ran under. None when the schema has no keys table yet.
func (d *DB) LocalKeyOrigins(ctx context.Context) ([]string, error) {
	if ok, err := d.tableExists(ctx, "keys"); err != nil || !ok {
		return nil, wrap(err, "local key origins")
	}
	// Local keys are the ones with a private half; one row per actor (and
	// per rotation), read once, when the node first records its public_url.
	rows, err := d.q(ctx).QueryContext(ctx, `SELECT key_id FROM keys WHERE private_key_pem <> '' ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap(err, "local key origins")
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var keyID string
		if err := rows.Scan(&keyID); err != nil {
			return nil, wrap(err, "local key origins")
		}
		if o := originOf(keyID); o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, wrap(rows.Err(), "local key origins")
}

// originOf cuts an absolute IRI after its authority, keeping its spelling:
// https://a.example/users/x#main-key → https://a.example.
func originOf(iri string) string {
	scheme, rest, ok := strings.Cut(iri, "://")
	if !ok || scheme == "" {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return ""
	}
	return scheme + "://" + rest
}

// tableExists tells whether the schema has the table yet, without an error
// that would abort a PostgreSQL transaction.
func (d *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.dialect == Postgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	if err := d.q(ctx).QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// orNotFound is err, or ErrNotFound when there is no error: for a lookup
// that found no table to look in.
func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return ErrNotFound
}
