package web

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

type profileView struct {
	Account              *spaces.Account
	Self                 bool
	Follow               *spaces.Follow // the viewer's follow of the member, nil if none
	Followers, Following int
	Pinned               []postView // the profile posts the member pinned, on the first page
	Feed                 feedView
	Tab                  string // posts, followers, following
	Follows              []*spaces.Follow
	More                 string
}

// profile: GET /@{username}?before= — a member's page and their posts.
func (w *Web) profile(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderProfile(rw, r, rq, mux.Vars(r)["username"])
}

// profileRedirect: GET /users/{username} from a browser — the member's
// ActivityPub id; people see their page at /@username.
func (w *Web) profileRedirect(rw http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(rw, r, ProfilePath(strings.ToLower(mux.Vars(r)["username"])), http.StatusFound)
	return nil
}

// profileAccount finds the account of a profile address: a local member by
// username, or a remote account the node knows by user@host (a space the
// viewer may see, too: its page is elsewhere).
func (w *Web) profileAccount(r *http.Request, rq *request, handle string) (*spaces.Account, error) {
	if !strings.Contains(handle, "@") {
		return w.spaces.MemberProfile(r.Context(), handle)
	}
	a, err := w.spaces.Account(r.Context(), rq.viewer, handle, false)
	if err != nil {
		return nil, err
	}
	if a.Type != spaces.TypePerson && a.Type != spaces.TypeGroup {
		return nil, errNotFound
	}
	return a, nil
}

// loadProfile loads the person of a profile page with what its head shows.
func (w *Web) loadProfile(rw http.ResponseWriter, r *http.Request, rq *request, username, tab string) (*profileView, bool, error) {
	a, err := w.profileAccount(r, rq, username)
	if err != nil {
		return nil, false, err
	}
	if a.Type == spaces.TypeGroup {
		http.Redirect(rw, r, accountURL(a), http.StatusFound)
		return nil, false, nil
	}
	if h := accountHandle(a); h != username { // the address is case-insensitive; the page has one address
		http.Redirect(rw, r, ProfilePath(h)+r.URL.Path[len(ProfilePath(username)):], http.StatusMovedPermanently)
		return nil, false, nil
	}
	view := &profileView{Account: a, Self: rq.viewer != nil && rq.viewer.ID == a.ID, Tab: tab}
	if view.Follow, err = w.spaces.FollowOf(r.Context(), rq.viewer, a); err != nil {
		return nil, false, err
	}
	if view.Followers, view.Following, err = w.spaces.FollowCounts(r.Context(), a); err != nil {
		return nil, false, err
	}
	return view, true, nil
}

func (w *Web) renderProfile(rw http.ResponseWriter, r *http.Request, rq *request, username string) error {
	view, ok, err := w.loadProfile(rw, r, rq, username, "posts")
	if !ok {
		return err
	}
	before := r.URL.Query().Get("before")
	if before == "" && view.Account.IsLocal() {
		pinned, err := w.spaces.ProfilePinnedPosts(r.Context(), rq.viewer, accountHandle(view.Account))
		if err != nil {
			return err
		}
		if view.Pinned, err = w.postViews(r.Context(), rq.viewer, rq.locale(), pinned, nil); err != nil {
			return err
		}
	}
	posts, err := w.spaces.ProfileFeed(r.Context(), rq.viewer, accountHandle(view.Account), spaces.Page{Before: before, Limit: feedPage})
	if err != nil {
		return err
	}
	if view.Feed, err = w.feed(r, rq, posts, nil); err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "profile", view.Account.DisplayName, view)
	return nil
}

// followers: GET /@{username}/followers?before= and following: GET
// /@{username}/following — who follows the member, whom they follow.
func (w *Web) followers(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.followList(rw, r, rq, "followers")
}

func (w *Web) following(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.followList(rw, r, rq, "following")
}

func (w *Web) followList(rw http.ResponseWriter, r *http.Request, rq *request, tab string) error {
	view, ok, err := w.loadProfile(rw, r, rq, mux.Vars(r)["username"], tab)
	if !ok {
		return err
	}
	page := spaces.FollowPage{Before: r.URL.Query().Get("before"), Limit: 50}
	if tab == "followers" {
		view.Follows, err = w.spaces.Followers(r.Context(), rq.viewer, view.Account, page)
	} else {
		view.Follows, err = w.spaces.Following(r.Context(), view.Account, page)
	}
	if err != nil {
		return err
	}
	if len(view.Follows) == page.Limit {
		view.More = nextPage(r, "before", view.Follows[len(view.Follows)-1].ID)
	}
	w.render(rw, r, rq, http.StatusOK, "profile", rq.cat.T("profile."+tab+"_title", "name", view.Account.DisplayName), view)
	return nil
}

// follow: POST /@{username}/follow — follow=1 follows the member (a request
// when they approve followers), 0 unfollows or withdraws the request.
func (w *Web) follow(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	a, err := w.profileAccount(r, rq, mux.Vars(r)["username"])
	if err != nil {
		return err
	}
	if a.Type != spaces.TypePerson {
		return errNotFound // spaces are followed from their page
	}
	flash := "flash.unfollowed"
	if r.PostForm.Get("follow") == "1" {
		f, err := w.spaces.FollowAccount(r.Context(), me, a, "")
		if err != nil {
			return err
		}
		flash = map[bool]string{true: "flash.follow_requested", false: "flash.followed"}[f.State == spaces.FollowStatePending]
	} else if err := w.spaces.Unfollow(r.Context(), me, a); err != nil && spaces.AsError(err).Code != "follow_not_found" {
		return err
	}
	w.setFlash(rw, flash)
	return redirect(rw, r, localPath(r.PostForm.Get("next"), ProfilePath(accountHandle(a))))
}
