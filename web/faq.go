package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// The FAQ of a space: its tab (the entries by category, in the reader's
// language), the moderators' controls (move, edit, delete; the open
// proposals, answered or dismissed) and members' proposals. Entries are
// written in the composer (compose.go, kind faq): who may do what is the
// domain's SpaceRights and PostRights, never decided here.

// faqEntryView is an entry of the FAQ page and where its move buttons take
// it: the position of the entry before (Up) and after (Down) it in its
// category, -1 for none. Positions run through the whole FAQ, whose
// categories may interleave (an entry added to the first category goes to
// the end): taking the neighbour's place moves the entry past the one the
// reader sees next to it, where position±1 could move it past an entry of
// another category and change nothing on the page.
type faqEntryView struct {
	Entry    postView
	Up, Down int
}

type faqCategoryView struct {
	Name    string // "" for the entries without a category
	Entries []faqEntryView
}

type spaceFAQPage struct {
	Head       *spaceHead
	Categories []faqCategoryView
	Count      int // of entries
	// Proposals are the open ones for the space's moderators, the
	// reader's own (open, answered, dismissed) for anyone else.
	Proposals []*spaces.FAQProposal
	Write     bool // the reader writes the FAQ: new entries, proposals to answer
	Propose   bool // the reader may propose a question
}

// faqURL is the FAQ page of a space, at entry id when one is given.
func faqURL(sp *spaces.Space, id string) string {
	u := spaceURL(sp) + "/faq"
	if id != "" {
		u += "#faq-" + id
	}
	return u
}

// spaceFAQ: GET /spaces/{slug}/faq — the FAQ by category; 404 when the
// space switched its FAQ off, as its events tab does.
func (w *Web) spaceFAQ(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderFAQ(rw, r, rq, http.StatusOK, newForm(nil, "question"))
}

func (w *Web) renderFAQ(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	h, err := w.loadSpace(r, rq, "faq")
	if err != nil {
		return err
	}
	if !h.Space.ToolOn(spaces.ToolFAQ) {
		return errNotFound // switched off: the entries stay, unlisted
	}
	handle := accountHandle(h.Space.Account)
	faq, err := w.spaces.SpaceFAQ(r.Context(), rq.viewer, handle)
	if err != nil {
		return err
	}
	live := !h.Space.IsArchived()
	view := spaceFAQPage{Head: h, Write: h.Rights.Moderate && live, Propose: h.Rights.Comment && !h.Rights.Moderate && live}
	for _, c := range faq.Categories {
		cv, err := w.faqCategory(r, rq, c, h.Rights)
		if err != nil {
			return err
		}
		view.Categories = append(view.Categories, cv)
		view.Count += len(cv.Entries)
	}
	if rq.viewer != nil {
		if view.Proposals, err = w.spaces.FAQProposals(r.Context(), rq.viewer, handle); err != nil {
			return err
		}
	}
	w.renderForm(rw, r, rq, status, "space_faq", rq.cat.T("faq.title", "name", h.Space.Account.DisplayName), f, view)
	return nil
}

// faqCategory prepares a category's entries, in the reader's language
// when the entry is written in it, with the places of their move buttons.
func (w *Web) faqCategory(r *http.Request, rq *request, c spaces.FAQCategory, rights *spaces.SpaceRights) (faqCategoryView, error) {
	views, err := w.postViews(r.Context(), rq.viewer, rq.locale(), c.Entries, rights)
	if err != nil {
		return faqCategoryView{}, err
	}
	out := faqCategoryView{Name: c.Name, Entries: make([]faqEntryView, len(views))}
	for i, v := range views {
		out.Entries[i] = faqEntryView{Entry: v, Up: -1, Down: -1}
		if i > 0 && c.Entries[i-1].FAQ != nil {
			out.Entries[i].Up = c.Entries[i-1].FAQ.Position
		}
		if i < len(c.Entries)-1 && c.Entries[i+1].FAQ != nil {
			out.Entries[i].Down = c.Entries[i+1].FAQ.Position
		}
	}
	return out, nil
}

// proposeQuestion: POST /spaces/{slug}/faq/proposals — a member asks the
// moderators a question for the FAQ; a refused one comes back on its field.
func (w *Web) proposeQuestion(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	slug := mux.Vars(r)["slug"]
	_, err := w.spaces.ProposeFAQQuestion(r.Context(), me, slug, spaces.ProposalInput{Question: r.PostForm.Get("question"), Language: rq.locale()})
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict:
			f := newForm(r, "question")
			f.addError(rq.cat, err)
			return w.renderFAQ(rw, r, rq, errorStatus(err), f)
		}
		return err
	}
	w.setFlash(rw, "flash.faq_proposed")
	return redirect(rw, r, "/spaces/"+url.PathEscape(slug)+"/faq#proposals")
}

// dismissProposal: POST /spaces/{slug}/faq/proposals/{id}/dismiss — a
// moderator closes a proposal without an answer.
func (w *Web) dismissProposal(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	v := mux.Vars(r)
	if err := w.spaces.DismissFAQProposal(r.Context(), me, v["slug"], v["id"]); err != nil {
		return err
	}
	w.setFlash(rw, "flash.faq_dismissed")
	return redirect(rw, r, "/spaces/"+url.PathEscape(v["slug"])+"/faq#proposals")
}

// withdrawProposal: POST /spaces/{slug}/faq/proposals/{id}/withdraw — a
// member takes back their own open question.
func (w *Web) withdrawProposal(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	v := mux.Vars(r)
	if err := w.spaces.WithdrawFAQProposal(r.Context(), me, v["slug"], v["id"]); err != nil {
		return err
	}
	w.setFlash(rw, "flash.faq_withdrawn")
	return redirect(rw, r, "/spaces/"+url.PathEscape(v["slug"])+"/faq#proposals")
}

// moveEntry: POST /posts/{id}/faq/position — a moderator moves an entry to
// position (the move buttons of the FAQ page); back to the entry.
func (w *Web) moveEntry(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	position, err := strconv.Atoi(r.PostForm.Get("position"))
	if err != nil {
		return &pageError{status: http.StatusBadRequest, key: "error.form_invalid", cause: err}
	}
	p, err := w.spaces.MoveFAQEntry(r.Context(), me, mux.Vars(r)["id"], position)
	if err != nil {
		return err
	}
	return redirect(rw, r, faqURL(p.Space, p.ID))
}

// faqComposer completes the composer of an entry of the space handle: the
// categories the FAQ has, to choose from, and the proposal it answers
// (proposal, an id; "" for none) when that one is open: it is left nil
// otherwise, and answering it is the domain's to refuse (or, sent twice,
// to find already published).
func (w *Web) faqComposer(r *http.Request, rq *request, c *composerView, handle, proposal string) error {
	faq, err := w.spaces.SpaceFAQ(r.Context(), rq.viewer, handle)
	if err != nil {
		return err
	}
	for _, cat := range faq.Categories {
		if cat.Name != "" {
			c.Categories = append(c.Categories, cat.Name)
		}
	}
	if proposal == "" {
		return nil
	}
	list, err := w.spaces.FAQProposals(r.Context(), rq.viewer, handle)
	if err != nil {
		return err
	}
	for _, p := range list {
		if p.ID == proposal && p.AnsweredPostID == "" && p.DismissedAt.IsZero() {
			c.Proposal = p
		}
	}
	return nil
}
