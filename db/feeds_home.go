package db

import (
	"context"
	"slices"
	"strings"

	"github.com/uptrace/bun/dialect/pgdialect"
)

// homeBranches bounds the sources of one candidates statement (SQLite allows
// 500 members in a compound SELECT).
const homeBranches = 200

// listHome reads a home feed in bounded rounds (see inRounds) instead of
// walking every post of the node newest first until a page of the member's
// sources turns up. The candidates are, from each source — the spaces the
// member joined or follows, the accounts they follow, and themselves — its
// newest top-level posts below the cursor: an index range scan on
// (space_id, id) or (account_id, id) that stops after a page of rows.
func (d *DB) listHome(ctx context.Context, f Feed) ([]*Post, error) {
	spaceIDs, authorIDs, err := d.homeSources(ctx, f.HomeOf)
	if err != nil {
		return nil, err
	}
	return inRounds(f.Before, f.Since, f.Limit, f.Limit,
		func(before string, n int) ([]string, error) {
			return d.homeCandidates(ctx, spaceIDs, authorIDs, before, n)
		},
		func(ids []string, limit int) ([]*Post, error) {
			var out []*Post
			page := f
			page.Limit = limit
			err := d.feedQuery(ctx, &out, page, ids).Scan(ctx)
			return out, wrap(err, "home feed")
		})
}

// inRounds fills a page of at most limit posts, newest first, below the
// cursor before (and above since, when not empty), in rounds whose cost is bounded: candidates returns the ids
// of the newest n posts below a cursor that may belong in the page (a
// superset of its posts in that range), newest first; page loads, newest
// first, at most limit of the posts with those ids that the page holds — by
// the feed's own conditions and the one visibility rule. Should a round fill
// less than the page while there may be more candidates (some were not
// visible), the next starts below the oldest candidate, so the result is
// exactly what the page's query alone would select.
func inRounds(before, since string, limit, n int, candidates func(before string, n int) ([]string, error),
	page func(ids []string, limit int) ([]*Post, error)) ([]*Post, error) {
	var out []*Post
	for len(out) < limit {
		ids, err := candidates(before, n)
		if err != nil || len(ids) == 0 {
			return out, err
		}
		got, err := page(ids, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(ids) < n || (since != "" && ids[len(ids)-1] <= since) {
			break // no candidate is left below these, or none above since
		}
		before = ids[len(ids)-1]
	}
	return out, nil
}

// homeSources returns the spaces whose posts make a member's home (joined or
// followed) and the accounts whose posts do (followed, and the member).
func (d *DB) homeSources(ctx context.Context, member string) (spaceIDs, authorIDs []string, err error) {
	var joined, followed []string
	err = d.q(ctx).NewSelect().Table("space_members").Column("space_id").
		Where("account_id = ?", member).Where("state = 'active'").Scan(ctx, &joined)
	if err != nil {
		return nil, nil, wrap(err, "home spaces")
	}
	err = d.q(ctx).NewSelect().Table("follows").Column("target_id").
		Where("follower_id = ?", member).Where("state = 'accepted'").Scan(ctx, &followed)
	if err != nil {
		return nil, nil, wrap(err, "home follows")
	}
	return append(joined, followed...), append(followed, member), nil
}

// homeCandidates returns the ids of the newest limit top-level posts before
// the cursor (all of them for "") in the spaces and by the authors given,
// newest first. Each source is read on its own — its index backwards from
// the cursor, at most limit rows — and the lists are merged.
func (d *DB) homeCandidates(ctx context.Context, spaceIDs, authorIDs []string, before string, limit int) ([]string, error) {
	var ids []string
	var err error
	if d.dialect == Postgres {
		ids, err = d.homeCandidatesPG(ctx, spaceIDs, authorIDs, before, limit)
	} else {
		ids, err = d.homeCandidatesSQLite(ctx, spaceIDs, authorIDs, before, limit)
	}
	if err != nil {
		return nil, wrap(err, "home candidates")
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	slices.Reverse(ids)
	return ids[:min(len(ids), limit)], nil
}

// sourceBranch is the query of one source's newest posts; the conditions
// repeat those of the partial indexes posts_space_feed and
// posts_account_feed, so that it reads its index backwards from the cursor.
func sourceBranch(column, source, before string) string {
	q := "SELECT id FROM posts WHERE " + column + " = " + source + " AND in_reply_to_id IS NULL AND deleted_at IS NULL"
	if before != "" {
		q += " AND id < ?"
	}
	return q + " ORDER BY id DESC LIMIT ?"
}

// homeCandidatesPG: one statement, a lateral branch per source.
func (d *DB) homeCandidatesPG(ctx context.Context, spaceIDs, authorIDs []string, before string, limit int) ([]string, error) {
	var sql strings.Builder
	var args []any
	for i, src := range []struct {
		column string
		ids    []string
	}{{"space_id", spaceIDs}, {"account_id", authorIDs}} {
		if i > 0 {
			sql.WriteString(" UNION ALL ")
		}
		sql.WriteString("SELECT b.id FROM unnest(?::text[]) AS s(src) CROSS JOIN LATERAL (" + sourceBranch(src.column, "s.src", before) + ") AS b")
		args = append(args, pgdialect.Array(src.ids))
		if before != "" {
			args = append(args, before)
		}
		args = append(args, limit)
	}
	var ids []string
	err := d.q(ctx).NewRaw(sql.String(), args...).Scan(ctx, &ids)
	return ids, err
}

// homeCandidatesSQLite: a compound SELECT of one branch per source (SQLite
// has no lateral join), in statements of at most homeBranches branches.
func (d *DB) homeCandidatesSQLite(ctx context.Context, spaceIDs, authorIDs []string, before string, limit int) ([]string, error) {
	type branch struct{ column, id string }
	var branches []branch
	for _, id := range spaceIDs {
		branches = append(branches, branch{"space_id", id})
	}
	for _, id := range authorIDs {
		branches = append(branches, branch{"account_id", id})
	}
	var ids []string
	for start := 0; start < len(branches); start += homeBranches {
		var sql strings.Builder
		var args []any
		for i, b := range branches[start:min(start+homeBranches, len(branches))] {
			if i > 0 {
				sql.WriteString(" UNION ALL ")
			}
			sql.WriteString("SELECT id FROM (" + sourceBranch(b.column, "?", before) + ")")
			args = append(args, b.id)
			if before != "" {
				args = append(args, before)
			}
			args = append(args, limit)
		}
		var got []string
		if err := d.q(ctx).NewRaw(sql.String(), args...).Scan(ctx, &got); err != nil {
			return nil, err
		}
		ids = append(ids, got...)
	}
	return ids, nil
}
