package spaces

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// SearchResults are what a search finds, each list filtered by what the
// reader may see.
type SearchResults struct {
	Posts    []*Post
	Spaces   []*Space
	Accounts []*Account
}

// Search kinds.
const (
	SearchAll      = ""
	SearchPosts    = "posts"
	SearchSpaces   = "spaces"
	SearchAccounts = "accounts"
)

// Search finds posts, articles and spaces whose text matches every word of q
// (case and accents ignored), the account named by q when it is a handle
// (@user or @user@host; a remote one the node does not know is resolved with
// Options.ResolveHandle when set), and the people whose name or username
// contains q. Posts come newest first, paged by Before.
func (s *Service) Search(ctx context.Context, viewer *Account, q, kind string, p Page) (*SearchResults, error) {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > 500 {
		return nil, invalid("q", "query_invalid", "search for 1 to 500 characters")
	}
	switch kind {
	case SearchAll, SearchPosts, SearchSpaces, SearchAccounts:
	default:
		return nil, invalid("type", "type_invalid", "the type is posts, spaces or accounts")
	}
	out := &SearchResults{}
	if strings.HasPrefix(q, "@") || (strings.Count(q, "@") == 1 && !strings.ContainsAny(q, " \t")) {
		if kind == SearchAll || kind == SearchAccounts {
			a, err := s.lookupHandle(ctx, viewer, q)
			if err != nil {
				return nil, err
			}
			if a != nil {
				out.Accounts = append(out.Accounts, a)
			}
		}
	}
	if (kind == SearchAll || kind == SearchAccounts) && p.Before == "" {
		people, err := s.db.SearchPeople(ctx, strings.TrimPrefix(q, "@"), pageSize(p.Limit))
		if err != nil {
			return nil, internal("search people", err)
		}
		for _, a := range people {
			if len(out.Accounts) == 0 || out.Accounts[0].ID != a.ID {
				out.Accounts = append(out.Accounts, a)
			}
		}
	}
	terms := searchTerms(q)
	if len(terms) == 0 {
		return out, nil
	}
	lang := s.defaultLocale(ctx)
	if viewer != nil && viewer.User != nil {
		lang = viewer.User.Locale
	}
	sq := db.SearchQuery{Reader: s.Reader(viewer), Terms: terms, Language: lang, Before: p.Before, Limit: pageSize(p.Limit)}
	var err error
	if kind == SearchAll || kind == SearchPosts {
		if out.Posts, err = s.db.SearchPosts(ctx, sq); err != nil {
			return nil, internal("search posts", err)
		}
		if err := s.withSpaces(ctx, out.Posts); err != nil {
			return nil, err
		}
	}
	if (kind == SearchAll || kind == SearchSpaces) && p.Before == "" {
		if out.Spaces, err = s.db.SearchSpaces(ctx, sq); err != nil {
			return nil, internal("search spaces", err)
		}
	}
	return out, nil
}

// lookupHandle finds the active account named by a handle, asking
// ResolveHandle for remote accounts the node does not know. Nil: nobody.
func (s *Service) lookupHandle(ctx context.Context, viewer *Account, q string) (*Account, error) {
	username, domain, ok := ParseHandle(q)
	if !ok {
		return nil, nil
	}
	a, err := s.db.AccountByHandle(ctx, username, domain)
	switch {
	case err == nil:
	case !errors.Is(err, db.ErrNotFound):
		return nil, internal("lookup handle", err)
	case domain != "" && s.opts.ResolveHandle != nil:
		if a, err = s.opts.ResolveHandle(ctx, username, domain); err != nil {
			return nil, nil // an unreachable or unknown remote account is not an error of the search
		}
	default:
		return nil, nil
	}
	if a.Status != StatusActive {
		return nil, nil
	}
	if a.Type == TypeGroup {
		// a space shows up only to those who may see it
		if ok, err := s.db.SpaceVisible(ctx, s.Reader(viewer), a.ID); err != nil || !ok {
			return nil, nil
		}
	}
	return a, nil
}
