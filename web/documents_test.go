package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestDocumentPages: the documents tab of a members-only space. A member
// makes a folder (a bad name refused on its field), uploads a PDF into it
// (a file of another type refused, nothing made), uploads it again under
// the same name (a second version), reads the document's page with its
// preview and versions, downloads the first version and restores it; the
// owner keeps documents to moderators, and the member loses the forms;
// someone outside the space finds nothing; switched off, the tab is gone.
func TestDocumentPages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "fr")
		member(t, n, "cat", spaces.RoleMember)
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club"), Languages: []string{"en", "fr"}})
		joined(t, n, bob, alice, "club")
		if _, err := n.Spaces.UpdateSpace(ctx, alice, "club", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)}); err != nil {
			t.Fatal(err)
		}

		b := newBrowser(t, n, "fr")
		b.signIn("bob", nodetest.Password)
		want(t, b.get("/spaces/club"), http.StatusOK, `href="/spaces/club/documents"`)
		want(t, b.get("/spaces/club/documents"), http.StatusOK, `href="/spaces/club/documents" aria-current="page"`,
			"Ce dossier est vide.", `action="/spaces/club/documents" enctype="multipart/form-data" data-upload`, `action="/spaces/club/documents/folders"`)

		want(t, b.post("/spaces/club/documents/folders", url.Values{"name": {"a/b"}}), http.StatusUnprocessableEntity, `id="f-name"`, "sans « / »")
		wantRedirect(t, b.post("/spaces/club/documents/folders", url.Values{"name": {"Comptes"}}), "/spaces/club/documents?folder=Comptes")
		want(t, b.get("/spaces/club/documents"), http.StatusOK, `href="/spaces/club/documents?folder=Comptes"`)

		bad := b.postMultipart("/spaces/club/documents", url.Values{"folder": {"Comptes"}}, upload{"file", "virus.exe", []byte("MZ\x90\x00\x03")})
		want(t, bad, http.StatusUnprocessableEntity, `id="f-file-error"`)
		want(t, b.postMultipart("/spaces/club/documents", url.Values{"folder": {"Comptes"}}), http.StatusUnprocessableEntity, `id="f-file-error"`)
		if top, _ := n.Spaces.SpaceDocuments(ctx, bob, "club", "Comptes"); len(top.Documents) != 0 {
			t.Fatal("a refused file made a document")
		}

		first := b.postMultipart("/spaces/club/documents", url.Values{"folder": {"Comptes"}, "description": {"Le **budget** de l’année"}},
			upload{"file", "Budget.pdf", pdf})
		wantRedirect(t, first, "/spaces/club/documents/")
		id := strings.TrimPrefix(first.location, "/spaces/club/documents/")
		v2 := append([]byte{}, pdf...)
		v2 = append(v2, "% second\n"...)
		wantRedirect(t, b.postMultipart("/spaces/club/documents", url.Values{"folder": {"Comptes"}}, upload{"file", "Budget.pdf", v2}),
			"/spaces/club/documents/"+id)

		want(t, b.get("/spaces/club/documents?folder=Comptes"), http.StatusOK, `href="/spaces/club/documents/`+id+`"`, "Budget.pdf",
			`<a href="/spaces/club/documents?folder=Comptes" aria-current="page">Comptes</a>`)
		doc := b.get("/spaces/club/documents/" + id)
		want(t, doc, http.StatusOK, "Version 2", "Le <strong>budget</strong> de l’année",
			`<object data="/spaces/club/documents/`+id+`/versions/2?preview=1" type="application/pdf"`,
			`href="/spaces/club/documents/`+id+`/versions/1" download`,
			`action="/spaces/club/documents/`+id+`/versions/1/restore"`,
			`action="/spaces/club/documents/`+id+`/versions" enctype="multipart/form-data"`)
		if !strings.Contains(doc.header.Get("Content-Security-Policy"), "object-src 'self'") {
			t.Fatalf("the page may not embed its preview: %s", doc.header.Get("Content-Security-Policy"))
		}
		file := b.get("/spaces/club/documents/" + id + "/versions/1")
		if file.status != http.StatusOK || file.body != string(pdf) || !strings.HasPrefix(file.header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(file.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("version 1: %d %v", file.status, file.header)
		}
		preview := b.get("/spaces/club/documents/" + id + "/versions/2?preview=1")
		if preview.body != string(v2) || !strings.HasPrefix(preview.header.Get("Content-Disposition"), "inline") ||
			preview.header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Fatalf("preview: %v", preview.header)
		}

		wantRedirect(t, b.post("/spaces/club/documents/"+id+"/versions/1/restore", nil), "/spaces/club/documents/"+id+"#versions")
		want(t, b.get("/spaces/club/documents/"+id), http.StatusOK, "Version 3", "restaure la version 1")
		wantRedirect(t, b.postMultipart("/spaces/club/documents/"+id+"/versions", nil, upload{"file", "autre.png", tinyPNG}),
			"/spaces/club/documents/"+id+"#versions")
		want(t, b.get("/spaces/club/documents/"+id), http.StatusOK, "Version 4", `<img src="/spaces/club/documents/`+id+`/versions/4?preview=1"`)

		// its post's page shows the current file only, and links the document's page
		post := b.get("/posts/" + id)
		want(t, post, http.StatusOK, `href="/spaces/club/documents/`+id+`"`)
		if post.has(`href="/posts/` + id + `/edit"`) {
			t.Fatal("the document's post offers the composer, which writes no document")
		}
		if p := b.get("/posts/" + id + "/edit"); p.status != http.StatusNotFound {
			t.Fatalf("the composer for a document: %d", p.status)
		}
		if strings.Count(post.body, `class="file"`)+strings.Count(post.body, `<div class="post__images">`) != 1 {
			t.Fatalf("the post shows the files of every version: %s", post.body)
		}

		// the owner keeps documents to moderators, in the space's settings
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/spaces/club/settings"), http.StatusOK, `name="document_adding"`, "Who adds documents")
		if _, err := n.Spaces.UpdateSpace(ctx, alice, "club", spaces.SpaceSettings{DocumentAdding: str(spaces.PostingModerators)}); err != nil {
			t.Fatal(err)
		}
		page := b.get("/spaces/club/documents/" + id)
		want(t, page, http.StatusOK, "Version 4")
		if page.has("/restore") || page.has(`action="/spaces/club/documents/`+id+`/versions"`) {
			t.Fatal("a member who may not add documents is offered the forms")
		}
		if p := b.postMultipart("/spaces/club/documents", nil, upload{"file", "b.pdf", pdf}); p.status != http.StatusForbidden {
			t.Fatalf("a member uploads: %d", p.status)
		}
		want(t, a.get("/spaces/club/documents?folder=Comptes"), http.StatusOK, `action="/spaces/club/documents"`)

		// outside the space: nothing
		c := newBrowser(t, n, "en")
		c.signIn("cat", nodetest.Password)
		if p := c.get("/spaces/club/documents/" + id + "/versions/1"); p.status != http.StatusNotFound {
			t.Fatalf("an outsider downloads: %d", p.status)
		}
		if p := c.get("/spaces/club/documents"); p.status != http.StatusNotFound {
			t.Fatalf("an outsider lists: %d", p.status)
		}

		// deleted from its page: back to its folder
		wantRedirect(t, b.post("/posts/"+id+"/delete", url.Values{"folder": {"Comptes"}}), "/spaces/club/documents?folder=Comptes")

		// switched off: no tab, no page
		if _, err := n.Spaces.UpdateSpace(ctx, alice, "club", spaces.SpaceSettings{Tools: []string{spaces.ToolFAQ}}); err != nil {
			t.Fatal(err)
		}
		if p := a.get("/spaces/club"); p.has(`href="/spaces/club/documents"`) {
			t.Fatal("a switched-off tool keeps its tab")
		}
		if p := a.get("/spaces/club/documents"); p.status != http.StatusNotFound {
			t.Fatalf("switched off: %d", p.status)
		}
	})
}
