package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func put(t *testing.T, c *http.Client, url, body string) response {
	return call(t, c, http.MethodPut, url, "application/json", body)
}

// TestWikiAPI: members write a space's wiki: a page with a link, a child
// page, edits as revisions; an edit based on an old revision answers 409
// with the current revision and the merge; revisions, a comparison and a
// restore; a visitor reads and may not write; a wiki switched off answers
// 404 tool_off.
func TestWikiAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		for _, name := range []string{"alice", "bob", "eve"} {
			n.Member(t, name, spaces.RoleMember)
		}
		alice, bob, eve, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), signIn(t, n, "eve"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"club","name":"Club"}`), 201, "")
		want(t, post(t, bob, api+"/spaces/club/membership", ``), 200, "")
		wiki := api + "/spaces/club/wiki"

		home := post(t, alice, wiki, `{"title":"Home","body":"See [[Rules]].\n\none\ntwo"}`)
		want(t, home, 201, "")
		rev := home.body["revision"].(map[string]any)
		if home.body["slug"] != "home" || home.body["current_revision"] != 1.0 || rev["number"] != 1.0 || home.body["can_edit"] != true ||
			home.body["url"] != n.URL+"/spaces/club/wiki/home" || home.body["source"] != "See [[Rules]].\n\none\ntwo" {
			t.Fatalf("page: %v", home.body)
		}
		if c := home.body["content"].(string); c != `<p>See <a class="wiki-missing" href="`+n.URL+`/spaces/club/wiki/rules" rel="nofollow noreferrer">Rules</a>.</p>`+"\n<p>one\ntwo</p>" {
			t.Fatalf("content: %q", c)
		}
		want(t, post(t, eve, wiki, `{"title":"Intruder","body":"x"}`), 403, "not_member")
		want(t, post(t, bob, wiki, `{"title":"home","body":"x"}`), 409, "wiki_page_exists")
		want(t, post(t, bob, wiki, `{"title":"Rules","body":"Be kind.","parent":"home"}`), 201, "")
		r := call(t, anon, "GET", wiki, "", "")
		want(t, r, 200, "")
		if fmt.Sprint(r.body["pages"]) == "" || r.body["can_edit"] != false {
			t.Fatalf("tree: %v", r.body)
		}
		pages := r.body["pages"].([]any)
		top := pages[0].(map[string]any)
		if len(pages) != 1 || top["slug"] != "home" || top["children"].([]any)[0].(map[string]any)["slug"] != "rules" {
			t.Fatalf("tree: %v", r.body)
		}

		// bob edits; alice's edit begun on revision 1 is refused, merged
		want(t, put(t, bob, wiki+"/home", `{"title":"Home","body":"See [[Rules]].\n\none\nTWO","base_revision":1,"summary":"caps"}`), 200, "")
		stale := put(t, alice, wiki+"/home", `{"title":"Home","body":"See [[Rules]] first.\n\none\ntwo","base_revision":1}`)
		want(t, stale, 409, "wiki_conflict")
		current := stale.body["current_revision"].(map[string]any)
		if current["number"] != 2.0 || current["source"] != "See [[Rules]].\n\none\nTWO" || stale.body["merged"] != "See [[Rules]] first.\n\none\nTWO" {
			t.Fatalf("conflict: %v", stale.body)
		}
		want(t, put(t, alice, wiki+"/home", `{"title":"Home","body":"x"}`), 422, "wiki_base_required")
		want(t, put(t, eve, wiki+"/home", `{"title":"Home","body":"x","base_revision":2}`), 403, "not_member")
		edited := put(t, alice, wiki+"/home", `{"title":"Home","body":"See [[Rules]] first.\n\none\nTWO","base_revision":2}`)
		want(t, edited, 200, "")
		if c := edited.body["content"].(string); c != `<p>See <a href="`+n.URL+`/spaces/club/wiki/rules" rel="nofollow noreferrer">Rules</a> first.</p>`+"\n<p>one\nTWO</p>" {
			t.Fatalf("content: %q", c)
		}

		revs := items(t, call(t, anon, "GET", wiki+"/home/revisions", "", ""))
		if len(revs) != 3 || revs[1]["summary"] != "caps" || revs[1]["account"].(map[string]any)["username"] != "bob" {
			t.Fatalf("revisions: %v", revs)
		}
		cmp := call(t, anon, "GET", wiki+"/home/diff?from=1&to=3", "", "")
		want(t, cmp, 200, "")
		if cmp.body["inserted"] != 2.0 || cmp.body["deleted"] != 2.0 || len(cmp.body["hunks"].([]any)) != 1 {
			t.Fatalf("diff: %v", cmp.body)
		}
		want(t, call(t, anon, "GET", wiki+"/home/diff?from=x", "", ""), 422, "revision_invalid")
		old := call(t, anon, "GET", wiki+"/home?revision=1", "", "")
		if old.body["source"] != "See [[Rules]].\n\none\ntwo" || old.body["current_revision"] != 3.0 {
			t.Fatalf("revision 1: %v", old.body)
		}
		want(t, post(t, bob, wiki+"/home/restore", `{"revision":1,"base_revision":2}`), 409, "wiki_conflict")
		restored := post(t, bob, wiki+"/home/restore", `{"revision":1,"base_revision":3}`)
		want(t, restored, 200, "")
		if restored.body["current_revision"] != 4.0 || restored.body["revision"].(map[string]any)["restored"] != 1.0 {
			t.Fatalf("restored: %v", restored.body)
		}
		p := call(t, alice, "GET", api+"/posts/"+home.body["id"].(string), "", "")
		if w, ok := p.body["wiki"].(map[string]any); !ok || w["slug"] != "home" || w["revision"] != 4.0 {
			t.Fatalf("post: %v", p.body)
		}

		want(t, call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"tools":["articles"]}`), 200, "")
		want(t, call(t, anon, "GET", wiki, "", ""), 404, "tool_off")
		want(t, post(t, bob, wiki, `{"title":"More","body":"x"}`), 403, "tool_off")
	})
}
