package web

import (
	"net/http"

	"github.com/ruche-social/ruche/spaces"
)

type homeView struct {
	Onboarding   bool
	Registration string
	Feed         feedView
	Composer     *composerView   // members only
	Spaces       []*spaces.Space // the spaces the member joined
}

// home: GET /?before= — for members, the feed of the spaces they joined and
// the people they follow, with a composer on top; for visitors, the node's
// public posts.
func (w *Web) home(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if r.URL.Path != "/" {
		return errNotFound
	}
	ctx := r.Context()
	page := spaces.Page{Before: r.URL.Query().Get("before"), Limit: feedPage}
	view := homeView{Onboarding: spaces.NeedsOnboarding(rq.viewer), Registration: rq.node.Registrations}
	var posts []*spaces.Post
	var err error
	title := rq.cat.T("home.title")
	if rq.viewer != nil {
		title = rq.cat.T("home.title_member")
		if posts, err = w.spaces.HomeFeed(ctx, rq.viewer, page); err != nil {
			return err
		}
		if view.Spaces, err = w.spaces.ListSpaces(ctx, rq.viewer, spaces.SpaceFilter{Joined: true, Limit: 50}); err != nil {
			return err
		}
		if view.Composer, err = w.composer(r, rq, nil, spaces.KindNote, "", false); err != nil {
			return err
		}
	} else if posts, err = w.spaces.PublicFeed(ctx, nil, false, page); err != nil {
		return err
	}
	if view.Feed, err = w.feed(r, rq, posts, nil); err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "home", title, view)
	return nil
}
