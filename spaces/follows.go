package spaces

import (
	"context"
	"errors"

	"github.com/ruche-social/ruche/db"
)

// Follow is one account following another.
type Follow = db.Follow

// Follow states.
const (
	FollowStatePending  = "pending"
	FollowStateAccepted = "accepted"
)

// Follow events. Each carries the follow with its Follower and Target loaded, so
// a listener can tell which side is remote and what to send.
type (
	// FollowRequested: a follow was created, pending or (target unlocked) accepted at once.
	FollowRequested struct{ Follow *Follow }
	// FollowAccepted: a pending follow was accepted by its target.
	FollowAccepted struct{ Follow *Follow }
	// FollowRejected: a pending or accepted follow was refused or removed by its target.
	FollowRejected struct{ Follow *Follow }
	// FollowUndone: the follower stopped following.
	FollowUndone struct{ Follow *Follow }
)

func (FollowRequested) eventName() string { return "follow requested" }
func (FollowAccepted) eventName() string  { return "follow accepted" }
func (FollowRejected) eventName() string  { return "follow rejected" }
func (FollowUndone) eventName() string    { return "follow undone" }

var errFollowNotFound = notFound("follow_not_found", "no such follow")

// FollowAccount makes by follow target: a member, or a public space (to see
// its posts without joining it). uri is the id of the Follow activity when
// the request came from another server, empty otherwise. The follow is accepted
// at once when the target is a local account that does not approve followers by
// hand; a remote target answers later (AcceptFollow). Following twice returns
// the existing follow.
func (s *Service) FollowAccount(ctx context.Context, by, target *Account, uri string) (*Follow, error) {
	if !canAct(by) {
		return nil, errUnauthenticated
	}
	if target == nil || target.Status != StatusActive {
		return nil, notFound("account_not_found", "no such account")
	}
	if target.ID == by.ID {
		return nil, invalid("", "follow_self", "you cannot follow yourself")
	}
	if !by.IsLocal() && !target.IsLocal() {
		return nil, forbidden("follow_not_local", "neither account lives on this node")
	}
	if target.Type != TypePerson && target.Type != TypeGroup {
		return nil, forbidden("follow_not_allowed", "this account cannot be followed")
	}
	var out *Follow
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		if target.Type == TypeGroup {
			if err := s.mayFollowSpace(ctx, tx, by, target); err != nil {
				return err
			}
		}
		existing, err := tx.FollowBetween(ctx, by.ID, target.ID)
		if err == nil {
			out = existing
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		now := s.now()
		f := &Follow{
			ID: newID(), FollowerID: by.ID, TargetID: target.ID, State: FollowStateAccepted,
			URI: uri, CreatedAt: now, UpdatedAt: now, Follower: by, Target: target,
		}
		// A local space takes followers at once (its lock is for members);
		// a remote account answers later.
		if !target.IsLocal() || (target.Locked && target.Type == TypePerson) {
			f.State = FollowStatePending
		}
		if err := tx.InsertFollow(ctx, f); err != nil {
			return err
		}
		out = f
		return s.emit(ctx, tx, FollowRequested{Follow: f})
	})
	if err != nil {
		return nil, internal("follow", err)
	}
	return out, nil
}

// AcceptFollow accepts follower's pending follow of by. For a local target, by
// is the member approving the request; for a remote target, it is the remote
// account whose server sent Accept.
func (s *Service) AcceptFollow(ctx context.Context, by, follower *Account) (*Follow, error) {
	return s.answerFollow(ctx, by, follower, true)
}

// RejectFollow refuses follower's pending follow of by, or removes an accepted one.
func (s *Service) RejectFollow(ctx context.Context, by, follower *Account) (*Follow, error) {
	return s.answerFollow(ctx, by, follower, false)
}

func (s *Service) answerFollow(ctx context.Context, by, follower *Account, accept bool) (*Follow, error) {
	if !canAct(by) {
		return nil, errUnauthenticated
	}
	if follower == nil {
		return nil, errFollowNotFound
	}
	var out *Follow
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		f, err := tx.FollowBetween(ctx, follower.ID, by.ID)
		if err != nil {
			return notFoundOr("answer follow", err, errFollowNotFound)
		}
		f.Follower, f.Target, out = follower, by, f
		if !accept {
			if err := tx.DeleteFollow(ctx, f.ID); err != nil {
				return err
			}
			return s.emit(ctx, tx, FollowRejected{Follow: f})
		}
		if f.State == FollowStateAccepted {
			return nil // an Accept delivered twice
		}
		f.State, f.UpdatedAt = FollowStateAccepted, s.now()
		if err := tx.UpdateFollow(ctx, f, "state", "updated_at"); err != nil {
			return err
		}
		return s.emit(ctx, tx, FollowAccepted{Follow: f})
	})
	if err != nil {
		return nil, internal("answer follow", err)
	}
	return out, nil
}

// Unfollow ends by's follow of target, pending or accepted.
func (s *Service) Unfollow(ctx context.Context, by, target *Account) error {
	if !canAct(by) {
		return errUnauthenticated
	}
	if target == nil {
		return errFollowNotFound
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		f, err := tx.FollowBetween(ctx, by.ID, target.ID)
		if err != nil {
			return notFoundOr("unfollow", err, errFollowNotFound)
		}
		f.Follower, f.Target = by, target
		if err := tx.DeleteFollow(ctx, f.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, FollowUndone{Follow: f})
	})
	if err != nil {
		return internal("unfollow", err)
	}
	return nil
}

// FollowPage selects a page of followers or followed accounts.
type FollowPage = db.FollowPage

// maxPage bounds every page a list returns.
const maxPage = 100

func bounded(p FollowPage) FollowPage {
	if p.Limit <= 0 || p.Limit > maxPage {
		p.Limit = maxPage
	}
	if p.State == "" {
		p.State = FollowStateAccepted
	}
	return p
}

// Followers lists who follows account, newest first. Pending requests are shown
// only to the account itself.
func (s *Service) Followers(ctx context.Context, by, account *Account, p FollowPage) ([]*Follow, error) {
	p = bounded(p)
	if p.State == FollowStatePending && (by == nil || by.ID != account.ID) {
		return nil, forbidden("not_yours", "only the account itself sees its follow requests")
	}
	out, err := s.db.ListFollowers(ctx, account.ID, p)
	if err != nil {
		return nil, internal("followers", err)
	}
	return out, nil
}

// Following lists whom account follows, newest first.
func (s *Service) Following(ctx context.Context, account *Account, p FollowPage) ([]*Follow, error) {
	p = bounded(p)
	out, err := s.db.ListFollowing(ctx, account.ID, p)
	if err != nil {
		return nil, internal("following", err)
	}
	return out, nil
}

// FollowCounts returns how many accounts follow account and how many it follows.
func (s *Service) FollowCounts(ctx context.Context, account *Account) (followers, following int, err error) {
	if followers, err = s.db.CountFollows(ctx, "target_id", account.ID); err != nil {
		return 0, 0, internal("count followers", err)
	}
	if following, err = s.db.CountFollows(ctx, "follower_id", account.ID); err != nil {
		return 0, 0, internal("count following", err)
	}
	return followers, following, nil
}

// canAct tells whether a acts as an active account (a local member or a remote
// actor; not an anonymous visitor, not the console).
func canAct(a *Account) bool { return a != nil && a != Console && a.Status == StatusActive }

// mayFollowSpace checks that by may follow the space whose account is target:
// a local space must be public and by not banned from it. A remote space
// decides for itself (the follow stays pending until it answers).
func (s *Service) mayFollowSpace(ctx context.Context, tx *db.DB, by, target *Account) error {
	if !target.IsLocal() {
		return nil
	}
	sp, err := tx.SpaceByAccountID(ctx, target.ID)
	if err != nil {
		return notFoundOr("follow space", err, errSpaceNotFound)
	}
	if ok, err := tx.SpaceVisible(ctx, s.Reader(by), sp.AccountID); err != nil {
		return err
	} else if !ok {
		return errSpaceNotFound
	}
	if sp.Visibility != VisibilityPublic {
		return forbidden("space_not_public", "only public spaces can be followed without joining")
	}
	m, err := s.membershipOf(ctx, tx, sp, by)
	if err != nil {
		return err
	}
	if m != nil && m.State == StateBanned {
		return forbidden("banned", "you are banned from this space")
	}
	return nil
}
