package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func wikiForm(title, body, parent, base string) url.Values {
	return url.Values{"title": {title}, "body": {body}, "parent": {parent}, "base": {base}, "summary": {""}}
}

// TestWikiPages: the wiki tab of a space. A member names a new page and
// writes it with a link to a page not written yet, which is marked and
// leads to its editor; another member edits the page; an edit begun on the
// old revision comes back as the merge view, the text kept (merged when
// the edits touch different lines), and nothing is stored until saved
// again; the history lists the revisions, the comparison shows what
// changed, an old revision is restored; a visitor reads without the
// editor; a wiki switched off is not there.
func TestWikiPages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "fr")
		speaks(t, n, member(t, n, "cat", spaces.RoleMember), "de")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		joined(t, n, bob, alice, "club")

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/spaces/club/wiki"), http.StatusOK, `href="/spaces/club/wiki" aria-current="page"`, "It has no page yet.", `name="create"`)
		wantRedirect(t, a.get("/spaces/club/wiki?create=Getting+started"), "/spaces/club/wiki/getting-started/edit?title=Getting+started")
		want(t, a.get("/spaces/club/wiki/getting-started/edit?title=Getting+started"), http.StatusOK, "New wiki page",
			`value="Getting started"`, `name="base" value="0"`, "None: at the top of the wiki")

		// A page without a name is refused on its field, nothing made.
		want(t, a.post("/spaces/club/wiki/getting-started/edit", wikiForm("", "text", "", "0")), http.StatusUnprocessableEntity, `id="f-title-error"`)
		wantRedirect(t, a.post("/spaces/club/wiki/getting-started/edit", wikiForm("Getting started", "Read the [[House rules]].\n\nline two\nline three", "", "0")),
			"/spaces/club/wiki/getting-started")
		page := a.open("/spaces/club/wiki/getting-started")
		want(t, page, http.StatusOK, "Page saved.", `<a class="wiki-missing" href="`+n.URL+`/spaces/club/wiki/house-rules"`, "Revision 1 by",
			`href="/spaces/club/wiki/getting-started/edit"`, `href="/spaces/club/wiki/getting-started/history"`)
		// The missing page: 404, with the way to write it.
		want(t, a.get("/spaces/club/wiki/house-rules"), http.StatusNotFound, "This page does not exist yet", `href="/spaces/club/wiki/house-rules/edit"`)
		want(t, a.get("/spaces/club/wiki/house-rules/edit"), http.StatusOK, `value="House rules"`, `<option value="getting-started">Getting started</option>`)
		wantRedirect(t, a.post("/spaces/club/wiki/house-rules/edit", wikiForm("House rules", "Be kind.", "getting-started", "0")), "/spaces/club/wiki/house-rules")
		want(t, a.get("/spaces/club/wiki/getting-started"), http.StatusOK, `<a href="`+n.URL+`/spaces/club/wiki/house-rules"`, "Pages under this one")
		want(t, a.get("/spaces/club/wiki"), http.StatusOK, `<a href="/spaces/club/wiki/getting-started">Getting started</a><ul class="wiki-tree">`)

		// Bob edits in French; alice, who began on revision 1, is refused
		// with the merge of both (different lines).
		b := newBrowser(t, n, "fr")
		b.signIn("bob", nodetest.Password)
		want(t, b.get("/spaces/club/wiki/getting-started/edit"), http.StatusOK, "Modifier la page", `name="base" value="1"`, "line three</textarea>")
		wantRedirect(t, b.post("/spaces/club/wiki/getting-started/edit", wikiForm("Getting started", "Read the [[House rules]].\n\nline two\nline 3 by bob", "", "1")),
			"/spaces/club/wiki/getting-started")
		stale := a.post("/spaces/club/wiki/getting-started/edit", wikiForm("Getting started", "Read the [[House rules]] first.\n\nline two\nline three", "", "1"))
		want(t, stale, http.StatusConflict, "The page changed while you were writing", "touch different lines", `name="base" value="2"`,
			"Read the [[House rules]] first.\n\nline two\nline 3 by bob</textarea>", `<del class="wiki-diff__line wiki-diff__line--deleted"><span class="visually-hidden">Removed: </span>line three</del>`,
			`<ins class="wiki-diff__line wiki-diff__line--inserted"><span class="visually-hidden">Added: </span>line 3 by bob</ins>`)
		// the same line changed by both: the text kept as written
		stale = a.post("/spaces/club/wiki/getting-started/edit", wikiForm("Getting started", "Read the [[House rules]].\n\nline two\nline 3 by alice", "", "1"))
		want(t, stale, http.StatusConflict, "Your text is kept below", "line 3 by alice</textarea>", `name="base" value="2"`)
		wantRedirect(t, a.post("/spaces/club/wiki/getting-started/edit", wikiForm("Getting started", "Read the [[House rules]] first.\n\nline two\nline 3 by bob", "", "2")),
			"/spaces/club/wiki/getting-started")

		// History, comparison, an old revision restored.
		want(t, a.get("/spaces/club/wiki/getting-started/history"), http.StatusOK, "Revision 3", "Revision 2", "Revision 1",
			`href="/spaces/club/wiki/getting-started/diff?from=2&amp;to=3"`, `<a href="/@bob">`)
		want(t, a.get("/spaces/club/wiki/getting-started/diff?from=1&to=3"), http.StatusOK, "Changes from revision 1 to revision 3",
			"Lines added: 2. Lines removed: 2.", "line 3 by bob")
		want(t, a.get("/spaces/club/wiki/getting-started/diff?from=9&to=3"), http.StatusNotFound)
		old := a.get("/spaces/club/wiki/getting-started/revisions/1")
		want(t, old, http.StatusOK, "You are reading revision 1; the current one is 3.", "Restore this revision", "line three")
		wantRedirect(t, a.post("/spaces/club/wiki/getting-started/restore", url.Values{"number": {"1"}, "base": {"3"}}), "/spaces/club/wiki/getting-started")
		want(t, a.open("/spaces/club/wiki/getting-started/history"), http.StatusOK, "Revision 4", "restored revision 1")
		want(t, a.post("/spaces/club/wiki/getting-started/restore", url.Values{"number": {"2"}, "base": {"3"}}), http.StatusConflict)

		// Alice, who wrote the page, is told of bob's edit; the page is a
		// post too, titled, with its way back to the wiki.
		want(t, a.get("/notifications"), http.StatusOK, "edited your wiki page in")
		home, err := n.Spaces.WikiPage(t.Context(), alice, "club", "getting-started", 0)
		if err != nil {
			t.Fatal(err)
		}
		want(t, a.get("/posts/"+home.Page.ID), http.StatusOK, `<h1 id="post-title" class="post__title post__title--full" lang="fr">Getting started</h1>`,
			`href="/spaces/club/wiki/getting-started">`, "Wiki page: open it in the wiki")

		// Someone outside the space reads without the editor.
		c := newBrowser(t, n, "de")
		c.signIn("cat", nodetest.Password)
		page = c.get("/spaces/club/wiki/getting-started")
		want(t, page, http.StatusOK, "Verlauf")
		if page.has("/edit") || page.has("Diese Version wiederherstellen") {
			t.Error("a visitor's wiki page offers the editor")
		}
		want(t, c.get("/spaces/club/wiki/getting-started/edit"), http.StatusForbidden)
		want(t, c.post("/spaces/club/wiki/intruder/edit", wikiForm("Intruder", "x", "", "0")), http.StatusForbidden)
		if c.get("/spaces/club/wiki").has(`name="create"`) {
			t.Error("a visitor is offered a new page")
		}

		// Switched off: no tab, no pages.
		if _, err := n.Spaces.UpdateSpace(t.Context(), alice, "club", spaces.SpaceSettings{Tools: []string{spaces.ToolArticles}}); err != nil {
			t.Fatal(err)
		}
		want(t, a.get("/spaces/club/wiki/getting-started"), http.StatusNotFound)
		if a.get("/spaces/club").has(`/spaces/club/wiki"`) {
			t.Error("a switched-off wiki keeps its tab")
		}
	})
}
