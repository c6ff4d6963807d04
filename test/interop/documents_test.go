package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestFedifyDocumentAnnounced: Fedify's actor, following a space, receives
// a new document as Fedify reads it — a Document (or the Page it is typed
// too, which Mastodon shows) with its name, its file's type and a url that
// links its page and its file — and a new version as an Update of that
// object, with no new post.
func TestFedifyDocumentAnnounced(t *testing.T) {
	ctx := context.Background()
	p := startPeer(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	group := n.URL + "/spaces/forum"
	p.call(t, "follow", map[string]any{"url": group, "as": "peer"})
	drain(t, n)
	p.event(t, "Accept")

	doc, err := n.Spaces.UploadDocument(ctx, olga, "forum", spaces.DocumentUpload{Name: "compte-rendu.pdf",
		Description: "Le compte rendu de la réunion.", File: strings.NewReader("%PDF-1.4\n%first\n")})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + doc.ID
	drain(t, n)
	got := p.eventWhere(t, "Announce(Create(Document))", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["innerObject"] == iri
	})
	links := fmt.Sprint(got["links"])
	t.Logf("Fedify reads the document as a %v", got["postType"])
	if (got["postType"] != "Document" && got["postType"] != "Page") || got["name"] != "compte-rendu.pdf" ||
		got["mediaType"] != "application/pdf" || !strings.Contains(fmt.Sprint(got["content"]), "compte rendu") ||
		!strings.Contains(links, "href:"+iri+" mediaType:text/html") || !strings.Contains(links, n.URL+"/files/") {
		t.Fatalf("the document as Fedify read it: %v", got)
	}
	// the boost a Mastodon-family follower sees in its home
	boost := p.eventWhere(t, "Announce(Document) (a boost)", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["object"] == iri
	})
	if boost["name"] != "compte-rendu.pdf" {
		t.Fatalf("the boost as Fedify read it: %v", boost)
	}

	if _, err := n.Spaces.AddDocumentVersion(ctx, olga, doc.ID, strings.NewReader("%PDF-1.4\n%second\n"), "compte-rendu.pdf"); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	up := p.eventWhere(t, "Update(Document)", func(e map[string]any) bool { return e["event"] == "Update" && e["object"] == iri })
	if up["name"] != "compte-rendu.pdf" || up["mediaType"] != "application/pdf" {
		t.Fatalf("the new version as Fedify read it: %v", up)
	}
	for _, e := range p.backlog {
		if (e["event"] == "Create" || e["event"] == "Announce") && (e["object"] == iri || e["innerObject"] == iri) {
			t.Fatalf("a new version came as a new post: %v", e)
		}
	}
}
