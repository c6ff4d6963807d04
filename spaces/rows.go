package spaces

import (
	"context"
	"time"
)

// Rows are the domain's rows as the protocol side reads them: by id, by the
// IRI another server gave them, counted, without a viewer's permissions (it
// applies them itself, with a Reader, to decide who receives what). It keeps
// on them only the IRIs of the activities it sent for them. Every change a
// member or a remote actor makes goes through the Service instead; the
// federation reaches domain rows through these alone. Calls made with a
// context that carries a transaction (a listener's) run in it.
type Rows interface {
	AccountByID(ctx context.Context, id string) (*Account, error)
	AccountByURI(ctx context.Context, uri string) (*Account, error)
	LocalAccountByUsername(ctx context.Context, username string) (*Account, error)
	CountLocalMembers(ctx context.Context, f MemberFilter) (int, error)
	CountActiveUsers(ctx context.Context, since time.Time) (int, error)

	SpaceByAccountID(ctx context.Context, id string) (*Space, error)
	SpaceBySlug(ctx context.Context, slug, domain string) (*Space, error)
	SpaceVisible(ctx context.Context, r Reader, spaceID string) (bool, error)
	MembershipOf(ctx context.Context, spaceID, accountID string) (*Membership, error)
	MembershipByURI(ctx context.Context, uri string) (*Membership, error)
	ListMemberships(ctx context.Context, spaceID string, p MemberPage) ([]*Membership, error)
	CountMembers(ctx context.Context, spaceID, state string, roles ...string) (int, error)

	FollowBetween(ctx context.Context, followerID, targetID string) (*Follow, error)
	FollowByURI(ctx context.Context, uri string) (*Follow, error)
	ListFollowers(ctx context.Context, targetID string, p FollowPage) ([]*Follow, error)
	ListFollowing(ctx context.Context, followerID string, p FollowPage) ([]*Follow, error)

	PostByID(ctx context.Context, id string) (*Post, error)
	PostByURI(ctx context.Context, uri string) (*Post, error)
	PostIDByIDOrURI(ctx context.Context, id, uri string) (string, error)
	VisiblePost(ctx context.Context, r Reader, id string) (*Post, error)
	CountLocalPosts(ctx context.Context) (int, error)
	LikeByURI(ctx context.Context, uri string) (*Like, error)
	MediaByID(ctx context.Context, id string) (*Media, error)
	PollsOf(ctx context.Context, postIDs []string) (map[string]*Poll, error)
	RegistrationByURI(ctx context.Context, uri string) (*Registration, error)

	// The IRIs of the activities sent for a follow, a membership (its
	// Join), a like and an event registration (its Join), which the
	// answers and undos name.
	SetFollowURI(ctx context.Context, id, uri string) error
	SetMembershipURI(ctx context.Context, id, uri string) error
	SetLikeURI(ctx context.Context, id, uri string) error
	SetRegistrationURI(ctx context.Context, id, uri string) error
}

// Rows returns the domain's rows for the protocol side.
func (s *Service) Rows() Rows { return s.db }
