package api_test

import (
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPollsAPI: a poll as Mastodon's API takes and shows one; a vote by
// POST /posts/{id}/votes; hidden counts are null for a voter, not for the
// author; refusals name their code.
func TestPollsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		n.Member(t, "bob", spaces.RoleMember)
		alice, bob, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), n.Client(t)
		api := n.URL + "/api/ruche/v1"

		r := post(t, alice, api+"/posts", `{"body":"Which day?","poll":{"options":["Monday","Friday"],"multiple":true,"expires_in":86400,"hide_totals":true}}`)
		want(t, r, 201, "")
		id := r.body["id"].(string)
		poll, _ := r.body["poll"].(map[string]any)
		if poll == nil || poll["multiple"] != true || poll["expired"] != false || len(poll["options"].([]any)) != 2 || poll["votes_count"] == nil {
			t.Fatalf("created: %v", r.body["poll"])
		}
		if r := call(t, anon, "GET", api+"/posts/"+id, "", ""); r.body["poll"].(map[string]any)["votes_count"] != nil {
			t.Fatalf("hidden totals shown to a reader: %v", r.body["poll"])
		}

		want(t, post(t, alice, api+"/posts/"+id+"/votes", `{"choices":[0]}`), 403, "own_poll")
		want(t, post(t, bob, api+"/posts/"+id+"/votes", `{"choices":[5]}`), 422, "choices_invalid")
		want(t, post(t, anon, api+"/posts/"+id+"/votes", `{"choices":[0]}`), 401, "")
		r = post(t, bob, api+"/posts/"+id+"/votes", `{"choices":[1,0]}`)
		want(t, r, 200, "")
		if r.body["voted"] != true || len(r.body["own_votes"].([]any)) != 2 || r.body["votes_count"] != nil {
			t.Fatalf("after the vote: %v", r.body)
		}
		want(t, post(t, bob, api+"/posts/"+id+"/votes", `{"choices":[1]}`), 409, "already_voted")

		mine := call(t, alice, "GET", api+"/posts/"+id, "", "").body["poll"].(map[string]any)
		if mine["voters_count"] != float64(1) || mine["votes_count"] != float64(2) {
			t.Fatalf("the author reads: %v", mine)
		}
		feed := items(t, call(t, bob, "GET", api+"/accounts/alice/posts", "", ""))
		if len(feed) != 1 || feed[0]["poll"].(map[string]any)["voted"] != true {
			t.Fatalf("bob's feed: %v", feed)
		}

		want(t, post(t, alice, api+"/posts", `{"body":"One?","poll":{"options":["yes"],"expires_in":86400}}`), 422, "poll_options_count")
		want(t, post(t, alice, api+"/posts", `{"body":"Now?","poll":{"options":["a","b"],"expires_in":10}}`), 422, "poll_duration")
		if r := post(t, alice, api+"/posts", `{"body":"No poll"}`); r.body["poll"] != nil {
			t.Fatalf("a post without a poll: %v", r.body["poll"])
		}
	})
}
