package federation_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// faqOn is the FAQ of a space on node n, as viewer reads it: "category:
// question @position" lines in order.
func faqOn(t *testing.T, n *nodetest.Node, viewer *spaces.Account, handle string) string {
	t.Helper()
	f, err := n.Spaces.SpaceFAQ(ctx, viewer, handle)
	if err != nil {
		t.Fatalf("%s: FAQ of %s: %v", n.URL, handle, err)
	}
	var out []string
	for _, c := range f.Categories {
		for _, p := range c.Entries {
			out = append(out, fmt.Sprintf("%s: %s @%d", c.Name, p.Title, p.FAQ.Position))
		}
	}
	return strings.Join(out, " | ")
}

// TestFAQTwoNodes: the FAQ of a space on node A is mirrored on node B,
// whose member joined the space: its entries with their translations,
// categories and positions; a move, another moderator's edit and a
// deletion reach B. A member of the space on B who is no moderator on A
// cannot add an entry there, even when B sends it.
func TestFAQTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		anne := a.Member(t, "anne", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		name := "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{
			Name: &name, Languages: []string{"fr", "en"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.JoinSpace(ctx, anne, "reseau", "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.SetMemberRole(ctx, alice, "reseau", "anne", spaces.SpaceRoleModerator); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "reseau")
		nodetest.Drain(t, a, b)
		handle := "reseau@" + host(a)

		join, err := a.Spaces.CreatePost(ctx, alice, "reseau", spaces.PostInput{Kind: spaces.KindFAQ, Language: "fr",
			Title: "Comment adhérer ?", Body: "Payez la **cotisation**.", FAQ: &spaces.FAQInput{Category: "Adhésion"},
			Translations: []spaces.TranslationInput{{Language: "en", Title: "How do I join?", Body: "Pay the **fee**."}}})
		if err != nil {
			t.Fatal(err)
		}
		where, err := a.Spaces.CreatePost(ctx, anne, "reseau", spaces.PostInput{Kind: spaces.KindFAQ, Title: "Où ?",
			Body: "Salle 3.", FAQ: &spaces.FAQInput{Category: "Pratique"}})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if failed := failedItems(t, b); len(failed) > 0 {
			t.Fatalf("B failed: %v", failed)
		}
		onB := postOn(t, b, bob, a.URL+"/posts/"+join.ID)
		if onB.Kind != spaces.KindFAQ || onB.FAQ == nil || onB.FAQ.Category != "Adhésion" || len(onB.Translations) != 2 ||
			onB.Title != "Comment adhérer ?" || !strings.Contains(onB.Content, "cotisation") {
			t.Fatalf("the entry on B: %+v %+v", onB, onB.FAQ)
		}
		want := "Adhésion: Comment adhérer ? @0 | Pratique: Où ? @1"
		if got := faqOn(t, b, bob, handle); got != want {
			t.Fatalf("B's FAQ: %s, want %s", got, want)
		}

		// anne moves an entry and edits alice's; alice deletes one
		if _, err := a.Spaces.MoveFAQEntry(ctx, anne, where.ID, 0); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if _, err := a.Spaces.EditPost(ctx, anne, join.ID, spaces.PostInput{Language: "fr", Title: "Comment adhérer ?",
			Body: "Payez en ligne.", FAQ: &spaces.FAQInput{Category: "Inscription"}}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		want = "Pratique: Où ? @0 | Inscription: Comment adhérer ? @1"
		if got, onA := faqOn(t, b, bob, handle), faqOn(t, a, alice, "reseau"); got != want || onA != want {
			t.Fatalf("after the move and the edit: A %s, B %s, want %s", onA, got, want)
		}
		if onB := postOn(t, b, bob, a.URL+"/posts/"+join.ID); !strings.Contains(onB.Content, "en ligne") {
			t.Fatalf("the edit on B: %s", onB.Content)
		}
		if err := a.Spaces.DeletePost(ctx, alice, where.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := faqOn(t, b, bob, handle); got != "Inscription: Comment adhérer ? @0" {
			t.Fatalf("after the deletion, B's FAQ: %s", got)
		}

		// bob, a member on B, may not add an entry: B refuses him, and A
		// refuses what B's member sends anyway
		_, err = b.Spaces.CreatePost(ctx, bob, handle, spaces.PostInput{Kind: spaces.KindFAQ, Title: "Q?", Body: "A."})
		if spaces.AsError(err).Code != "not_moderator" {
			t.Fatalf("bob's entry on B: %v", err)
		}
		iri := b.URL + "/posts/01FORGEDFAQENTRY"
		group := a.URL + "/spaces/reseau"
		object := map[string]any{"id": iri, "type": "Article", "attributedTo": b.URL + "/users/bob", "audience": group,
			"to": []string{activitystreams.Public, group}, "name": "Puis-je ?", "content": "<p>Oui, tout.</p>",
			"faqCategory": "Adhésion", "faqPosition": 0, "published": clock.Now().Format("2006-01-02T15:04:05Z")}
		body := activity(b.URL+"/activities/01FORGEDCREATE", "Create", b.URL+"/users/bob", object)
		if status := senderOf(t, b, "bob").post(t, group+"/inbox", body, clock.Now(), nil); status != 202 {
			t.Fatalf("A's inbox answered %d", status)
		}
		nodetest.Drain(t, a, b)
		if _, err := a.DB.PostByURI(ctx, iri); err == nil {
			t.Fatal("A stored an FAQ entry by a member who is no moderator")
		}
		var items []*db.InboxItem
		if err := a.DB.Bun().NewSelect().Model(&items).Where("activity_uri = ?", b.URL+"/activities/01FORGEDCREATE").Scan(ctx); err != nil || len(items) != 1 {
			t.Fatalf("A's inbox item: %v %d", err, len(items))
		}
		if raw, _ := json.Marshal(items[0]); !strings.Contains(items[0].LastError, "not_moderator") {
			t.Fatalf("A's inbox item: %s", raw)
		}
		if got := faqOn(t, a, alice, "reseau"); got != "Inscription: Comment adhérer ? @0" {
			t.Fatalf("A's FAQ: %s", got)
		}
	})
}
