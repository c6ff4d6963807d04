package federation_test

import (
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestEventsTwoNodes: an event in a space of node A is mirrored on node B,
// whose member follows the space, with its date, place and places; B's
// member registers from B (a Join, accepted by A: going on both), on A's
// waiting list once full; a leave on A promotes the next, accepted on B;
// an edit of the date reaches B.
func TestEventsTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		anne := a.Member(t, "anne", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		name := "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "reseau")
		drain(t, a, b)
		if got := membershipState(t, b, bob, "reseau@"+host(a)); got != spaces.StateActive {
			t.Fatalf("bob's membership on B: %s", got)
		}

		start := clock.Now().Add(72 * time.Hour).Truncate(time.Second)
		p, err := a.Spaces.CreatePost(ctx, alice, "reseau", spaces.PostInput{Kind: spaces.KindEvent, Title: "Rencontre",
			Body: "Ordre du jour : budgets.", Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(2 * time.Hour),
				TimeZone: "Europe/Paris", PlaceName: "Salle du conseil", Address: "1 place de la Mairie\n69000 Lyon",
				OnlineURL: "https://visio.example.org/rencontre", Capacity: 2}})
		if err != nil {
			t.Fatal(err)
		}
		iri := a.URL + "/posts/" + p.ID
		drain(t, a, b)
		onB := postOn(t, b, bob, iri)
		if onB.Kind != spaces.KindEvent || onB.Title != "Rencontre" || onB.Event == nil || !onB.Event.StartsAt.Equal(start) ||
			onB.Event.TimeZone != "Europe/Paris" || onB.Event.PlaceName != "Salle du conseil" ||
			onB.Event.Address != "1 place de la Mairie\n69000 Lyon" || onB.Event.OnlineURL != "https://visio.example.org/rencontre" ||
			onB.Event.Capacity != 2 {
			t.Fatalf("the event on B: %+v %+v", onB, onB.Event)
		}
		if list, err := b.Spaces.SpaceEvents(ctx, bob, "reseau@"+host(a), spaces.EventPage{}); err != nil || len(list) != 1 {
			t.Fatalf("B's events of the space: %v %v", list, err)
		}

		// alice takes a place on A; bob registers on B: pending, then going.
		if _, err := a.Spaces.JoinEvent(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		reg, err := b.Spaces.JoinEvent(ctx, bob, onB.ID)
		if err != nil || reg.State != spaces.RegistrationPending {
			t.Fatalf("bob's registration on B: %+v %v", reg, err)
		}
		drain(t, a, b)
		drain(t, a, b)
		if got := stateOf(t, b, bob, onB); got != spaces.RegistrationGoing {
			t.Fatalf("bob on B after A's answer: %q", got)
		}
		bobOnA := remote(t, a, b.URL+"/users/bob")
		if got := stateOf(t, a, bobOnA, p); got != spaces.RegistrationGoing {
			t.Fatalf("bob on A: %q", got)
		}

		// Full: anne waits. bob leaves from B: anne goes on A.
		if r, err := a.Spaces.JoinEvent(ctx, anne, p.ID); err != nil || r.State != spaces.RegistrationWaiting {
			t.Fatalf("anne: %+v %v", r, err)
		}
		if err := b.Spaces.LeaveEvent(ctx, bob, onB.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if got := stateOf(t, a, bobOnA, p); got != "" {
			t.Fatalf("bob still registered on A: %q", got)
		}
		if got := stateOf(t, a, anne, p); got != spaces.RegistrationGoing {
			t.Fatalf("anne after bob left: %q", got)
		}

		// A new date reaches B.
		later := start.Add(24 * time.Hour)
		if _, err := a.Spaces.EditPost(ctx, alice, p.ID, spaces.PostInput{Title: "Rencontre", Body: "Ordre du jour : budgets.",
			Event: &spaces.EventInput{StartsAt: later, EndsAt: later.Add(2 * time.Hour), TimeZone: "Europe/Paris",
				PlaceName: "Salle du conseil", Capacity: 2}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if onB = postOn(t, b, bob, iri); !onB.Event.StartsAt.Equal(later) || onB.Event.Address != "" || onB.Event.GoingCount != 2 {
			t.Fatalf("the event on B after the edit: %+v", onB.Event)
		}

		// The space's tools, as its Group publishes them: B shows the same.
		if sp, _ := b.Spaces.Space(ctx, bob, "reseau@"+host(a)); !sp.ToolOn(spaces.ToolEvents) {
			t.Fatalf("B's copy of the space has events off: %q", sp.ToolsOff)
		}
		if _, err := a.Spaces.UpdateSpace(ctx, alice, "reseau", spaces.SpaceSettings{Tools: []string{spaces.ToolArticles}}); err != nil {
			t.Fatal(err)
		}
		drain(t, a, b)
		if sp, _ := b.Spaces.Space(ctx, bob, "reseau@"+host(a)); sp.ToolOn(spaces.ToolEvents) || sp.ToolOn(spaces.ToolPolls) || !sp.ToolOn(spaces.ToolArticles) {
			t.Fatalf("B's copy of the space after A switched events and polls off: %q", sp.ToolsOff)
		}
	})
}

// stateOf is who's registration state for the event p on n ("" if none).
func stateOf(t *testing.T, n *nodetest.Node, who *spaces.Account, p *spaces.Post) string {
	t.Helper()
	states, err := n.Spaces.RegistrationStates(ctx, who, []*spaces.Post{p})
	if err != nil {
		t.Fatal(err)
	}
	return states[p.ID]
}
