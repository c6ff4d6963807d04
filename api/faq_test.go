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

// faqTitles is the FAQ of the answer r as "category: title" lines.
func faqTitles(t *testing.T, r response) []string {
	t.Helper()
	cats, ok := r.body["categories"].([]any)
	if !ok {
		t.Fatalf("no categories in %v", r.body)
	}
	var out []string
	for _, c := range cats {
		c := c.(map[string]any)
		for _, e := range c["entries"].([]any) {
			e := e.(map[string]any)
			out = append(out, fmt.Sprintf("%s: %s @%v", c["name"], e["title"], e["faq"].(map[string]any)["position"]))
		}
	}
	return out
}

// TestFAQAPI: moderators write the FAQ of a space, in categories, and move
// its entries; members read it whole and propose questions, which the
// moderators answer or dismiss; a space with its FAQ off answers 404
// tool_off.
func TestFAQAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		for _, name := range []string{"alice", "bob"} {
			n.Member(t, name, spaces.RoleMember)
		}
		alice, bob, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"club","name":"Club","languages":["fr","en"]}`), 201, "")
		want(t, post(t, bob, api+"/spaces/club/membership", ``), 200, "")
		faq := api + "/spaces/club/faq"

		r := call(t, anon, "GET", api+"/spaces/club", "", "")
		if fmt.Sprint(r.body["tools"]) != "[articles events polls faq documents wiki]" {
			t.Fatalf("tools: %v", r.body["tools"])
		}
		want(t, post(t, bob, faq, `{"title":"Q?","body":"A."}`), 403, "not_moderator")
		r = post(t, alice, faq, `{"title":"Q?","body":"A.","faq":{"category":"`+fmt.Sprintf("%061d", 0)+`"}}`)
		want(t, r, 422, "category_too_long")
		if r.body["field"] != "category" {
			t.Fatalf("field: %v", r.body)
		}
		join := post(t, alice, faq, `{"kind":"note","language":"fr","title":"Comment adhérer ?","body":"Payez la cotisation.",`+
			`"translations":[{"language":"en","title":"How do I join?","body":"Pay the fee."}],"faq":{"category":"Adhésion"}}`)
		want(t, join, 201, "")
		if join.body["kind"] != "faq" || join.body["faq"].(map[string]any)["category"] != "Adhésion" {
			t.Fatalf("entry: %v", join.body)
		}
		where := post(t, alice, faq, `{"title":"Où ?","body":"Salle 3.","faq":{"category":"Pratique"}}`)
		want(t, where, 201, "")
		fee := post(t, alice, faq, `{"title":"Combien ?","body":"Dix euros.","faq":{"category":"Adhésion"}}`)
		want(t, fee, 201, "")
		r = call(t, anon, "GET", faq, "", "")
		want(t, r, 200, "")
		if got := fmt.Sprint(faqTitles(t, r)); got != "[Adhésion: Comment adhérer ? @0 Adhésion: Combien ? @2 Pratique: Où ? @1]" {
			t.Fatalf("FAQ: %s", got)
		}

		move := api + "/posts/" + fee.body["id"].(string) + "/faq/position"
		want(t, post(t, bob, move, `{"position":0}`), 403, "not_moderator")
		want(t, post(t, alice, move, `{}`), 422, "faq_position_invalid")
		want(t, post(t, alice, move, `{"position":3}`), 422, "faq_position_invalid")
		want(t, post(t, alice, move, `{"position":0}`), 200, "")
		edit := call(t, alice, "PATCH", api+"/posts/"+where.body["id"].(string), "application/json",
			`{"title":"Où nous trouver ?","body":"Salle 3, premier étage.","faq":{"category":"Lieux","position":0}}`)
		want(t, edit, 200, "")
		r = call(t, bob, "GET", faq, "", "")
		if got := fmt.Sprint(faqTitles(t, r)); got != "[Lieux: Où nous trouver ? @0 Adhésion: Combien ? @1 Adhésion: Comment adhérer ? @2]" {
			t.Fatalf("FAQ after the moves: %s", got)
		}

		// proposals
		props := faq + "/proposals"
		want(t, post(t, bob, props, `{"question":""}`), 422, "question_required")
		p := post(t, bob, props, `{"question":"Puis-je venir avec mon chien ?"}`)
		want(t, p, 201, "")
		if p.body["state"] != "open" || p.body["language"] != "fr" {
			t.Fatalf("proposal: %v", p.body)
		}
		other := post(t, bob, props, `{"question":"Et mon chat ?"}`)
		want(t, other, 201, "")
		open := items(t, call(t, alice, "GET", props, "", ""))
		if len(open) != 2 || open[0]["account"].(map[string]any)["acct"] != "bob" {
			t.Fatalf("open proposals: %v", open)
		}
		answer := props + "/" + p.body["id"].(string) + "/answer"
		want(t, post(t, bob, answer, `{"body":"Oui."}`), 403, "not_moderator")
		a := post(t, alice, answer, `{"body":"Oui, en laisse.","faq":{"category":"Pratique"}}`)
		want(t, a, 201, "")
		if a.body["title"] != "Puis-je venir avec mon chien ?" || a.body["faq"].(map[string]any)["position"] != float64(3) {
			t.Fatalf("answer: %v", a.body)
		}
		want(t, post(t, alice, answer, `{"body":"Encore."}`), 409, "faq_proposal_closed")
		want(t, post(t, alice, props+"/"+other.body["id"].(string)+"/dismiss", ``), 204, "")
		want(t, post(t, alice, props+"/nope/dismiss", ``), 404, "faq_proposal_not_found")
		typo := post(t, bob, props, `{"question":"Une faute ?"}`)
		want(t, typo, 201, "")
		want(t, call(t, alice, "DELETE", props+"/"+typo.body["id"].(string), "", ""), 404, "faq_proposal_not_found")
		want(t, call(t, bob, "DELETE", props+"/"+typo.body["id"].(string), "", ""), 204, "")
		want(t, call(t, bob, "DELETE", props+"/"+other.body["id"].(string), "", ""), 409, "faq_proposal_closed")
		if open := items(t, call(t, alice, "GET", props, "", "")); len(open) != 0 {
			t.Fatalf("open proposals left: %v", open)
		}
		mine := items(t, call(t, bob, "GET", props, "", ""))
		if len(mine) != 2 || mine[0]["state"] != "answered" || mine[0]["answer_id"] != a.body["id"] || mine[1]["state"] != "dismissed" {
			t.Fatalf("bob's proposals: %v", mine)
		}
		want(t, call(t, anon, "GET", props, "", ""), 401, "unauthenticated")

		// switched off: 404 tool_off, entries kept
		want(t, call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"tools":["articles"]}`), 200, "")
		want(t, call(t, bob, "GET", faq, "", ""), 404, "tool_off")
		want(t, post(t, alice, faq, `{"title":"Q?","body":"A."}`), 403, "tool_off")
		want(t, post(t, bob, props, `{"question":"Off?"}`), 403, "tool_off")
		want(t, call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"tools":["articles","faq"]}`), 200, "")
		if got := faqTitles(t, call(t, bob, "GET", faq, "", "")); len(got) != 4 {
			t.Fatalf("FAQ switched on again: %v", got)
		}
		if r := call(t, alice, "DELETE", api+"/posts/"+join.body["id"].(string), "", ""); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d", r.status)
		}
		if got := fmt.Sprint(faqTitles(t, call(t, bob, "GET", faq, "", ""))); got != "[Lieux: Où nous trouver ? @0 Adhésion: Combien ? @1 Pratique: Puis-je venir avec mon chien ? @2]" {
			t.Fatalf("FAQ after a deletion: %s", got)
		}
	})
}
