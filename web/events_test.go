package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestSpaceToolsPages: a space's moderators switch its tools in its
// settings; a tool switched off loses its tab, its page (404) and its place
// in the space's composer, and the domain refuses what needs it; what was
// made with it stays.
func TestSpaceToolsPages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		joined(t, n, bob, alice, "club")
		article, err := n.Spaces.CreatePost(ctx, bob, "club", spaces.PostInput{Kind: spaces.KindArticle, Title: "Allergies", Body: "A checklist."})
		if err != nil {
			t.Fatal(err)
		}

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/spaces/club"), http.StatusOK, `href="/spaces/club/articles"`, `href="/spaces/club/events"`, `href="/spaces/club/faq"`, `name="poll_option"`)
		want(t, a.get("/spaces/club/settings"), http.StatusOK, "Tools", `id="f-tools-events" aria-describedby="f-tools-events-hint" checked`,
			"A calendar: dates, places, registrations and a waiting list.",
			`id="f-tools-faq" aria-describedby="f-tools-faq-hint" checked`, "Questions and answers in categories")

		// Articles, polls and the FAQ off, events on.
		wantRedirect(t, a.post("/spaces/club/settings", url.Values{"tools_shown": {"1"}, "tools": {"events"}}), "/spaces/club/settings")
		settings := a.get("/spaces/club/settings")
		want(t, settings, http.StatusOK, `id="f-tools-events" aria-describedby="f-tools-events-hint" checked`)
		if settings.has(`id="f-tools-articles" aria-describedby="f-tools-articles-hint" checked`) {
			t.Error("articles still ticked")
		}
		feed := a.get("/spaces/club")
		want(t, feed, http.StatusOK, `href="/spaces/club/events"`, "/compose?kind=event&amp;space=club")
		for _, gone := range []string{`href="/spaces/club/articles"`, `href="/spaces/club/faq"`, `name="poll_option"`, "/compose?kind=article"} {
			if feed.has(gone) {
				t.Errorf("the space's page still offers %s", gone)
			}
		}
		want(t, a.get("/spaces/club/articles"), http.StatusNotFound)
		want(t, a.get("/spaces/club/faq"), http.StatusNotFound)
		want(t, a.get("/compose?kind=faq&space=club"), http.StatusNotFound)
		want(t, a.get("/spaces/club/events"), http.StatusOK)

		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		want(t, b.postMultipart("/compose", url.Values{"kind": {"article"}, "space": {"club"}, "language": {"en"},
			"title_en": {"Another"}, "body_en": {"Text."}}), http.StatusForbidden, "This space has switched this tool off.")
		want(t, b.postMultipart("/compose", url.Values{"space": {"club"}, "body": {"When?"}, "poll_option": {"Monday", "Friday"}}),
			http.StatusForbidden, "This space has switched this tool off.")
		want(t, b.get("/posts/"+article.ID), http.StatusOK, "Allergies") // made before: it stays

		// Every tool off: the events tab goes too.
		wantRedirect(t, a.post("/spaces/club/settings", url.Values{"tools_shown": {"1"}}), "/spaces/club/settings")
		want(t, a.get("/spaces/club/events"), http.StatusNotFound)
		if a.get("/spaces/club").has(`href="/spaces/club/events"`) {
			t.Error("the events tab is still shown")
		}
		sp, err := n.Spaces.Space(ctx, alice, "club")
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range spaces.Tools {
			if sp.ToolOn(tool) {
				t.Errorf("%s: on %v", tool, sp.ToolOn(tool))
			}
		}
		want(t, a.get("/spaces/club/settings"), http.StatusOK, `id="f-tools-faq" aria-describedby="f-tools-faq-hint">`)
		// A form without the tools leaves them as they are.
		wantRedirect(t, a.post("/spaces/club/settings", url.Values{"name": {"Club"}}), "/spaces/club/settings")
		if sp, _ = n.Spaces.Space(ctx, alice, "club"); sp.ToolOn(spaces.ToolEvents) {
			t.Error("a form without the tools switched one on")
		}
	})
}

// eventForm is the composer's form for an event in club.
func eventForm(start, end string, capacity int) url.Values {
	return url.Values{"kind": {"event"}, "space": {"club"}, "language": {"fr"}, "title_fr": {"Conseil"},
		"body_fr": {"Ordre du jour : les budgets."}, "title_en": {"Council"}, "body_en": {"Agenda: the budgets."}, "starts_at": {start}, "ends_at": {end}, "time_zone": {"Europe/Paris"},
		"place_name": {"Salle du conseil"}, "address": {"1 place de la Mairie\n69000 Lyon"},
		"online_url": {"https://visio.example.org/conseil"}, "capacity": {strconv.Itoa(capacity)}}
}

// TestEventsPages: an event written in the composer (a refused one shows
// its error on its field and makes nothing), shown in the space's events
// tab with its time in its own zone; members register with the buttons,
// the second waits for the one place and goes when the first leaves; the
// organizer sees who registered, a member does not; the event is edited
// with the same fields, listed in the agenda, and over once it ends.
func TestEventsPages(t *testing.T) {
	clk := &clock{}
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		clk.mu.Lock()
		clk.t = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		clk.mu.Unlock()
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "fr")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		cat := speaks(t, n, member(t, n, "cat", spaces.RoleMember), "en")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		joined(t, n, bob, alice, "club")
		joined(t, n, cat, alice, "club")

		a := newBrowser(t, n, "fr")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/compose?kind=event&space=club"), http.StatusOK, "Nouvel événement", `type="datetime-local"`,
			`<label class="field__label" for="f-time_zone">`, `<option value="Europe/Paris" selected>`)

		bad := a.postMultipart("/compose", eventForm("2026-12-15T14:00", "2026-12-15T13:00", 1))
		want(t, bad, http.StatusUnprocessableEntity, `id="f-ends_at-error"`, "Un événement se termine après son début.", `value="Conseil"`)
		if list, err := n.Spaces.SpaceEvents(ctx, alice, "club", spaces.EventPage{}); err != nil || len(list) != 0 {
			t.Fatalf("a refused event was made: %v %v", list, err)
		}

		created := a.postMultipart("/compose", eventForm("2026-12-15T14:00", "2026-12-15T16:00", 1))
		wantRedirect(t, created, "/posts/")
		id := strings.TrimPrefix(created.location, "/posts/")
		p, err := n.Spaces.GetPost(ctx, alice, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Event == nil || !p.Event.StartsAt.Equal(time.Date(2026, 12, 15, 13, 0, 0, 0, time.UTC)) || p.Event.Capacity != 1 ||
			p.Event.Address != "1 place de la Mairie\n69000 Lyon" {
			t.Fatalf("the event made: %+v", p.Event)
		}
		if tr := translation(p, "en"); tr == nil || tr.Title != "Council" || tr.Source != "Agenda: the budgets." {
			t.Fatalf("the event's English tab: %+v", p.Translations)
		}
		untitled := eventForm("2026-12-15T14:00", "2026-12-15T16:00", 1)
		untitled.Set("title_fr", "")
		want(t, a.postMultipart("/compose", untitled), http.StatusUnprocessableEntity, `id="f-title_fr-error"`)

		want(t, a.get("/spaces/club/events"), http.StatusOK, "Conseil", "mardi 15 décembre 2026, 14:00 – 16:00 (Europe/Paris)",
			"Salle du conseil", "0 participant · 1 place restante", n.URL+"/spaces/club/calendar.ics", `aria-current="page">Événements`,
			"/compose?kind=event&amp;space=club")
		// The next event in the space starts in the zone of this one.
		a.post("/language", url.Values{"lang": {"de"}})
		want(t, a.get("/compose?kind=event&space=club"), http.StatusOK, `<option value="Europe/Paris" selected>`)
		a.post("/language", url.Values{"lang": {"fr"}})

		// bob takes the one place; cat waits.
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		tab := b.get("/spaces/club/events")
		want(t, tab, http.StatusOK, "Tuesday, December 15, 2026, 14:00 – 16:00 (Europe/Paris)", `action="/posts/`+id+`/registration"`, ">Register<")
		wantRedirect(t, b.post("/posts/"+id+"/registration", url.Values{"going": {"1"}, "next": {"/spaces/club/events"}}), "/spaces/club/events")
		want(t, b.get("/spaces/club/events"), http.StatusOK, "You are going", "Cancel my registration", "<dd>full</dd>")
		want(t, b.get("/"), http.StatusOK, "Tuesday, December 15, 2026, 14:00 – 16:00 (Europe/Paris)", "You are going") // the home feed

		c := newBrowser(t, n, "en")
		c.signIn("cat", nodetest.Password)
		want(t, c.get("/posts/"+id), http.StatusOK, "Join the waiting list")
		wantRedirect(t, c.post("/posts/"+id+"/registration", url.Values{"going": {"1"}}), "/posts/"+id)
		want(t, c.get("/posts/"+id), http.StatusOK, "You are on the waiting list", "Leave the waiting list", "full · 1 waiting")

		// The organizer sees who goes and who waits; a member does not.
		want(t, a.get("/posts/"+id), http.StatusOK, `id="registrants-title"`, ">bob<", ">cat<")
		if b.get("/posts/" + id).has(`id="registrants-title"`) {
			t.Error("a member sees the registrations")
		}

		// bob leaves: cat goes, and is told.
		wantRedirect(t, b.post("/posts/"+id+"/registration", url.Values{"going": {"0"}, "next": {"/posts/" + id}}), "/posts/"+id)
		want(t, b.get("/posts/"+id), http.StatusOK, "Join the waiting list") // cat took the place
		want(t, c.get("/posts/"+id), http.StatusOK, "You are going", "<dd>full</dd>")
		want(t, c.get("/notifications"), http.StatusOK, "A place freed up: you are going to the event", `href="/posts/`+id+`"`)

		// The agenda lists it.
		want(t, c.get("/events"), http.StatusOK, "My agenda", `href="/events" aria-current="page"`, "Council", // cat reads English
			"Tuesday, December 15, 2026", "members-only events")

		// Edited with the same fields.
		want(t, a.get("/posts/"+id+"/edit"), http.StatusOK, `value="2026-12-15T14:00"`, `<option value="Europe/Paris" selected>`, `value="Salle du conseil"`)
		edit := eventForm("2026-12-15T14:00", "2026-12-15T17:30", 2)
		edit.Set("time_zone", "Europe/London")
		wantRedirect(t, a.post("/posts/"+id+"/edit", edit), "/posts/"+id)
		if p, err = n.Spaces.GetPost(ctx, alice, id); err != nil || !p.Event.EndsAt.Equal(time.Date(2026, 12, 15, 17, 30, 0, 0, time.UTC)) ||
			p.Event.TimeZone != "Europe/London" || p.Event.Capacity != 2 {
			t.Fatalf("the event edited: %+v %v", p.Event, err)
		}
		edit.Set("capacity", "many")
		want(t, a.post("/posts/"+id+"/edit", edit), http.StatusUnprocessableEntity, `id="f-capacity-error"`)

		// The day before, those going are reminded.
		clk.advance(13*24*time.Hour + 12*time.Hour)
		if _, err := n.Spaces.RemindEvents(ctx); err != nil {
			t.Fatal(err)
		}
		want(t, c.get("/notifications"), http.StatusOK, "Reminder: an event you are going to starts within 24 hours")

		// Over: in the past events, without buttons.
		clk.advance(36 * time.Hour)
		want(t, c.get("/spaces/club/events"), http.StatusOK, "No upcoming events.")
		past := c.get("/spaces/club/events?past=1")
		want(t, past, http.StatusOK, "Past events", "Council", "This event is over.")
		if past.has(`action="/posts/` + id + `/registration"`) {
			t.Error("an event over offers its buttons")
		}
		if c.get("/events").has("Council") {
			t.Error("the agenda lists an event over")
		}
	}, withClock(clk))
}

// TestEventsPaging: the events tab and the agenda show a page of events,
// soonest first, and link to the next with the last one shown.
func TestEventsPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
		for i := 21; i >= 1; i-- { // made latest first: the list sorts them
			_, err := n.Spaces.CreatePost(ctx, alice, "club", spaces.PostInput{Kind: spaces.KindEvent, Title: "Meeting " + strconv.Itoa(i) + ".",
				Body: "Agenda.", Event: &spaces.EventInput{StartsAt: start.Add(time.Duration(i) * time.Hour), EndsAt: start.Add(time.Duration(i)*time.Hour + 30*time.Minute), TimeZone: "UTC"}})
			if err != nil {
				t.Fatal(err)
			}
		}
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		for _, path := range []string{"/spaces/club/events", "/events"} {
			first := a.get(path)
			want(t, first, http.StatusOK, "Meeting 1.", "Meeting 20.")
			if first.has("Meeting 21.") || strings.Index(first.body, "Meeting 1.") > strings.Index(first.body, "Meeting 2.") {
				t.Fatalf("%s: the first page is not the 20 soonest, in order", path)
			}
			more := regexp.MustCompile(`href="([^"]*after=[^"]*)"`).FindStringSubmatch(first.body)
			if more == nil {
				t.Fatalf("%s: no link to the next page", path)
			}
			next := a.get(strings.ReplaceAll(more[1], "&amp;", "&"))
			want(t, next, http.StatusOK, "Meeting 21.")
			if next.has("Meeting 20.") {
				t.Errorf("%s: the next page repeats the first", path)
			}
		}
	})
}

var calendarURLRe = regexp.MustCompile(`value="([^"]*/calendar/([^"/]+)\.ics)"`)

// TestCalendarAddress: a member's private calendar address is shown once,
// when made; a new one ends the old; revoked, none works.
func TestCalendarAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/events"), http.StatusOK, "You have no private address yet.", "Create my private address", "keep it private")

		made := a.post("/events/calendar", url.Values{"action": {"new"}})
		want(t, made, http.StatusOK, "Copy it now", `readonly`)
		m := calendarURLRe.FindStringSubmatch(made.body)
		if m == nil || !strings.HasPrefix(m[1], n.URL+"/calendar/") {
			t.Fatalf("no absolute calendar address shown: %s", excerpt(made.body))
		}
		first := m[2]
		if owner, _, err := n.Spaces.AgendaByToken(ctx, first); err != nil || owner.Username != "alice" {
			t.Fatalf("the address shown opens %v (%v)", owner, err)
		}
		again := a.get("/events")
		want(t, again, http.StatusOK, "You have a private address.", "New address", "Revoke the address")
		if again.has(first) {
			t.Error("the address is shown a second time")
		}
		wantRedirect(t, a.get("/events/calendar"), "/events")

		// Reset: a new address, the old one ends.
		m = calendarURLRe.FindStringSubmatch(a.post("/events/calendar", url.Values{"action": {"new"}}).body)
		if m == nil || m[2] == first {
			t.Fatalf("no new address: %v", m)
		}
		_, _, err := n.Spaces.AgendaByToken(ctx, first)
		if spaces.AsError(err).Code != "calendar_not_found" {
			t.Fatalf("the old address still opens: %v", err)
		}

		// Revoked: none.
		wantRedirect(t, a.post("/events/calendar", url.Values{"action": {"revoke"}}), "/events")
		want(t, a.get("/events"), http.StatusOK, "Your private calendar address no longer works.", "You have no private address yet.")
		if _, _, err := n.Spaces.AgendaByToken(ctx, m[2]); spaces.AsError(err).Code != "calendar_not_found" {
			t.Fatalf("the revoked address still opens: %v", err)
		}
		want(t, a.post("/events/calendar", url.Values{"action": {"steal"}}), http.StatusBadRequest)
	})
}

// translation is p's text in lang, if it has one.
func translation(p *spaces.Post, lang string) *spaces.Translation {
	for _, t := range p.Translations {
		if t.Language == lang {
			return t
		}
	}
	return nil
}
