package federation_test

import (
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestProfileFeatured: a member pins two of her profile posts, one for her
// followers only. Her actor names her featured collection, which lists, to
// an anonymous reader, the public one alone; her followers' servers are
// told of the pin (Add to her featured collection). Nobody else may pin her
// posts, and a comment is never pinned.
func TestProfileFeatured(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		bob := a.Member(t, "bob", spaces.RoleMember)
		mallory := b.Member(t, "mallory", spaces.RoleMember)
		if _, err := b.Spaces.FollowAccount(ctx, mallory, resolve(t, b, a, "alice"), ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		public, err := a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "Read me first"})
		if err != nil {
			t.Fatal(err)
		}
		private, err := a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "For my followers", Visibility: spaces.VisibilityFollowers})
		if err != nil {
			t.Fatal(err)
		}
		comment, err := a.Spaces.CreateComment(ctx, alice, public.ID, spaces.PostInput{Body: "A comment"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.PinPost(ctx, bob, public.ID, true); spaces.KindOf(err) != spaces.KindForbidden {
			t.Fatalf("bob pins alice's post: %v", err)
		}
		if _, err := a.Spaces.PinPost(ctx, alice, comment.ID, true); spaces.KindOf(err) != spaces.KindInvalid {
			t.Fatalf("alice pins a comment: %v", err)
		}
		for _, p := range []*spaces.Post{public, private} {
			if _, err := a.Spaces.PinPost(ctx, alice, p.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		actorIRI := a.URL + "/users/alice"
		if _, actor := getAS(t, actorIRI); actor["featured"] != actorIRI+"/featured" {
			t.Fatalf("alice's actor names no featured collection: %v", actor["featured"])
		}
		status, featured := getAS(t, actorIRI+"/featured")
		items, _ := featured["orderedItems"].([]any)
		if status != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != a.URL+"/posts/"+public.ID {
			t.Fatalf("alice's featured collection as a visitor reads it: %d %v", status, featured)
		}
		var adds []*db.Activity
		err = a.DB.Bun().NewSelect().Model(&adds).Where("actor_id = ?", alice.ID).Where("type = 'Add'").Scan(ctx)
		if err != nil || len(adds) != 2 {
			t.Fatalf("alice sent %d Add activities (%v), want one per pin", len(adds), err)
		}
		for _, act := range adds {
			deliveries, _ := a.DB.DeliveriesOfActivity(ctx, act.ID)
			if len(deliveries) != 1 || deliveries[0].Host != host(b) {
				t.Fatalf("alice's Add goes to %+v, want her follower's server", deliveries)
			}
		}
	})
}
