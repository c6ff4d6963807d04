package db

import (
	"context"

	"github.com/uptrace/bun"
)

// Feed selects a page of posts, newest first. The cursor is a post id: ids
// are ULIDs, so "id < cursor" walks back in time, and a post inserted while a
// reader pages (it gets a newer id) can never shift the pages already served:
// no duplicates, no gaps.
type Feed struct {
	Reader Reader

	SpaceID  string // a space's feed
	AuthorID string // a member's profile feed
	HomeOf   string // the home feed of this account: spaces joined or followed, people followed
	Public   bool   // the node-wide feed: public posts only
	Local    bool   // only posts written on this node
	Articles bool   // best-practice articles only
	Theme    string // articles with this theme
	Language string // posts written in (or translated to) this language
	ThreadID string // the comments of a thread, oldest first

	Before string // cursor: the last id of the previous page
	Since  string // only posts newer than this id (clients refreshing)
	After  string // cursor for threads: the last id of the previous page
	Limit  int

	// Deleted counts deleted posts as they were (see FeedHolds).
	Deleted bool
}

// ListFeed returns the page of posts f selects that its reader may see.
func (d *DB) ListFeed(ctx context.Context, f Feed) ([]*Post, error) {
	if f.HomeOf != "" && f.ThreadID == "" {
		return d.listHome(ctx, f)
	}
	var out []*Post
	err := d.feedQuery(ctx, &out, f, nil).Scan(ctx)
	return out, wrap(err, "feed")
}

// feedQuery is the query of the page f selects, restricted to the posts ids
// when ids is not nil.
func (d *DB) feedQuery(ctx context.Context, out *[]*Post, f Feed, ids []string) *bun.SelectQuery {
	q := d.postQuery(ctx, out).Limit(int64(f.Limit))
	if ids != nil {
		q = q.Where("post.id IN (?)", bun.In(ids))
	}
	if f.ThreadID != "" {
		q = q.Where("post.thread_id = ?", f.ThreadID).Where("post.in_reply_to_id IS NOT NULL").OrderExpr("post.id ASC")
		if f.After != "" {
			q = q.Where("post.id > ?", f.After)
		}
		return visiblePosts(q, f.Reader)
	}
	q = q.Where("post.in_reply_to_id IS NULL").OrderExpr("post.id DESC")
	if f.Before != "" {
		q = q.Where("post.id < ?", f.Before)
	}
	if f.Since != "" {
		q = q.Where("post.id > ?", f.Since)
	}
	if f.SpaceID != "" {
		q = q.Where("post.space_id = ?", f.SpaceID)
	}
	if f.AuthorID != "" {
		q = q.Where("post.account_id = ?", f.AuthorID)
	}
	if f.HomeOf != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("post.space_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state = 'active')", f.HomeOf).
				WhereOr("post.space_id IN (SELECT target_id FROM follows WHERE follower_id = ? AND state = 'accepted')", f.HomeOf).
				WhereOr("post.account_id IN (SELECT target_id FROM follows WHERE follower_id = ? AND state = 'accepted')", f.HomeOf).
				WhereOr("post.account_id = ?", f.HomeOf)
		})
	}
	if f.Public {
		q = q.Where("post.visibility = 'public'")
	}
	if f.Local {
		q = q.Where("post.local")
	}
	if f.Articles {
		q = q.Where("post.kind = 'article'")
	}
	// Correlated EXISTS, not IN: walking the feed's index newest first and
	// probing each post's primary key stops after one page, where SQLite
	// would otherwise build the whole set of posts with the theme first.
	// PostgreSQL would turn the EXISTS into a merge with the tags by post
	// id, and read every tag newer than a deep page's cursor first;
	// "OFFSET 0" keeps it a probe per post.
	fence := ""
	if d.dialect == Postgres {
		fence = " OFFSET 0"
	}
	if f.Theme != "" {
		q = q.Where("EXISTS (SELECT 1 FROM post_tags AS t WHERE t.post_id = post.id AND t.kind = 'theme' AND t.tag = ?"+fence+")", f.Theme)
	}
	if f.Language != "" {
		q = q.Where("EXISTS (SELECT 1 FROM post_translations AS l WHERE l.post_id = post.id AND l.language = ?"+fence+")", f.Language)
	}
	if f.Deleted {
		return visibleOrDeleted(q, f.Reader)
	}
	return visiblePosts(q, f.Reader)
}

// FeedHolds tells whether the feed f (its cursors and limit aside) holds the
// post with id; with f.Deleted, whether it held the deleted post.
func (d *DB) FeedHolds(ctx context.Context, f Feed, id string) (bool, error) {
	f.Before, f.Since, f.Limit = "", "", 1
	var out []*Post
	ok, err := d.feedQuery(ctx, &out, f, []string{id}).Exists(ctx)
	return ok, wrap(err, "feed holds")
}
