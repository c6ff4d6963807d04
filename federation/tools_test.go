package federation_test

import (
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestSpaceToolsAcrossThreeNodes: a space on A with members on B and C
// carries its tools to every node. A's member writes an FAQ entry, files a
// document and starts the wiki; B's member files a document and C's member
// writes a page from their own nodes, through the space's Group: the
// space's FAQ, its documents and its wiki read the same on the three nodes.
// (Events and polls: TestEventsAndPollsAcrossThreeNodes.)
func TestSpaceToolsAcrossThreeNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		c := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		olga := a.Member(t, "olga", spaces.RoleMember)
		bea := b.Member(t, "bea", spaces.RoleMember)
		chloe := c.Member(t, "chloe", spaces.RoleMember)
		name := "Cantines"
		if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cantines", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bea, "cantines")
		joinRemote(t, c, a, chloe, "cantines")
		nodetest.Drain(t, a, b, c)
		handle := "cantines@" + host(a)

		// On A: an FAQ entry, a document in a folder, a wiki page.
		if _, err := a.Spaces.CreatePost(ctx, olga, "cantines", spaces.PostInput{Kind: spaces.KindFAQ, Title: "Comment signaler une allergie ?",
			Body: "Avec la fiche PAI.", FAQ: &spaces.FAQInput{Category: "Santé"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.CreateDocumentFolder(ctx, olga, "cantines", "", "Menus"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.UploadDocument(ctx, olga, "cantines", spaces.DocumentUpload{Folder: "Menus", Name: "mars.pdf",
			File: strings.NewReader("%PDF-1.4\n%menu de mars\n")}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.CreateWikiPage(ctx, olga, "cantines", spaces.PostInput{Title: "Accueil", Body: "Voir [[Protocole]]."}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)

		// From B and C, through the Group: a document, a page under A's.
		if _, err := b.Spaces.UploadDocument(ctx, bea, handle, spaces.DocumentUpload{Folder: "Menus", Name: "avril.pdf",
			File: strings.NewReader("%PDF-1.4\n%menu d'avril\n")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Spaces.CreateWikiPage(ctx, chloe, handle, spaces.PostInput{Title: "Protocole", Body: "Prévenir la cuisine.",
			Wiki: &spaces.WikiInput{Parent: "accueil"}}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		nodetest.Drain(t, a, b, c)

		for _, n := range []struct {
			node   *nodetest.Node
			viewer *spaces.Account
			space  string
		}{{a, olga, "cantines"}, {b, bea, handle}, {c, chloe, handle}} {
			faq, err := n.node.Spaces.SpaceFAQ(ctx, n.viewer, n.space)
			if err != nil {
				t.Fatal(err)
			}
			if len(faq.Categories) != 1 || faq.Categories[0].Name != "Santé" || len(faq.Categories[0].Entries) != 1 {
				t.Fatalf("the FAQ on %s: %+v", n.node.URL, faq.Categories)
			}
			for _, file := range []string{"mars.pdf", "avril.pdf"} {
				if d := documentOn(t, n.node, n.viewer, n.space, "Menus", file); len(d.Versions) != 1 {
					t.Fatalf("%s on %s: %d versions", file, n.node.URL, len(d.Versions))
				}
			}
			w, err := n.node.Spaces.SpaceWiki(ctx, n.viewer, n.space)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Roots) != 1 || w.Roots[0].Page.Title != "Accueil" || len(w.Roots[0].Children) != 1 ||
				w.Roots[0].Children[0].Page.Title != "Protocole" {
				t.Fatalf("the wiki on %s: %d roots", n.node.URL, len(w.Roots))
			}
		}
	})
}
