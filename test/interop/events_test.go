package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestFedifyEventsAndPolls: Fedify's actors, members of a space, receive
// its event and its poll as Fedify reads them (an Event with its dates and
// place; a Question with its answers); they register for the event with a
// Join — the first accepted at once, the second waiting until the first
// leaves — and vote in the poll, whose new counts come back in an Update.
func TestFedifyEventsAndPolls(t *testing.T) {
	ctx := context.Background()
	p := startPeer(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	group := n.URL + "/spaces/forum"
	for _, as := range []string{"peer", "peer2"} {
		p.call(t, "follow", map[string]any{"url": group, "as": as})
		drain(t, n)
		p.event(t, "Accept")
	}

	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	ev, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Kind: spaces.KindEvent, Title: "Atelier",
		Body: "Venez nombreux.", Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(time.Hour),
			TimeZone: "Europe/Paris", PlaceName: "Salle 2", Capacity: 1}})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + ev.ID
	drain(t, n)
	got := p.eventWhere(t, "Announce(Create(Event))", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["innerObject"] == iri
	})
	if got["postType"] != "Event" || got["name"] != "Atelier" || got["location"] != "Salle 2" ||
		!strings.HasPrefix(fmt.Sprint(got["startTime"]), start.Format("2006-01-02T15:04")) ||
		!strings.Contains(fmt.Sprint(got["summary"]), "Salle 2") {
		t.Fatalf("the event as Fedify read it: %v", got)
	}

	// peer takes the one place; peer2 waits, unanswered, until peer leaves.
	join := p.call(t, "join", map[string]any{"event": iri})
	if join["eventType"] != "Event" {
		t.Fatalf("Fedify looks the event up as %v", join["eventType"])
	}
	drain(t, n)
	if a := p.eventWhere(t, "Accept(Join)", func(e map[string]any) bool { return e["event"] == "Accept" && e["object"] == join["sent"] }); a["actor"] != n.URL+"/users/olga" {
		t.Fatalf("the Accept of peer's Join: %v", a)
	}
	join2 := p.call(t, "join", map[string]any{"event": iri, "as": "peer2"})
	drain(t, n)
	if s := peerState(t, n, p.origin+"/users/peer2", ev); s != spaces.RegistrationWaiting {
		t.Fatalf("peer2 is %q, want waiting", s)
	}
	p.call(t, "leave", map[string]any{"event": iri})
	drain(t, n)
	p.eventWhere(t, "Accept of peer2's Join", func(e map[string]any) bool { return e["event"] == "Accept" && e["object"] == join2["sent"] })
	if s := peerState(t, n, p.origin+"/users/peer", ev); s != "" {
		t.Fatalf("peer left, yet is %q", s)
	}

	// The poll: a Question; peer votes, the Update brings the count.
	poll, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Body: "Quel jour ?",
		Poll: &spaces.PollInput{Options: []string{"Lundi", "Jeudi"}, ExpiresIn: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	piri := n.URL + "/posts/" + poll.ID
	drain(t, n)
	q := p.eventWhere(t, "Announce(Create(Question))", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["innerObject"] == piri
	})
	if q["postType"] != "Question" || fmt.Sprint(q["options"]) != "[Lundi Jeudi]" {
		t.Fatalf("the poll as Fedify read it: %v", q)
	}
	p.call(t, "vote", map[string]any{"post": piri, "choice": "Jeudi"})
	drain(t, n)
	stored, err := n.Spaces.GetPost(ctx, olga, poll.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Poll.VotersCount != 1 || stored.Poll.Options[1].VotesCount != 1 {
		t.Fatalf("the poll after peer's vote: %+v", stored.Poll)
	}
	p.eventWhere(t, "Update of the Question", func(e map[string]any) bool {
		return e["event"] == "Update" && e["object"] == piri && fmt.Sprint(e["voters"]) == "1"
	})
}

// peerState is the registration state of the peer's actor iri for the
// event p on n ("" if none).
func peerState(t *testing.T, n *nodetest.Node, iri string, p *spaces.Post) string {
	t.Helper()
	a, err := n.DB.AccountByURI(context.Background(), iri)
	if err != nil {
		t.Fatal(err)
	}
	states, err := n.Spaces.RegistrationStates(context.Background(), a, []*spaces.Post{p})
	if err != nil {
		t.Fatal(err)
	}
	return states[p.ID]
}

// TestApbotReceivesEvent: the bot, a member of a space, receives its new
// event as its server keeps it: an Event with its title, dates, place and
// the line of when and where that Mastodon shows.
func TestApbotReceivesEvent(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	createSpace(t, n, olga, "forum")
	joinSpace(t, n, b, "forum")
	start := time.Date(2031, 6, 2, 7, 0, 0, 0, time.UTC)
	ev, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Kind: spaces.KindEvent, Title: "Journée d’étude",
		Body: "Programme à venir.", Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(8 * time.Hour),
			TimeZone: "Europe/Berlin", PlaceName: "Rathaus", Address: "Marktplatz 1\n10178 Berlin"}})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + ev.ID
	b.exchange(t, n)
	got := b.received(t, "the Group's Announce(Create(Event))", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["objectType"] == "Create" && e["innerObject"] == iri
	})
	if got["postType"] != "Event" || got["name"] != "Journée d’étude" || got["startTime"] != "2031-06-02T07:00:00Z" ||
		got["endTime"] != "2031-06-02T15:00:00Z" || got["location"] != "Rathaus" ||
		got["summary"] != "2031-06-02 09:00 – 17:00 (Europe/Berlin) · Rathaus, Marktplatz 1, 10178 Berlin" {
		t.Fatalf("the event as the bot's server keeps it: %v", got)
	}
}
