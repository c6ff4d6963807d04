package api

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// mountFAQ adds the routes of a space's FAQ and its proposals.
func (a *API) mountFAQ(r *mux.Router) {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	a.route(r, "/api/ruche/v1/spaces/{space}/faq", methods{get: a.spaceFAQ, post: a.createFAQEntry})
	a.route(r, "/api/ruche/v1/posts/{id}/faq/position", methods{post: a.moveFAQEntry})
	a.route(r, "/api/ruche/v1/spaces/{space}/faq/proposals", methods{get: a.faqProposals, post: a.proposeFAQQuestion})
	a.route(r, "/api/ruche/v1/spaces/{space}/faq/proposals/{id}", methods{del: a.withdrawFAQProposal})
	a.route(r, "/api/ruche/v1/spaces/{space}/faq/proposals/{id}/answer", methods{post: a.answerFAQProposal})
	a.route(r, "/api/ruche/v1/spaces/{space}/faq/proposals/{id}/dismiss", methods{post: a.dismissFAQProposal})
}

// faqInputJSON is the place of a new or edited entry.
type faqInputJSON struct {
	Category string `json:"category"`
	Position *int   `json:"position"` // new entries: default the end; edits: unchanged when absent
}

func (in *faqInputJSON) input() *spaces.FAQInput {
	if in == nil {
		return nil
	}
	return &spaces.FAQInput{Category: in.Category, Position: in.Position}
}

// faqJSON is the place of an entry in its FAQ.
type faqJSON struct {
	Category string `json:"category"`
	Position int    `json:"position"`
}

type faqCategoryJSON struct {
	Name    string     `json:"name"`
	Entries []postJSON `json:"entries"`
}

type faqPageJSON struct {
	Categories []faqCategoryJSON `json:"categories"`
}

// spaceFAQ: GET /api/ruche/v1/spaces/{space}/faq → the whole FAQ, by category.
func (a *API) spaceFAQ(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	f, err := a.spaces.SpaceFAQ(r.Context(), v, pathVar(r, "space"))
	if err != nil {
		return err
	}
	out := faqPageJSON{Categories: make([]faqCategoryJSON, 0, len(f.Categories))}
	for _, c := range f.Categories {
		entries, err := a.postsOf(r.Context(), v, c.Entries)
		if err != nil {
			return err
		}
		out.Categories = append(out.Categories, faqCategoryJSON{Name: c.Name, Entries: entries})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createFAQEntry: POST /api/ruche/v1/spaces/{space}/faq → 201, the entry. It
// takes a post's input; the kind is faq whatever the body says.
func (a *API) createFAQEntry(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	in.Kind = spaces.KindFAQ
	p, err := a.spaces.CreatePost(r.Context(), by, pathVar(r, "space"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.postOf(p, by, false, nil, ""))
	return nil
}

// moveFAQEntry: POST /api/ruche/v1/posts/{id}/faq/position {"position": n} →
// the entry, at its new place.
func (a *API) moveFAQEntry(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Position *int `json:"position"`
	}
	if err := decodeLimit(w, r, &in, 1<<10); err != nil {
		return err
	}
	if in.Position == nil {
		return &spaces.Error{Kind: spaces.KindInvalid, Code: "faq_position_invalid", Field: "position", Message: "give the position, from 0"}
	}
	p, err := a.spaces.MoveFAQEntry(r.Context(), by, pathVar(r, "id"), *in.Position)
	if err != nil {
		return err
	}
	return a.writePosts(w, r, by, []*spaces.Post{p}, -1)
}

// proposalJSON is a question proposed for an FAQ.
type proposalJSON struct {
	ID          string             `json:"id"`
	Account     *publicAccountJSON `json:"account"`
	Question    string             `json:"question"`
	Language    string             `json:"language"`
	State       string             `json:"state"`     // open, answered, dismissed
	AnswerID    *string            `json:"answer_id"` // the entry that answered it
	CreatedAt   time.Time          `json:"created_at"`
	DismissedAt *time.Time         `json:"dismissed_at,omitempty"`
}

func proposalOf(p *spaces.FAQProposal) proposalJSON {
	j := proposalJSON{ID: p.ID, Question: p.Question, Language: p.Language, State: "open", CreatedAt: p.CreatedAt}
	if p.Account != nil {
		j.Account = accountOf(p.Account)
	}
	switch {
	case p.AnsweredPostID != "":
		j.State, j.AnswerID = "answered", &p.AnsweredPostID
	case !p.DismissedAt.IsZero():
		j.State, j.DismissedAt = "dismissed", &p.DismissedAt
	}
	return j
}

// faqProposals: GET /api/ruche/v1/spaces/{space}/faq/proposals → {"items"}: the
// open proposals for the space's moderators, one's own for anyone else.
func (a *API) faqProposals(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	list, err := a.spaces.FAQProposals(r.Context(), by, pathVar(r, "space"))
	if err != nil {
		return err
	}
	out := make([]proposalJSON, len(list))
	for i, p := range list {
		out[i] = proposalOf(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// proposeFAQQuestion: POST /api/ruche/v1/spaces/{space}/faq/proposals
// {"question", "language"} → 201, the proposal.
func (a *API) proposeFAQQuestion(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Question string `json:"question"`
		Language string `json:"language"`
	}
	if err := decodeLimit(w, r, &in, 16<<10); err != nil {
		return err
	}
	p, err := a.spaces.ProposeFAQQuestion(r.Context(), by, pathVar(r, "space"), spaces.ProposalInput{Question: in.Question, Language: in.Language})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, proposalOf(p))
	return nil
}

// answerFAQProposal: POST /api/ruche/v1/spaces/{space}/faq/proposals/{id}/answer
// with a post's input → 201, the new entry; its title is the question
// unless the body gives one.
func (a *API) answerFAQProposal(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	p, err := a.spaces.AnswerFAQProposal(r.Context(), by, pathVar(r, "space"), pathVar(r, "id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.postOf(p, by, false, nil, ""))
	return nil
}

// dismissFAQProposal: POST /api/ruche/v1/spaces/{space}/faq/proposals/{id}/dismiss → 204.
func (a *API) dismissFAQProposal(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.DismissFAQProposal(r.Context(), by, pathVar(r, "space"), pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// withdrawFAQProposal: DELETE /api/ruche/v1/spaces/{space}/faq/proposals/{id} →
// 204; the proposer's own open proposal.
func (a *API) withdrawFAQProposal(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.WithdrawFAQProposal(r.Context(), by, pathVar(r, "space"), pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
