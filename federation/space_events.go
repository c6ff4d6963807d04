package federation

import (
	"context"
	"encoding/json"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// What the node sends when spaces and memberships change (the posts are in
// post_events.go). A local member asks to join a remote space with Follow
// and leaves with Undo(Follow); a local space's Group answers remote members
// with Accept or Reject, removes them with Remove, bans with Block, invites
// with Invite, and tells its audience of its own changes with Update and
// Delete.

// handleSpaceEvent turns the events of spaces, memberships and posts into
// activities; HandleEvent gives it what the core does not handle.
func (f *Federation) handleSpaceEvent(ctx context.Context, ev spaces.Event) error {
	switch e := ev.(type) {
	case spaces.PostCreated:
		return f.onPostCreated(ctx, e.Post, true)
	case spaces.CommentCreated:
		return f.onPostCreated(ctx, e.Post, false)
	case spaces.PostUpdated:
		return f.onPostUpdated(ctx, e.Post)
	case spaces.WikiEditSent:
		return f.onWikiEditSent(ctx, e.Post, e.By)
	case spaces.PostDeleted:
		return f.onPostDeleted(ctx, e.Post, nil)
	case spaces.PostRemoved:
		return f.onPostDeleted(ctx, e.Post, e.By)
	case spaces.PostLiked:
		return f.onLiked(ctx, e.Like, true)
	case spaces.PollVoted:
		return f.onVoted(ctx, e.Post, e.Voter, e.Votes)
	case spaces.PollEnded:
		if e.Post.Local {
			return f.onPostUpdated(ctx, e.Post) // the final results, closed
		}
	case spaces.EventRegistered:
		return f.onEventRegistered(ctx, e.Post, e.Registration)
	case spaces.EventUnregistered:
		return f.onEventUnregistered(ctx, e.Post, e.Registration)
	case spaces.RegistrationsPromoted:
		return f.onPromoted(ctx, e.Post, e.Registrations)
	case spaces.PostUnliked:
		return f.onLiked(ctx, e.Like, false)
	case spaces.PostPinned:
		return f.onPinned(ctx, e.Post, "Add")
	case spaces.PostUnpinned:
		return f.onPinned(ctx, e.Post, "Remove")
	case spaces.MembershipRequested:
		return f.onMembershipRequested(ctx, e.Membership)
	case spaces.MemberJoined:
		return f.answerMember(ctx, e.Membership, "Accept")
	case spaces.MembershipAccepted:
		return f.answerMember(ctx, e.Membership, "Accept")
	case spaces.MembershipRejected:
		return f.answerMember(ctx, e.Membership, "Reject")
	case spaces.MemberLeft:
		return f.onMemberLeft(ctx, e.Membership)
	case spaces.MemberRemoved:
		return f.moderateMember(ctx, e.Membership, "Remove", false)
	case spaces.MemberBanned:
		return f.moderateMember(ctx, e.Membership, "Block", false)
	case spaces.MemberUnbanned:
		return f.moderateMember(ctx, e.Membership, "Block", true)
	case spaces.MemberRoleChanged:
		return f.sendGroupUpdate(ctx, e.Membership.Space)
	case spaces.SpaceUpdated:
		return f.sendGroupUpdate(ctx, e.Space)
	case spaces.SpaceDeleted:
		return f.onSpaceDeleted(ctx, e.Space)
	case spaces.SpaceInvited:
		return f.onInvited(ctx, e.Invitation)
	}
	return nil
}

// localSpace tells whether sp is a space of this node.
func localSpace(sp *spaces.Space) bool { return sp != nil && sp.Account != nil && sp.Account.IsLocal() }

// withSpace makes sure a membership carries its space and the space's account.
func (f *Federation) withSpace(ctx context.Context, m *spaces.Membership) (*spaces.Space, error) {
	if m.Space == nil || m.Space.Account == nil {
		sp, err := f.rows.SpaceByAccountID(ctx, m.SpaceID)
		if err != nil {
			return nil, err
		}
		m.Space = sp
	}
	if m.Account == nil {
		a, err := f.rows.AccountByID(ctx, m.AccountID)
		if err != nil {
			return nil, err
		}
		m.Account = a
	}
	return m.Space, nil
}

// onMembershipRequested: a local member asks to join a remote space. The
// request is a Follow of its Group, which every implementation of
// FEP-1b12 understands; its id is kept to match the answer.
func (f *Federation) onMembershipRequested(ctx context.Context, m *spaces.Membership) error {
	sp, err := f.withSpace(ctx, m)
	if err != nil || localSpace(sp) || !m.Account.IsLocal() {
		return err
	}
	g := sp.Account.URI
	act, err := f.Send(ctx, m.Account, activitystreams.Activity{Type: "Follow", Object: g, To: []string{g}}, g)
	if err != nil {
		return err
	}
	m.URI = act.URI
	return f.rows.SetMembershipURI(ctx, m.ID, m.URI)
}

// answerMember: a local space's Group accepts or refuses a remote account's
// request (its Follow or Join, embedded).
func (f *Federation) answerMember(ctx context.Context, m *spaces.Membership, typ string) error {
	sp, err := f.withSpace(ctx, m)
	if err != nil || !localSpace(sp) || m.Account.IsLocal() {
		return err
	}
	request := "Follow"
	if r := receivedFrom(ctx); r != nil && r.ID == m.URI {
		request = r.Type // Join, when the member's server asked with Join
	}
	asked := map[string]any{"type": request, "actor": m.Account.URI, "object": f.ActorIRI(sp.Account)}
	if m.URI != "" {
		asked["id"] = m.URI
	}
	_, err = f.Send(ctx, sp.Account, activitystreams.Activity{Type: typ, Object: asked, To: []string{m.Account.URI}}, m.Account.URI)
	return err
}

// onMemberLeft: a local member leaves a remote space (or withdraws the
// request): Undo of the Follow that asked.
func (f *Federation) onMemberLeft(ctx context.Context, m *spaces.Membership) error {
	sp, err := f.withSpace(ctx, m)
	if err != nil || localSpace(sp) || !m.Account.IsLocal() {
		return err
	}
	g := sp.Account.URI
	follow := map[string]any{"type": "Follow", "actor": f.ActorIRI(m.Account), "object": g}
	if m.URI != "" {
		follow["id"] = m.URI
	}
	_, err = f.Send(ctx, m.Account, activitystreams.Activity{Type: "Undo", Object: follow, To: []string{g}}, g)
	return err
}

// moderateMember: a local space's Group removes (Remove from its members),
// bans (Block) or lifts a ban (Undo(Block)) on a remote account, and tells
// that account's server.
func (f *Federation) moderateMember(ctx context.Context, m *spaces.Membership, typ string, undo bool) error {
	sp, err := f.withSpace(ctx, m)
	if err != nil || !localSpace(sp) || m.Account.IsLocal() {
		return err
	}
	g, who := sp.Account, m.Account.URI
	act := activitystreams.Activity{Type: typ, Object: who, To: []string{who}, Audience: f.ActorIRI(g)}
	if typ == "Remove" {
		act.Target = f.ActorIRI(g) + "/members"
	}
	if undo {
		doc, err := f.record(ctx, g, act)
		if err != nil {
			return err
		}
		act = activitystreams.Activity{Type: "Undo", Object: doc, To: []string{who}}
	}
	_, err = f.Send(ctx, g, act, who)
	return err
}

// record writes an activity of a local actor that is delivered to nobody by
// itself (it is sent embedded in another), and returns its document.
func (f *Federation) record(ctx context.Context, from *spaces.Account, act activitystreams.Activity) (map[string]any, error) {
	row, err := f.Send(ctx, from, act)
	if err != nil {
		return nil, err
	}
	return bodyOf(row)
}

// bodyOf is the document of an activity the node sent.
func bodyOf(row *db.Activity) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(row.Body), &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// groupAddressing is to/cc of what a Group sends about its space: public, or
// to its members only.
func (f *Federation) groupAddressing(sp *spaces.Space) (to, cc []string) {
	g := f.ActorIRI(sp.Account)
	if sp.Visibility == spaces.VisibilityPublic {
		return []string{activitystreams.Public}, []string{g + "/followers"}
	}
	return []string{g + "/members"}, nil
}

// sendGroupUpdate tells a local space's audience its new profile, settings
// or moderators.
func (f *Federation) sendGroupUpdate(ctx context.Context, sp *spaces.Space) error {
	if sp == nil {
		return nil
	}
	if sp.Account == nil {
		var err error
		if sp, err = f.rows.SpaceByAccountID(ctx, sp.AccountID); err != nil {
			return err
		}
	}
	if !localSpace(sp) {
		return nil
	}
	k, err := f.keyInTx(ctx, sp.Account, func(ctx context.Context) error { return f.sendGroupUpdate(ctx, sp) })
	if k == nil {
		return err
	}
	doc, err := f.groupDocument(ctx, sp, k)
	if err != nil {
		return err
	}
	to, cc := f.groupAddressing(sp)
	_, err = f.Send(ctx, sp.Account, activitystreams.Activity{Type: "Update", Object: doc, To: to, Cc: cc}, f.spaceAudience(sp.Account))
	return err
}

// onSpaceDeleted tells a local space's audience that its Group is gone. The
// node's own actor says it: the Group's account, its keys and what it sent
// are deleted with the space, in this very transaction.
func (f *Federation) onSpaceDeleted(ctx context.Context, sp *spaces.Space) error {
	if !localSpace(sp) {
		return nil
	}
	inst, err := f.rows.LocalAccountByUsername(ctx, InstanceUsername)
	if err != nil {
		return err
	}
	g := f.ActorIRI(sp.Account)
	to, cc := f.groupAddressing(sp)
	_, err = f.Send(ctx, inst, activitystreams.Activity{Type: "Delete", Object: g, To: to, Cc: cc}, f.spaceAudience(sp.Account))
	return err
}

// onInvited: a local space's Group invites a remote account (the object is
// the Group, the target the invitee, as ActivityStreams reads Invite).
func (f *Federation) onInvited(ctx context.Context, inv *spaces.SpaceInvitation) error {
	if inv.Account == nil || inv.Account.IsLocal() {
		return nil
	}
	sp := inv.Space
	if sp == nil || sp.Account == nil {
		var err error
		if sp, err = f.rows.SpaceByAccountID(ctx, inv.SpaceID); err != nil {
			return err
		}
	}
	if !localSpace(sp) {
		return nil
	}
	g, who := f.ActorIRI(sp.Account), inv.Account.URI
	_, err := f.Send(ctx, sp.Account, activitystreams.Activity{Type: "Invite", Object: g, Target: who, To: []string{who}}, who)
	return err
}
