package spaces

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// Visibilities of a space (and of its posts).
const (
	VisibilityPublic    = "public"    // anyone, and as:Public in federation
	VisibilityNetwork   = "network"   // the node's members and allowed nodes
	VisibilityMembers   = "members"   // the space's members only
	VisibilityFollowers = "followers" // profile posts: the author's followers (and the accounts they mention)
	// Profile posts of other servers only: unlisted is public but kept out
	// of public listings (as:Public in cc, not in to); direct is for the
	// accounts it mentions or addresses alone.
	VisibilityUnlisted = "unlisted"
	VisibilityDirect   = "direct"
)

// Join policies and posting rights of a space.
const (
	JoinOpen     = "open"
	JoinApproval = "approval"
	JoinInvite   = "invite"

	PostingMembers    = "members"
	PostingModerators = "moderators"
)

// Roles and states of memberships.
const (
	SpaceRoleOwner     = "owner"
	SpaceRoleModerator = "moderator"
	SpaceRoleMember    = "member"

	StatePending = "pending"
	StateActive  = "active"
	StateBanned  = "banned"
)

// Tools a space's moderators switch on or off. Posts are always on: they
// are the space's conversation.
const (
	ToolArticles  = "articles"
	ToolEvents    = "events"
	ToolPolls     = "polls"
	ToolFAQ       = "faq"
	ToolDocuments = "documents"
	ToolWiki      = "wiki"
)

var (
	Tools             = []string{ToolArticles, ToolEvents, ToolPolls, ToolFAQ, ToolDocuments, ToolWiki}
	SpaceVisibilities = []string{VisibilityPublic, VisibilityNetwork, VisibilityMembers}
	JoinPolicies      = []string{JoinOpen, JoinApproval, JoinInvite}
	PostingRights     = []string{PostingMembers, PostingModerators}
	SpaceRoles        = []string{SpaceRoleOwner, SpaceRoleModerator, SpaceRoleMember}
)

var errSpaceNotFound = notFound("space_not_found", "no such space")

// SpaceSettings are a space's editable fields; nil leaves a field as is (on
// creation, nil takes the default).
type SpaceSettings struct {
	Name        *string
	Description *string
	Rules       *string
	Languages   []string // nil: unchanged; the first is the main language
	Themes      []string // nil: unchanged
	Visibility  *string
	JoinPolicy  *string
	Posting     *string
	// DocumentAdding says who adds documents: members or moderators.
	DocumentAdding *string
	AvatarID       *string // a media id the editor uploaded; "" clears it
	BannerID       *string
	Tools          []string // the tools switched on; nil: unchanged (all on for a new space)
}

// NewSpace is what it takes to create a space.
type NewSpace struct {
	Slug string
	SpaceSettings
}

// Reader tells the visibility rule who viewer is: anonymous visitors see
// public content; local members are inside the network; a remote actor is
// inside it when its host is a network peer; another server's own actor (an
// Application or Service, which signs that server's fetches) and the Group
// of a space it hosts read for the whole server; the Console (the node
// itself: its command line, its delivery worker) sees everything. This is the only place that decides; db applies
// it to every list, search and fetch.
func (s *Service) Reader(viewer *Account) Reader {
	if viewer == Console {
		return Reader{Network: true, All: true}
	}
	if !canAct(viewer) {
		return Reader{}
	}
	network := viewer.IsLocal() || (s.opts.NetworkPeer != nil && s.opts.NetworkPeer(viewer.Domain))
	r := Reader{AccountID: viewer.ID, Network: network, Now: s.now()}
	if !viewer.IsLocal() && (viewer.Type == TypeApplication || viewer.Type == "Service" || viewer.Type == TypeGroup) {
		r.Domain = viewer.Domain
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// CreateSpace creates a space owned by by: a Group account named slug, its
// settings, and by's owner membership. Any local member may, unless the node
// restricts creation to admins.
func (s *Service) CreateSpace(ctx context.Context, by *Account, in NewSpace) (*Space, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	if s.opts.SpaceCreation == SpaceCreationAdmins && !isAdmin(by) {
		return nil, forbidden("space_creation_admins", "on this node only admins create spaces")
	}
	slug, err := normalizeUsername(in.Slug)
	if err != nil {
		de := AsError(err)
		// codes: slug_required slug_invalid slug_reserved
		return nil, &Error{Kind: de.Kind, Field: "slug", Code: strings.Replace(de.Code, "username", "slug", 1), Message: strings.Replace(de.Message, "username", "slug", 1)}
	}
	now := s.now()
	sp := &Space{
		Visibility: VisibilityPublic, JoinPolicy: JoinOpen, Posting: PostingMembers, DocumentAdding: PostingMembers,
		Languages: s.defaultLocale(ctx), CreatedByID: by.ID, CreatedAt: now, UpdatedAt: now,
		Account: &Account{ID: newID(), Type: TypeGroup, Username: slug, Status: StatusActive, CreatedAt: now, UpdatedAt: now},
	}
	sp.AccountID = sp.Account.ID
	if in.Name == nil {
		in.Name = ptr("")
	}
	if err := s.applySettings(ctx, s.db, by, sp, in.SpaceSettings); err != nil {
		return nil, err
	}
	owner := &Membership{ID: newID(), SpaceID: sp.AccountID, AccountID: by.ID, Role: SpaceRoleOwner,
		State: StateActive, Watch: true, CreatedAt: now, UpdatedAt: now, Account: by, Space: sp}
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if _, err := tx.LocalAccountByUsername(ctx, slug); err == nil {
			return conflict("slug", "slug_taken", "this name is taken")
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if err := tx.InsertAccount(ctx, sp.Account); err != nil {
			return err
		}
		if err := tx.InsertSpace(ctx, sp); err != nil {
			return err
		}
		if err := tx.InsertMembership(ctx, owner); err != nil {
			return err
		}
		if err := s.indexSpace(ctx, tx, sp); err != nil {
			return err
		}
		return s.emit(ctx, tx, SpaceCreated{Space: sp, Owner: owner})
	})
	if errors.Is(err, db.ErrConflict) {
		return nil, conflict("slug", "slug_taken", "this name is taken")
	}
	if err != nil {
		return nil, internal("create space", err)
	}
	return sp, nil
}

// applySettings checks the given settings and sets them on sp.
func (s *Service) applySettings(ctx context.Context, d *db.DB, by *Account, sp *Space, in SpaceSettings) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			return invalid("name", "name_required", "a space needs a name")
		}
		if err := checkText("name", name, 100, false); err != nil {
			return err
		}
		sp.Account.DisplayName = name
	}
	if in.Description != nil {
		v := strings.TrimSpace(*in.Description)
		if err := checkText("description", v, 2000, true); err != nil {
			return err
		}
		sp.Account.Bio = v
	}
	if in.Rules != nil {
		v := strings.TrimSpace(*in.Rules)
		if err := checkText("rules", v, 5000, true); err != nil {
			return err
		}
		sp.Rules = v
	}
	if in.Languages != nil {
		var langs []string
		for _, l := range in.Languages {
			l = strings.ToLower(strings.TrimSpace(l))
			if err := checkLanguage("languages", l); err != nil {
				return err
			}
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
		if len(langs) == 0 || len(langs) > 10 {
			return invalid("languages", "languages_invalid", "a space has 1 to 10 languages")
		}
		sp.Languages = strings.Join(langs, " ")
	}
	if in.Themes != nil {
		themes, err := normalizeThemes("themes", in.Themes)
		if err != nil {
			return err
		}
		sp.Themes = themes
	}
	for _, c := range []struct {
		field   string
		val     *string
		allowed []string
		dst     *string
	}{
		{"visibility", in.Visibility, SpaceVisibilities, &sp.Visibility},
		{"join_policy", in.JoinPolicy, JoinPolicies, &sp.JoinPolicy},
		{"posting", in.Posting, PostingRights, &sp.Posting},
		{"document_adding", in.DocumentAdding, DocumentAddingRights, &sp.DocumentAdding},
	} {
		if c.val == nil {
			continue
		}
		if !slices.Contains(c.allowed, *c.val) {
			// codes: visibility_invalid join_policy_invalid posting_invalid document_adding_invalid
			return invalid(c.field, c.field+"_invalid", "must be one of "+strings.Join(c.allowed, ", "))
		}
		*c.dst = *c.val
	}
	sp.Account.Locked = sp.JoinPolicy != JoinOpen
	if in.Tools != nil {
		var off []string
		for _, t := range in.Tools {
			if !slices.Contains(Tools, t) {
				return invalid("tools", "tool_invalid", "the tools are "+strings.Join(Tools, ", "))
			}
		}
		for _, t := range Tools {
			if !slices.Contains(in.Tools, t) {
				off = append(off, t)
			}
		}
		sp.ToolsOff = strings.Join(off, " ")
	}
	for _, c := range []struct {
		field string
		val   *string
		dst   *string
	}{{"avatar_id", in.AvatarID, &sp.AvatarID}, {"banner_id", in.BannerID, &sp.BannerID}} {
		if c.val == nil {
			continue
		}
		id, err := ownImage(ctx, d, by, c.field, *c.val)
		if err != nil {
			return err
		}
		*c.dst = id
	}
	return nil
}

// ownImage checks that id names an image by uploaded and not attached to a
// post, for an avatar or banner; "" clears the image.
func ownImage(ctx context.Context, d *db.DB, by *Account, field, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	m, err := d.MediaByID(ctx, id)
	if err != nil || m.AccountID != by.ID || m.PostID != "" || !strings.HasPrefix(m.MediaType, "image/") {
		return "", invalid(field, "image_invalid", "upload an image first and give its id")
	}
	return m.ID, nil
}

// indexSpace puts the space's words in the search index.
func (s *Service) indexSpace(ctx context.Context, tx *db.DB, sp *Space) error {
	text := Fold(strings.Join([]string{sp.Account.Username, sp.Account.DisplayName, sp.Account.Bio, sp.Rules, strings.Join(sp.Themes, " ")}, " "))
	langs := sp.LanguageList()
	lang := ""
	if len(langs) > 0 {
		lang = langs[0]
	}
	return tx.PutSearchDoc(ctx, sp.AccountID, db.SearchSpace, []db.SearchText{{Language: lang, Text: text}})
}

// UpdateSpace changes a space's settings. Its owners and moderators may (and
// the node's staff, for local spaces). Changing the visibility changes it on
// the space's posts too.
func (s *Service) UpdateSpace(ctx context.Context, by *Account, slug string, in SpaceSettings) (*Space, error) {
	var out *Space
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := s.moderatedSpace(ctx, tx, by, slug)
		if err != nil {
			return err
		}
		if sp.IsArchived() {
			return errArchived
		}
		oldVisibility := sp.Visibility
		if err := s.applySettings(ctx, tx, by, sp, in); err != nil {
			return err
		}
		now := s.now()
		sp.UpdatedAt, sp.Account.UpdatedAt = now, now
		if err := tx.UpdateAccount(ctx, sp.Account, "display_name", "bio", "locked", "updated_at"); err != nil {
			return err
		}
		if err := tx.UpdateSpace(ctx, sp, "rules", "languages", "visibility", "join_policy", "posting", "document_adding", "tools_off", "avatar_id", "banner_id", "updated_at"); err != nil {
			return err
		}
		if in.Themes != nil {
			if err := tx.SetSpaceThemes(ctx, sp.AccountID, sp.Themes); err != nil {
				return err
			}
		}
		if sp.Visibility != oldVisibility {
			if err := tx.SetSpacePostsVisibility(ctx, sp.AccountID, sp.Visibility); err != nil {
				return err
			}
		}
		if err := s.indexSpace(ctx, tx, sp); err != nil {
			return err
		}
		out = sp
		return s.emit(ctx, tx, SpaceUpdated{Space: sp, By: by})
	})
	if err != nil {
		return nil, internal("update space", err)
	}
	return out, nil
}

var errArchived = forbidden("space_archived", "this space is archived: it is read-only")

// ArchiveSpace makes a space read-only (archive true) or writable again.
// Owners may, and the node's staff for local spaces.
func (s *Service) ArchiveSpace(ctx context.Context, by *Account, slug string, archive bool) (*Space, error) {
	var out *Space
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := s.ownedSpace(ctx, tx, by, slug)
		if err != nil {
			return err
		}
		out = sp
		if sp.IsArchived() == archive {
			return nil
		}
		now := s.now()
		sp.ArchivedAt = now
		if !archive {
			sp.ArchivedAt = time.Time{}
		}
		sp.UpdatedAt = now
		if err := tx.UpdateSpace(ctx, sp, "archived_at", "updated_at"); err != nil {
			return err
		}
		return s.emit(ctx, tx, SpaceUpdated{Space: sp, By: by})
	})
	if err != nil {
		return nil, internal("archive space", err)
	}
	return out, nil
}

// DeleteSpace deletes a space with its memberships, invitations and posts.
// Owners may, and the node's staff for local spaces.
func (s *Service) DeleteSpace(ctx context.Context, by *Account, slug string) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := s.ownedSpace(ctx, tx, by, slug)
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, SpaceDeleted{Space: sp, By: by}); err != nil {
			return err
		}
		if err := tx.DeleteSearchDoc(ctx, sp.AccountID); err != nil {
			return err
		}
		return tx.DeleteSpace(ctx, sp.AccountID)
	})
	if err != nil {
		return internal("delete space", err)
	}
	return nil
}

// findSpace loads a space by its handle: "slug" for a local space,
// "slug@host" for a remote one the node knows.
func findSpace(ctx context.Context, tx *db.DB, handle string) (*Space, error) {
	slug, domain, ok := ParseHandle(handle)
	if !ok {
		return nil, errSpaceNotFound
	}
	sp, err := tx.SpaceBySlug(ctx, slug, domain)
	if err != nil {
		return nil, notFoundOr("find space", err, errSpaceNotFound)
	}
	return sp, nil
}

// Space returns the space named handle if viewer may see it.
func (s *Service) Space(ctx context.Context, viewer *Account, handle string) (*Space, error) {
	sp, err := findSpace(ctx, s.db, handle)
	if err != nil {
		return nil, err
	}
	ok, err := s.db.SpaceVisible(ctx, s.Reader(viewer), sp.AccountID)
	if err != nil {
		return nil, internal("space visible", err)
	}
	if !ok {
		return nil, errSpaceNotFound
	}
	return sp, nil
}

// SpaceFilter narrows ListSpaces.
type SpaceFilter struct {
	Theme      string
	Language   string
	Visibility string // public, network or members; empty for any
	Query      string // words the space's name, description, rules or themes hold
	Joined     bool   // only the spaces viewer is a member of
	After      string // cursor: the last slug of the previous page
	Limit      int
}

// ListSpaces lists the spaces viewer may see, by slug: the directory.
func (s *Service) ListSpaces(ctx context.Context, viewer *Account, f SpaceFilter) ([]*Space, error) {
	q, err := s.spaceQuery(viewer, f)
	if err == errNoWords {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.Joined {
		if !canAct(viewer) {
			return nil, errUnauthenticated
		}
		q.MemberID = viewer.ID
	}
	out, err := s.db.ListSpaces(ctx, q)
	if err != nil {
		return nil, internal("list spaces", err)
	}
	return out, nil
}

// pageSize bounds a requested page size to 1..maxPage, 20 by default.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > maxPage:
		return maxPage
	}
	return n
}

// moderatedSpace loads a space that by may moderate: an active owner or
// moderator of it, or the node's staff for a local space.
func (s *Service) moderatedSpace(ctx context.Context, tx *db.DB, by *Account, handle string) (*Space, error) {
	return s.spaceWithRole(ctx, tx, by, handle, SpaceRoleOwner, SpaceRoleModerator)
}

// ownedSpace loads a space that by owns (or the node's staff, for a local space).
func (s *Service) ownedSpace(ctx context.Context, tx *db.DB, by *Account, handle string) (*Space, error) {
	return s.spaceWithRole(ctx, tx, by, handle, SpaceRoleOwner)
}

func (s *Service) spaceWithRole(ctx context.Context, tx *db.DB, by *Account, handle string, roles ...string) (*Space, error) {
	if !canAct(by) {
		return nil, errUnauthenticated
	}
	sp, err := findSpace(ctx, tx, handle)
	if err != nil {
		return nil, err
	}
	if (isStaff(by) && sp.Account.IsLocal()) || speaksFor(by, sp) {
		return sp, nil
	}
	m, err := s.membershipOf(ctx, tx, sp, by)
	if err != nil {
		return nil, err
	}
	if m == nil || m.State != StateActive || !slices.Contains(roles, m.Role) {
		if visible, _ := tx.SpaceVisible(ctx, s.Reader(by), sp.AccountID); !visible {
			return nil, errSpaceNotFound
		}
		return nil, forbidden("not_moderator", "only the space's moderators may do this")
	}
	return sp, nil
}

// membershipOf returns a's membership of sp in any state, or nil.
func (s *Service) membershipOf(ctx context.Context, tx *db.DB, sp *Space, a *Account) (*Membership, error) {
	if a == nil || a == Console {
		return nil, nil
	}
	m, err := tx.MembershipOf(ctx, sp.AccountID, a.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m.Space = sp
	return m, nil
}

// Membership returns viewer's membership of the space (nil if none): what
// the doors need to show a join button, a pending request or a role.
func (s *Service) Membership(ctx context.Context, viewer *Account, sp *Space) (*Membership, error) {
	m, err := s.membershipOf(ctx, s.db, sp, viewer)
	if err != nil {
		return nil, internal("membership", err)
	}
	return m, nil
}

// MemberCount counts a space's active members.
func (s *Service) MemberCount(ctx context.Context, sp *Space) (int, error) {
	n, err := s.db.CountMembers(ctx, sp.AccountID, StateActive)
	if err != nil {
		return 0, internal("count members", err)
	}
	return n, nil
}

// speaksFor tells whether by is the Group account of a remote space: its
// server (whose signature the federation layer checked) moderates the space,
// and this node mirrors its decisions — accepting or refusing local members'
// requests, removing and banning, deleting posts.
func speaksFor(by *Account, sp *Space) bool {
	return by != nil && sp != nil && !sp.Account.IsLocal() && by.ID == sp.AccountID
}

// toolsAllow refuses a post that needs a tool its space switched off: an
// article, an event, a poll, an FAQ entry, a wiki page. What was made
// before stays.
func toolsAllow(sp *Space, p *Post, in PostInput) error {
	if sp == nil {
		return nil
	}
	for tool, used := range map[string]bool{ToolArticles: p.Kind == KindArticle, ToolEvents: p.Kind == KindEvent, ToolPolls: in.Poll != nil,
		ToolFAQ: p.Kind == KindFAQ, ToolDocuments: p.Kind == KindDocument, ToolWiki: p.Kind == KindPage} {
		if used && !sp.ToolOn(tool) {
			// the tool's name says which
			return forbidden("tool_off", "this space has switched off its "+tool)
		}
	}
	return nil
}
