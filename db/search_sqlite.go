package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"
)

// On SQLite a search document's id is also its FTS5 rowid, and FTS5 reads a
// word's matches in rowid order, from any rowid, as far as asked: so the ids
// are chosen for the order searches list documents in.
//
// A post's document takes an id in its post's millisecond: the time of the
// post's id (a ULID) shifted left by SearchIDBits, plus a number from 0 for
// the posts of the same millisecond. Ids then follow post ids — a post whose
// id is greater has an id that is greater or, in the same millisecond, in the
// same range — so a page of search results, newest first from a cursor, is
// read from the cursor's millisecond down, as far as the page needs, instead
// of ranking every match. The id stays when the post is indexed again (an
// edit), and so does its place. Every post id is a ULID; a ref that is not
// one takes millisecond 0, below every other.
//
// The other documents (spaces, found by name, not by date) take negative
// ids, counted up from the least int64: a post search never reads them, and a
// space search reads only them.
const (
	// SearchIDBits is how many low bits of a post document's id number the
	// documents of one millisecond.
	SearchIDBits = 15
	searchIDSpan = 1 << SearchIDBits
)

// SearchMillisecond is the millisecond of a post document's ref: the time
// of the ULID ref, or 0 when ref is not the canonical form of a ULID.
func SearchMillisecond(ref string) int64 {
	u, err := ulid.ParseStrict(ref)
	if err != nil || u.String() != ref {
		return 0
	}
	return int64(u.Time())
}

// searchTop is the greatest post document id that a ref below before may
// have: the last of the greatest millisecond any ULID less than before can
// have. ok is false when no ULID is less than before. before need not be a
// ULID (a client may send anything as a cursor): the millisecond is found by
// a binary search over the first ULID of each millisecond, which sorts as
// the milliseconds do.
func searchTop(before string) (top int64, ok bool) {
	if before == "" {
		return math.MaxInt64, true
	}
	first := func(ms int64) string {
		var u ulid.ULID
		_ = u.SetTime(uint64(ms)) // ms < 2^48 here
		return u.String()
	}
	// the greatest ms in [-1, 2^48) whose first ULID is less than before
	lo, hi := int64(-1), int64(1)<<48
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if first(mid) < before {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return 0, false
	}
	return lo<<SearchIDBits | (searchIDSpan - 1), true
}

// putSearchDocSQLite writes the document's row and its FTS5 row, keeping the
// id of a document indexed before under the same ref and kind.
func (d *DB) putSearchDocSQLite(ctx context.Context, ref, kind, text string) error {
	var id int64
	var was string
	err := d.q(ctx).QueryRowContext(ctx, `SELECT id, kind FROM search_docs WHERE ref = ?`, ref).Scan(&id, &was)
	switch {
	case err == nil && was == kind:
		if _, err := d.q(ctx).ExecContext(ctx, `DELETE FROM search_fts WHERE rowid = ?`, id); err != nil {
			return wrap(err, "unindex search text")
		}
	case err == nil || errors.Is(err, sql.ErrNoRows):
		if err := d.DeleteSearchDoc(ctx, ref); err != nil {
			return err
		}
		if id, err = d.newSearchDocID(ctx, ref, kind); err != nil {
			return err
		}
		if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO search_docs (id, ref, kind) VALUES (?, ?, ?)`, id, ref, kind); err != nil {
			return wrap(err, "index search doc")
		}
	default:
		return wrap(err, "index search doc")
	}
	_, err = d.q(ctx).ExecContext(ctx, `INSERT INTO search_fts (rowid, body) VALUES (?, ?)`, id, text)
	return wrap(err, "index search text")
}

// newSearchDocID is the id a new document of ref and kind takes: the next of
// its post's millisecond, or the next negative one.
func (d *DB) newSearchDocID(ctx context.Context, ref, kind string) (int64, error) {
	lo, hi := int64(math.MinInt64), int64(-1)
	if kind == SearchPost {
		lo = SearchMillisecond(ref) << SearchIDBits
		hi = lo + searchIDSpan - 1
	}
	var last int64
	err := d.q(ctx).QueryRowContext(ctx, `SELECT id FROM search_docs WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT 1`, lo, hi).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return lo, nil
	case err != nil:
		return 0, wrap(err, "search doc id")
	case last == hi:
		return 0, fmt.Errorf("search doc id for %s: %d documents in one millisecond, no id is left", ref, searchIDSpan)
	}
	return last + 1, nil
}

// searchPostsSQLite finds the posts sq's reader may see whose documents
// match, newest first below sq.Before. It reads the matches in rounds, each
// from the top of FTS5's rowid order down, a bounded number of them, then
// keeps the visible ones; a round that does not fill the page is followed by
// a larger one below it. A page thus reads the matches it shows, and those
// the reader may not see, not the word's every match.
func (d *DB) searchPostsSQLite(ctx context.Context, sq SearchQuery) ([]*Post, error) {
	top, ok := searchTop(sq.Before)
	if !ok {
		return nil, nil
	}
	match := ftsQuery(sq.Terms)
	var out []*Post
	for n := max(searchRound, 2*sq.Limit); len(out) < sq.Limit; n = min(2*n, maxSearchRound) {
		refs, next, more, err := d.matchingPostDocs(ctx, match, top, n)
		if err != nil {
			return nil, err
		}
		if sq.Before != "" {
			refs = slices.DeleteFunc(refs, func(r string) bool { return r >= sq.Before })
		}
		if len(refs) > 0 {
			var got []*Post
			q := d.postQuery(ctx, &got).Where("post.id IN (?)", bun.In(refs)).OrderExpr("post.id DESC").Limit(int64(sq.Limit - len(out)))
			if err := visiblePosts(q, sq.Reader).Scan(ctx); err != nil {
				return nil, wrap(err, "search posts")
			}
			out = append(out, got...)
		}
		if !more {
			break
		}
		top = next
	}
	return out, nil
}

// maxSearchRound bounds the matches one round of searchPostsSQLite reads.
const maxSearchRound = 1600

// matchingPostDocs returns the refs of the post documents matching the FTS5
// query whose ids are at most top: the n greatest ids, and every other id of
// the millisecond of the least of them, so that the refs are all those
// between two milliseconds, whatever their order within one. more says that
// there may be others below next, the greatest id left to read.
func (d *DB) matchingPostDocs(ctx context.Context, match string, top int64, n int) (refs []string, next int64, more bool, err error) {
	const q = `SELECT d.id, d.ref FROM search_docs AS d WHERE d.id IN (
	SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?)`
	least := int64(math.MaxInt64)
	read := func(lo, hi int64, limit int) (int, error) {
		rows, err := d.q(ctx).QueryContext(ctx, q, match, lo, hi, limit)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		count := 0
		for rows.Next() {
			var id int64
			var ref string
			if err := rows.Scan(&id, &ref); err != nil {
				return 0, err
			}
			refs = append(refs, ref)
			least = min(least, id)
			count++
		}
		return count, rows.Err()
	}
	got, err := read(0, top, n)
	if err != nil || got < n {
		return refs, 0, false, wrap(err, "matching posts")
	}
	// The least id's millisecond may hold other matches below it.
	floor := least &^ (searchIDSpan - 1)
	if least > floor {
		if _, err := read(floor, least-1, -1); err != nil {
			return nil, 0, false, wrap(err, "matching posts")
		}
	}
	return refs, floor - 1, floor > 0, nil
}

// SearchIDs hands out the ids of new search documents in bulk, as
// PutSearchDoc chooses them one at a time, for writers that insert many
// documents in one statement (the benchmarks' seeding): the ids in use are
// read once, not once per document.
type SearchIDs struct {
	last  map[int64]int64 // millisecond → its greatest id in use
	other int64           // the next id below 0
}

// NewSearchIDs reads the ids in use (SQLite).
func (d *DB) NewSearchIDs(ctx context.Context) (*SearchIDs, error) {
	a := &SearchIDs{last: map[int64]int64{}, other: math.MinInt64}
	rows, err := d.q(ctx).QueryContext(ctx, `SELECT id FROM search_docs`)
	if err != nil {
		return nil, wrap(err, "search doc ids")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err, "search doc ids")
		}
		if id < 0 {
			a.other = max(a.other, id+1)
		} else {
			ms := id >> SearchIDBits
			if last, ok := a.last[ms]; !ok || id > last {
				a.last[ms] = id
			}
		}
	}
	return a, wrap(rows.Err(), "search doc ids")
}

// Next is the id of a new document of ref and kind. The ids of one kind
// grow as refs do, so documents given in the order of their refs are
// written in the order of their ids, which FTS5 appends fastest.
func (a *SearchIDs) Next(ref, kind string) (int64, error) {
	if kind != SearchPost {
		if a.other == 0 {
			return 0, fmt.Errorf("search doc id for %s: no id is left", ref)
		}
		a.other++
		return a.other - 1, nil
	}
	ms := SearchMillisecond(ref)
	id := ms << SearchIDBits
	if last, ok := a.last[ms]; ok {
		if last == id+searchIDSpan-1 {
			return 0, fmt.Errorf("search doc id for %s: %d documents in one millisecond, no id is left", ref, searchIDSpan)
		}
		id = last + 1
	}
	a.last[ms] = id
	return id, nil
}
