package spaces

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ruche-social/ruche/db"
)

var (
	errNotMember     = notFound("member_not_found", "no such member of this space")
	errAccountHandle = notFound("account_not_found", "no such account")
)

// findAccount loads an account by handle: "user" (local) or "user@host".
func findAccount(ctx context.Context, tx *db.DB, h string) (*Account, error) {
	username, domain, ok := ParseHandle(h)
	if !ok {
		return nil, errAccountHandle
	}
	a, err := tx.AccountByHandle(ctx, username, domain)
	if err != nil {
		return nil, notFoundOr("find account", err, errAccountHandle)
	}
	return a, nil
}

// JoinSpace makes by a member of the space named handle, or records a request.
// An invitation (by's own, or the link token given) lets by in whatever the
// join policy; otherwise an open space takes by at once, an approval space
// records a pending request for its moderators, and an invite-only space
// refuses. uri is the id of the Follow or Join activity for a remote account.
// Joining again returns the existing membership; a banned account is refused.
func (s *Service) JoinSpace(ctx context.Context, by *Account, handle, inviteToken, uri string) (*Membership, error) {
	if !canAct(by) || by.Type != TypePerson {
		return nil, errUnauthenticated
	}
	var out *Membership
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		m, err := s.membershipOf(ctx, tx, sp, by)
		if err != nil {
			return err
		}
		if m != nil {
			if m.State == StateBanned {
				return forbidden("banned", "you are banned from this space")
			}
			out = m
			return nil
		}
		inv, err := s.invitationFor(ctx, tx, sp, by, inviteToken)
		if err != nil {
			return err
		}
		if inv == nil {
			if ok, err := tx.SpaceVisible(ctx, s.Reader(by), sp.AccountID); err != nil {
				return err
			} else if !ok {
				return errSpaceNotFound
			}
		}
		if sp.IsArchived() {
			return errArchived
		}
		now := s.now()
		m = &Membership{ID: newID(), SpaceID: sp.AccountID, AccountID: by.ID, Role: SpaceRoleMember,
			State: StateActive, URI: uri, CreatedAt: now, UpdatedAt: now, Account: by, Space: sp}
		if inv != nil {
			ok, err := tx.UseSpaceInvitation(ctx, inv.ID, now)
			if err != nil {
				return err
			}
			if !ok {
				return invalid("invite", "invite_used", "this invitation has been used already")
			}
		}
		switch {
		case !sp.Account.IsLocal():
			// a remote space answers for itself, invitation or not (Accept or
			// Reject from its server, entering through AnswerJoinRequest with
			// by = the Group)
			m.State = StatePending
		case inv != nil:
		case sp.JoinPolicy == JoinApproval:
			m.State = StatePending
		case sp.JoinPolicy == JoinInvite:
			return forbidden("invitation_required", "this space takes members by invitation only")
		}
		if err := tx.InsertMembership(ctx, m); err != nil {
			return err
		}
		out = m
		if m.State == StatePending {
			mods, err := tx.ListMemberships(ctx, sp.AccountID, db.MemberPage{State: StateActive, Roles: []string{SpaceRoleOwner, SpaceRoleModerator}, Limit: 200})
			if err != nil {
				return err
			}
			if err := s.notify(ctx, tx, NotifyJoinRequest, by, nil, sp, accountsOf(mods)...); err != nil {
				return err
			}
			return s.emit(ctx, tx, MembershipRequested{Membership: m})
		}
		return s.emit(ctx, tx, MemberJoined{Membership: m})
	})
	if errors.Is(err, db.ErrConflict) { // a concurrent join of the same account
		return nil, conflict("", "already_member", "you already joined or asked to join")
	}
	if err != nil {
		return nil, internal("join space", err)
	}
	return out, nil
}

func accountsOf(ms []*Membership) []*Account {
	out := make([]*Account, len(ms))
	for i, m := range ms {
		out[i] = m.Account
	}
	return out
}

// invitationFor finds the invitation that lets by into sp: the link token if
// given (it must be valid), else a live invitation addressed to by, else nil.
func (s *Service) invitationFor(ctx context.Context, tx *db.DB, sp *Space, by *Account, token string) (*SpaceInvitation, error) {
	now := s.now()
	if token = strings.TrimSpace(token); token != "" {
		inv, err := tx.SpaceInvitationByTokenHash(ctx, hashToken(token))
		if err != nil {
			return nil, notFoundOr("space invitation", err, invalid("invite", "invite_invalid", "this invitation is not valid"))
		}
		if inv.SpaceID != sp.AccountID {
			return nil, invalid("invite", "invite_invalid", "this invitation is not valid")
		}
		if err := spaceInvitationUsable(inv, now); err != nil {
			return nil, err
		}
		return inv, nil
	}
	inv, err := tx.PendingSpaceInvitation(ctx, sp.AccountID, by.ID, now)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	return inv, err
}

// LeaveSpace ends by's membership of a space, or withdraws a pending request.
// The last owner cannot leave: they hand the space over first, or delete it.
func (s *Service) LeaveSpace(ctx context.Context, by *Account, handle string) error {
	if !canAct(by) {
		return errUnauthenticated
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		m, err := s.membershipOf(ctx, tx, sp, by)
		if err != nil {
			return err
		}
		if m == nil || m.State == StateBanned {
			return errNotMember
		}
		if err := keepOneOwner(ctx, tx, m); err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, MemberLeft{Membership: m})
	})
	if err != nil {
		return internal("leave space", err)
	}
	return nil
}

// keepOneOwner refuses a change that would leave the space without an owner.
func keepOneOwner(ctx context.Context, tx *db.DB, m *Membership) error {
	if m.Role != SpaceRoleOwner || m.State != StateActive {
		return nil
	}
	n, err := tx.CountMembers(ctx, m.SpaceID, StateActive, SpaceRoleOwner)
	if err != nil {
		return err
	}
	if n <= 1 {
		return conflict("", "last_owner", "this is the space's last owner: make another member owner first")
	}
	return nil
}

// AnswerJoinRequest accepts or refuses the pending request of member (a
// handle: user or user@host). The space's moderators may, and for a remote
// space its Group account (its server's Accept or Reject).
func (s *Service) AnswerJoinRequest(ctx context.Context, by *Account, handle, member string, accept bool) (*Membership, error) {
	var out *Membership
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, m, err := s.moderatedMember(ctx, tx, by, handle, member)
		if err != nil {
			return err
		}
		if m.State != StatePending {
			return notFound("request_not_found", "this account has no pending request")
		}
		out = m
		if !accept {
			if err := tx.DeleteMembership(ctx, m.ID); err != nil {
				return err
			}
			return s.emit(ctx, tx, MembershipRejected{Membership: m, By: by})
		}
		m.State, m.UpdatedAt = StateActive, s.now()
		if err := tx.UpdateMembership(ctx, m, "state", "updated_at"); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, NotifyJoinAccepted, by, nil, sp, m.Account); err != nil {
			return err
		}
		return s.emit(ctx, tx, MembershipAccepted{Membership: m, By: by})
	})
	if err != nil {
		return nil, internal("answer join request", err)
	}
	return out, nil
}

// moderatedMember loads a space by may moderate and member's membership of it.
func (s *Service) moderatedMember(ctx context.Context, tx *db.DB, by *Account, handle, member string) (*Space, *Membership, error) {
	sp, err := s.moderatedSpace(ctx, tx, by, handle)
	if err != nil {
		return nil, nil, err
	}
	a, err := findAccount(ctx, tx, member)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.membershipOf(ctx, tx, sp, a)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, errNotMember
	}
	return sp, m, nil
}

// outranks tells whether by may act on target's membership: owners on
// anyone, moderators on members, node staff on anyone in a local space.
func (s *Service) outranks(ctx context.Context, tx *db.DB, by *Account, sp *Space, target *Membership) (bool, error) {
	if (isStaff(by) && sp.Account.IsLocal()) || speaksFor(by, sp) {
		return true, nil
	}
	mine, err := s.membershipOf(ctx, tx, sp, by)
	if err != nil || mine == nil {
		return false, err
	}
	return mine.Role == SpaceRoleOwner || target.Role == SpaceRoleMember, nil
}

// SetMemberRole gives an active member a role. Owners may (and node staff,
// for local spaces); the last owner cannot step down.
func (s *Service) SetMemberRole(ctx context.Context, by *Account, handle, member, role string) (*Membership, error) {
	if !slices.Contains(SpaceRoles, role) {
		return nil, invalid("role", "role_invalid", "the role must be one of owner, moderator, member")
	}
	var out *Membership
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		if _, err := s.ownedSpace(ctx, tx, by, handle); err != nil {
			return err
		}
		_, m, err := s.moderatedMember(ctx, tx, by, handle, member)
		if err != nil {
			return err
		}
		if m.State != StateActive {
			return errNotMember
		}
		out = m
		if m.Role == role {
			return nil
		}
		if role != SpaceRoleOwner {
			if err := keepOneOwner(ctx, tx, m); err != nil {
				return err
			}
		}
		m.Role, m.UpdatedAt = role, s.now()
		if err := tx.UpdateMembership(ctx, m, "role", "updated_at"); err != nil {
			return err
		}
		return s.emit(ctx, tx, MemberRoleChanged{Membership: m, By: by})
	})
	if err != nil {
		return nil, internal("set member role", err)
	}
	return out, nil
}

// RemoveMember removes a member (or a pending request) from the space; they
// may join again. Moderators may remove members, owners anyone.
func (s *Service) RemoveMember(ctx context.Context, by *Account, handle, member string) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, m, err := s.moderatedMember(ctx, tx, by, handle, member)
		if err != nil {
			return err
		}
		if m.State == StateBanned {
			return errNotMember
		}
		if err := s.mayActOn(ctx, tx, by, sp, m); err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, MemberRemoved{Membership: m, By: by})
	})
	if err != nil {
		return internal("remove member", err)
	}
	return nil
}

func (s *Service) mayActOn(ctx context.Context, tx *db.DB, by *Account, sp *Space, m *Membership) error {
	if m.AccountID == by.ID {
		return forbidden("not_yourself", "you cannot do this to yourself: leave the space instead")
	}
	ok, err := s.outranks(ctx, tx, by, sp, m)
	if err != nil {
		return err
	}
	if !ok {
		return forbidden("outranked", "only an owner may do this to a moderator or an owner")
	}
	return keepOneOwner(ctx, tx, m)
}

// BanMember bans an account (a member or not) from the space: its membership
// or request ends, it cannot join again, and its follow of the space ends.
func (s *Service) BanMember(ctx context.Context, by *Account, handle, account string) (*Membership, error) {
	var out *Membership
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := s.moderatedSpace(ctx, tx, by, handle)
		if err != nil {
			return err
		}
		a, err := findAccount(ctx, tx, account)
		if err != nil {
			return err
		}
		m, err := s.membershipOf(ctx, tx, sp, a)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case m == nil:
			m = &Membership{ID: newID(), SpaceID: sp.AccountID, AccountID: a.ID, Role: SpaceRoleMember,
				State: StateBanned, CreatedAt: now, UpdatedAt: now, Account: a, Space: sp}
			if a.ID == by.ID {
				return forbidden("not_yourself", "you cannot ban yourself")
			}
			if err := tx.InsertMembership(ctx, m); err != nil {
				return err
			}
		case m.State == StateBanned:
			out = m
			return nil
		default:
			if err := s.mayActOn(ctx, tx, by, sp, m); err != nil {
				return err
			}
			m.State, m.Role, m.Watch, m.UpdatedAt = StateBanned, SpaceRoleMember, false, now
			if err := tx.UpdateMembership(ctx, m, "state", "role", "watch", "updated_at"); err != nil {
				return err
			}
		}
		out = m
		if f, err := tx.FollowBetween(ctx, a.ID, sp.AccountID); err == nil {
			f.Follower, f.Target = a, sp.Account
			if err := tx.DeleteFollow(ctx, f.ID); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, FollowRejected{Follow: f}); err != nil {
				return err
			}
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		return s.emit(ctx, tx, MemberBanned{Membership: m, By: by})
	})
	if err != nil {
		return nil, internal("ban member", err)
	}
	return out, nil
}

// UnbanMember lifts a ban; the account may then join like anyone else.
func (s *Service) UnbanMember(ctx context.Context, by *Account, handle, account string) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		_, m, err := s.moderatedMember(ctx, tx, by, handle, account)
		if err != nil {
			return err
		}
		if m.State != StateBanned {
			return notFound("ban_not_found", "this account is not banned")
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, MemberUnbanned{Membership: m, By: by})
	})
	if err != nil {
		return internal("unban member", err)
	}
	return nil
}

// MemberPage selects a page of a space's memberships.
type MemberPage = db.MemberPage

// SpaceMembers lists a space's memberships in a state, oldest first. Whoever
// may see the space sees its active members; requests and bans are shown to
// its moderators only.
func (s *Service) SpaceMembers(ctx context.Context, viewer *Account, handle string, p MemberPage) ([]*Membership, error) {
	if p.State == "" {
		p.State = StateActive
	}
	if !slices.Contains([]string{StateActive, StatePending, StateBanned}, p.State) {
		return nil, invalid("state", "state_invalid", "the state must be one of active, pending, banned")
	}
	var sp *Space
	var err error
	if p.State == StateActive {
		sp, err = s.Space(ctx, viewer, handle)
	} else {
		sp, err = s.moderatedSpace(ctx, s.db, viewer, handle)
	}
	if err != nil {
		return nil, internal("space members", err)
	}
	p.Limit = pageSize(p.Limit)
	out, err := s.db.ListMemberships(ctx, sp.AccountID, p)
	if err != nil {
		return nil, internal("space members", err)
	}
	return out, nil
}

// WatchSpace turns on or off the notification of every new post of a space
// for one of its active members.
func (s *Service) WatchSpace(ctx context.Context, by *Account, handle string, watch bool) (*Membership, error) {
	if !canAct(by) {
		return nil, errUnauthenticated
	}
	var out *Membership
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		m, err := s.membershipOf(ctx, tx, sp, by)
		if err != nil {
			return err
		}
		if m == nil || m.State != StateActive {
			return forbidden("not_member", "only members watch a space")
		}
		m.Watch, m.UpdatedAt, out = watch, s.now(), m
		return tx.UpdateMembership(ctx, m, "watch", "updated_at")
	})
	if err != nil {
		return nil, internal("watch space", err)
	}
	return out, nil
}

// Account finds the active account named by handle ("user" or "user@host"),
// for following and profiles. With space, it must be a space viewer may see.
func (s *Service) Account(ctx context.Context, viewer *Account, handle string, space bool) (*Account, error) {
	a, err := findAccount(ctx, s.db, handle)
	if errors.Is(err, errAccountHandle) && s.opts.ResolveHandle != nil && canAct(viewer) {
		// an account of another server the node has not met yet: ask its
		// server (WebFinger), as a Mastodon app's follow by handle expects;
		// for members only, so that visitors cannot make the node call out
		if username, domain, _ := ParseHandle(handle); domain != "" {
			if a, err = s.opts.ResolveHandle(ctx, username, domain); err != nil {
				return nil, errAccountHandle
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return s.visibleAccount(ctx, viewer, a, space)
}

// AccountByID finds an active account by id, as Account does by handle.
func (s *Service) AccountByID(ctx context.Context, viewer *Account, id string) (*Account, error) {
	a, err := s.db.AccountByID(ctx, id)
	if err != nil {
		return nil, notFoundOr("account by id", err, errAccountHandle)
	}
	return s.visibleAccount(ctx, viewer, a, false)
}

// visibleAccount returns a if it is active and, for a space (or when space is
// set, which only a space meets), one viewer may see.
func (s *Service) visibleAccount(ctx context.Context, viewer, a *Account, space bool) (*Account, error) {
	if a.Status != StatusActive || !a.DeletedAt.IsZero() {
		return nil, errAccountHandle
	}
	if a.Type == TypeGroup || space {
		if a.Type != TypeGroup {
			return nil, errSpaceNotFound
		}
		if ok, err := s.db.SpaceVisible(ctx, s.Reader(viewer), a.ID); err != nil {
			return nil, internal("space visible", err)
		} else if !ok {
			return nil, errSpaceNotFound
		}
	}
	return a, nil
}
