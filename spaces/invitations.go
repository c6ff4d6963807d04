package spaces

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// maxInviteTTL bounds how long an invitation lives: a link found in an old
// mail must not open the node years later.
const maxInviteTTL = 90 * 24 * time.Hour

// NewInvitation is what it takes to create an invitation.
type NewInvitation struct {
	MaxUses int           // 1 by default; 0 means unlimited
	TTL     time.Duration // 0: the node's default
	Note    string        // for whom, as a reminder to its creator
}

// CreateInvitation makes an invitation and returns it with its token, shown
// this once. Admins and the console may; members too when the node allows it.
func (s *Service) CreateInvitation(ctx context.Context, by *Account, in NewInvitation) (*Invitation, string, error) {
	if !s.MayInvite(by) {
		return nil, "", forbidden("invite_not_allowed", "you may not invite people to this node")
	}
	if in.MaxUses < 0 || in.MaxUses > 10_000 {
		return nil, "", invalid("max_uses", "max_uses_invalid", "the number of uses must be between 0 (unlimited) and 10000")
	}
	if in.MaxUses == 0 && !isAdmin(by) {
		return nil, "", invalid("max_uses", "max_uses_invalid", "only admins may create unlimited invitations")
	}
	ttl := in.TTL
	if ttl == 0 {
		ttl = s.opts.InviteTTL
	}
	if ttl < time.Minute || ttl > maxInviteTTL {
		return nil, "", invalid("ttl", "ttl_invalid", "an invitation lasts between one minute and 90 days")
	}
	note := strings.TrimSpace(in.Note)
	if err := checkText("note", note, 200, false); err != nil {
		return nil, "", err
	}
	token, hash := newToken()
	now := s.now()
	inv := &Invitation{
		ID: newID(), TokenHash: hash, MaxUses: in.MaxUses, Note: note,
		ExpiresAt: now.Add(ttl), CreatedAt: now,
	}
	if by != Console {
		inv.CreatedByID = by.ID
	}
	if err := s.db.InsertInvitation(ctx, inv); err != nil {
		return nil, "", internal("create invitation", err)
	}
	return inv, token, nil
}

// MayInvite tells whether a may create invitations to the node: admins, and
// every active member when the node allows it.
func (s *Service) MayInvite(a *Account) bool {
	return isAdmin(a) || (a != nil && a.User != nil && a.Status == StatusActive && s.opts.MembersCanInvite)
}

// CheckInvitation tells whether token opens registration now, without using it.
func (s *Service) CheckInvitation(ctx context.Context, token string) (*Invitation, error) {
	inv, err := s.db.InvitationByTokenHash(ctx, hashToken(strings.TrimSpace(token)))
	if err != nil {
		return nil, notFoundOr("check invitation", err, errInviteInvalid)
	}
	if err := s.invitationUsable(inv); err != nil {
		return nil, err
	}
	return inv, nil
}

var errInviteInvalid = invalid("invite", "invite_invalid", "this invitation is not valid")

func (s *Service) invitationUsable(inv *Invitation) error {
	switch {
	case !inv.RevokedAt.IsZero():
		return invalid("invite", "invite_revoked", "this invitation was withdrawn")
	case !s.now().Before(inv.ExpiresAt):
		return invalid("invite", "invite_expired", "this invitation has expired")
	case inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return invalid("invite", "invite_used", "this invitation has been used already")
	}
	return nil
}

// useInvitation counts one use of the invitation, inside the registration's transaction.
func (s *Service) useInvitation(ctx context.Context, tx *db.DB, token string) (*Invitation, error) {
	inv, err := tx.InvitationByTokenHash(ctx, hashToken(strings.TrimSpace(token)))
	if errors.Is(err, db.ErrNotFound) {
		return nil, errInviteInvalid
	} else if err != nil {
		return nil, err
	}
	if err := s.invitationUsable(inv); err != nil {
		return nil, err
	}
	ok, err := tx.UseInvitation(ctx, inv.ID, s.now())
	if err != nil {
		return nil, err
	}
	if !ok { // the last use went to a concurrent registration
		return nil, invalid("invite", "invite_used", "this invitation has been used already")
	}
	return inv, nil
}

// ListInvitations lists invitations, newest first: all of them for admins, their
// own for members.
func (s *Service) ListInvitations(ctx context.Context, by *Account) ([]*Invitation, error) {
	if by == nil {
		return nil, errUnauthenticated
	}
	createdBy := by.ID
	if isAdmin(by) {
		createdBy = ""
	}
	out, err := s.db.ListInvitations(ctx, createdBy, 200)
	if err != nil {
		return nil, internal("list invitations", err)
	}
	return out, nil
}
