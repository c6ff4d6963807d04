package db

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Space holds the settings of a space. The space itself is an account of type
// Group: its slug is the account's username, its name and description the
// account's display name and bio, so slugs and usernames share one namespace.
type Space struct {
	bun.BaseModel `bun:"table:spaces,alias:space"`

	AccountID  string `bun:",pk"`
	Rules      string
	Languages  string // language codes separated by spaces, the main one first
	Visibility string // public, network, members
	JoinPolicy string // open, approval, invite
	Posting    string // members, moderators
	ToolsOff   string // the tools switched off, separated by spaces
	// DocumentAdding says who adds documents: members or moderators.
	DocumentAdding string    `bun:",notnull,default:'members'"`
	AvatarID       string    `bun:",nullzero"`
	BannerID       string    `bun:",nullzero"`
	CreatedByID    string    `bun:",nullzero"`
	ArchivedAt     time.Time `bun:",nullzero"`
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
	// Themes are loaded from space_themes by the store.
	Themes []string `bun:"-"`
}

// LanguageList returns the space's languages, the main one first.
func (s *Space) LanguageList() []string { return strings.Fields(s.Languages) }

// Slug is the space's name in URLs and handles.
func (s *Space) Slug() string { return s.Account.Username }

// ToolOn tells whether the space's moderators left tool switched on.
func (s *Space) ToolOn(tool string) bool {
	for _, t := range strings.Fields(s.ToolsOff) {
		if t == tool {
			return false
		}
	}
	return true
}

// IsArchived tells whether the space is read-only.
func (s *Space) IsArchived() bool { return !s.ArchivedAt.IsZero() }

type spaceTheme struct {
	bun.BaseModel `bun:"table:space_themes"`
	SpaceID       string `bun:",pk"`
	Theme         string `bun:",pk"`
}

// InsertSpace stores the settings and themes of a space whose account exists.
func (d *DB) InsertSpace(ctx context.Context, s *Space) error {
	if _, err := d.q(ctx).NewInsert().Model(s).Exec(ctx); err != nil {
		return wrap(err, "insert space")
	}
	return d.SetSpaceThemes(ctx, s.AccountID, s.Themes)
}

// UpdateSpace writes the given columns of s.
func (d *DB) UpdateSpace(ctx context.Context, s *Space, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(s).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update space")
}

// SetSpaceThemes replaces the themes of a space.
func (d *DB) SetSpaceThemes(ctx context.Context, spaceID string, themes []string) error {
	if _, err := d.q(ctx).NewDelete().Model((*spaceTheme)(nil)).Where("space_id = ?", spaceID).Exec(ctx); err != nil {
		return wrap(err, "clear space themes")
	}
	if len(themes) == 0 {
		return nil
	}
	rows := make([]spaceTheme, len(themes))
	for i, t := range themes {
		rows[i] = spaceTheme{SpaceID: spaceID, Theme: t}
	}
	_, err := d.q(ctx).NewInsert().Model(&rows).Exec(ctx)
	return wrap(err, "insert space themes")
}

// DeleteSpace removes a space's account, and with it (by cascade) its
// settings, memberships, invitations and posts.
func (d *DB) DeleteSpace(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*Account)(nil)).Where("id = ?", accountID).Exec(ctx)
	return wrap(err, "delete space")
}

func (d *DB) selectSpaces(ctx context.Context, out any) *bun.SelectQuery {
	return d.q(ctx).NewSelect().Model(out).Relation("Account")
}

// SpaceByAccountID loads a space with its account and themes.
func (d *DB) SpaceByAccountID(ctx context.Context, id string) (*Space, error) {
	s := new(Space)
	if err := d.selectSpaces(ctx, s).Where("space.account_id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "space by id")
	}
	return s, d.loadThemes(ctx, []*Space{s})
}

// SpaceBySlug loads a space by its slug and domain ("" for a local space).
func (d *DB) SpaceBySlug(ctx context.Context, slug, domain string) (*Space, error) {
	s := new(Space)
	err := d.selectSpaces(ctx, s).
		Where("lower(account.username) = lower(?)", slug).
		Where("account.domain = ?", domain).
		Scan(ctx)
	if err != nil {
		return nil, wrap(err, "space by slug")
	}
	return s, d.loadThemes(ctx, []*Space{s})
}

// SpacesByIDs loads the spaces with the given account ids, in no order.
func (d *DB) SpacesByIDs(ctx context.Context, ids []string) ([]*Space, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []*Space
	if err := d.selectSpaces(ctx, &out).Where("space.account_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, wrap(err, "spaces by ids")
	}
	return out, d.loadThemes(ctx, out)
}

func (d *DB) loadThemes(ctx context.Context, spaces []*Space) error {
	if len(spaces) == 0 {
		return nil
	}
	byID := map[string]*Space{}
	ids := make([]string, 0, len(spaces))
	for _, s := range spaces {
		byID[s.AccountID] = s
		s.Themes = nil
		ids = append(ids, s.AccountID)
	}
	var rows []spaceTheme
	err := d.q(ctx).NewSelect().Model(&rows).Where("space_id IN (?)", bun.In(ids)).OrderExpr("theme").Scan(ctx)
	if err != nil {
		return wrap(err, "load space themes")
	}
	for _, r := range rows {
		byID[r.SpaceID].Themes = append(byID[r.SpaceID].Themes, r.Theme)
	}
	return nil
}

// SpaceFilter selects spaces for the directory.
type SpaceFilter struct {
	Reader     Reader
	Theme      string
	Language   string
	Visibility string      // only spaces of this visibility
	Search     SearchQuery // Terms set: only spaces whose text matches them
	MemberID   string      // only spaces where this account is an active member
	LocalOnly  bool        // only the node's own spaces
	After      string      // cursor: the last slug of the previous page
	Limit      int
}

// ListSpaces lists the spaces r may see, by slug.
func (d *DB) ListSpaces(ctx context.Context, f SpaceFilter) ([]*Space, error) {
	var out []*Space
	q := d.selectSpaces(ctx, &out).OrderExpr("lower(account.username) ASC").Limit(int64(f.Limit))
	q = visibleSpaces(q, f.Reader)
	if f.Theme != "" {
		q = q.Where("space.account_id IN (SELECT space_id FROM space_themes WHERE theme = ?)", f.Theme)
	}
	if f.Language != "" {
		q = q.Where("(' ' || space.languages || ' ') LIKE ?", "% "+f.Language+" %")
	}
	if f.MemberID != "" {
		q = q.Where("space.account_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state = 'active')", f.MemberID)
	}
	if f.Visibility != "" {
		q = q.Where("space.visibility = ?", f.Visibility)
	}
	if len(f.Search.Terms) > 0 {
		cond, args := d.matching("space.account_id", SearchSpace, f.Search)
		q = q.Where(cond, args...)
	}
	if f.LocalOnly {
		q = q.Where("account.domain = ''")
	}
	if f.After != "" {
		q = q.Where("lower(account.username) > lower(?)", f.After)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list spaces")
	}
	return out, d.loadThemes(ctx, out)
}

// SpaceVisible tells whether r may see the space: the visibility rule of
// visibleSpaces applied to one space.
func (d *DB) SpaceVisible(ctx context.Context, r Reader, spaceID string) (bool, error) {
	q := d.q(ctx).NewSelect().Model((*Space)(nil)).Relation("Account").Where("space.account_id = ?", spaceID)
	ok, err := visibleSpaces(q, r).Exists(ctx)
	return ok, wrap(err, "space visible")
}

// SetSpacePostsVisibility rewrites the visibility copied onto a space's posts.
func (d *DB) SetSpacePostsVisibility(ctx context.Context, spaceID, visibility string) error {
	_, err := d.q(ctx).NewUpdate().Model((*Post)(nil)).Set("visibility = ?", visibility).
		Where("space_id = ?", spaceID).Exec(ctx)
	return wrap(err, "set posts visibility")
}

// SuggestSpaces lists up to limit public, live spaces of this node that
// accountID has no membership of (active, pending or banned): those in
// language first, then the ones with the most members.
func (d *DB) SuggestSpaces(ctx context.Context, accountID, language string, limit int) ([]*Space, error) {
	var out []*Space
	q := d.selectSpaces(ctx, &out).
		Where("account.status = 'active'").Where("account.domain = ''").
		Where("space.visibility = 'public'").Where("space.archived_at IS NULL").
		Where("space.account_id NOT IN (SELECT space_id FROM space_members WHERE account_id = ?)", accountID).
		OrderExpr("CASE WHEN (' ' || space.languages || ' ') LIKE ? THEN 0 ELSE 1 END", "% "+language+" %").
		OrderExpr("(SELECT count(*) FROM space_members AS sm WHERE sm.space_id = space.account_id AND sm.state = 'active') DESC").
		OrderExpr("lower(account.username) ASC").
		Limit(int64(limit))
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "suggest spaces")
	}
	return out, d.loadThemes(ctx, out)
}
