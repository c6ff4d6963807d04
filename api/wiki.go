package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/diff"
	"github.com/ruche-social/ruche/spaces"
)

// mountWiki adds the routes of a space's wiki: its tree, its pages, their
// revisions, comparisons and restores. Who may write is the domain's
// (mayEditWiki); an edit names its base revision, and one based on an old
// revision answers 409 wiki_conflict with the current revision (and the
// merge when the edits touch different lines), so that a client keeps the
// user's text and offers to merge.
func (a *API) mountWiki(r *mux.Router) {
	get, post := http.MethodGet, http.MethodPost
	a.route(r, "/api/ruche/v1/spaces/{space}/wiki", methods{get: a.spaceWiki, post: a.createWikiPage})
	a.route(r, "/api/ruche/v1/spaces/{space}/wiki/{page}", methods{get: a.wikiPage, http.MethodPut: a.editWikiPage})
	a.route(r, "/api/ruche/v1/spaces/{space}/wiki/{page}/revisions", methods{get: a.wikiRevisions})
	a.route(r, "/api/ruche/v1/spaces/{space}/wiki/{page}/diff", methods{get: a.wikiDiff})
	a.route(r, "/api/ruche/v1/spaces/{space}/wiki/{page}/restore", methods{post: a.restoreWikiRevision})
}

// wikiJSON is the wiki part of a post of kind page.
type wikiJSON struct {
	Slug     string `json:"slug"`
	Revision int    `json:"revision"` // the current one
}

type wikiNodeJSON struct {
	ID       string         `json:"id"`
	Slug     string         `json:"slug"`
	Title    string         `json:"title"`
	Revision int            `json:"revision"`
	Children []wikiNodeJSON `json:"children"`
}

type wikiTreeJSON struct {
	Pages   []wikiNodeJSON `json:"pages"`
	CanEdit bool           `json:"can_edit"`
}

type wikiRefJSON struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

type revisionJSON struct {
	Number    int                `json:"number"`
	Account   *publicAccountJSON `json:"account"`
	CreatedAt time.Time          `json:"created_at"`
	Title     string             `json:"title"`
	Summary   string             `json:"summary"`
	Restored  *int               `json:"restored"` // the revision it copied back
	Source    *string            `json:"source,omitempty"`
	Content   *string            `json:"content,omitempty"`
}

func revisionOf(r *spaces.WikiRevision, text bool) revisionJSON {
	j := revisionJSON{Number: r.Number, CreatedAt: r.CreatedAt, Title: r.Title, Summary: r.Summary}
	if r.Account != nil {
		j.Account = accountOf(r.Account)
	}
	if r.Restored > 0 {
		j.Restored = &r.Restored
	}
	if text {
		j.Source, j.Content = &r.Source, &r.Content
	}
	return j
}

type wikiPageJSON struct {
	ID              string        `json:"id"` // the post's
	Slug            string        `json:"slug"`
	Title           string        `json:"title"`
	Language        string        `json:"language"`
	URL             string        `json:"url"`
	Source          string        `json:"source"`  // the revision's Markdown
	Content         string        `json:"content"` // its HTML; links to missing pages have class wiki-missing
	Revision        revisionJSON  `json:"revision"`
	CurrentRevision int           `json:"current_revision"`
	Parent          *wikiRefJSON  `json:"parent"`
	Path            []wikiRefJSON `json:"path"`
	Children        []wikiRefJSON `json:"children"`
	CanEdit         bool          `json:"can_edit"`
}

func refsOf(refs []spaces.WikiRef) []wikiRefJSON {
	out := make([]wikiRefJSON, 0, len(refs))
	for _, r := range refs {
		out = append(out, wikiRefJSON{Slug: r.Slug, Title: r.Title})
	}
	return out
}

func (a *API) wikiPageOf(v *spaces.WikiView) wikiPageJSON {
	j := wikiPageJSON{ID: v.Page.ID, Slug: v.Page.Wiki.Slug, Title: v.Revision.Title, Language: v.Page.Language,
		URL:    v.URL,
		Source: v.Revision.Source, Content: v.HTML, Revision: revisionOf(v.Revision, false), CurrentRevision: v.Page.Wiki.Revision,
		Path: refsOf(v.Path), Children: refsOf(v.Children), CanEdit: v.CanEdit}
	if v.Parent != nil {
		j.Parent = &wikiRefJSON{Slug: v.Parent.Slug, Title: v.Parent.Title}
	}
	return j
}

// spaceWiki: GET /api/ruche/v1/spaces/{space}/wiki → the tree of pages.
func (a *API) spaceWiki(w http.ResponseWriter, r *http.Request) error {
	wiki, err := a.spaces.SpaceWiki(r.Context(), optionalViewer(r), pathVar(r, "space"))
	if err != nil {
		return err
	}
	var walk func(nodes []*spaces.WikiNode) []wikiNodeJSON
	walk = func(nodes []*spaces.WikiNode) []wikiNodeJSON {
		out := make([]wikiNodeJSON, 0, len(nodes))
		for _, n := range nodes {
			j := wikiNodeJSON{ID: n.Page.ID, Title: n.Page.Title, Children: walk(n.Children)}
			if n.Page.Wiki != nil {
				j.Slug, j.Revision = n.Page.Wiki.Slug, n.Page.Wiki.Revision
			}
			out = append(out, j)
		}
		return out
	}
	writeJSON(w, http.StatusOK, wikiTreeJSON{Pages: walk(wiki.Roots), CanEdit: wiki.CanEdit})
	return nil
}

// wikiInputJSON is a new page or an edit.
type wikiInputJSON struct {
	Title        string `json:"title"`
	Body         string `json:"body"` // Markdown
	Language     string `json:"language"`
	Parent       string `json:"parent"` // the parent's slug; "" at the top
	Summary      string `json:"summary"`
	BaseRevision int    `json:"base_revision"` // edits: the revision it began from
}

func (in wikiInputJSON) input() spaces.PostInput {
	return spaces.PostInput{Title: in.Title, Body: in.Body, Language: in.Language,
		Wiki: &spaces.WikiInput{Parent: in.Parent, Summary: in.Summary, Base: in.BaseRevision}}
}

func (a *API) readWikiInput(w http.ResponseWriter, r *http.Request) (*spaces.Account, wikiInputJSON, error) {
	by, _, err := viewer(r)
	if err != nil {
		return nil, wikiInputJSON{}, err
	}
	var in wikiInputJSON
	if err := decodeLimit(w, r, &in, maxPostBody); err != nil {
		return nil, in, err
	}
	return by, in, nil
}

// createWikiPage: POST /api/ruche/v1/spaces/{space}/wiki → 201, the page.
func (a *API) createWikiPage(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readWikiInput(w, r)
	if err != nil {
		return err
	}
	in.BaseRevision = 0
	p, err := a.spaces.CreateWikiPage(r.Context(), by, pathVar(r, "space"), in.input())
	if err != nil {
		return err
	}
	return a.writeWikiPage(w, r, by, p.Wiki.Slug, 0, http.StatusCreated)
}

func (a *API) writeWikiPage(w http.ResponseWriter, r *http.Request, by *spaces.Account, slug string, number, status int) error {
	v, err := a.spaces.WikiPage(r.Context(), by, pathVar(r, "space"), slug, number)
	if err != nil {
		return err
	}
	writeJSON(w, status, a.wikiPageOf(v))
	return nil
}

// wikiPage: GET /api/ruche/v1/spaces/{space}/wiki/{page}[?revision=n] → the
// page, at its current revision or revision n.
func (a *API) wikiPage(w http.ResponseWriter, r *http.Request) error {
	number := 0
	if s := r.URL.Query().Get("revision"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return &spaces.Error{Kind: spaces.KindInvalid, Code: "revision_invalid", Field: "revision", Message: "a revision is a number from 1"}
		}
		number = n
	}
	return a.writeWikiPage(w, r, optionalViewer(r), pathVar(r, "page"), number, http.StatusOK)
}

// conflictJSON answers an edit based on an old revision.
type conflictJSON struct {
	errorBody
	CurrentRevision revisionJSON `json:"current_revision"`
	// Merged is the edit and the others' changes together, when they
	// touch different lines; null otherwise.
	Merged *string `json:"merged"`
}

// editWikiPage: PUT /api/ruche/v1/spaces/{space}/wiki/{page} → the page at its
// new revision; 409 wiki_conflict when base_revision is not the current
// one.
func (a *API) editWikiPage(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readWikiInput(w, r)
	if err != nil {
		return err
	}
	p, err := a.spaces.EditWikiPage(r.Context(), by, pathVar(r, "space"), pathVar(r, "page"), in.input())
	if err := writeConflict(w, err); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	return a.writeWikiPage(w, r, by, p.Wiki.Slug, 0, editStatus(p, in.BaseRevision))
}

// writeConflict answers a *WikiConflict with 409 and what it takes to
// merge; other errors are returned.
func writeConflict(w http.ResponseWriter, err error) error {
	var c *spaces.WikiConflict
	if !errors.As(err, &c) {
		return err
	}
	de := spaces.AsError(err)
	out := conflictJSON{errorBody: errorBody{Error: de.Code, Message: de.Message, Field: de.Field}, CurrentRevision: revisionOf(c.Current, true)}
	if c.Clean {
		out.Merged = &c.Merged
	}
	writeJSON(w, http.StatusConflict, out)
	return nil
}

// wikiRevisions: GET /api/ruche/v1/spaces/{space}/wiki/{page}/revisions →
// {"items": the revisions, newest first, without their text}.
func (a *API) wikiRevisions(w http.ResponseWriter, r *http.Request) error {
	_, revs, err := a.spaces.WikiHistory(r.Context(), optionalViewer(r), pathVar(r, "space"), pathVar(r, "page"))
	if err != nil {
		return err
	}
	out := make([]revisionJSON, 0, len(revs))
	for _, rev := range revs {
		out = append(out, revisionOf(rev, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

type diffLineJSON struct {
	Op   string `json:"op"` // equal, delete, insert
	Text string `json:"text"`
	Old  *int   `json:"old"` // the line's number in the older revision
	New  *int   `json:"new"`
}

type diffJSON struct {
	From     int              `json:"from"`
	To       int              `json:"to"`
	Inserted int              `json:"inserted"`
	Deleted  int              `json:"deleted"`
	Renamed  bool             `json:"renamed"`
	Hunks    [][]diffLineJSON `json:"hunks"`
}

var opNames = map[diff.Op]string{diff.Equal: "equal", diff.Delete: "delete", diff.Insert: "insert"}

// wikiDiff: GET /api/ruche/v1/spaces/{space}/wiki/{page}/diff?from=n[&to=m] →
// the changes from revision n to m (default: the current one), in hunks.
func (a *API) wikiDiff(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := strconv.Atoi(q.Get("from"))
	to, err2 := strconv.Atoi(q.Get("to"))
	if err != nil || (q.Get("to") != "" && err2 != nil) {
		return &spaces.Error{Kind: spaces.KindInvalid, Code: "revision_invalid", Field: "from", Message: "from (and to) are revision numbers"}
	}
	c, err := a.spaces.CompareWikiRevisions(r.Context(), optionalViewer(r), pathVar(r, "space"), pathVar(r, "page"), from, to)
	if err != nil {
		return err
	}
	out := diffJSON{From: c.From.Number, To: c.To.Number, Inserted: c.Inserted, Deleted: c.Deleted, Renamed: c.TitleChanged, Hunks: [][]diffLineJSON{}}
	for _, h := range c.Hunks {
		lines := make([]diffLineJSON, 0, len(h.Lines))
		for _, l := range h.Lines {
			j := diffLineJSON{Op: opNames[l.Op], Text: l.Text}
			if l.Old > 0 {
				j.Old = &l.Old
			}
			if l.New > 0 {
				j.New = &l.New
			}
			lines = append(lines, j)
		}
		out.Hunks = append(out.Hunks, lines)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// restoreWikiRevision: POST /api/ruche/v1/spaces/{space}/wiki/{page}/restore
// {"revision": n, "base_revision": m} → the page at a new revision copying
// revision n.
func (a *API) restoreWikiRevision(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Revision     int `json:"revision"`
		BaseRevision int `json:"base_revision"`
	}
	if err := decodeLimit(w, r, &in, 1<<10); err != nil {
		return err
	}
	p, err := a.spaces.RestoreWikiRevision(r.Context(), by, pathVar(r, "space"), pathVar(r, "page"), in.Revision, in.BaseRevision)
	if err := writeConflict(w, err); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	return a.writeWikiPage(w, r, by, p.Wiki.Slug, 0, editStatus(p, in.BaseRevision))
}

// editStatus is 200 for an edit that made a revision, 202 for one sent to
// the node of a space of another node (the page as it stands here).
func editStatus(p *spaces.Post, base int) int {
	if spaces.EditSent(p, base) {
		return http.StatusAccepted
	}
	return http.StatusOK
}
