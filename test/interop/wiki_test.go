package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestFedifyWikiPage: a Fedify actor following a space receives its new
// wiki page as Fedify reads it — a Page with its name, text and link — once,
// and an edit by another member as an Update of the same Page carrying the
// new text, not as a second post.
func TestFedifyWikiPage(t *testing.T) {
	ctx := context.Background()
	p := startPeer(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	ivan := n.Member(t, "ivan", spaces.RoleMember)
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spaces.JoinSpace(ctx, ivan, "forum", "", ""); err != nil {
		t.Fatal(err)
	}
	group := n.URL + "/spaces/forum"
	p.call(t, "follow", map[string]any{"url": group})
	drain(t, n)
	p.event(t, "Accept")

	page, err := n.Spaces.CreateWikiPage(ctx, olga, "forum", spaces.PostInput{Title: "Statuts", Body: "Article **premier**."})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + page.ID
	drain(t, n)
	got := p.eventWhere(t, "Announce(Create(Page))", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["innerObject"] == iri
	})
	if got["postType"] != "Page" || got["name"] != "Statuts" || !strings.Contains(got["content"].(string), "<strong>premier</strong>") ||
		got["url"] != group+"/wiki/statuts" {
		t.Fatalf("the page as Fedify read it: %v", got)
	}

	if _, err := n.Spaces.EditWikiPage(ctx, ivan, "forum", "statuts", spaces.PostInput{Title: "Statuts",
		Body: "Article premier, revu.", Wiki: &spaces.WikiInput{Base: 1}}); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	up := p.eventWhere(t, "Update(Page)", func(e map[string]any) bool { return e["event"] == "Update" && e["object"] == iri })
	if up["postType"] != "Page" || up["actor"] != n.URL+"/users/olga" || !strings.Contains(up["content"].(string), "revu") || up["updated"] == nil {
		t.Fatalf("the edit as Fedify read it: %v", up)
	}
	for _, e := range p.backlog {
		if e["event"] == "Create" || (e["event"] == "Announce" && e["innerObject"] == iri) {
			t.Fatalf("the edit came as a new post: %v", e)
		}
	}
}
