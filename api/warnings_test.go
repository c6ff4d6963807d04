package api_test

import (
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPostContentWarning: sensitive and spoiler_text, as Mastodon's API has
// them, in and out; an edit that gives neither keeps the warning.
func TestPostContentWarning(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		alice, anon := signIn(t, n, "alice"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"cine","name":"Ciné-club"}`), 201, "")

		warned := func(r response, sensitive bool, text string) {
			t.Helper()
			if r.body["sensitive"] != sensitive || r.body["spoiler_text"] != text {
				t.Fatalf("got sensitive %v, spoiler_text %q; want %v %q: %v", r.body["sensitive"], r.body["spoiler_text"], sensitive, text, r.body)
			}
		}
		r := post(t, alice, api+"/spaces/cine/posts", `{"body":"The butler did it.","spoiler_text":"  Spoilers <b>!</b> "}`)
		want(t, r, 201, "")
		warned(r, true, "Spoilers <b>!</b>") // plain text: clients show it as text
		id := r.body["id"].(string)
		warned(call(t, anon, "GET", api+"/posts/"+id, "", ""), true, "Spoilers <b>!</b>")
		if got := items(t, call(t, anon, "GET", api+"/spaces/cine/posts", "", "")); len(got) != 1 || got[0]["spoiler_text"] != "Spoilers <b>!</b>" {
			t.Fatalf("feed: %v", got)
		}
		r = post(t, alice, api+"/posts/"+id+"/comments", `{"body":"No!","sensitive":true}`)
		want(t, r, 201, "")
		warned(r, true, "")
		r = post(t, alice, api+"/spaces/cine/posts", `{"body":"Plain"}`)
		want(t, r, 201, "")
		warned(r, false, "")

		// Edits: neither field keeps it; spoiler_text changes it; an empty one
		// with sensitive false takes it off.
		for _, c := range []struct {
			body      string
			sensitive bool
			text      string
		}{
			{`{"body":"The butler, again."}`, true, "Spoilers <b>!</b>"},
			{`{"body":"The butler.","spoiler_text":"The end"}`, true, "The end"},
			{`{"body":"The butler.","sensitive":false,"spoiler_text":""}`, false, ""},
		} {
			r = call(t, alice, "PATCH", api+"/posts/"+id, "application/json", c.body)
			want(t, r, 200, "")
			warned(r, c.sensitive, c.text)
		}

		// Refusals name the API's field.
		r = post(t, alice, api+"/spaces/cine/posts", `{"kind":"article","title":"T","body":"x","spoiler_text":"cw"}`)
		want(t, r, 422, "warning_notes_only")
		r = post(t, alice, api+"/spaces/cine/posts", `{"body":"x","spoiler_text":"one\ntwo"}`)
		want(t, r, 422, "content_warning_invalid")
		if r.body["field"] != "spoiler_text" {
			t.Fatalf("field of the refusal: %v", r.body)
		}
		want(t, post(t, alice, api+"/spaces/cine/posts", `{"body":"x","sensitive":"yes"}`), 400, "")
	})
}
