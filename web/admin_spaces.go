package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

type adminSpacesView struct {
	Spaces []spaceCard
	Query  string
	More   string
}

// adminSpaces: GET /admin/spaces?q=&after= — every space of the node,
// members-only and archived ones too. Staff only (the domain says so).
func (w *Web) adminSpaces(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	q := r.URL.Query()
	list, err := w.spaces.ManagedSpaces(r.Context(), rq.viewer, spaces.SpaceFilter{Query: q.Get("q"), After: q.Get("after"), Limit: 50})
	if err != nil {
		return err
	}
	view := adminSpacesView{Query: q.Get("q")}
	if view.Spaces, err = w.spaceCards(r, rq, list); err != nil {
		return err
	}
	if len(list) == 50 {
		view.More = nextPage(r, "after", list[len(list)-1].Slug())
	}
	w.render(rw, r, rq, http.StatusOK, "admin_spaces", rq.cat.T("admin.spaces.title"), view)
	return nil
}

// adminArchiveSpace: POST /admin/spaces/{slug}/archive — archive=1 or 0.
func (w *Web) adminArchiveSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	archive := r.PostForm.Get("archive") == "1"
	if _, err := w.spaces.ArchiveSpace(r.Context(), rq.viewer, mux.Vars(r)["slug"], archive); err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.archived", false: "flash.unarchived"}[archive])
	return redirect(rw, r, "/admin/spaces")
}

// adminDeleteSpace: POST /admin/spaces/{slug}/delete.
func (w *Web) adminDeleteSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	if err := w.spaces.DeleteSpace(r.Context(), rq.viewer, mux.Vars(r)["slug"]); err != nil {
		return err
	}
	w.setFlash(rw, "flash.space_deleted")
	return redirect(rw, r, "/admin/spaces")
}
