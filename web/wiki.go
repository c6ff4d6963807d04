package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// The wiki of a space: its tab (the tree of pages), a page, its editor
// (which creates a page that does not exist yet, and shows the merge view
// when an edit was based on an old revision), its history, an old
// revision, the comparison of two, and restoring one. Who may write is the
// domain's (MayEditWiki), never decided here.

type wikiIndexPage struct {
	Head *spaceHead
	Wiki *spaces.Wiki
}

type wikiPageView struct {
	Head *spaceHead
	View *spaces.WikiView
	Old  bool // an old revision, not the current one
	// Missing is the slug of a page not written yet, and Title the name
	// its editor starts with.
	Missing, Title string
	CanEdit        bool
}

type wikiEditPage struct {
	Head     *spaceHead
	Slug     string
	Creating bool
	Parents  []wikiParent
	Conflict *spaces.WikiConflict
}

// wikiParent is a page to choose as a parent, indented by its depth.
type wikiParent struct {
	Slug, Title string
	Depth       int
}

// Indent is the parent's name as the select shows it.
func (p wikiParent) Indent() string { return strings.Repeat("\u00a0\u00a0", p.Depth) + p.Title }

type wikiHistoryPage struct {
	Head      *spaceHead
	View      *spaces.WikiView
	Revisions []*spaces.WikiRevision
}

type wikiDiffPage struct {
	Head *spaceHead
	C    *spaces.WikiComparison
}

// wikiURL is the page slug of a space's wiki ("" for the wiki's tree).
func wikiURL(sp *spaces.Space, slug string) string {
	u := spaceURL(sp) + "/wiki"
	if slug != "" {
		u += "/" + url.PathEscape(slug)
	}
	return u
}

// wikiHead loads the space of the URL for its wiki tab; a wiki switched
// off is not there.
func (w *Web) wikiHead(r *http.Request, rq *request) (*spaceHead, error) {
	h, err := w.loadSpace(r, rq, "wiki")
	if err != nil {
		return nil, err
	}
	if !h.Space.ToolOn(spaces.ToolWiki) {
		return nil, errNotFound // switched off: the pages stay, unlisted
	}
	return h, nil
}

// spaceWiki: GET /spaces/{slug}/wiki — the tree of pages; ?create=name
// opens the editor of a new page of that name.
func (w *Web) spaceWiki(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	if name := strings.TrimSpace(r.URL.Query().Get("create")); name != "" {
		if slug := spaces.WikiSlug(name); slug != "" {
			q := url.Values{"title": {name}}
			if parent := r.URL.Query().Get("parent"); parent != "" {
				q.Set("parent", parent)
			}
			return redirect(rw, r, wikiURL(h.Space, slug)+"/edit?"+q.Encode())
		}
	}
	wiki, err := w.spaces.SpaceWiki(r.Context(), rq.viewer, accountHandle(h.Space.Account))
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "space_wiki", rq.cat.T("wiki.title", "name", h.Space.Account.DisplayName), wikiIndexPage{Head: h, Wiki: wiki})
	return nil
}

// wikiPage: GET /spaces/{slug}/wiki/{page} — a page; one not written yet
// answers 404 with the way to write it, for those who may.
func (w *Web) wikiPage(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.showWikiPage(rw, r, rq, 0)
}

// wikiRevision: GET /spaces/{slug}/wiki/{page}/revisions/{n} — an old
// revision, with the way to restore it.
func (w *Web) wikiRevision(rw http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := strconv.Atoi(mux.Vars(r)["n"])
	if err != nil || n < 1 {
		return errNotFound
	}
	return w.showWikiPage(rw, r, rq, n)
}

func (w *Web) showWikiPage(rw http.ResponseWriter, r *http.Request, rq *request, number int) error {
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	slug := mux.Vars(r)["page"]
	v, err := w.spaces.WikiPage(r.Context(), rq.viewer, accountHandle(h.Space.Account), slug, number)
	if spaces.AsError(err).Code == "wiki_page_not_found" && number == 0 {
		page := wikiPageView{Head: h, Missing: spaces.WikiSlug(slug), Title: titleOfSlug(slug), CanEdit: w.spaces.MayEditWiki(r.Context(), rq.viewer, h.Space)}
		w.render(rw, r, rq, http.StatusNotFound, "wiki_page", rq.cat.T("wiki.missing_title", "name", page.Title), page)
		return nil
	}
	if err != nil {
		return err
	}
	page := wikiPageView{Head: h, View: v, Old: v.Revision.Number != v.Page.Wiki.Revision, CanEdit: v.CanEdit}
	w.render(rw, r, rq, http.StatusOK, "wiki_page", v.Page.Title+" · "+h.Space.Account.DisplayName, page)
	return nil
}

// titleOfSlug is a name for a page known by its slug alone (a link to a
// page not written yet): its words, the first capitalised.
func titleOfSlug(slug string) string {
	s := strings.TrimSpace(strings.ReplaceAll(slug, "-", " "))
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return ""
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

var wikiFields = []string{"title", "body", "parent", "summary", "base"}

// wikiEditForm: GET /spaces/{slug}/wiki/{page}/edit — the editor of a
// page, filled with its current revision; of a new page when there is
// none of that name.
func (w *Web) wikiEditForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	slug := mux.Vars(r)["page"]
	f := newForm(nil, wikiFields...)
	v, err := w.spaces.WikiPage(r.Context(), rq.viewer, accountHandle(h.Space.Account), slug, 0)
	switch {
	case spaces.AsError(err).Code == "wiki_page_not_found":
		title := r.URL.Query().Get("title")
		if title == "" || spaces.WikiSlug(title) != spaces.WikiSlug(slug) {
			title = titleOfSlug(slug)
		}
		f.Values.Set("title", title)
		f.Values.Set("parent", r.URL.Query().Get("parent"))
		f.Values.Set("base", "0")
	case err != nil:
		return err
	default:
		if !v.CanEdit {
			return &pageError{status: http.StatusForbidden, key: "error.not_member"}
		}
		f.Values.Set("title", v.Page.Title)
		f.Values.Set("body", v.Revision.Source)
		if v.Parent != nil {
			f.Values.Set("parent", v.Parent.Slug)
		}
		f.Values.Set("base", strconv.Itoa(v.Revision.Number))
	}
	return w.renderWikiEditor(rw, r, rq, http.StatusOK, h, slug, f, nil)
}

func (w *Web) renderWikiEditor(rw http.ResponseWriter, r *http.Request, rq *request, status int, h *spaceHead, slug string, f *form, c *spaces.WikiConflict) error {
	page := wikiEditPage{Head: h, Slug: spaces.WikiSlug(slug), Creating: f.Value("base") == "0" || f.Value("base") == "", Conflict: c}
	wiki, err := w.spaces.SpaceWiki(r.Context(), rq.viewer, accountHandle(h.Space.Account))
	if err != nil {
		return err
	}
	var walk func(nodes []*spaces.WikiNode, depth int)
	walk = func(nodes []*spaces.WikiNode, depth int) {
		for _, n := range nodes {
			if n.Page.Wiki == nil || n.Page.Wiki.Slug == page.Slug {
				continue // a page is not its own parent, nor under itself
			}
			page.Parents = append(page.Parents, wikiParent{Slug: n.Page.Wiki.Slug, Title: n.Page.Title, Depth: depth})
			walk(n.Children, depth+1)
		}
	}
	walk(wiki.Roots, 0)
	title := rq.cat.T("wiki.edit_title", "name", f.Value("title"))
	if page.Creating {
		title = rq.cat.T("wiki.new_title")
	}
	w.renderForm(rw, r, rq, status, "wiki_edit", title, f, page)
	return nil
}

// wikiSave: POST /spaces/{slug}/wiki/{page}/edit — a new revision, or a
// new page (base 0). An edit based on an old revision comes back as the
// merge view: the editor's text kept (or, when the edits touch different
// lines, both merged), based now on the current revision, with what others
// changed meanwhile.
func (w *Web) wikiSave(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	slug, handle := mux.Vars(r)["page"], accountHandle(h.Space.Account)
	f := newForm(r, wikiFields...)
	base, _ := strconv.Atoi(f.Value("base"))
	in := spaces.PostInput{Title: f.Value("title"), Body: f.Value("body"),
		Wiki: &spaces.WikiInput{Parent: f.Value("parent"), Summary: f.Value("summary"), Base: base}}
	var p *spaces.Post
	if base == 0 {
		p, err = w.spaces.CreateWikiPage(r.Context(), me, handle, in)
	} else {
		p, err = w.spaces.EditWikiPage(r.Context(), me, handle, slug, in)
	}
	var conflict *spaces.WikiConflict
	if errors.As(err, &conflict) {
		f.Values.Set("base", strconv.Itoa(conflict.Current.Number))
		if conflict.Clean {
			f.Values.Set("body", conflict.Merged)
		}
		f.addError(rq.cat, err)
		return w.renderWikiEditor(rw, r, rq, http.StatusConflict, h, slug, f, conflict)
	}
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict:
			f.addError(rq.cat, err)
			return w.renderWikiEditor(rw, r, rq, errorStatus(err), h, slug, f, nil)
		}
		return err
	}
	if base > 0 && spaces.EditSent(p, base) {
		w.setFlash(rw, "flash.wiki_sent")
	} else {
		w.setFlash(rw, "flash.wiki_saved")
	}
	return redirect(rw, r, wikiURL(h.Space, p.Wiki.Slug))
}

// wikiHistory: GET /spaces/{slug}/wiki/{page}/history — the revisions,
// newest first, each with who and when, to read or compare.
func (w *Web) wikiHistory(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	v, revs, err := w.spaces.WikiHistory(r.Context(), rq.viewer, accountHandle(h.Space.Account), mux.Vars(r)["page"])
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "wiki_history", rq.cat.T("wiki.history_title", "name", v.Page.Title), wikiHistoryPage{Head: h, View: v, Revisions: revs})
	return nil
}

// wikiDiff: GET /spaces/{slug}/wiki/{page}/diff?from=n&to=m — what changed
// between two revisions (to: the current one when not given; from: the
// one before to).
func (w *Web) wikiDiff(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	to, _ := strconv.Atoi(q.Get("to"))
	from, err := strconv.Atoi(q.Get("from"))
	if err != nil {
		if to < 2 {
			return &pageError{status: http.StatusBadRequest, key: "error.form_invalid", cause: err}
		}
		from = to - 1
	}
	c, err := w.spaces.CompareWikiRevisions(r.Context(), rq.viewer, accountHandle(h.Space.Account), mux.Vars(r)["page"], from, to)
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "wiki_diff", rq.cat.T("wiki.diff_title", "name", c.Page.Title), wikiDiffPage{Head: h, C: c})
	return nil
}

// wikiRestore: POST /spaces/{slug}/wiki/{page}/restore — revision number
// becomes current again, as a new revision (based on base).
func (w *Web) wikiRestore(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	h, err := w.wikiHead(r, rq)
	if err != nil {
		return err
	}
	number, err1 := strconv.Atoi(r.PostForm.Get("number"))
	base, err2 := strconv.Atoi(r.PostForm.Get("base"))
	if err := errors.Join(err1, err2); err != nil {
		return &pageError{status: http.StatusBadRequest, key: "error.form_invalid", cause: err}
	}
	p, err := w.spaces.RestoreWikiRevision(r.Context(), me, accountHandle(h.Space.Account), mux.Vars(r)["page"], number, base)
	if err != nil {
		return err
	}
	if spaces.EditSent(p, base) {
		w.setFlash(rw, "flash.wiki_sent")
	} else {
		w.setFlash(rw, "flash.wiki_restored")
	}
	return redirect(rw, r, wikiURL(h.Space, p.Wiki.Slug))
}

// HTML is the page's text: sanitised by the domain when it was stored,
// its links to missing pages marked since.
func (p wikiPageView) HTML() template.HTML { return template.HTML(p.View.HTML) } //nolint:gosec // sanitised by spaces
