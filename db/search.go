package db

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// Kinds of search documents.
const (
	SearchPost  = "post"
	SearchSpace = "space"
)

// tsConfig maps a language to its PostgreSQL text search configuration.
var tsConfig = map[string]string{"fr": "french", "en": "english", "de": "german"}

// TSConfig is the text search configuration for a language ("simple" when
// PostgreSQL has none for it).
func TSConfig(lang string) string {
	if c, ok := tsConfig[lang]; ok {
		return c
	}
	return "simple"
}

// SearchText is a part of a document in one language, folded already (lower
// case, no diacritics).
type SearchText struct {
	Language string
	Text     string
}

// PutSearchDoc indexes (or re-indexes) the document ref of kind. On
// PostgreSQL each part is stemmed by its own language's configuration (an
// article's French body in French, its English translation in English), and
// all of it once more with 'simple', so that exact words match whatever the
// reader's language. The store runs in the caller's transaction, so the
// index never disagrees with the rows.
func (d *DB) PutSearchDoc(ctx context.Context, ref, kind string, parts []SearchText) error {
	all := make([]string, len(parts))
	for i, p := range parts {
		all[i] = p.Text
	}
	if d.dialect == Postgres {
		expr := []string{}
		args := []any{ref, kind}
		for _, p := range parts {
			expr = append(expr, "to_tsvector(?::regconfig, ?)")
			args = append(args, TSConfig(p.Language), p.Text)
		}
		expr = append(expr, "to_tsvector('simple', ?)")
		args = append(args, strings.Join(all, " "))
		_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO search_docs (ref, kind, doc) VALUES (?, ?, `+strings.Join(expr, " || ")+`)
ON CONFLICT (ref) DO UPDATE SET kind = EXCLUDED.kind, doc = EXCLUDED.doc`, args...)
		return wrap(err, "index search doc")
	}
	return d.putSearchDocSQLite(ctx, ref, kind, strings.Join(all, " "))
}

// DeleteSearchDoc removes a document from the index, if it is there.
func (d *DB) DeleteSearchDoc(ctx context.Context, ref string) error {
	if d.dialect == SQLite {
		_, err := d.q(ctx).ExecContext(ctx, `DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_docs WHERE ref = ?)`, ref)
		if err != nil {
			return wrap(err, "unindex search text")
		}
	}
	_, err := d.q(ctx).ExecContext(ctx, `DELETE FROM search_docs WHERE ref = ?`, ref)
	return wrap(err, "unindex search doc")
}

// SearchQuery is a full-text query: Terms are folded words (letters and
// digits only), all of which must match; Language is the reader's language,
// for stemming on PostgreSQL.
type SearchQuery struct {
	Reader   Reader
	Terms    []string
	Language string
	Before   string // posts: the last id of the previous page
	Limit    int
}

// matching returns the SQL condition "column is the ref of a document of kind
// matching the terms", for the engine at hand.
func (d *DB) matching(column, kind string, sq SearchQuery) (string, []any) {
	if d.dialect == Postgres {
		words := strings.Join(sq.Terms, " ")
		return column + ` IN (SELECT ref FROM search_docs WHERE kind = ? AND doc @@ (plainto_tsquery('simple', ?) || plainto_tsquery(?::regconfig, ?)))`,
			[]any{kind, words, TSConfig(sq.Language), words}
	}
	// Post documents have the ids from 0 up, the others those below (see
	// search_sqlite.go): FTS5 reads the matches of the kind's range only.
	ids := "rowid < 0"
	if kind == SearchPost {
		ids = "rowid >= 0"
	}
	return column + ` IN (SELECT ref FROM search_docs WHERE kind = ? AND id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND ` + ids + `))`,
		[]any{kind, ftsQuery(sq.Terms)}
}

// ftsQuery is an FTS5 query matching documents with every term.
func ftsQuery(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	return strings.Join(quoted, " ")
}

// searchRound is how many matching documents one round of SearchPosts
// takes, newest first (see inRounds and searchPostsSQLite).
const searchRound = 100

// SearchPosts finds the posts, comments and articles the reader may see whose
// text matches, newest first. It reads the matching documents in rounds,
// newest first from the cursor down, so that a page costs about the same
// wherever it is in the results, instead of ranking every match.
func (d *DB) SearchPosts(ctx context.Context, sq SearchQuery) ([]*Post, error) {
	if d.dialect == SQLite {
		return d.searchPostsSQLite(ctx, sq)
	}
	return inRounds(sq.Before, "", sq.Limit, searchRound,
		func(before string, n int) ([]string, error) {
			return d.matchingPosts(ctx, sq, before, n)
		},
		func(ids []string, limit int) ([]*Post, error) {
			var out []*Post
			q := d.postQuery(ctx, &out).Where("post.id IN (?)", bun.In(ids)).OrderExpr("post.id DESC").Limit(int64(limit))
			err := visiblePosts(q, sq.Reader).Scan(ctx)
			return out, wrap(err, "search posts")
		})
}

// matchingPosts returns the ids of the newest n posts below before (all for
// "") whose documents match sq's terms, newest first, on PostgreSQL: a walk
// down the index of refs from the cursor, each document tested against the
// terms.
func (d *DB) matchingPosts(ctx context.Context, sq SearchQuery, before string, n int) ([]string, error) {
	q := d.q(ctx).NewSelect().Table("search_docs").Column("ref").Where("kind = ?", SearchPost).
		OrderExpr("ref DESC").Limit(int64(n))
	if before != "" {
		q = q.Where("ref < ?", before)
	}
	words := strings.Join(sq.Terms, " ")
	q = q.Where("doc @@ (plainto_tsquery('simple', ?) || plainto_tsquery(?::regconfig, ?))", words, TSConfig(sq.Language), words)
	var ids []string
	err := q.Scan(ctx, &ids)
	return ids, wrap(err, "matching posts")
}

// SearchSpaces finds the spaces the reader may see whose name, description,
// rules or themes match, by slug.
func (d *DB) SearchSpaces(ctx context.Context, sq SearchQuery) ([]*Space, error) {
	var out []*Space
	cond, args := d.matching("space.account_id", SearchSpace, sq)
	q := d.selectSpaces(ctx, &out).Where(cond, args...).OrderExpr("lower(account.username)").Limit(int64(sq.Limit))
	if err := visibleSpaces(q, sq.Reader).Scan(ctx); err != nil {
		return nil, wrap(err, "search spaces")
	}
	return out, d.loadThemes(ctx, out)
}
