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

// TestGroupCannotForgeOthersPosts: the Group of a space a member here joined
// announces, for an author of a third server, a post that author never
// wrote, an edit rewriting one she did write, and its deletion. The node
// reads each at the author's own server: the forged post is not stored,
// the genuine post keeps its text, and it is not deleted.
func TestGroupCannotForgeOthersPosts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b, c := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		olga := a.Member(t, "olga", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		carol := c.Member(t, "carol", spaces.RoleMember)
		name := "Forum"
		if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "forum")
		joinRemote(t, c, a, carol, "forum")
		nodetest.Drain(t, a, b, c)
		genuine, err := c.Spaces.CreatePost(ctx, carol, "forum@"+host(a), spaces.PostInput{Body: "Words of carol herself"})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		genuineIRI := c.URL + "/posts/" + genuine.ID
		if got, err := b.DB.PostByURI(ctx, genuineIRI); err != nil || !strings.Contains(got.Content, "Words of carol herself") {
			t.Fatalf("b does not hold carol's post: %+v (%v)", got, err)
		}

		group, carolIRI := senderOf(t, a, "forum"), c.URL+"/users/carol"
		group.actor = a.URL + "/spaces/forum" // a Group's actor, signing with its own key
		announce := func(id string, inner map[string]any) {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"@context": activitystreams.NSActivityStreams,
				"id": a.URL + "/activities/forged-" + id, "type": "Announce", "actor": group.actor, "object": inner,
				"to": []string{activitystreams.Public}, "cc": []string{group.actor + "/followers"}})
			if status := group.post(t, b.URL+"/inbox", body, time.Now(), nil); status != 202 {
				t.Fatalf("%s: the forged Announce was answered %d", id, status)
			}
			nodetest.Drain(t, b)
		}
		note := func(iri, text string) map[string]any {
			return map[string]any{"id": iri, "type": "Note", "attributedTo": carolIRI, "content": "<p>" + text + "</p>",
				"audience": group.actor, "to": []string{activitystreams.Public, group.actor},
				"updated": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
		}
		announce("create", map[string]any{"id": c.URL + "/activities/forged-create", "type": "Create", "actor": carolIRI,
			"object": note(c.URL+"/posts/forged", "Words carol never wrote")})
		if _, err := b.DB.PostByURI(ctx, c.URL+"/posts/forged"); err == nil {
			t.Fatal("b stored a post its author's server does not hold, on the Group's word")
		}
		announce("update", map[string]any{"id": c.URL + "/activities/forged-update", "type": "Update", "actor": carolIRI,
			"object": note(genuineIRI, "Rewritten by the Group")})
		announce("delete", map[string]any{"id": c.URL + "/activities/forged-delete", "type": "Delete", "actor": carolIRI,
			"object": genuineIRI})
		got, err := b.DB.PostByURI(ctx, genuineIRI)
		if err != nil || got.IsDeleted() || !strings.Contains(got.Content, "Words of carol herself") {
			t.Fatalf("the Group rewrote or deleted carol's post on b: %+v (%v)", got, err)
		}
	})
}
