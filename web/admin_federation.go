package web

import (
	"net/http"
	"time"

	"github.com/ruche-social/ruche/spaces"
)

type federationView struct {
	Status        *spaces.FederationStatus
	Pending       int       // deliveries waiting
	OldestPending time.Time // when the oldest of them was queued
	InboxPending  int       // received activities waiting
	OldestInbox   time.Time
}

// adminFederation: GET /admin/federation — the delivery queue, the hosts that
// fail and the backlog of received activities. Admins only (the domain says so).
func (w *Web) adminFederation(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	st, err := w.spaces.FederationStatus(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	view := federationView{Status: st}
	view.Pending, view.OldestPending = spaces.Pending(st.Totals)
	view.InboxPending, view.OldestInbox = spaces.Pending(st.InboxTotals)
	w.render(rw, r, rq, http.StatusOK, "admin_federation", rq.cat.T("admin.federation.title"), view)
	return nil
}

type blocksView struct {
	Blocks []*spaces.DomainBlock
	Policy spaces.FederationPolicy
}

var blockFields = []string{"domain", "reason"}

// adminBlocks: GET /admin/federation/blocks — the blocked domains, a form to
// block one, and the allowlist when the node federates only with partners.
func (w *Web) adminBlocks(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	return w.blocksPage(rw, r, rq, http.StatusOK, newForm(nil, blockFields...))
}

func (w *Web) blocksPage(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	list, err := w.spaces.DomainBlocks(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	policy, err := w.spaces.FederationPolicy(rq.viewer)
	if err != nil {
		return err
	}
	view := blocksView{Blocks: list, Policy: policy}
	w.renderForm(rw, r, rq, status, "admin_blocks", rq.cat.T("admin.blocks.title"), f, view)
	return nil
}

// adminBlock: POST /admin/federation/blocks — domain, reason.
func (w *Web) adminBlock(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, blockFields...)
	if err := w.spaces.BlockDomain(r.Context(), rq.viewer, f.Value("domain"), f.Value("reason")); err != nil {
		if k := spaces.KindOf(err); k != spaces.KindInvalid && k != spaces.KindConflict {
			return err
		}
		f.addError(rq.cat, err)
		return w.blocksPage(rw, r, rq, errorStatus(err), f)
	}
	w.setFlash(rw, "flash.domain_blocked")
	return redirect(rw, r, "/admin/federation/blocks")
}

// adminUnblock: POST /admin/federation/blocks/remove — domain.
func (w *Web) adminUnblock(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	if err := w.spaces.UnblockDomain(r.Context(), rq.viewer, r.PostForm.Get("domain")); err != nil {
		if k := spaces.KindOf(err); k != spaces.KindInvalid {
			return err
		}
		f := newForm(nil, blockFields...)
		f.addError(rq.cat, err)
		return w.blocksPage(rw, r, rq, errorStatus(err), f)
	}
	w.setFlash(rw, "flash.domain_unblocked")
	return redirect(rw, r, "/admin/federation/blocks")
}
