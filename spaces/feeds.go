package spaces

import (
	"context"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// Page selects a page of a feed: newest first, Before is the id of the last
// post of the previous page ("" for the first page).
type Page struct {
	Before string // the posts older than this id
	Since  string // the posts newer than this id
	Limit  int
}

// feed runs a feed query for viewer and attaches the posts' spaces.
func (s *Service) feed(ctx context.Context, viewer *Account, f db.Feed) ([]*Post, error) {
	f.Reader = s.Reader(viewer)
	f.Limit = pageSize(f.Limit)
	out, err := s.db.ListFeed(ctx, f)
	if err != nil {
		return nil, internal("feed", err)
	}
	return out, s.withSpaces(ctx, out)
}

// withSpaces sets each post's Space, and its Poll, Event or FAQ row when it
// has one.
func (s *Service) withSpaces(ctx context.Context, posts []*Post) error {
	var ids []string
	for _, p := range posts {
		if p.SpaceID != "" {
			ids = append(ids, p.SpaceID)
		}
	}
	spaces, err := s.db.SpacesByIDs(ctx, dedupe(ids))
	if err != nil {
		return internal("spaces of posts", err)
	}
	byID := map[string]*Space{}
	for _, sp := range spaces {
		byID[sp.AccountID] = sp
	}
	for _, p := range posts {
		p.Space = byID[p.SpaceID]
	}
	return s.WithParts(ctx, posts)
}

// WithParts attaches to posts the rows that make them a poll, an event or
// an FAQ entry; the protocol side calls it for a post it reads alone.
func (s *Service) WithParts(ctx context.Context, posts []*Post) error {
	if err := s.withParts(ctx, s.db, posts); err != nil {
		return internal("parts of posts", err)
	}
	return nil
}

// withParts is WithParts on r (a change's transaction).
func (s *Service) withParts(ctx context.Context, r *db.DB, posts []*Post) error {
	if err := s.withPolls(ctx, r, posts); err != nil {
		return err
	}
	if err := s.withEvents(ctx, r, posts); err != nil {
		return err
	}
	if err := s.withDocuments(ctx, r, posts); err != nil {
		return err
	}
	if err := s.withFAQ(ctx, r, posts); err != nil {
		return err
	}
	return s.withWiki(ctx, r, posts)
}

// HomeFeed is a member's home: the top-level posts of the spaces they joined
// or follow, and of the people they follow (and their own).
func (s *Service) HomeFeed(ctx context.Context, viewer *Account, p Page) ([]*Post, error) {
	if !canAct(viewer) {
		return nil, errUnauthenticated
	}
	return s.feed(ctx, viewer, db.Feed{HomeOf: viewer.ID, Before: p.Before, Since: p.Since, Limit: p.Limit})
}

// FeedRef names one feed of a viewer, for FeedHolds.
type FeedRef struct {
	Home    bool   // the viewer's home
	SpaceID string // the feed of the space with this account id
	Public  bool   // the node's public feed
	Local   bool   // with Public: of the posts written on this node
}

// FeedHolds tells whether the feed f of viewer holds the post with id: a
// top-level post of that feed that viewer may see, as HomeFeed, SpaceFeed
// and PublicFeed would list it. A deleted post is told as it was before
// (its mentions aside), so that the news of a deletion reaches those who
// may hold the post and no one else. The streaming API asks it for each
// change and subscriber.
func (s *Service) FeedHolds(ctx context.Context, viewer *Account, f FeedRef, id string) (bool, error) {
	if !canAct(viewer) {
		return false, errUnauthenticated
	}
	df := db.Feed{Reader: s.Reader(viewer), SpaceID: f.SpaceID, Public: f.Public, Local: f.Public && f.Local, Deleted: true}
	if f.Home {
		df.HomeOf = viewer.ID
	}
	ok, err := s.db.FeedHolds(ctx, df, id)
	if err != nil {
		return false, internal("feed holds", err)
	}
	return ok, nil
}

// SpaceFeed is a space's top-level posts that viewer may see.
func (s *Service) SpaceFeed(ctx context.Context, viewer *Account, handle string, p Page) ([]*Post, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	return s.feed(ctx, viewer, db.Feed{SpaceID: sp.AccountID, Before: p.Before, Since: p.Since, Limit: p.Limit})
}

// PinnedPosts lists a space's pinned posts that viewer may see.
func (s *Service) PinnedPosts(ctx context.Context, viewer *Account, handle string) ([]*Post, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	out, err := s.db.PinnedPosts(ctx, s.Reader(viewer), db.Pins{SpaceID: sp.AccountID})
	if err != nil {
		return nil, internal("pinned posts", err)
	}
	return out, s.withSpaces(ctx, out)
}

// ProfilePinnedPosts is the profile posts a member pinned (their featured
// collection) that viewer may see.
func (s *Service) ProfilePinnedPosts(ctx context.Context, viewer *Account, handle string) ([]*Post, error) {
	a, err := findAccount(ctx, s.db, handle)
	if err != nil {
		return nil, err
	}
	if a.Type != TypePerson || a.Status != StatusActive || !a.IsLocal() {
		return nil, errAccountHandle
	}
	out, err := s.db.PinnedPosts(ctx, s.Reader(viewer), db.Pins{AuthorID: a.ID})
	if err != nil {
		return nil, internal("pinned posts", err)
	}
	return out, s.withSpaces(ctx, out)
}

// ProfileFeed is an account's top-level posts that viewer may see, in every
// space and on their profile.
func (s *Service) ProfileFeed(ctx context.Context, viewer *Account, handle string, p Page) ([]*Post, error) {
	a, err := findAccount(ctx, s.db, handle)
	if err != nil {
		return nil, err
	}
	if a.Type != TypePerson || a.Status != StatusActive {
		return nil, errAccountHandle
	}
	return s.feed(ctx, viewer, db.Feed{AuthorID: a.ID, Before: p.Before, Since: p.Since, Limit: p.Limit})
}

// PublicFeed is the node-wide feed: public top-level posts, only those
// written on this node when local is set. Members-only and network posts are
// never in it, whoever reads.
func (s *Service) PublicFeed(ctx context.Context, viewer *Account, local bool, p Page) ([]*Post, error) {
	return s.feed(ctx, viewer, db.Feed{Public: true, Local: local, Before: p.Before, Since: p.Since, Limit: p.Limit})
}

// ArticlesFeed is the best-practice feed: articles viewer may see, filtered by
// theme and by language (articles written in or translated to it).
func (s *Service) ArticlesFeed(ctx context.Context, viewer *Account, theme, language string, p Page) ([]*Post, error) {
	f := db.Feed{Articles: true, Before: p.Before, Since: p.Since, Limit: p.Limit}
	if theme != "" {
		if f.Theme = normalizeTag(theme); f.Theme == "" {
			return nil, invalid("theme", "theme_invalid", "a theme has 1 to 50 letters, digits, _ or -")
		}
	}
	if language != "" {
		f.Language = strings.ToLower(language)
		if err := checkLanguage("language", f.Language); err != nil {
			return nil, err
		}
	}
	return s.feed(ctx, viewer, f)
}

// Comments lists the comments of a thread, oldest first, after the comment
// with id after ("" for the first page).
func (s *Service) Comments(ctx context.Context, viewer *Account, postID, after string, limit int) ([]*Post, error) {
	root, err := s.visiblePost(ctx, s.db, viewer, postID, s.db.VisiblePost)
	if err != nil {
		return nil, internal("comments", err)
	}
	return s.feed(ctx, viewer, db.Feed{ThreadID: root.ThreadID, After: after, Limit: limit})
}

// maxThread bounds the comments Thread returns: a thread longer than that
// is read page by page with Comments.
const maxThread = 500

// Thread returns the comments of the thread rooted at rootID that viewer may
// see, oldest first (at most maxThread), for clients that lay a thread out
// themselves.
func (s *Service) Thread(ctx context.Context, viewer *Account, rootID string) ([]*Post, error) {
	var out []*Post
	after := ""
	for len(out) < maxThread {
		page, err := s.Comments(ctx, viewer, rootID, after, maxPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < maxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	return out, nil
}

// PostStats counts the posts of an account, or of a space, that viewer may see.
func (s *Service) PostStats(ctx context.Context, viewer, a *Account) (db.PostStats, error) {
	out, err := s.db.AccountPostStats(ctx, s.Reader(viewer), a.ID, a.Type == TypeGroup)
	if err != nil {
		return out, internal("post stats", err)
	}
	return out, nil
}
