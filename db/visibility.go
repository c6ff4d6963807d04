package db

import "github.com/uptrace/bun"

// Reader is who reads, as the visibility rule needs to know them. The domain
// builds it (spaces.Service.Reader): an anonymous visitor is the zero Reader.
type Reader struct {
	// AccountID is the reading account (a local member or a remote actor);
	// empty for an anonymous visitor.
	AccountID string
	// Network is true for readers inside the network: local members, and
	// remote actors on nodes the node trusts with `network` content.
	Network bool
	// All is the node itself reading (its console, its delivery worker): it
	// sees every live post and space.
	All bool
}

// visiblePosts restricts q (a query on posts aliased "post") to the posts r
// may see. This is THE visibility rule for posts, comments and articles; every
// list, search, single fetch and delivery check goes through it:
//   - removed and deleted posts are never visible (tombstones are served apart);
//   - public posts are visible to everyone;
//   - network posts to readers inside the network;
//   - members posts to the active members of their space;
//   - followers posts (profile posts) to the author's accepted followers;
//   - and authors always see their own posts.
func visiblePosts(q *bun.SelectQuery, r Reader) *bun.SelectQuery {
	q = q.Where("post.deleted_at IS NULL")
	if r.All {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("post.visibility = 'public'")
		if r.Network {
			q = q.WhereOr("post.visibility = 'network'")
		}
		if r.AccountID != "" {
			q = q.WhereOr("post.account_id = ?", r.AccountID).
				WhereOr("post.visibility = 'members' AND post.space_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state = 'active')", r.AccountID).
				WhereOr("post.visibility = 'followers' AND post.account_id IN (SELECT target_id FROM follows WHERE follower_id = ? AND state = 'accepted')", r.AccountID)
		}
		return q
	})
}

// visibleSpaces restricts q (a query on spaces aliased "space" joined to its
// account) to the spaces r may see: public ones, network ones for readers in
// the network, and members-only ones for their members (active or asking)
// and the accounts invited to them. Suspended space accounts are hidden.
func visibleSpaces(q *bun.SelectQuery, r Reader) *bun.SelectQuery {
	q = q.Where("account.status = 'active'")
	if r.All {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("space.visibility = 'public'")
		if r.Network {
			q = q.WhereOr("space.visibility = 'network'")
		}
		if r.AccountID != "" {
			q = q.WhereOr("space.account_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state IN ('active', 'pending'))", r.AccountID).
				WhereOr("space.account_id IN (SELECT space_id FROM space_invitations WHERE account_id = ? AND revoked_at IS NULL)", r.AccountID)
		}
		return q
	})
}
