package spaces

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// errNoWords stops a directory search for words that hold no letter or
// digit: its callers answer an empty list.
var errNoWords = errors.New("no words to search for")

// spaceQuery checks a directory filter and turns it into a query for viewer.
func (s *Service) spaceQuery(viewer *Account, f SpaceFilter) (db.SpaceFilter, error) {
	q := db.SpaceFilter{Reader: s.Reader(viewer), Language: strings.ToLower(strings.TrimSpace(f.Language)),
		After: f.After, Limit: pageSize(f.Limit)}
	if f.Theme != "" {
		if q.Theme = normalizeTag(f.Theme); q.Theme == "" {
			return q, invalid("theme", "theme_invalid", "a theme has 1 to 50 letters, digits, _ or -")
		}
	}
	if q.Language != "" {
		if err := checkLanguage("language", q.Language); err != nil {
			return q, err
		}
	}
	if f.Visibility != "" {
		if !slices.Contains(SpaceVisibilities, f.Visibility) {
			return q, invalid("visibility", "visibility_invalid", "must be one of "+strings.Join(SpaceVisibilities, ", "))
		}
		q.Visibility = f.Visibility
	}
	if query := strings.TrimSpace(f.Query); query != "" {
		if len(query) > 500 {
			return q, invalid("q", "query_invalid", "search for 1 to 500 characters")
		}
		q.Search = db.SearchQuery{Terms: searchTerms(query), Language: s.readerLanguage(viewer)}
		if len(q.Search.Terms) == 0 {
			return q, errNoWords // punctuation only: nothing can match
		}
	}
	return q, nil
}

// readerLanguage is the language a reader's search words are stemmed in.
func (s *Service) readerLanguage(viewer *Account) string {
	if viewer != nil && viewer.User != nil {
		return viewer.User.Locale
	}
	return s.opts.DefaultLocale
}

// MayCreateSpace tells whether a may create spaces on this node: any local
// member, unless the node keeps that to its admins. CreateSpace checks the same.
func (s *Service) MayCreateSpace(a *Account) bool {
	if !canAct(a) || a.User == nil {
		return false
	}
	return s.opts.SpaceCreation != SpaceCreationAdmins || isAdmin(a)
}

// ManagedSpaces lists every space of this node, whatever its visibility and
// archived or not, for the node's staff to administer.
func (s *Service) ManagedSpaces(ctx context.Context, by *Account, f SpaceFilter) ([]*Space, error) {
	if !isStaff(by) {
		return nil, forbidden("staff_only", "only admins and moderators may administer spaces")
	}
	q, err := s.spaceQuery(Console, f)
	if err == errNoWords {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	q.LocalOnly = true
	out, err := s.db.ListSpaces(ctx, q)
	if err != nil {
		return nil, internal("managed spaces", err)
	}
	return out, nil
}

// SuggestedSpaces proposes up to limit spaces for viewer to join (a new
// member's onboarding): public, live spaces of this node that viewer is not
// in, those in viewer's language first, then the most followed.
func (s *Service) SuggestedSpaces(ctx context.Context, viewer *Account, limit int) ([]*Space, error) {
	if !canAct(viewer) || viewer.User == nil {
		return nil, errUnauthenticated
	}
	if limit <= 0 || limit > 20 {
		limit = 3
	}
	out, err := s.db.SuggestSpaces(ctx, viewer.ID, viewer.User.Locale, limit)
	if err != nil {
		return nil, internal("suggested spaces", err)
	}
	return out, nil
}

// MemberCounts counts the active members of each space, by space id: the
// directory shows them.
func (s *Service) MemberCounts(ctx context.Context, list []*Space) (map[string]int, error) {
	out, err := s.db.CountMembersAmong(ctx, spaceIDs(list))
	if err != nil {
		return nil, internal("member counts", err)
	}
	return out, nil
}

// MembershipsAmong returns viewer's memberships (any state) of the spaces, by
// space id; empty for an anonymous visitor.
func (s *Service) MembershipsAmong(ctx context.Context, viewer *Account, list []*Space) (map[string]*Membership, error) {
	if !canAct(viewer) {
		return map[string]*Membership{}, nil
	}
	out, err := s.db.MembershipsAmong(ctx, viewer.ID, spaceIDs(list))
	if err != nil {
		return nil, internal("memberships among", err)
	}
	return out, nil
}

func spaceIDs(list []*Space) []string {
	ids := make([]string, len(list))
	for i, sp := range list {
		ids[i] = sp.AccountID
	}
	return ids
}

// PostableSpaces lists the spaces viewer may publish top-level posts in: the
// targets a composer offers.
func (s *Service) PostableSpaces(ctx context.Context, viewer *Account) ([]*Space, error) {
	if !canAct(viewer) {
		return nil, errUnauthenticated
	}
	joined, err := s.db.ListSpaces(ctx, db.SpaceFilter{Reader: s.Reader(viewer), MemberID: viewer.ID, Limit: 500})
	if err != nil {
		return nil, internal("postable spaces", err)
	}
	ms, err := s.MembershipsAmong(ctx, viewer, joined)
	if err != nil {
		return nil, err
	}
	var out []*Space
	for _, sp := range joined {
		if mayPost(sp, ms[sp.AccountID], true) == nil {
			out = append(out, sp)
		}
	}
	return out, nil
}

// SpaceArticles is a space's best-practice articles that viewer may see,
// filtered by theme and language like ArticlesFeed.
func (s *Service) SpaceArticles(ctx context.Context, viewer *Account, handle, theme, language string, p Page) ([]*Post, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	f := db.Feed{SpaceID: sp.AccountID, Articles: true, Before: p.Before, Since: p.Since, Limit: p.Limit}
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
