package spaces

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// SpaceInvite says whom to invite into a space: an account by handle ("user"
// on this node, "user@host" elsewhere), or (Link) anyone holding a link.
type SpaceInvite struct {
	Handle  string
	Link    bool
	MaxUses int           // links: how many may join with it; 0 means unlimited
	TTL     time.Duration // 0: the node's default invitation lifetime
}

func spaceInvitationUsable(inv *SpaceInvitation, now time.Time) error {
	switch {
	case !inv.RevokedAt.IsZero():
		return invalid("invite", "invite_revoked", "this invitation was withdrawn")
	case !now.Before(inv.ExpiresAt):
		return invalid("invite", "invite_expired", "this invitation has expired")
	case inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return invalid("invite", "invite_used", "this invitation has been used already")
	}
	return nil
}

// InviteToSpace invites someone into a space, past its join policy. The
// space's moderators may. A link invitation returns its token, shown this
// once. A remote handle the node does not know yet is resolved with
// Options.ResolveHandle when set; otherwise the invitation keeps the handle
// for the federation layer to resolve and deliver.
func (s *Service) InviteToSpace(ctx context.Context, by *Account, handle string, in SpaceInvite) (*SpaceInvitation, string, error) {
	ttl := in.TTL
	if ttl == 0 {
		ttl = s.opts.InviteTTL
	}
	if ttl < time.Minute || ttl > maxInviteTTL {
		return nil, "", invalid("ttl", "ttl_invalid", "an invitation lasts between one minute and 90 days")
	}
	if in.MaxUses < 0 || in.MaxUses > 10_000 {
		return nil, "", invalid("max_uses", "max_uses_invalid", "the number of uses must be between 0 (unlimited) and 10000")
	}
	var invitee *Account
	var username, domain string
	if !in.Link {
		var ok bool
		username, domain, ok = ParseHandle(in.Handle)
		if !ok || username == "" {
			return nil, "", invalid("handle", "handle_invalid", "give a username, or user@host for someone on another server")
		}
		if domain != "" && s.opts.ResolveHandle != nil {
			if a, err := s.db.AccountByHandle(ctx, username, domain); errors.Is(err, db.ErrNotFound) {
				if a, err = s.opts.ResolveHandle(ctx, username, domain); err == nil {
					invitee = a
				}
			}
		}
	}
	var out *SpaceInvitation
	var token string
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := s.moderatedSpace(ctx, tx, by, handle)
		if err != nil {
			return err
		}
		if sp.IsArchived() {
			return errArchived
		}
		now := s.now()
		inv := &SpaceInvitation{ID: newID(), SpaceID: sp.AccountID, MaxUses: 1, ExpiresAt: now.Add(ttl), CreatedAt: now, Space: sp}
		if by != Console {
			inv.CreatedByID, inv.CreatedBy = by.ID, by
		}
		if in.Link {
			token, inv.TokenHash = newToken()
			inv.MaxUses = in.MaxUses
		} else {
			if err := s.resolveInvitee(ctx, tx, inv, sp, username, domain, invitee); err != nil {
				return err
			}
		}
		if err := tx.InsertSpaceInvitation(ctx, inv); err != nil {
			return err
		}
		out = inv
		if in.Link {
			return nil
		}
		if err := s.notify(ctx, tx, NotifyInvitation, by, nil, sp, inv.Account); err != nil {
			return err
		}
		return s.emit(ctx, tx, SpaceInvited{Invitation: inv, By: by})
	})
	if err != nil {
		return nil, "", internal("invite to space", err)
	}
	return out, token, nil
}

// resolveInvitee sets the invitation's account (or, for an unknown remote
// account, its handle) and refuses members and banned accounts.
func (s *Service) resolveInvitee(ctx context.Context, tx *db.DB, inv *SpaceInvitation, sp *Space, username, domain string, known *Account) error {
	a := known
	if a == nil {
		found, err := tx.AccountByHandle(ctx, username, domain)
		switch {
		case err == nil:
			a = found
		case !errors.Is(err, db.ErrNotFound):
			return err
		case domain == "":
			return notFound("account_not_found", "no member of this node has this username")
		}
	}
	if a == nil {
		inv.Handle = strings.ToLower(username) + "@" + domain
		return nil
	}
	if a.Type != TypePerson || a.Status != StatusActive {
		return notFound("account_not_found", "no such account")
	}
	m, err := s.membershipOf(ctx, tx, sp, a)
	if err != nil {
		return err
	}
	if m != nil && m.State == StateBanned {
		return conflict("handle", "banned", "this account is banned from the space: lift the ban first")
	}
	if m != nil && m.State == StateActive {
		return conflict("handle", "already_member", "this account is a member already")
	}
	inv.AccountID, inv.Account = a.ID, a
	inv.Handle = handle{Username: a.Username, Domain: a.Domain}.String()
	return nil
}

// SpaceInvitations lists a space's invitations, newest first; moderators only.
func (s *Service) SpaceInvitations(ctx context.Context, by *Account, handle string) ([]*SpaceInvitation, error) {
	sp, err := s.moderatedSpace(ctx, s.db, by, handle)
	if err != nil {
		return nil, err
	}
	out, err := s.db.ListSpaceInvitations(ctx, sp.AccountID, 200)
	if err != nil {
		return nil, internal("space invitations", err)
	}
	return out, nil
}

// RevokeSpaceInvitation withdraws an invitation; moderators only.
func (s *Service) RevokeSpaceInvitation(ctx context.Context, by *Account, handle, id string) error {
	sp, err := s.moderatedSpace(ctx, s.db, by, handle)
	if err != nil {
		return err
	}
	if err := s.db.RevokeSpaceInvitation(ctx, sp.AccountID, id, s.now()); err != nil {
		return notFoundOr("revoke space invitation", err, notFound("invitation_not_found", "no such invitation"))
	}
	return nil
}

// SpaceOfInvitation tells which space a link invitation opens, if it is
// still valid: what an invited outsider sees before joining, even for a
// members-only space.
func (s *Service) SpaceOfInvitation(ctx context.Context, token string) (*Space, error) {
	inv, err := s.db.SpaceInvitationByTokenHash(ctx, hashToken(strings.TrimSpace(token)))
	if err != nil {
		return nil, notFoundOr("space invitation", err, invalid("invite", "invite_invalid", "this invitation is not valid"))
	}
	if err := spaceInvitationUsable(inv, s.now()); err != nil {
		return nil, err
	}
	sp, err := s.db.SpaceByAccountID(ctx, inv.SpaceID)
	if err != nil {
		return nil, internal("space of invitation", err)
	}
	return sp, nil
}
