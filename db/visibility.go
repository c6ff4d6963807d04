package db

import (
	"time"

	"github.com/uptrace/bun"
)

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
	// Domain is set when another server reads as itself (a fetch signed by
	// its instance actor, as Mastodon and Ruche sign theirs, or its space's
	// Group acting here): it sees what one of its accounts may see as a
	// member or follower, and everything in the spaces it hosts. Local
	// readers never have it, so their queries carry none of its clauses.
	Domain string
	// Now is the time the rule is applied at (invitations expire); zero
	// means the clock's.
	Now time.Time
}

// now is the time r reads at.
func (r Reader) now() time.Time {
	if r.Now.IsZero() {
		return time.Now().UTC()
	}
	return r.Now
}

// liveInvitation is the condition on a space invitation (aliased si) that
// lets its account see the space: neither revoked, used up nor expired, and
// its account not banned from the space.
const liveInvitation = `si.revoked_at IS NULL AND (si.max_uses = 0 OR si.uses < si.max_uses) AND si.expires_at > ? ` +
	`AND NOT EXISTS (SELECT 1 FROM space_members AS sb WHERE sb.space_id = si.space_id AND sb.account_id = si.account_id AND sb.state = 'banned')`

// visiblePosts restricts q (a query on posts aliased "post") to the posts r
// may see. This is THE visibility rule for posts, comments and articles; every
// list, search, single fetch and delivery check goes through it:
//   - removed and deleted posts are never visible (tombstones are served apart);
//   - public posts are visible to everyone;
//   - network posts to readers inside the network;
//   - members posts to the active members of their space;
//   - unlisted posts (other servers' profile posts kept out of public
//     listings) to everyone, like public ones;
//   - followers posts (profile posts) to the author's accepted followers,
//     and followers and direct posts to the accounts they mention;
//   - authors always see their own posts;
//   - a server reading as itself (Domain) sees members posts of the spaces
//     where one of its accounts is an active member, followers posts of the
//     authors one of its accounts follows, followers and direct posts that
//     mention one of its accounts, and every post of the spaces it hosts:
//     a post is delivered to a server, not to a person, and the server then
//     applies this same rule to its own readers.
func visiblePosts(q *bun.SelectQuery, r Reader) *bun.SelectQuery {
	return visibleOrDeleted(q.Where("post.deleted_at IS NULL"), r)
}

// visibleOrDeleted is visiblePosts but for its first clause: the posts r may
// see, and the deleted ones r might see before. A tombstone keeps the space,
// author and visibility it had (not its mentions), so that a deletion can be
// told to those who may hold the post, and to no one else.
func visibleOrDeleted(q *bun.SelectQuery, r Reader) *bun.SelectQuery {
	if r.All {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("post.visibility IN ('public', 'unlisted')")
		if r.Network {
			q = q.WhereOr("post.visibility = 'network'")
		}
		if r.AccountID != "" {
			q = q.WhereOr("post.account_id = ?", r.AccountID).
				WhereOr("post.visibility = 'members' AND post.space_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state = 'active')", r.AccountID).
				WhereOr("post.visibility = 'followers' AND post.account_id IN (SELECT target_id FROM follows WHERE follower_id = ? AND state = 'accepted')", r.AccountID).
				WhereOr("post.visibility IN ('followers', 'direct') AND post.id IN (SELECT post_id FROM post_mentions WHERE account_id = ?)", r.AccountID)
		}
		if r.Domain != "" {
			q = q.WhereOr("post.visibility = 'members' AND post.space_id IN (SELECT sm.space_id FROM space_members AS sm JOIN accounts AS sa ON sa.id = sm.account_id WHERE sa.domain = ? AND sm.state = 'active')", r.Domain).
				WhereOr("post.visibility = 'followers' AND post.account_id IN (SELECT f.target_id FROM follows AS f JOIN accounts AS fa ON fa.id = f.follower_id WHERE fa.domain = ? AND f.state = 'accepted')", r.Domain).
				WhereOr("post.visibility IN ('followers', 'direct') AND post.id IN (SELECT pm.post_id FROM post_mentions AS pm JOIN accounts AS ma ON ma.id = pm.account_id WHERE ma.domain = ?)", r.Domain).
				WhereOr("post.space_id IN (SELECT id FROM accounts WHERE domain = ? AND type = 'Group')", r.Domain)
		}
		return q
	})
}

// visibleSpaces restricts q (a query on spaces aliased "space" joined to its
// account) to the spaces r may see: public ones, network ones for readers in
// the network, and members-only ones for their members (active or asking)
// and the accounts invited to them by a live invitation — or, for a server
// reading as itself, for
// the servers of such accounts, and the server that hosts the space.
// Suspended space accounts are hidden.
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
				WhereOr("space.account_id IN (SELECT si.space_id FROM space_invitations AS si WHERE si.account_id = ? AND "+liveInvitation+")", r.AccountID, r.now())
		}
		if r.Domain != "" {
			q = q.WhereOr("space.account_id IN (SELECT sm.space_id FROM space_members AS sm JOIN accounts AS sa ON sa.id = sm.account_id WHERE sa.domain = ? AND sm.state IN ('active', 'pending'))", r.Domain).
				WhereOr("space.account_id IN (SELECT si.space_id FROM space_invitations AS si JOIN accounts AS ia ON ia.id = si.account_id WHERE ia.domain = ? AND "+liveInvitation+")", r.Domain, r.now()).
				WhereOr("account.domain = ?", r.Domain)
		}
		return q
	})
}
