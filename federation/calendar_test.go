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
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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
		nodetest.Drain(t, a, b)
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

// TestEventsAndPollsAcrossThreeNodes: a space on A with members on B and C.
// B's member organises an event in it, which A's Group announces: C's
// member registers from C and A's member from A — each Join goes to B, the
// organizer's node, which keeps the list (one place: A's member waits, then
// goes when C's member leaves). C's member asks a poll there; B's member
// votes from B, and the count reaches every node.
func TestEventsAndPollsAcrossThreeNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		c := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		olga := a.Member(t, "olga", spaces.RoleMember)
		anna := a.Member(t, "anna", spaces.RoleMember)
		bea := b.Member(t, "bea", spaces.RoleMember)
		chloe := c.Member(t, "chloe", spaces.RoleMember)
		name := "Cantines"
		if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cantines", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.JoinSpace(ctx, anna, "cantines", "", ""); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bea, "cantines")
		joinRemote(t, c, a, chloe, "cantines")
		nodetest.Drain(t, a, b, c)
		handle := "cantines@" + host(a)

		start := clock.Now().Add(48 * time.Hour).Truncate(time.Second)
		ev, err := b.Spaces.CreatePost(ctx, bea, handle, spaces.PostInput{Kind: spaces.KindEvent, Title: "Visite",
			Body: "La cuisine centrale.", Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(time.Hour), TimeZone: "Europe/Paris", Capacity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		iri := b.URL + "/posts/" + ev.ID
		nodetest.Drain(t, a, b, c)
		onA, onC := postOn(t, a, anna, iri), postOn(t, c, chloe, iri)
		if onA.Event == nil || onC.Event == nil || !onC.Event.StartsAt.Equal(start) || onC.Event.Capacity != 1 {
			t.Fatalf("the event on A %+v and C %+v", onA.Event, onC.Event)
		}

		if _, err := c.Spaces.JoinEvent(ctx, chloe, onC.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if _, err := a.Spaces.JoinEvent(ctx, anna, onA.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		chloeOnB, annaOnB := remote(t, b, c.URL+"/users/chloe"), remote(t, b, a.URL+"/users/anna")
		if got := [2]string{stateOf(t, b, chloeOnB, ev), stateOf(t, b, annaOnB, ev)}; got != [2]string{spaces.RegistrationGoing, spaces.RegistrationWaiting} {
			t.Fatalf("on B, chloe and anna are %v", got)
		}
		if got := [2]string{stateOf(t, c, chloe, onC), stateOf(t, a, anna, onA)}; got != [2]string{spaces.RegistrationGoing, spaces.RegistrationPending} {
			t.Fatalf("chloe on C and anna on A are %v", got)
		}
		if err := c.Spaces.LeaveEvent(ctx, chloe, onC.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		nodetest.Drain(t, a, b, c)
		if got := stateOf(t, a, anna, onA); got != spaces.RegistrationGoing {
			t.Fatalf("anna on A after chloe left: %q", got)
		}

		poll, err := c.Spaces.CreatePost(ctx, chloe, handle, spaces.PostInput{Body: "Menu bio le lundi ?",
			Poll: &spaces.PollInput{Options: []string{"Oui", "Non"}, ExpiresIn: 24 * time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		piri := c.URL + "/posts/" + poll.ID
		nodetest.Drain(t, a, b, c)
		if _, err := b.Spaces.Vote(ctx, bea, postOn(t, b, bea, piri).ID, []int{0}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		nodetest.Drain(t, a, b, c)
		for _, n := range []struct {
			node   *nodetest.Node
			viewer *spaces.Account
		}{{a, anna}, {b, bea}, {c, chloe}} {
			if got := postOn(t, n.node, n.viewer, piri).Poll; got.VotersCount != 1 || got.Options[0].VotesCount != 1 {
				t.Fatalf("the poll on %s: %+v %+v", n.node.URL, got, got.Options[0])
			}
		}
	})
}
