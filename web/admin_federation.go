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

// adminRetryHost: POST /admin/federation/retry — host. Every delivery to
// a failing host is tried again at once.
func (w *Web) adminRetryHost(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	if _, err := w.spaces.RetryHost(r.Context(), rq.viewer, r.PostFormValue("host")); err != nil {
		return err
	}
	w.setFlash(rw, "flash.host_retried")
	return redirect(rw, r, "/admin/federation")
}

type blocksView struct {
	Blocks []*spaces.DomainBlock
	Policy spaces.FederationPolicy
}

var blockFields = []string{"domain", "reason", "host", "note"}

// adminBlocks: GET /admin/federation/blocks — the blocked domains, a form to
// block one, and the allowlist when the node federates only with partners.
func (w *Web) adminBlocks(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	return w.blocksPage(rw, r, rq, http.StatusOK, newForm(nil, blockFields...))
}

// blocksAction runs an action of the blocks page: on success back to the
// page with a message, on bad input the page with the error on its field.
func (w *Web) blocksAction(rw http.ResponseWriter, r *http.Request, rq *request, flash string, act func(f *form) error) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, blockFields...)
	if err := act(f); err != nil {
		if k := spaces.KindOf(err); k != spaces.KindInvalid && k != spaces.KindConflict {
			return err
		}
		f.addError(rq.cat, err)
		return w.blocksPage(rw, r, rq, errorStatus(err), f)
	}
	w.setFlash(rw, flash)
	return redirect(rw, r, "/admin/federation/blocks")
}

func (w *Web) blocksPage(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	list, err := w.spaces.DomainBlocks(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	policy, err := w.spaces.FederationPolicy(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	view := blocksView{Blocks: list, Policy: policy}
	w.renderForm(rw, r, rq, status, "admin_blocks", rq.cat.T("admin.blocks.title"), f, view)
	return nil
}

// adminBlock: POST /admin/federation/blocks — domain, reason.
func (w *Web) adminBlock(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.blocksAction(rw, r, rq, "flash.domain_blocked", func(f *form) error {
		return w.spaces.BlockDomain(r.Context(), rq.viewer, f.Value("domain"), f.Value("reason"))
	})
}

// adminUnblock: POST /admin/federation/blocks/remove — domain.
func (w *Web) adminUnblock(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.blocksAction(rw, r, rq, "flash.domain_unblocked", func(f *form) error {
		err := w.spaces.UnblockDomain(r.Context(), rq.viewer, f.Value("domain"))
		f.Values.Del("domain") // the form to block one starts empty
		return err
	})
}

// adminAllow: POST /admin/federation/allowlist — host, note.
func (w *Web) adminAllow(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.blocksAction(rw, r, rq, "flash.host_allowed", func(f *form) error {
		return w.spaces.AllowHost(r.Context(), rq.viewer, f.Value("host"), f.Value("note"))
	})
}

// adminDisallow: POST /admin/federation/allowlist/remove — host.
func (w *Web) adminDisallow(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.blocksAction(rw, r, rq, "flash.host_disallowed", func(f *form) error {
		err := w.spaces.DisallowHost(r.Context(), rq.viewer, f.Value("host"))
		f.Values.Del("host")
		return err
	})
}
