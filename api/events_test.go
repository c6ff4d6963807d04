package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// eventBody is the JSON of an event starting in `in`, lasting two hours.
func eventBody(now time.Time, title string, in time.Duration, capacity int) string {
	start := now.Add(in).UTC().Truncate(time.Second)
	return fmt.Sprintf(`{"title":%q,"body":"Budgets, then coffee.","event":{"starts_at":%q,"ends_at":%q,`+
		`"time_zone":"Europe/Paris","place_name":"Salle du conseil","address":"1 place de la Mairie\n69000 Lyon",`+
		`"online_url":"https://visio.example.org/abc","capacity":%d}}`,
		title, start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339), capacity)
}

func event(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	e, ok := body["event"].(map[string]any)
	if !ok {
		t.Fatalf("no event in %v", body)
	}
	return e
}

func ids(list []map[string]any) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p["id"].(string)
	}
	return out
}

func wantIDs(t *testing.T, what string, got []map[string]any, want ...string) {
	t.Helper()
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("%s: %v, want %v", what, ids(got), want)
	}
}

// TestEventsAPI: an event is created and edited as a post with an "event"
// object; members register until it is full, then wait; a place freed goes
// to the first who waits; the organizer sees the lists, a plain member
// does not; lists of events page upcoming and past ones; the agenda holds
// the events of one's spaces and registrations.
func TestEventsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := nodetest.NewClock()
		n := nodetest.New(t, d.Dialect(), nodetest.WithClock(clk))
		for _, name := range []string{"alice", "bob", "carol", "dan"} {
			n.Member(t, name, spaces.RoleMember)
		}
		alice, bob, carol, dan, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), signIn(t, n, "carol"), signIn(t, n, "dan"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"club","name":"Club"}`), 201, "")
		want(t, post(t, bob, api+"/spaces/club/membership", ``), 200, "")
		want(t, post(t, carol, api+"/spaces/club/membership", ``), 200, "")
		events := api + "/spaces/club/events"
		now := clk.Now()

		for _, bad := range []struct{ body, code, field string }{
			{strings.Replace(eventBody(now, "Council", 72*time.Hour, 2), `"starts_at":"`, `"starts_at":"next monday `, 1), "time_invalid", "starts_at"},
			{eventBody(now, "", 72*time.Hour, 2), "title_required", "title"},
			{strings.Replace(eventBody(now, "Council", 72*time.Hour, 2), "Europe/Paris", "Mars/Olympus", 1), "time_zone_invalid", "time_zone"},
			{eventBody(now, "Council", 72*time.Hour, -1), "capacity_invalid", "capacity"},
			{eventBody(now, "Council", -72*time.Hour, 0), "event_past", "ends_at"},
			{`{"title":"Council","body":"No date."}`, "event_required", ""},
		} {
			r := post(t, alice, events, bad.body)
			want(t, r, 422, bad.code)
			if bad.field != "" && r.body["field"] != bad.field {
				t.Fatalf("%s names field %v, want %s", bad.code, r.body["field"], bad.field)
			}
		}
		want(t, post(t, dan, events, eventBody(now, "Council", 72*time.Hour, 2)), 403, "not_member")
		want(t, post(t, anon, events, eventBody(now, "Council", 72*time.Hour, 2)), 401, "unauthenticated")

		r := post(t, alice, events, eventBody(now, "Council", 72*time.Hour, 2))
		want(t, r, 201, "")
		council := r.body["id"].(string)
		e := event(t, r.body)
		if r.body["kind"] != "event" || e["time_zone"] != "Europe/Paris" || e["capacity"] != float64(2) ||
			e["address"] != "1 place de la Mairie\n69000 Lyon" || e["registration"] != nil || e["can_register"] != true ||
			e["starts_at"] != now.Add(72*time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339) {
			t.Fatalf("created: %v", r.body)
		}
		// The posts endpoint takes an event too; a note has none.
		r = post(t, alice, api+"/spaces/club/posts", strings.Replace(eventBody(now, "Picnic", 24*time.Hour, 0), `{`, `{"kind":"event",`, 1))
		want(t, r, 201, "")
		picnic := r.body["id"].(string)
		if r := post(t, alice, api+"/spaces/club/posts", `{"body":"Hello"}`); r.body["event"] != nil {
			t.Fatalf("a note with an event: %v", r.body)
		}

		// alice and bob take the two places; carol, then dan (not a member
		// of the public space), wait.
		for _, c := range []struct {
			who   *http.Client
			state string
		}{{alice, "going"}, {bob, "going"}, {carol, "waiting"}, {dan, "waiting"}} {
			r := post(t, c.who, api+"/posts/"+council+"/registration", ``)
			want(t, r, 200, "")
			if r.body["state"] != c.state || event(t, r.body)["registration"] != c.state || event(t, r.body)["can_leave"] != true {
				t.Fatalf("registered: %v, want %s", r.body, c.state)
			}
			clk.Advance(time.Second)
		}
		want(t, post(t, anon, api+"/posts/"+council+"/registration", ``), 401, "unauthenticated")
		e = event(t, call(t, carol, "GET", api+"/posts/"+council, "", "").body)
		if e["full"] != true || e["going_count"] != float64(2) || e["waiting_count"] != float64(2) || e["can_register"] != false {
			t.Fatalf("a full event: %v", e)
		}
		want(t, call(t, bob, "GET", api+"/posts/"+council+"/registrations", "", ""), 403, "not_organizer")
		want(t, call(t, anon, "GET", api+"/posts/"+council+"/registrations", "", ""), 401, "unauthenticated")
		want(t, call(t, alice, "GET", api+"/posts/"+picnic+"/registration", "", ""), 405, "method_not_allowed")

		// bob leaves: carol, first in line, goes.
		want(t, call(t, bob, "DELETE", api+"/posts/"+council+"/registration", "", ""), 204, "")
		if e := event(t, call(t, carol, "GET", api+"/posts/"+council, "", "").body); e["registration"] != "going" {
			t.Fatalf("carol after bob left: %v", e)
		}
		r = call(t, alice, "GET", api+"/posts/"+council+"/registrations", "", "")
		want(t, r, 200, "")
		acct := func(list any) (out []string) {
			for _, reg := range list.([]any) {
				out = append(out, reg.(map[string]any)["account"].(map[string]any)["acct"].(string))
			}
			return out
		}
		if fmt.Sprint(acct(r.body["going"]), acct(r.body["waiting"])) != "[alice carol] [dan]" {
			t.Fatalf("registrants: %v", r.body)
		}

		// Lists: upcoming soonest first, paged by after; ended ones with past.
		r = post(t, alice, events, eventBody(now, "Breakfast", time.Hour, 0))
		breakfast := r.body["id"].(string)
		r = post(t, alice, events, eventBody(now, "Walk", 48*time.Hour, 0))
		walk := r.body["id"].(string)
		r = call(t, anon, "GET", events+"?limit=2", "", "")
		wantIDs(t, "first page", items(t, r), breakfast, picnic)
		if r.body["next"] != picnic {
			t.Fatalf("next: %v", r.body["next"])
		}
		r = call(t, anon, "GET", events+"?limit=2&after="+picnic, "", "")
		wantIDs(t, "second page", items(t, r), walk, council)
		r = call(t, anon, "GET", events+"?limit=2&after="+council, "", "")
		if wantIDs(t, "last page", items(t, r)); r.body["next"] != nil {
			t.Fatalf("next after the last page: %v", r.body["next"])
		}
		want(t, call(t, anon, "GET", events+"?limit=500", "", ""), 400, "limit_invalid")

		clk.Advance(4 * time.Hour) // the breakfast is over
		wantIDs(t, "upcoming", items(t, call(t, anon, "GET", events, "", "")), picnic, walk, council)
		wantIDs(t, "past", items(t, call(t, anon, "GET", events+"?past=true", "", "")), breakfast)
		want(t, post(t, bob, api+"/posts/"+breakfast+"/registration", ``), 409, "event_ended")
		if e := event(t, call(t, bob, "GET", api+"/posts/"+breakfast, "", "").body); e["ended"] != true || e["can_register"] != false {
			t.Fatalf("an ended event: %v", e)
		}

		// Editing moves an event; a larger capacity lets dan in.
		r = call(t, alice, "PATCH", api+"/posts/"+council, "application/json",
			strings.Replace(eventBody(clk.Now(), "Council", 96*time.Hour, 3), `"Salle du conseil"`, `"Salle B"`, 1))
		want(t, r, 200, "")
		if e := event(t, r.body); e["place_name"] != "Salle B" || e["going_count"] != float64(3) || e["waiting_count"] != float64(0) {
			t.Fatalf("edited: %v", r.body)
		}

		// The agenda: bob's spaces' events; dan's registration only.
		wantIDs(t, "bob's agenda", items(t, call(t, bob, "GET", api+"/agenda", "", "")), picnic, walk, council)
		wantIDs(t, "dan's agenda", items(t, call(t, dan, "GET", api+"/agenda", "", "")), council)
		wantIDs(t, "bob's past", items(t, call(t, bob, "GET", api+"/agenda?past=true", "", "")), breakfast)
		want(t, call(t, anon, "GET", api+"/agenda", "", ""), 401, "unauthenticated")
	})
}

// TestSpaceToolsAPI: a space shows the tools it has on; its moderators
// switch them off, after which an event or a poll there is refused and
// what was made before stays.
func TestSpaceToolsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		n.Member(t, "bob", spaces.RoleMember)
		alice, bob := signIn(t, n, "alice"), signIn(t, n, "bob")
		api := n.URL + "/api/ruche/v1"
		r := post(t, alice, api+"/spaces", `{"slug":"club","name":"Club"}`)
		if fmt.Sprint(r.body["tools"]) != "[articles events polls faq documents wiki]" {
			t.Fatalf("a new space's tools: %v", r.body["tools"])
		}
		want(t, post(t, bob, api+"/spaces/club/membership", ``), 200, "")
		r = post(t, alice, api+"/spaces/club/events", eventBody(time.Now(), "Council", 72*time.Hour, 0))
		want(t, r, 201, "")
		council := r.body["id"].(string)

		patch := func(c *http.Client, body string) response {
			return call(t, c, "PATCH", api+"/spaces/club", "application/json", body)
		}
		want(t, patch(bob, `{"tools":["articles"]}`), 403, "")
		r = patch(alice, `{"tools":["bogus"]}`)
		if want(t, r, 422, "tool_invalid"); r.body["field"] != "tools" {
			t.Fatalf("tool_invalid names %v", r.body["field"])
		}
		r = patch(alice, `{"tools":["articles"]}`)
		if want(t, r, 200, ""); fmt.Sprint(r.body["tools"]) != "[articles]" {
			t.Fatalf("tools after PATCH: %v", r.body["tools"])
		}
		r = patch(alice, `{"name":"Club B"}`) // tools absent: unchanged
		if fmt.Sprint(r.body["tools"]) != "[articles]" {
			t.Fatalf("tools after a PATCH without them: %v", r.body["tools"])
		}
		want(t, post(t, bob, api+"/spaces/club/events", eventBody(time.Now(), "Picnic", 24*time.Hour, 0)), 403, "tool_off")
		want(t, post(t, bob, api+"/spaces/club/posts", `{"body":"Which day?","poll":{"options":["Mon","Tue"],"expires_in":86400}}`), 403, "tool_off")
		want(t, post(t, bob, api+"/spaces/club/posts", `{"kind":"article","title":"How","body":"So."}`), 201, "")
		wantIDs(t, "events kept", items(t, call(t, bob, "GET", api+"/spaces/club/events", "", "")), council)
		r = patch(alice, `{"tools":[]}`)
		if fmt.Sprint(r.body["tools"]) != "[]" {
			t.Fatalf("all tools off: %v", r.body["tools"])
		}
		want(t, post(t, bob, api+"/spaces/club/posts", `{"kind":"article","title":"How","body":"So."}`), 403, "tool_off")
	})
}

// fetch GETs url and returns the status, the headers and the body.
func fetch(t *testing.T, c *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestCalendarTokenAPI: a member's private calendar address is shown once;
// it serves their agenda to a client without a session; a new address ends
// the previous one, and DELETE ends it.
func TestCalendarTokenAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		alice, anon := signIn(t, n, "alice"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"club","name":"Club"}`), 201, "")
		want(t, post(t, alice, api+"/spaces/club/events", eventBody(time.Now(), "Council; budgets, 2027", 72*time.Hour, 0)), 201, "")

		want(t, post(t, anon, api+"/calendar_token", ``), 401, "unauthenticated")
		r := post(t, alice, api+"/calendar_token", ``)
		want(t, r, 201, "")
		first, _ := r.body["url"].(string)
		if !strings.HasPrefix(first, n.URL+"/calendar/") || !strings.HasSuffix(first, ".ics") {
			t.Fatalf("calendar url: %v", r.body)
		}
		status, h, body := fetch(t, anon, first)
		if status != 200 || h.Get("Content-Type") != "text/calendar; charset=utf-8" || h.Get("Cache-Control") != "private, max-age=300" ||
			!strings.Contains(h.Get("Content-Disposition"), `-agenda.ics`) {
			t.Fatalf("private calendar: %d %v", status, h)
		}
		if !strings.Contains(body, "BEGIN:VEVENT\r\n") || !strings.Contains(body, `SUMMARY:Council\; budgets\, 2027`) ||
			!strings.Contains(body, "X-WR-CALNAME:alice@") {
			t.Fatalf("private calendar body:\n%s", body)
		}

		r = post(t, alice, api+"/calendar_token", ``)
		second := r.body["url"].(string)
		if second == first {
			t.Fatal("a new address is the same as the previous one")
		}
		if status, h, _ := fetch(t, anon, first); status != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Fatalf("the previous address: %d %v", status, h)
		}
		if status, _, _ := fetch(t, anon, second); status != 200 {
			t.Fatalf("the new address: %d", status)
		}
		want(t, call(t, alice, "DELETE", api+"/calendar_token", "", ""), 204, "")
		if status, _, body := fetch(t, anon, second); status != 404 || !strings.Contains(body, "calendar_not_found") {
			t.Fatalf("a revoked address: %d %q", status, body)
		}
	})
}
