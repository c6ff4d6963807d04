package federation

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Received activities about spaces and memberships. A Follow of a local
// space's Group is a request to join it (FEP-1b12 servers such as Lemmy
// subscribe with Follow, and Ruche asks with Follow too): the domain
// decides — an open space takes the account at once, an approval space
// keeps the request for its moderators, an invite-only space takes only the
// invited. A Follow the join policy refuses (invite-only) from someone who
// may read the space (a public one) becomes a plain follow: a Mastodon
// user who follows to read. Join and Leave are taken too.

// registerSpaceHandlers installs the handlers of spaces and posts, over the
// core's for the types both understand (a Follow of a Group is a join, an
// Accept may answer a membership).
func (f *Federation) registerSpaceHandlers() {
	f.ExpandCollection(f.expandAudience)
	f.Handle("Follow", f.onFollowAny)
	f.Handle("Join", f.onJoin)
	f.Handle("Leave", f.onLeaveAny)
	f.Handle("Undo", f.onUndoAny)
	f.Handle("Accept", f.onAnswer(true))
	f.Handle("Reject", f.onAnswer(false))
	f.Handle("Remove", f.onRemove)
	f.Handle("Add", f.onAdd)
	f.Handle("Block", f.onBlock)
	f.Handle("Undo/Block", f.onUndoBlock)
	f.Handle("Invite", f.onInvite)
	f.Handle("Create", f.onCreate)
	f.Handle("Update/object", f.onUpdateObject)
	f.Handle("Delete/object", f.onDeleteObject)
	f.Handle("Like", f.onLikeReceived)
	f.Handle("Undo/Like", f.onUndoLike)
	f.Handle("Announce", f.onAnnounce)
}

// localGroup returns the local space's Group an IRI names.
func (f *Federation) localGroup(ctx context.Context, iri string) (*spaces.Account, bool) {
	if kind, _ := f.localUsernameOf(iri); kind != "spaces" {
		return nil, false
	}
	g, err := f.localAccountByIRI(ctx, iri)
	return g, err == nil
}

// onFollowAny: a Follow of a local space is a join request; of a person, a follow.
func (f *Federation) onFollowAny(ctx context.Context, r *Received) error {
	if kind, _ := f.localUsernameOf(r.Object.ID); kind == "spaces" {
		return f.onJoinGroup(ctx, r)
	}
	return f.onFollow(ctx, r)
}

// onJoinGroup: a remote account asks to join a local space (Follow or Join).
// A refusal is answered with Reject, so that the other server does not wait.
func (f *Federation) onJoinGroup(ctx context.Context, r *Received) error {
	g, err := f.localAccountByIRI(ctx, r.Object.ID)
	if err != nil {
		return err
	}
	ctx = withReceived(ctx, r)
	m, err := f.spaces.JoinSpace(ctx, r.From, g.Username, "", r.ID)
	if err == nil {
		if m.URI != r.ID && m.State == spaces.StateActive { // asked again: the other server lost our answer
			return f.store.Tx(ctx, func(ctx context.Context) error { return f.answerMember(ctx, m, "Accept") })
		}
		return nil
	}
	if spaces.KindOf(err) == spaces.KindNotFound {
		return ErrIgnored // a space they may not see: no answer, as for none
	}
	if r.Type == "Follow" && codeOf(err) == "invitation_required" {
		if err = f.onFollow(ctx, r); err == nil {
			return nil
		}
	}
	if spaces.KindOf(err) != spaces.KindInternal {
		if rerr := f.store.Tx(ctx, func(ctx context.Context) error { return f.sendAnswer(ctx, "Reject", g, r.From, r.ID) }); rerr != nil {
			return rerr
		}
	}
	return err
}

// onLeave: a remote member leaves a local space.
func (f *Federation) onLeave(ctx context.Context, r *Received) error {
	g, ok := f.localGroup(ctx, r.Object.ID)
	if !ok {
		return ErrIgnored
	}
	return ignoreNotFound(f.spaces.LeaveSpace(ctx, r.From, g.Username))
}

// ignoreNotFound: an activity about something already gone changes nothing.
func ignoreNotFound(err error) error {
	if errors.Is(err, spaces.ErrNotFound) {
		return ErrIgnored
	}
	return err
}

// onUndoAny: Undo of the Follow (or Join) that made a remote account member
// of a local space is leaving it; other undos are the core's.
func (f *Federation) onUndoAny(ctx context.Context, r *Received) error {
	if ok, err := f.undoEventJoin(ctx, r); ok {
		return err
	}
	if r.Object.ID != "" {
		m, err := f.rows.MembershipByURI(ctx, r.Object.ID)
		if err == nil {
			if m.AccountID != r.From.ID {
				return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_member", Message: "only the member undoes their request"}
			}
			sp, err := f.rows.SpaceByAccountID(ctx, m.SpaceID)
			if err != nil {
				return err
			}
			if !localSpace(sp) {
				return ErrIgnored
			}
			return ignoreNotFound(f.spaces.LeaveSpace(ctx, r.From, sp.Slug()))
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	if r.Object.Type == "Follow" || r.Object.Type == "Join" {
		if g, ok := f.localGroup(ctx, r.Object.Object); ok {
			err := f.spaces.LeaveSpace(ctx, r.From, g.Username)
			if !errors.Is(err, spaces.ErrNotFound) {
				return err
			}
			// not a member: a follower who only read the space
		}
	}
	return f.onUndo(ctx, r)
}

// onAnswer handles Accept (accept) or Reject: a remote space's Group
// answering a local member's request — a Reject of an accepted member is a
// removal, as Mastodon uses it for followers — or the core's follows.
func (f *Federation) onAnswer(accept bool) Handler {
	return func(ctx context.Context, r *Received) error {
		if ok, err := f.answeredEventJoin(ctx, r, accept); ok {
			return err
		}
		m, sp, err := f.membershipAnswered(ctx, r)
		if err != nil {
			return err
		}
		if m == nil {
			if accept {
				return f.onAccept(ctx, r)
			}
			return f.onReject(ctx, r)
		}
		handle := spaceHandle(sp)
		switch {
		case m.State == spaces.StatePending:
			_, err = f.spaces.AnswerJoinRequest(ctx, r.From, handle, m.Account.Username, accept)
		case m.State == spaces.StateActive && !accept:
			err = f.spaces.RemoveMember(ctx, r.From, handle, m.Account.Username)
		default:
			return nil // answered already
		}
		return ignoreNotFound(err)
	}
}

// membershipAnswered finds the local member's membership of a remote space
// that an Accept or Reject answers: by the id of the Follow it names, or by
// its actor. Only the space's Group answers for it.
func (f *Federation) membershipAnswered(ctx context.Context, r *Received) (*spaces.Membership, *spaces.Space, error) {
	var m *spaces.Membership
	if r.Object.ID != "" {
		got, err := f.rows.MembershipByURI(ctx, r.Object.ID)
		switch {
		case err == nil:
			m = got
		case !errors.Is(err, db.ErrNotFound):
			return nil, nil, err
		}
	}
	if m == nil && r.Object.Actor != "" && r.From.Type == spaces.TypeGroup {
		kind, name := f.localUsernameOf(r.Object.Actor)
		if kind != "users" {
			return nil, nil, nil
		}
		member, err := f.spaces.LocalAccount(ctx, name)
		if err != nil {
			return nil, nil, ignoreNotFound(err)
		}
		got, err := f.rows.MembershipOf(ctx, r.From.ID, member.ID)
		switch {
		case err == nil:
			m = got
		case !errors.Is(err, db.ErrNotFound):
			return nil, nil, err
		}
	}
	if m == nil {
		return nil, nil, nil
	}
	if m.SpaceID != r.From.ID || !m.Account.IsLocal() {
		return nil, nil, &spaces.Error{Kind: spaces.KindForbidden, Code: "not_group", Message: "only the space's Group answers a request to join it"}
	}
	sp, err := f.rows.SpaceByAccountID(ctx, m.SpaceID)
	if err != nil {
		return nil, nil, err
	}
	m.Space = sp
	return m, sp, nil
}

// localMemberOf returns the local account an IRI names, for moderation by a
// remote Group.
func (f *Federation) localMemberOf(ctx context.Context, iri string) (*spaces.Account, error) {
	kind, name := f.localUsernameOf(iri)
	if kind != "users" {
		return nil, ErrIgnored
	}
	a, err := f.spaces.LocalAccount(ctx, name)
	return a, ignoreNotFound(err)
}

// onRemove: a remote space's Group removes a local member (target: its
// members), or unpins a post (target: its featured collection).
func (f *Federation) onRemove(ctx context.Context, r *Received) error {
	sp, err := f.mirroredSpace(ctx, r.From)
	if err != nil {
		return err
	}
	if strings.HasSuffix(r.Target, "/featured") {
		return f.pinByGroup(ctx, r, false)
	}
	a, err := f.localMemberOf(ctx, r.Object.ID)
	if err != nil {
		return err
	}
	return ignoreNotFound(f.spaces.RemoveMember(ctx, r.From, spaceHandle(sp), a.Username))
}

// onAdd: a remote space's Group pins a post (target: its featured collection).
func (f *Federation) onAdd(ctx context.Context, r *Received) error {
	if _, err := f.mirroredSpace(ctx, r.From); err != nil {
		return err
	}
	if !strings.HasSuffix(r.Target, "/featured") {
		return ErrIgnored
	}
	return f.pinByGroup(ctx, r, true)
}

// pinByGroup mirrors a remote Group's pin or unpin of a post of its space.
func (f *Federation) pinByGroup(ctx context.Context, r *Received, pin bool) error {
	p, err := f.postByIRI(ctx, r.Object.ID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	if p.SpaceID != r.From.ID {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_in_space", Message: "the post is not in this Group's space"}
	}
	_, err = f.spaces.PinPost(ctx, r.From, p.ID, pin)
	return ignoreNotFound(err)
}

// onBlock: a remote space's Group bans a local account.
func (f *Federation) onBlock(ctx context.Context, r *Received) error {
	sp, err := f.mirroredSpace(ctx, r.From)
	if err != nil {
		return err
	}
	a, err := f.localMemberOf(ctx, r.Object.ID)
	if err != nil {
		return err
	}
	_, err = f.spaces.BanMember(ctx, r.From, spaceHandle(sp), a.Username)
	return err
}

// onUndoBlock: a remote space's Group lifts a ban of a local account.
func (f *Federation) onUndoBlock(ctx context.Context, r *Received) error {
	sp, err := f.mirroredSpace(ctx, r.From)
	if err != nil {
		return err
	}
	a, err := f.localMemberOf(ctx, r.Object.Object)
	if err != nil {
		return err
	}
	return ignoreNotFound(f.spaces.UnbanMember(ctx, r.From, spaceHandle(sp), a.Username))
}

// onInvite: a remote space's Group invites a local account into it (object:
// the Group, target: the invitee). The invitation lets the member ask to
// join; the Group still answers the request.
func (f *Federation) onInvite(ctx context.Context, r *Received) error {
	sp, err := f.mirroredSpace(ctx, r.From)
	if err != nil {
		return err
	}
	if r.Object.ID != r.From.URI {
		return ErrIgnored // an invitation to something else than the Group itself
	}
	a, err := f.localMemberOf(ctx, r.Target)
	if err != nil {
		return err
	}
	_, _, err = f.spaces.InviteToSpace(ctx, r.From, spaceHandle(sp), spaces.SpaceInvite{Handle: a.Username})
	if codeOf(err) == "already_member" {
		return nil
	}
	return err
}
