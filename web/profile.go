package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

type profileView struct {
	Account *spaces.Account
	Self    bool
}

// profile: GET /@{username} — a member's public page.
func (w *Web) profile(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderProfile(rw, r, rq, mux.Vars(r)["username"])
}

// profileRedirect: GET /users/{username} from a browser — the member's
// ActivityPub id; people see their page at /@username.
func (w *Web) profileRedirect(rw http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(rw, r, ProfilePath(mux.Vars(r)["username"]), http.StatusFound)
	return nil
}

func (w *Web) renderProfile(rw http.ResponseWriter, r *http.Request, rq *request, username string) error {
	a, err := w.spaces.MemberProfile(r.Context(), username)
	if err != nil {
		return err
	}
	if a.Username != username { // the address is case-insensitive; the page has one address
		http.Redirect(rw, r, ProfilePath(a.Username), http.StatusMovedPermanently)
		return nil
	}
	view := profileView{Account: a, Self: rq.viewer != nil && rq.viewer.ID == a.ID}
	w.render(rw, r, rq, http.StatusOK, "profile", a.DisplayName, view)
	return nil
}
