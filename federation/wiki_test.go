package federation_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
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
		nodetest.Drain(t, a, b)
		handle := "reseau@" + host(a)

		home, err := a.Spaces.CreateWikiPage(ctx, alice, "reseau", spaces.PostInput{Title: "Accueil", Body: "Voir [[Statuts]].\n\nune\ndeux"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.CreateWikiPage(ctx, anne, "reseau", spaces.PostInput{Title: "Statuts", Body: "Article 1.",
			Wiki: &spaces.WikiInput{Parent: "accueil"}}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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

		// bob, a member, writes a page on B: A takes it and announces it
		if _, err := b.Spaces.CreateWikiPage(ctx, bob, handle, spaces.PostInput{Title: "Agenda", Body: "Lundi."}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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

// TestWikiEditsAcrossThreeNodes: a space on A whose members on B and C
// joined it. bob, on B, edits a page anne wrote on A: his node sends the
// edit and waits; A records the revision under bob, its Group announces
// it, and B and C show it. An edit from B based on a revision A has moved
// past is refused there. An Update of anne's page signed by bob and sent
// straight to C, which no Group announced, changes nothing on C.
func TestWikiEditsAcrossThreeNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		c := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		anne := a.Member(t, "anne", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		chloe := c.Member(t, "chloe", spaces.RoleMember)
		name := "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.JoinSpace(ctx, anne, "reseau", "", ""); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "reseau")
		joinRemote(t, c, a, chloe, "reseau")
		nodetest.Drain(t, a, b, c)
		handle := "reseau@" + host(a)
		page, err := a.Spaces.CreateWikiPage(ctx, anne, "reseau", spaces.PostInput{Title: "Statuts", Body: "Article 1.\n\nArticle 2."})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		text := func(n *nodetest.Node, viewer *spaces.Account, h string) *spaces.WikiView {
			t.Helper()
			v, err := n.Spaces.WikiPage(ctx, viewer, h, "statuts", 0)
			if err != nil {
				t.Fatalf("%s: the page: %v", n.URL, err)
			}
			return v
		}
		if v := text(b, bob, handle); !v.CanEdit || v.Revision.Number != 1 {
			t.Fatalf("anne's page on B: can edit %v, revision %d", v.CanEdit, v.Revision.Number)
		}

		// bob edits anne's page from B: sent to A, nothing changes on B yet
		clock.Advance(time.Second)
		p, err := b.Spaces.EditWikiPage(ctx, bob, handle, "statuts", spaces.PostInput{Title: "Statuts",
			Body: "Article 1.\n\nArticle 2 bis.", Wiki: &spaces.WikiInput{Base: 1}})
		if err != nil || !spaces.EditSent(p, 1) {
			t.Fatalf("bob's edit on B: %v %+v", err, p)
		}
		if v := text(b, bob, handle); v.Revision.Number != 1 || strings.Contains(v.HTML, "bis") {
			t.Fatalf("B before A took the edit: %d %q", v.Revision.Number, v.HTML)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, b, c} {
			if failed := failedItems(t, n); len(failed) > 0 {
				t.Fatalf("%s failed: %v", n.URL, failed)
			}
		}
		if got := revisionsOn(t, a, alice, "reseau", "statuts"); got != "2:bob 1:anne" {
			t.Fatalf("the revisions on A: %s", got)
		}
		for _, on := range []struct {
			n      *nodetest.Node
			viewer *spaces.Account
			handle string
		}{{a, alice, "reseau"}, {b, bob, handle}, {c, chloe, handle}} {
			v := text(on.n, on.viewer, on.handle)
			if v.Revision.Number != 2 || !strings.Contains(v.HTML, "Article 2 bis.") || v.Revision.Source != "Article 1.\n\nArticle 2 bis." {
				t.Fatalf("%s after bob's edit: %d %q %q", on.n.URL, v.Revision.Number, v.HTML, v.Revision.Source)
			}
		}
		if got := revisionsOn(t, c, chloe, handle, "statuts"); got != "2:bob 1:anne" {
			t.Fatalf("the revisions on C: %s", got)
		}
		if got := revisionsOn(t, b, bob, handle, "statuts"); got != "2:bob 1:anne" {
			t.Fatalf("the revisions on B: %s", got)
		}

		// anne edits on A; bob's next edit, made on B before hers came, is
		// based on revision 2: A refuses it, and every node keeps hers
		clock.Advance(time.Second)
		if _, err := a.Spaces.EditWikiPage(ctx, anne, "reseau", "statuts", spaces.PostInput{Title: "Statuts",
			Body: "Article 1 révisé.\n\nArticle 2 bis.", Wiki: &spaces.WikiInput{Base: 2}}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if p, err := b.Spaces.EditWikiPage(ctx, bob, handle, "statuts", spaces.PostInput{Title: "Statuts",
			Body: "Article 1.\n\nArticle 3.", Wiki: &spaces.WikiInput{Base: 2}}); err != nil || !spaces.EditSent(p, 2) {
			t.Fatalf("bob's stale edit on B: %v", err)
		}
		nodetest.Drain(t, a, b, c)
		if got := revisionsOn(t, a, alice, "reseau", "statuts"); got != "3:anne 2:bob 1:anne" {
			t.Fatalf("the revisions on A after the stale edit: %s", got)
		}
		var refused []*db.InboxItem
		if err := a.DB.Bun().NewSelect().Model(&refused).Where("type = 'Update' AND last_error LIKE '%wiki_conflict%'").Scan(ctx); err != nil || len(refused) != 1 {
			t.Fatalf("A's inbox did not refuse the stale edit: %v %d", err, len(refused))
		}
		for _, on := range []struct {
			n      *nodetest.Node
			viewer *spaces.Account
			handle string
		}{{a, alice, "reseau"}, {b, bob, handle}, {c, chloe, handle}} {
			if v := text(on.n, on.viewer, on.handle); v.Revision.Number != 3 || !strings.Contains(v.HTML, "révisé") || strings.Contains(v.HTML, "Article 3") {
				t.Fatalf("%s after the stale edit: %d %q", on.n.URL, v.Revision.Number, v.HTML)
			}
		}

		// bob sends C an Update of anne's page himself, as revision 4: no
		// Group announced it, C does not take it
		status, doc := getAS(t, a.URL+"/posts/"+page.ID)
		if status != 200 || doc["attributedTo"] != a.URL+"/users/anne" {
			t.Fatalf("the page's document: %d %v", status, doc["attributedTo"])
		}
		delete(doc, "@context")
		doc["wikiRevision"] = 4
		doc["content"] = "<p>Falsifié.</p>"
		doc["contentMap"] = map[string]any{"fr": "<p>Falsifié.</p>"}
		doc["source"] = map[string]any{"content": "Falsifié.", "mediaType": "text/markdown"}
		doc["updated"] = clock.Now().Add(time.Minute).UTC().Format(time.RFC3339)
		forged, _ := json.Marshal(map[string]any{"@context": activitystreams.NSActivityStreams, "id": b.URL + "/activities/forged-edit",
			"type": "Update", "actor": b.URL + "/users/bob", "object": doc, "to": []string{a.URL + "/spaces/reseau"}})
		if status := senderOf(t, b, "bob").post(t, c.URL+"/inbox", forged, clock.Now(), nil); status != 202 {
			t.Fatalf("C's inbox answered the forged edit %d", status)
		}
		nodetest.Drain(t, c)
		if state := inboxState(t, c, b.URL+"/activities/forged-edit"); state != db.JobFailed {
			t.Fatalf("C's inbox took the forged edit: %s", state)
		}
		if v := text(c, chloe, handle); v.Revision.Number != 3 || strings.Contains(v.HTML, "Falsifié") {
			t.Fatalf("C after the forged edit: %d %q", v.Revision.Number, v.HTML)
		}
	})
}
