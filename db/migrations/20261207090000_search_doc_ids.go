package migrations

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"
)

// SQLite's search documents take new ids, which are also their FTS5 rowids:
// a post's document an id in its post's millisecond (the time of the post's
// ULID shifted left by 15 bits, plus a number for the posts of the same
// millisecond), every other document a negative id. FTS5 reads a word's
// matches in rowid order from any rowid, so a search page newest first is
// then read from its cursor down, as far as it needs, instead of every match
// being ranked (see db/search_sqlite.go). The tables are rebuilt: FTS5 cannot
// change a rowid in place. PostgreSQL keeps its index as it is.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		if isPostgres(tx) {
			return nil
		}
		if err := exec(ctx, tx,
			`CREATE TABLE search_doc_ids (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)`,
			`CREATE TABLE search_docs_new (
	id   INTEGER PRIMARY KEY,
	ref  TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL
)`,
			`CREATE VIRTUAL TABLE search_fts_new USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`,
		); err != nil {
			return err
		}
		if err := renumberSearchDocs(ctx, tx); err != nil {
			return err
		}
		// In the order of the new ids: FTS5 appends rows in rowid order
		// without flushing its buffer at every row.
		return exec(ctx, tx,
			`INSERT INTO search_docs_new (id, ref, kind) SELECT n.new, d.ref, d.kind FROM search_docs AS d JOIN search_doc_ids AS n ON n.old = d.id ORDER BY n.new`,
			`INSERT INTO search_fts_new (rowid, body) SELECT n.new, f.body FROM search_fts AS f JOIN search_doc_ids AS n ON n.old = f.rowid ORDER BY n.new`,
			`DROP TABLE search_fts`,
			`DROP TABLE search_docs`,
			`DROP TABLE search_doc_ids`,
			`ALTER TABLE search_docs_new RENAME TO search_docs`,
			`ALTER TABLE search_fts_new RENAME TO search_fts`,
		)
	})
}

// renumberSearchDocs fills search_doc_ids with each document's new id.
func renumberSearchDocs(ctx context.Context, tx bun.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, ref, kind FROM search_docs ORDER BY ref`)
	if err != nil {
		return err
	}
	last := map[int64]int64{}     // millisecond → its greatest id given
	other := int64(math.MinInt64) // the next id of a document other than a post
	var pairs []int64
	for rows.Next() {
		var old int64
		var ref, kind string
		if err := rows.Scan(&old, &ref, &kind); err != nil {
			rows.Close()
			return err
		}
		if kind != "post" {
			pairs = append(pairs, old, other)
			other++
			continue
		}
		var ms int64
		if u, err := ulid.ParseStrict(ref); err == nil && u.String() == ref {
			ms = int64(u.Time())
		}
		id := ms << 15
		if l, ok := last[ms]; ok {
			if l == id+1<<15-1 {
				rows.Close()
				return fmt.Errorf("search doc %s: too many documents in one millisecond", ref)
			}
			id = l + 1
		}
		last[ms] = id
		pairs = append(pairs, old, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	const n = 400 // pairs per statement
	for start := 0; start < len(pairs); start += 2 * n {
		chunk := pairs[start:min(start+2*n, len(pairs))]
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)/2), ", ")
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_doc_ids (old, new) VALUES `+values, args...); err != nil {
			return fmt.Errorf("renumber search docs: %w", err)
		}
	}
	return nil
}
