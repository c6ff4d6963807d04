package spaces

import (
	"context"
	"errors"
	"slices"

	"github.com/ruche-social/ruche/db"
)

// SpaceRights says what viewer may do in a space, by the rules the
// operations themselves enforce: the doors show the buttons that will work
// and hide those that would be refused. The operations still check.
type SpaceRights struct {
	Membership *Membership // viewer's membership in any state, nil if none
	Follow     *Follow     // viewer's follow of the space, nil if none

	Member  bool // an active member
	Pending bool // asked to join, waiting for a moderator
	Banned  bool
	Invited bool // an invitation addressed to viewer waits

	Join    bool // may join at once (open space, or invited)
	Request bool // may ask to join (approval space)
	Leave   bool // may leave (or withdraw a request); the last owner may not
	Post    bool // may publish top-level posts
	Comment bool
	Watch   bool // may turn notifications of new posts on or off
	// FollowOK: may follow the space without joining it (public spaces).
	FollowOK bool

	Moderate bool // settings, requests, invitations, members, pins, removals
	Own      bool // roles, archive, delete
}

// Rights tells what viewer may do in sp.
func (s *Service) Rights(ctx context.Context, viewer *Account, sp *Space) (*SpaceRights, error) {
	r := &SpaceRights{}
	if !canAct(viewer) {
		return r, nil
	}
	m, err := s.membershipOf(ctx, s.db, sp, viewer)
	if err != nil {
		return nil, internal("rights", err)
	}
	r.Membership = m
	if f, err := s.db.FollowBetween(ctx, viewer.ID, sp.AccountID); err == nil {
		r.Follow = f
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, internal("rights", err)
	}
	staff := isStaff(viewer) && sp.Account.IsLocal()
	live := !sp.IsArchived()
	if m != nil {
		r.Member, r.Pending, r.Banned = m.State == StateActive, m.State == StatePending, m.State == StateBanned
		r.Leave = !r.Banned && keepOneOwner(ctx, s.db, m) == nil
	}
	r.Moderate = staff || (r.Member && slices.Contains([]string{SpaceRoleOwner, SpaceRoleModerator}, m.Role))
	r.Own = staff || (r.Member && m.Role == SpaceRoleOwner)
	r.Post = viewer.Type == TypePerson && mayPost(sp, m, true) == nil
	r.Comment = viewer.Type == TypePerson && mayPost(sp, m, false) == nil
	r.Watch = r.Member
	if m == nil && live && viewer.Type == TypePerson {
		inv, err := s.db.PendingSpaceInvitation(ctx, sp.AccountID, viewer.ID, s.now())
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, internal("rights", err)
		}
		r.Invited = inv != nil && err == nil
		switch {
		case r.Invited, sp.JoinPolicy == JoinOpen && sp.Account.IsLocal():
			r.Join = true
		case sp.JoinPolicy == JoinApproval || !sp.Account.IsLocal():
			r.Request = true
		}
	}
	r.FollowOK = !r.Banned && sp.Visibility == VisibilityPublic && viewer.ID != sp.AccountID
	return r, nil
}

// PostRights says what viewer may do with a post, given their rights in its
// space (nil for a profile post).
type PostRights struct {
	Edit    bool // the author, while the space is live; an FAQ entry, its space's moderators
	Delete  bool // the author
	Remove  bool // a moderator deleting someone else's post
	Pin     bool // a moderator, on a top-level post of a space; its local author, on a profile post
	Like    bool
	Comment bool
}

// PostRightsOf tells what viewer may do with p, by the rules of EditPost,
// DeletePost, PinPost, LikePost and CreateComment.
func PostRightsOf(viewer *Account, p *Post, sr *SpaceRights) PostRights {
	var r PostRights
	if !canAct(viewer) || p.IsDeleted() {
		return r
	}
	if p.Space != nil && p.Space.IsArchived() {
		return r
	}
	if sr == nil {
		sr = &SpaceRights{}
	}
	author := p.AccountID == viewer.ID
	staff := isStaff(viewer) && (p.Local || (p.Space != nil && p.Space.Account.IsLocal()))
	r.Edit = author && viewer.IsLocal()
	if p.Kind == KindFAQ && p.Space != nil {
		// An entry is its space's moderators' together (mayEditFAQ).
		r.Edit = viewer.IsLocal() && (p.Local || author) && sr.Moderate && p.Space.ToolOn(ToolFAQ)
	}
	if p.Kind == KindPage {
		r.Edit = false // a page is edited in its wiki, by its members (mayEditWiki)
	}
	r.Delete = author
	r.Remove = !author && (staff || (p.Space != nil && sr.Moderate))
	r.Pin = p.InReplyToID == "" && ((p.Space != nil && (sr.Moderate || staff)) || (p.SpaceID == "" && author && viewer.IsLocal()))
	r.Like = viewer.Type == TypePerson
	if p.Space != nil {
		r.Comment = sr.Comment
	} else {
		r.Comment = viewer.Type == TypePerson
	}
	return r
}
