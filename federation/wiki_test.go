package federation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// revisionsOn lists the revisions of a page on node n, newest first, as
// "number:username" items.
func revisionsOn(t *testing.T, n *nodetest.Node, viewer *spaces.Account, handle, slug string) string {
	t.Helper()
	_, revs, err := n.Spaces.WikiHistory(ctx, viewer, handle, slug)
	if err != nil {
		t.Fatalf("%s: history of %s: %v", n.URL, slug, err)
	}
	var out []string
	for _, r := range revs {
		who := "?"
		if r.Account != nil {
			who = r.Account.Username
		}
		out = append(out, strings.Join([]string{string(rune('0' + r.Number)), who}, ":"))
	}
	return strings.Join(out, " ")
}

// TestWikiTwoNodes: the wiki of a space on node A is mirrored on node B,
// whose member joined the space: pages with their tree and revisions, an
// edit by another member of A arriving as a new revision of the same page.
// The member on B writes a page of his own, which A takes (he is a member)
// and announces back; his edit of it reaches A as a revision; one based on
// a revision A has moved past is refused there.
func TestWikiTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		anne := a.Member(t, "anne", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		name := "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.JoinSpace(ctx, anne, "reseau", "", ""); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "reseau")
		drain(t, a, b)
		handle := "reseau@" + host(a)

		home, err := a.Spaces.CreateWikiPage(ctx, alice, "reseau", spaces.PostInput{Title: "Accueil", Body: "Voir [[Statuts]].\n\nune\ndeux"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.CreateWikiPage(ctx, anne, "reseau", spaces.PostInput{Title: "Statuts", Body: "Article 1.",
			Wiki: &spaces.WikiInput{Parent: "accueil"}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if failed := failedItems(t, b); len(failed) > 0 {
			t.Fatalf("B failed: %v", failed)
		}
		onB := postOn(t, b, bob, a.URL+"/posts/"+home.ID)
		if onB.Kind != spaces.KindPage || onB.Wiki == nil || onB.Wiki.Slug != "accueil" || onB.Wiki.Revision != 1 {
			t.Fatalf("the page on B: %+v %+v", onB, onB.Wiki)
		}
		w, err := b.Spaces.SpaceWiki(ctx, bob, handle)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Roots) != 1 || len(w.Roots[0].Children) != 1 || w.Roots[0].Children[0].Page.Title != "Statuts" {
			t.Fatalf("B's tree: %+v", w.Roots)
		}

		// anne edits alice's page: the same page on B, at revision 2
		clock.Advance(time.Second)
		if _, err := a.Spaces.EditWikiPage(ctx, anne, "reseau", "accueil", spaces.PostInput{Title: "Accueil",
			Body: "Voir [[Statuts]].\n\nune\ntrois", Wiki: &spaces.WikiInput{Base: 1}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		v, err := b.Spaces.WikiPage(ctx, bob, handle, "accueil", 0)
		if err != nil {
			t.Fatal(err)
		}
		if v.Revision.Number != 2 || !strings.Contains(v.HTML, "trois") || v.Revision.Source != "Voir [[Statuts]].\n\nune\ntrois" {
			t.Fatalf("B's page after the edit: %d %q %q", v.Revision.Number, v.HTML, v.Revision.Source)
		}
		c, err := b.Spaces.CompareWikiRevisions(ctx, bob, handle, "accueil", 1, 2)
		if err != nil || c.Inserted != 1 || c.Deleted != 1 {
			t.Fatalf("B's comparison: %v %+v", err, c)
		}

		// bob may not edit alice's page from B: it is edited on A
		_, err = b.Spaces.EditWikiPage(ctx, bob, handle, "accueil", spaces.PostInput{Title: "Accueil", Body: "x", Wiki: &spaces.WikiInput{Base: 2}})
		if spaces.AsError(err).Code != "wiki_remote_page" || v.CanEdit {
			t.Fatalf("bob edits alice's page on B: %v (can edit %v)", err, v.CanEdit)
		}

		// bob, a member, writes a page on B: A takes it and announces it
		if _, err := b.Spaces.CreateWikiPage(ctx, bob, handle, spaces.PostInput{Title: "Agenda", Body: "Lundi."}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if failed := failedItems(t, a); len(failed) > 0 {
			t.Fatalf("A failed: %v", failed)
		}
		if got := revisionsOn(t, a, alice, "reseau", "agenda"); got != "1:bob" {
			t.Fatalf("bob's page on A: %s", got)
		}
		// his edit reaches A as revision 2
		clock.Advance(time.Second)
		if _, err := b.Spaces.EditWikiPage(ctx, bob, handle, "agenda", spaces.PostInput{Title: "Agenda", Body: "Lundi et mardi.",
			Wiki: &spaces.WikiInput{Base: 1}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if got := revisionsOn(t, a, alice, "reseau", "agenda"); got != "2:bob 1:bob" {
			t.Fatalf("bob's page on A after his edit: %s", got)
		}
		// alice edits it on A; bob's next edit, made on B before alice's
		// came, is based on revision 2: A refuses it and keeps alice's
		clock.Advance(time.Second)
		if _, err := a.Spaces.EditWikiPage(ctx, alice, "reseau", "agenda", spaces.PostInput{Title: "Agenda", Body: "Lundi, mardi, jeudi.",
			Wiki: &spaces.WikiInput{Base: 2}}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if _, err := b.Spaces.EditWikiPage(ctx, bob, handle, "agenda", spaces.PostInput{Title: "Agenda", Body: "Mardi seulement.",
			Wiki: &spaces.WikiInput{Base: 2}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		v, err = a.Spaces.WikiPage(ctx, alice, "reseau", "agenda", 0)
		if err != nil || v.Revision.Number != 3 || v.Revision.AccountID != alice.ID || !strings.Contains(v.HTML, "jeudi") {
			t.Fatalf("A's page after the stale edit: %v %+v", err, v.Revision)
		}
		var refused []*db.InboxItem
		if err := a.DB.Bun().NewSelect().Model(&refused).Where("type = 'Update' AND last_error LIKE '%wiki_conflict%'").Scan(ctx); err != nil || len(refused) != 1 {
			t.Fatalf("A's inbox did not refuse the stale edit: %v %d", err, len(refused))
		}
	})
}
