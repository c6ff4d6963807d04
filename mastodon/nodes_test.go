package mastodon_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestSpaceFromAnotherNode: a member of node B, in a Mastodon app, finds a
// space of node A, joins it, posts in it by mentioning it; a member of A
// reads the post in the space's list and answers; the answer reaches B's
// member as a mention.
func TestSpaceFromAnotherNode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := nodetest.New(t, d.Dialect())
		b := nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		b.Member(t, "bob", spaces.RoleMember)
		name := "Urbanisme"
		if _, err := a.Spaces.CreateSpace(context.Background(), alice, spaces.NewSpace{Slug: "urbanisme", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		hostA := strings.TrimPrefix(a.URL, "http://")
		appA := signIn(t, a, "alice", "read write follow")
		appB := signIn(t, b, "bob", "read write follow")

		found := appB.must(appB.get("/api/v2/search?resolve=true&type=accounts&q="+url.QueryEscape("@urbanisme@"+hostA)), 200).object(t)
		accts := found["accounts"].([]any)
		if len(accts) != 1 || accts[0].(map[string]any)["group"] != true {
			t.Fatalf("search for the space: %v", found)
		}
		space := accts[0].(map[string]any)
		appB.must(appB.json("POST", "/api/v1/accounts/"+space["id"].(string)+"/follow", `{}`), 200)
		nodetest.Drain(t, a, b)
		rel := appB.must(appB.get("/api/v1/accounts/relationships?id[]="+space["id"].(string)), 200).list(t)
		if len(rel) != 1 || rel[0]["following"] != true {
			t.Fatalf("bob joined the space: %v", rel)
		}
		lists := appB.must(appB.get("/api/v1/lists"), 200).list(t)
		if len(lists) != 1 {
			t.Fatalf("bob's lists: %v", lists)
		}

		appB.must(appB.json("POST", "/api/v1/statuses", `{"status":"Bonjour @urbanisme@`+hostA+` : notre retour d'expérience"}`), 200)
		nodetest.Drain(t, a, b)
		listA := appA.must(appA.get("/api/v1/lists"), 200).list(t)
		feed := appA.must(appA.get("/api/v1/timelines/list/"+listA[0]["id"].(string)), 200).list(t)
		if len(feed) != 1 || !strings.Contains(feed[0]["content"].(string), "retour d") {
			t.Fatalf("alice reads bob's post in the space: %v", feed)
		}
		if acc := feed[0]["account"].(map[string]any); acc["acct"] != "bob@"+strings.TrimPrefix(b.URL, "http://") {
			t.Fatalf("the author as A shows him: %v", acc)
		}
		appA.must(appA.json("POST", "/api/v1/statuses", `{"status":"Merci !","in_reply_to_id":"`+feed[0]["id"].(string)+`"}`), 200)
		nodetest.Drain(t, a, b)
		notes := appB.must(appB.get("/api/v1/notifications"), 200).list(t)
		if len(notes) != 1 || notes[0]["type"] != "mention" || !strings.Contains(notes[0]["status"].(map[string]any)["content"].(string), "Merci") {
			t.Fatalf("bob's notifications: %v", notes)
		}
	})
}
