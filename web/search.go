package web

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

type searchView struct {
	Query   string
	Type    string
	Types   []string
	Posts   []postView
	Spaces  []spaceCard
	People  []personResult
	More    string
	Started bool // a query was given
}

// personResult is an account a search found, with the viewer's follow of it
// when it is a remote person (the card offers to follow them), or their
// rights in it when it is a remote space (the card offers to join it).
type personResult struct {
	Account *spaces.Account
	Follow  *spaces.Follow
	Rights  *spaces.SpaceRights // for a remote space: may the viewer join it
}

// search: GET /search?q=&type= — posts and articles, spaces and people the
// visitor may see; @user@host finds an account on another server.
func (w *Web) search(rw http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	view := searchView{Query: q.Get("q"), Type: q.Get("type"), Types: []string{spaces.SearchPosts, spaces.SearchSpaces, spaces.SearchAccounts}}
	f := newForm(nil, "q", "type")
	if view.Query == "" {
		w.renderForm(rw, r, rq, http.StatusOK, "search", rq.cat.T("search.title"), f, view)
		return nil
	}
	view.Started = true
	res, err := w.spaces.Search(r.Context(), rq.viewer, view.Query, view.Type, spaces.Page{Before: q.Get("before"), Limit: feedPage})
	if err != nil {
		if spaces.KindOf(err) != spaces.KindInvalid {
			return err
		}
		f.addError(rq.cat, err)
		w.renderForm(rw, r, rq, errorStatus(err), "search", rq.cat.T("search.title"), f, view)
		return nil
	}
	if view.Posts, err = w.postViews(r.Context(), rq.viewer, rq.locale(), res.Posts, nil); err != nil {
		return err
	}
	if view.Spaces, err = w.spaceCards(r, rq, res.Spaces); err != nil {
		return err
	}
	for _, a := range res.Accounts {
		pr := personResult{Account: a}
		switch {
		case a.IsLocal() || rq.viewer == nil:
		case a.Type == spaces.TypePerson:
			if pr.Follow, err = w.spaces.FollowOf(r.Context(), rq.viewer, a); err != nil {
				return err
			}
		case a.Type == spaces.TypeGroup:
			sp, err := w.spaces.Space(r.Context(), rq.viewer, accountHandle(a))
			if spaces.KindOf(err) == spaces.KindNotFound {
				break // not a space this viewer may see: no button
			} else if err != nil {
				return err
			}
			if pr.Rights, err = w.spaces.Rights(r.Context(), rq.viewer, sp); err != nil {
				return err
			}
		}
		view.People = append(view.People, pr)
	}
	if len(res.Posts) == feedPage {
		view.More = nextPage(r, "before", res.Posts[len(res.Posts)-1].ID)
	}
	w.renderForm(rw, r, rq, http.StatusOK, "search", rq.cat.T("search.results_title", "q", view.Query), f, view)
	return nil
}

// tag: GET /tags/{tag} — where hashtags in posts link: a search for the tag.
func (w *Web) tag(rw http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(rw, r, "/search?"+url.Values{"q": {"#" + mux.Vars(r)["tag"]}, "type": {spaces.SearchPosts}}.Encode(), http.StatusFound)
	return nil
}
