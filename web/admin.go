package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// membersPerPage is the length of a page of the members list.
const membersPerPage = 50

// adminHome: GET /admin.
func (w *Web) adminHome(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	return redirect(rw, r, "/admin/members")
}

type membersView struct {
	Members []*spaces.Account
	Query   string
	Role    string
	Status  string
	Roles   []string
	Next    string // the query string of the next page, if any
}

// adminMembers: GET /admin/members?q=&role=&status=&after= — staff only (the
// domain says so).
func (w *Web) adminMembers(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	q := r.URL.Query()
	filter := spaces.MemberFilter{
		Query: q.Get("q"), Role: q.Get("role"), Status: q.Get("status"),
		After: q.Get("after"), Limit: membersPerPage,
	}
	list, err := w.spaces.ListMembers(r.Context(), rq.viewer, filter)
	if err != nil {
		return err
	}
	view := membersView{Members: list, Query: filter.Query, Role: filter.Role, Status: filter.Status, Roles: spaces.Roles}
	if len(list) == membersPerPage {
		next := url.Values{"after": {list[len(list)-1].ID}}
		for _, k := range []string{"q", "role", "status"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		view.Next = next.Encode()
	}
	w.render(rw, r, rq, http.StatusOK, "admin_members", rq.cat.T("admin.members.title"), view)
	return nil
}

type memberView struct {
	Member    *spaces.Account
	Roles     []string
	ResetLink string // shown once, right after it was made
}

// adminMember: GET /admin/members/{username}.
func (w *Web) adminMember(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	return w.memberPage(rw, r, rq, http.StatusOK, nil, "")
}

// memberPage renders a member's admin page, with the error of an action in f
// or a fresh reset link.
func (w *Web) memberPage(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, resetLink string) error {
	m, err := w.spaces.ManagedMember(r.Context(), rq.viewer, mux.Vars(r)["username"])
	if err != nil {
		return err
	}
	view := memberView{Member: m, Roles: spaces.Roles, ResetLink: resetLink}
	w.renderForm(rw, r, rq, status, "admin_member", rq.cat.T("admin.member.title", "name", m.DisplayName), f, view)
	return nil
}

// memberAction runs an action on the member of the URL: on success back to
// their page with a message, on failure their page with the error.
func (w *Web) memberAction(rw http.ResponseWriter, r *http.Request, rq *request, flash string, act func(username string) error) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	username := mux.Vars(r)["username"]
	if err := act(username); err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict:
			f := newForm(r, "role")
			f.addError(rq.cat, err)
			return w.memberPage(rw, r, rq, errorStatus(err), f, "")
		}
		return err
	}
	w.setFlash(rw, flash)
	return redirect(rw, r, "/admin/members/"+url.PathEscape(username))
}

// adminSetRole: POST /admin/members/{username}/role.
func (w *Web) adminSetRole(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.memberAction(rw, r, rq, "flash.role_changed", func(username string) error {
		_, err := w.spaces.SetRole(r.Context(), rq.viewer, username, r.PostForm.Get("role"))
		return err
	})
}

// adminSuspend: POST /admin/members/{username}/suspend.
func (w *Web) adminSuspend(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.memberAction(rw, r, rq, "flash.suspended", func(username string) error {
		_, err := w.spaces.Suspend(r.Context(), rq.viewer, username)
		return err
	})
}

// adminUnsuspend: POST /admin/members/{username}/unsuspend.
func (w *Web) adminUnsuspend(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.memberAction(rw, r, rq, "flash.unsuspended", func(username string) error {
		_, err := w.spaces.Unsuspend(r.Context(), rq.viewer, username)
		return err
	})
}

// adminResetLink: POST /admin/members/{username}/reset — a one-time link for a
// member who forgot their password, shown this once for the admin to hand over.
func (w *Web) adminResetLink(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	_, token, err := w.spaces.CreatePasswordReset(r.Context(), rq.viewer, mux.Vars(r)["username"])
	if err != nil {
		return err
	}
	return w.memberPage(rw, r, rq, http.StatusOK, nil, w.opts.PublicURL+"/password/reset?token="+url.QueryEscape(token))
}

type invitationsView struct {
	Invitations []*spaces.Invitation
	MayInvite   bool
	Admin       bool
	NewLink     string // shown once, right after it was made
	Now         time.Time
	TTLDays     []int
}

var invitationFields = []string{"max_uses", "ttl", "note"}

// adminInvitations: GET /admin/invitations — the invitations one made (all of
// them for admins), and a form to make one.
func (w *Web) adminInvitations(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(nil, invitationFields...)
	f.Values.Set("max_uses", "1")
	f.Values.Set("ttl", "7")
	return w.invitationsPage(rw, r, rq, http.StatusOK, f, "")
}

func (w *Web) invitationsPage(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, newLink string) error {
	if !w.spaces.MayInvite(rq.viewer) {
		return &pageError{status: http.StatusForbidden, key: "error.invite_not_allowed"}
	}
	list, err := w.spaces.ListInvitations(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	view := invitationsView{
		Invitations: list, MayInvite: true, Admin: spaces.IsAdmin(rq.viewer), NewLink: newLink,
		Now: time.Now(), TTLDays: []int{1, 7, 30, 90},
	}
	w.renderForm(rw, r, rq, status, "admin_invitations", rq.cat.T("admin.invitations.title"), f, view)
	return nil
}

// adminCreateInvitation: POST /admin/invitations — the link is shown once.
func (w *Web) adminCreateInvitation(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, invitationFields...)
	uses, err := strconv.Atoi(f.Value("max_uses"))
	if err != nil {
		uses = -1 // not a number: the domain says what it takes
	}
	days, err := strconv.Atoi(f.Value("ttl"))
	if err != nil || days < 0 || days > 3650 {
		days = -1
	}
	_, token, err := w.spaces.CreateInvitation(r.Context(), rq.viewer, spaces.NewInvitation{
		MaxUses: uses, TTL: time.Duration(days) * 24 * time.Hour, Note: f.Value("note"),
	})
	if err != nil {
		if k := spaces.KindOf(err); k != spaces.KindInvalid && k != spaces.KindConflict {
			return err
		}
		f.addError(rq.cat, err)
		return w.invitationsPage(rw, r, rq, errorStatus(err), f, "")
	}
	fresh := newForm(nil, invitationFields...)
	fresh.Values.Set("max_uses", "1")
	fresh.Values.Set("ttl", "7")
	return w.invitationsPage(rw, r, rq, http.StatusCreated, fresh, w.opts.PublicURL+"/register?invite="+url.QueryEscape(token))
}
