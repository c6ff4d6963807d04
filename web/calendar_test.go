package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// calendarEvent publishes an event in slug, starting in a day.
func calendarEvent(t *testing.T, n *nodetest.Node, a *spaces.Account, slug, title, body string) *spaces.Post {
	t.Helper()
	start := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	p, err := n.Spaces.CreatePost(context.Background(), a, slug, spaces.PostInput{Kind: spaces.KindEvent, Title: title, Body: body,
		Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(90 * time.Minute), TimeZone: "Europe/Berlin",
			PlaceName: "Rathaus", Address: "Marktplatz 1\n\n  10115 Berlin  "}})
	if err != nil {
		t.Fatalf("%s publishes an event: %v", a.Username, err)
	}
	return p
}

// TestSpaceCalendarFile: a space's calendar holds the events its requester
// may see, as an iCalendar file; a hidden space is a 404, in plain text
// like every error of these addresses.
func TestSpaceCalendarFile(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ann, bob := member(t, n, "ann", spaces.RoleMember), member(t, n, "bob", spaces.RoleMember)
		newSpace(t, n, ann, "club", spaces.SpaceSettings{})
		newSpace(t, n, ann, "board", spaces.SpaceSettings{})
		joined(t, n, bob, ann, "board")
		if _, err := n.Spaces.UpdateSpace(context.Background(), ann, "board", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)}); err != nil {
			t.Fatal(err)
		}
		p := calendarEvent(t, n, ann, "club", "Fest", "First paragraph, with *emphasis*.\n\nSecond; last.")
		calendarEvent(t, n, ann, "board", "Budget", "Members only.")

		anon := newBrowser(t, n, "en")
		f := anon.get("/spaces/club/calendar.ics")
		want(t, f, 200, "BEGIN:VCALENDAR\r\n", "X-WR-CALNAME:Space club\r\n", "X-WR-TIMEZONE:Europe/Berlin\r\n",
			"SUMMARY:Fest\r\n", "UID:"+n.URL+"/posts/"+p.ID+"\r\n", "URL:"+n.URL+"/posts/"+p.ID+"\r\n",
			`DESCRIPTION:First paragraph\, with emphasis.\n\nSecond\; last.`+"\r\n",
			`LOCATION:Rathaus\, Marktplatz 1\, 10115 Berlin`+"\r\n",
			"DTSTART:"+p.Event.StartsAt.UTC().Format("20060102T150405Z")+"\r\n")
		for k, v := range map[string]string{"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "public, max-age=300",
			"Content-Disposition": "attachment; filename=club.ics"} {
			if f.header.Get(k) != v {
				t.Errorf("%s: %q, want %q", k, f.header.Get(k), v)
			}
		}
		if f.has("Budget") {
			t.Fatal("another space's event in the calendar")
		}

		hidden := anon.get("/spaces/board/calendar.ics")
		want(t, hidden, 404, "space_not_found")
		if ct := hidden.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("an error of a calendar is %q", ct)
		}
		want(t, anon.get("/spaces/nowhere/calendar.ics"), 404)
		want(t, anon.get("/calendar/unknown-token.ics"), 404, "calendar_not_found")
		if p := anon.do(http.MethodPost, "/spaces/club/calendar.ics", nil, ""); p.status != 405 || p.header.Get("Allow") != "GET, HEAD" {
			t.Fatalf("POST: %d %v", p.status, p.header)
		}
		if p := anon.do(http.MethodHead, "/spaces/club/calendar.ics", nil, ""); p.status != 200 || p.body != "" {
			t.Fatalf("HEAD: %d %q", p.status, p.body)
		}

		// A signed-in member gets what they may see, privately cached.
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		f = b.get("/spaces/board/calendar.ics")
		want(t, f, 200, "SUMMARY:Budget\r\n", "DESCRIPTION:Members only.\r\n")
		if f.header.Get("Cache-Control") != "private, max-age=300" || !strings.Contains(f.header.Get("Vary"), "Cookie") {
			t.Fatalf("a member's calendar: %v", f.header)
		}
	})
}

// TestEventCalendarFile: an event's page offers it as a calendar file of
// its own, to whoever may see it, and asks a visitor to sign in to
// register; a members-only event stays hidden, an ordinary post is not an
// event.
func TestEventCalendarFile(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ann := member(t, n, "ann", spaces.RoleMember)
		member(t, n, "bob", spaces.RoleMember)
		newSpace(t, n, ann, "club", spaces.SpaceSettings{})
		newSpace(t, n, ann, "board", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)})
		p := calendarEvent(t, n, ann, "club", "Fest", "Open to all.")
		hidden := calendarEvent(t, n, ann, "board", "Budget", "Members only.")
		note, err := n.Spaces.CreatePost(context.Background(), ann, "club", spaces.PostInput{Body: "Not an event."})
		if err != nil {
			t.Fatal(err)
		}

		anon := newBrowser(t, n, "en")
		page := anon.get("/posts/" + p.ID)
		want(t, page, 200, `href="/posts/`+p.ID+`/event.ics"`, "Add to my calendar", `href="/login?next=/posts/`+p.ID+`"`, "Sign in to register")
		f := anon.get("/posts/" + p.ID + "/event.ics")
		want(t, f, 200, "BEGIN:VCALENDAR\r\n", "X-WR-CALNAME:Space club\r\n", "SUMMARY:Fest\r\n", "UID:"+n.URL+"/posts/"+p.ID+"\r\n")
		if cd := f.header.Get("Content-Disposition"); cd != "attachment; filename=event-"+p.ID+".ics" {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if strings.Count(f.body, "BEGIN:VEVENT") != 1 {
			t.Fatalf("one event per file:\n%s", f.body)
		}
		want(t, anon.get("/posts/"+hidden.ID+"/event.ics"), 404)
		want(t, anon.get("/posts/"+note.ID+"/event.ics"), 404, "event_not_found")

		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		if page := b.get("/posts/" + p.ID); page.has("/login?next=/posts/"+p.ID) || !page.has(`name="going" value="1"`) {
			t.Fatalf("a member is offered to register, not to sign in:\n%s", page.body)
		}
		want(t, b.get("/posts/"+hidden.ID+"/event.ics"), 404) // bob is not a member of the board
	})
}
