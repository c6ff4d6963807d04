package mastodon

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// Each space a member belongs to is one of their lists: its id is the
// space's account id, its timeline the space's feed. Lists are made by
// joining spaces, not in the app: the list-editing endpoints answer 422.

// List is Mastodon's list.
type List struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	RepliesPolicy string `json:"replies_policy"`
	Exclusive     bool   `json:"exclusive"`
}

func (m *API) mountTimelines(r *mux.Router) {
	m.route(r, http.MethodGet, "/api/v1/timelines/home", scope("read:statuses"), m.homeTimeline)
	m.route(r, http.MethodGet, "/api/v1/timelines/public", public, m.publicTimeline)
	m.route(r, http.MethodGet, "/api/v1/timelines/tag/{tag}", public, m.tagTimeline)
	m.route(r, http.MethodGet, "/api/v1/timelines/list/{id}", scope("read:lists"), m.listTimeline)
	m.route(r, http.MethodGet, "/api/v1/lists", scope("read:lists"), m.lists)
	m.route(r, http.MethodGet, "/api/v1/lists/{id}", scope("read:lists"), m.getList)
	m.route(r, http.MethodGet, "/api/v1/lists/{id}/accounts", scope("read:lists"), m.listAccounts)
	m.route(r, http.MethodPost, "/api/v1/lists", scope("write:lists"), m.listsAreSpaces)
}

func (m *API) homeTimeline(w http.ResponseWriter, r *http.Request) error {
	return m.timeline(w, r, func(pg spaces.Page) ([]*spaces.Post, error) {
		return m.spaces.HomeFeed(r.Context(), viewer(r), pg)
	})
}

// publicTimeline: local=true for this node's posts; remote=true is refused
// as empty (the node keeps no federated timeline of strangers' posts).
func (m *API) publicTimeline(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if params(q).bool("remote") {
		writeJSON(w, []*Status{})
		return nil
	}
	return m.timeline(w, r, func(pg spaces.Page) ([]*spaces.Post, error) {
		return m.spaces.PublicFeed(r.Context(), viewer(r), params(q).bool("local"), pg)
	})
}

func (m *API) tagTimeline(w http.ResponseWriter, r *http.Request) error {
	tag := strings.TrimPrefix(mux.Vars(r)["tag"], "#")
	return m.timeline(w, r, func(pg spaces.Page) ([]*spaces.Post, error) {
		res, err := m.spaces.Search(r.Context(), viewer(r), "#"+tag, spaces.SearchPosts, pg)
		if err != nil {
			return nil, err
		}
		return res.Posts, nil
	})
}

func (m *API) listTimeline(w http.ResponseWriter, r *http.Request) error {
	sp, err := m.spaceList(r)
	if err != nil {
		return err
	}
	return m.timeline(w, r, func(pg spaces.Page) ([]*spaces.Post, error) {
		return m.spaces.SpaceFeed(r.Context(), viewer(r), acct(sp.Account), pg)
	})
}

// timeline writes the page feed gives for the request's cursors.
func (m *API) timeline(w http.ResponseWriter, r *http.Request, feed func(spaces.Page) ([]*spaces.Post, error)) error {
	p, pg, err := readPage(w, r)
	if err != nil {
		return err
	}
	var posts []*spaces.Post
	if min := p.get("min_id"); min != "" && p.get("since_id") == "" {
		posts, err = pageAbove(feed, pg)
	} else {
		posts, err = feed(pg)
	}
	if err != nil {
		return err
	}
	return m.writeStatuses(w, r, posts)
}

// maxCatchUp bounds the pages pageAbove reads.
const maxCatchUp = 50

// pageAbove is min_id's page: the posts just newer than pg.Since, newest
// first (since_id gives the newest ones instead). Feeds read newest first,
// so it walks down from the newest to the cursor, keeping the last page: an
// app catching up gets every post in order, without a gap.
func pageAbove(feed func(spaces.Page) ([]*spaces.Post, error), pg spaces.Page) ([]*spaces.Post, error) {
	var window []*spaces.Post
	for range maxCatchUp {
		posts, err := feed(pg)
		if err != nil {
			return nil, err
		}
		window = append(window, posts...)
		if len(window) > pg.Limit {
			window = window[len(window)-pg.Limit:]
		}
		if len(posts) < pg.Limit {
			break
		}
		pg.Before = posts[len(posts)-1].ID
	}
	return window, nil
}

// joinedSpaces are the spaces the member belongs to: their lists.
func (m *API) joinedSpaces(r *http.Request) ([]*spaces.Space, error) {
	var out []*spaces.Space
	after := ""
	for {
		page, err := m.spaces.ListSpaces(r.Context(), viewer(r), spaces.SpaceFilter{Joined: true, After: after, Limit: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 100 {
			return out, nil
		}
		after = page[len(page)-1].Account.Username
	}
}

func list(sp *spaces.Space) *List {
	title := sp.Account.DisplayName
	if title == "" {
		title = sp.Account.Username
	}
	return &List{ID: sp.AccountID, Title: title, RepliesPolicy: "list"}
}

func (m *API) lists(w http.ResponseWriter, r *http.Request) error {
	joined, err := m.joinedSpaces(r)
	if err != nil {
		return err
	}
	out := make([]*List, len(joined))
	for i, sp := range joined {
		out[i] = list(sp)
	}
	writeJSON(w, out)
	return nil
}

// spaceList finds the space a list id names, among the member's.
func (m *API) spaceList(r *http.Request) (*spaces.Space, error) {
	joined, err := m.joinedSpaces(r)
	if err != nil {
		return nil, err
	}
	for _, sp := range joined {
		if sp.AccountID == mux.Vars(r)["id"] {
			return sp, nil
		}
	}
	return nil, errStatus(http.StatusNotFound, "Record not found")
}

func (m *API) getList(w http.ResponseWriter, r *http.Request) error {
	sp, err := m.spaceList(r)
	if err != nil {
		return err
	}
	writeJSON(w, list(sp))
	return nil
}

// listAccounts: the space itself, whose posts the list shows.
func (m *API) listAccounts(w http.ResponseWriter, r *http.Request) error {
	sp, err := m.spaceList(r)
	if err != nil {
		return err
	}
	writeJSON(w, []*Account{m.account(sp.Account)})
	return nil
}

func (m *API) listsAreSpaces(w http.ResponseWriter, r *http.Request) error {
	return errStatus(http.StatusUnprocessableEntity, "Lists are the spaces you belong to: join a space to add a list")
}
