package spaces_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func eventInput(title string, start time.Time, capacity int) spaces.PostInput {
	return spaces.PostInput{Kind: spaces.KindEvent, Title: title, Body: "Agenda: budgets, then coffee.",
		Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(2 * time.Hour), TimeZone: "Europe/Paris",
			PlaceName: "Salle du conseil", Address: "1 place de la Mairie\n69000 Lyon", OnlineURL: "https://visio.example.org/abc", Capacity: capacity}}
}

func notificationKinds(t *testing.T, s *spaces.Service, a *spaces.Account) map[string]int {
	t.Helper()
	list, err := s.Notifications(context.Background(), a, spaces.NotificationPage{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range list {
		out[n.Kind]++
	}
	return out
}

// TestEvents: an event is a post with a date and a place; who may see it
// registers until it ends, on a waiting list once it is full; a place freed
// or added goes to the first who waits; those going are reminded the day
// before; a member's agenda and the space's calendar list it.
func TestEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		cat := mustMember(t, s, "cat", spaces.RoleMember)
		dan := mustMember(t, s, "dan", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		start := clk.now().Add(72 * time.Hour)

		for _, bad := range []struct {
			edit func(*spaces.PostInput)
			code string
		}{
			{func(in *spaces.PostInput) { in.Event = nil }, "event_required"},
			{func(in *spaces.PostInput) { in.Title = "" }, "title_required"},
			{func(in *spaces.PostInput) { in.Event.EndsAt = in.Event.StartsAt }, "event_end_before_start"},
			{func(in *spaces.PostInput) { in.Event.TimeZone = "Mars/Olympus" }, "time_zone_invalid"},
			{func(in *spaces.PostInput) { in.Event.OnlineURL = "javascript:alert(1)" }, "online_url_invalid"},
			{func(in *spaces.PostInput) { in.Event.Capacity = -1 }, "capacity_invalid"},
			{func(in *spaces.PostInput) { in.Event.EndsAt = in.Event.StartsAt.Add(400 * 24 * time.Hour) }, "event_too_long"},
			{func(in *spaces.PostInput) {
				in.Event.StartsAt, in.Event.EndsAt = clk.now().Add(-3*time.Hour), clk.now().Add(-time.Hour)
			}, "event_past"},
			{func(in *spaces.PostInput) { in.Kind = spaces.KindNote; in.Title = "" }, "event_not_allowed"},
		} {
			in := eventInput("Council", start, 2)
			bad.edit(&in)
			_, err := s.CreatePost(ctx, ann, "club", in)
			wantCode(t, err, bad.code)
		}

		p, err := s.CreatePost(ctx, ann, "club", eventInput("Council", start, 2))
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != spaces.KindEvent || p.Event == nil || !p.Event.StartsAt.Equal(start) || p.Event.TimeZone != "Europe/Paris" ||
			p.Event.Capacity != 2 || p.Event.PlaceName != "Salle du conseil" {
			t.Fatalf("created event: %+v %+v", p, p.Event)
		}

		// Its place is searchable, as its text is.
		if found, err := s.Search(ctx, bob, "mairie", spaces.SearchPosts, spaces.Page{}); err != nil || len(found.Posts) != 1 {
			t.Fatalf("searching the event's address: %v %v", found, err)
		}

		// ann (the organizer) and bob take the two places; cat (not a member
		// of the public space) waits; dan too, after cat.
		for _, c := range []struct {
			who   *spaces.Account
			state string
		}{{ann, spaces.RegistrationGoing}, {bob, spaces.RegistrationGoing}, {cat, spaces.RegistrationWaiting}, {dan, spaces.RegistrationWaiting}} {
			r, err := s.JoinEvent(ctx, c.who, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.State != c.state {
				t.Fatalf("%s: %s, want %s", c.who.Username, r.State, c.state)
			}
			clk.advance(time.Second)
		}
		if again, err := s.JoinEvent(ctx, bob, p.ID); err != nil || again.State != spaces.RegistrationGoing {
			t.Fatalf("registering again: %v %+v", err, again)
		}
		got, err := s.GetPost(ctx, cat, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Event.GoingCount != 2 || got.Event.WaitingCount != 2 {
			t.Fatalf("counts %d going, %d waiting", got.Event.GoingCount, got.Event.WaitingCount)
		}
		states, err := s.RegistrationStates(ctx, cat, []*spaces.Post{got})
		if err != nil || states[p.ID] != spaces.RegistrationWaiting {
			t.Fatalf("cat's state: %v %v", states, err)
		}
		if st := s.EventStateFor(cat, got, states[p.ID]); !st.Full || st.Register || !st.Leave {
			t.Fatalf("cat's event state: %+v", st)
		}
		_, _, err = s.Registrants(ctx, cat, p.ID)
		wantCode(t, err, "not_organizer")

		// bob leaves: cat, first in line, goes and is told.
		if err := s.LeaveEvent(ctx, bob, p.ID); err != nil {
			t.Fatal(err)
		}
		going, waiting, err := s.Registrants(ctx, ann, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(going) != 2 || going[1].AccountID != cat.ID || len(waiting) != 1 || waiting[0].AccountID != dan.ID {
			t.Fatalf("after bob left: going %v, waiting %v", going, waiting)
		}
		if notificationKinds(t, s, cat)[spaces.NotifyEventPlace] != 1 {
			t.Errorf("cat was not told a place freed up")
		}
		// a larger room: dan goes too.
		in := eventInput("Council", start, 5)
		if _, err := s.EditPost(ctx, ann, p.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, waiting, _ = s.Registrants(ctx, ann, p.ID); len(waiting) != 0 {
			t.Fatalf("dan still waits after the room grew: %v", waiting)
		}
		if n := countOf(rec.events, "spaces.RegistrationsPromoted"); n != 2 {
			t.Errorf("%d promotions, want 2 (%v)", n, rec.events)
		}

		// The agenda of a member lists their spaces' events and those they
		// registered for; the space's calendar, for anyone who sees it.
		for _, who := range []*spaces.Account{ann, bob, cat} {
			list, err := s.Agenda(ctx, who, spaces.EventPage{})
			if err != nil || len(list) != 1 || list[0].Event == nil {
				t.Fatalf("%s's agenda: %v %v", who.Username, list, err)
			}
		}
		if err := s.LeaveEvent(ctx, cat, p.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Agenda(ctx, cat, spaces.EventPage{}); len(list) != 0 {
			t.Fatalf("cat left and is no member, yet the agenda lists %d events", len(list))
		}
		if _, list, err := s.SpaceCalendar(ctx, nil, "club"); err != nil || len(list) != 1 {
			t.Fatalf("anonymous space calendar: %v %v", list, err)
		}

		// Reminders: none three days before, one the day before, once.
		if n, err := s.RemindEvents(ctx); err != nil || n != 0 {
			t.Fatalf("reminded %d three days before (%v)", n, err)
		}
		clk.advance(50 * time.Hour)
		if n, err := s.RemindEvents(ctx); err != nil || n != 1 {
			t.Fatalf("reminded %d the day before (%v)", n, err)
		}
		if n, _ := s.RemindEvents(ctx); n != 0 {
			t.Fatalf("reminded twice")
		}
		if notificationKinds(t, s, dan)[spaces.NotifyEventReminder] != 1 || notificationKinds(t, s, bob)[spaces.NotifyEventReminder] != 0 {
			t.Errorf("reminders went to the wrong members")
		}

		// Once over, it is listed among past events and takes no one.
		clk.advance(30 * time.Hour)
		_, err = s.JoinEvent(ctx, bob, p.ID)
		wantCode(t, err, "event_ended")
		if list, _ := s.SpaceEvents(ctx, bob, "club", spaces.EventPage{}); len(list) != 0 {
			t.Fatalf("an ended event is upcoming")
		}
		if list, _ := s.SpaceEvents(ctx, bob, "club", spaces.EventPage{Past: true}); len(list) != 1 {
			t.Fatalf("past events: %d", len(list))
		}
	})
}

// TestEventsPaging: upcoming events come soonest first, a page after the
// other, events at the same time in a fixed order.
func TestEventsPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		var want []string
		for _, h := range []int{5, 1, 3, 3, 2} {
			p, err := s.CreatePost(ctx, ann, "club", eventInput("E", clk.now().Add(time.Duration(h)*24*time.Hour), 0))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, p.ID)
		}
		order := []string{want[1], want[4], want[2], want[3], want[0]}
		var got []string
		after := ""
		for {
			list, err := s.SpaceEvents(ctx, ann, "club", spaces.EventPage{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range list {
				got = append(got, p.ID)
			}
			if len(list) < 2 {
				break
			}
			after = list[len(list)-1].ID
		}
		if len(got) != len(order) {
			t.Fatalf("got %v, want %v", got, order)
		}
		for i := range order {
			if got[i] != order[i] {
				t.Fatalf("got %v, want %v", got, order)
			}
		}
	})
}

// TestSpaceTools: a space's moderators switch tools off; what needs one is
// refused, what was made stays; switched back on, it works again.
func TestSpaceTools(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		sp := mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		for _, tool := range spaces.Tools {
			if !sp.ToolOn(tool) {
				t.Fatalf("a new space has %s off", tool)
			}
		}
		ev, err := s.CreatePost(ctx, ann, "club", eventInput("Council", clk.now().Add(time.Hour), 0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateSpace(ctx, bob, "club", spaces.SpaceSettings{Tools: []string{}})
		wantCode(t, err, "not_moderator")
		_, err = s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: []string{"wiki-of-doom"}})
		wantCode(t, err, "tool_invalid")
		sp, err = s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: []string{spaces.ToolArticles}})
		if err != nil {
			t.Fatal(err)
		}
		if !sp.ToolOn(spaces.ToolArticles) || sp.ToolOn(spaces.ToolEvents) || sp.ToolOn(spaces.ToolPolls) {
			t.Fatalf("tools off: %q", sp.ToolsOff)
		}
		_, err = s.CreatePost(ctx, bob, "club", eventInput("Picnic", clk.now().Add(time.Hour), 0))
		wantCode(t, err, "tool_off")
		_, err = s.CreatePost(ctx, bob, "club", spaces.PostInput{Body: "Which day?",
			Poll: &spaces.PollInput{Options: []string{"Mon", "Tue"}, ExpiresIn: time.Hour}})
		wantCode(t, err, "tool_off")
		if _, err := s.CreatePost(ctx, bob, "club", spaces.PostInput{Kind: spaces.KindArticle, Title: "How we did it", Body: "So."}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetPost(ctx, bob, ev.ID); err != nil || got.Event == nil {
			t.Fatalf("the event made before is gone: %v", err)
		}
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: spaces.Tools}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePost(ctx, bob, "club", eventInput("Picnic", clk.now().Add(time.Hour), 0)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCalendarToken: a member's private calendar address opens their
// agenda until they reset or revoke it.
func TestCalendarToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{Visibility: str("members")})
		if _, err := s.CreatePost(ctx, ann, "club", eventInput("Council", clk.now().Add(time.Hour), 0)); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.AgendaByToken(ctx, "nope")
		wantCode(t, err, "calendar_not_found")
		if _, list, err := s.SpaceCalendar(ctx, nil, "club"); err == nil && len(list) > 0 {
			t.Fatalf("a members-only space's calendar shows its events to anyone")
		}
		tok, err := s.NewCalendarToken(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		who, list, err := s.AgendaByToken(ctx, tok)
		if err != nil || who.ID != ann.ID || len(list) != 1 {
			t.Fatalf("agenda by token: %v %v %v", who, list, err)
		}
		tok2, err := s.NewCalendarToken(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.AgendaByToken(ctx, tok)
		wantCode(t, err, "calendar_not_found")
		if err := s.RevokeCalendarToken(ctx, ann); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.AgendaByToken(ctx, tok2)
		wantCode(t, err, "calendar_not_found")
	})
}

// TestEventsAtOnce: members registering at the same moment for the last
// places get one each, no more; a voter's two votes at once count once.
func TestEventsAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		p, err := s.CreatePost(ctx, ann, "club", eventInput("Council", clk.now().Add(time.Hour), 3))
		if err != nil {
			t.Fatal(err)
		}
		var members []*spaces.Account
		for i := range 8 {
			members = append(members, mustMember(t, s, fmt.Sprintf("m%d", i), spaces.RoleMember))
		}
		var wg sync.WaitGroup
		for _, m := range members {
			wg.Go(func() {
				if _, err := s.JoinEvent(ctx, m, p.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		going, waiting, err := s.Registrants(ctx, ann, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(going) != 3 || len(waiting) != 5 {
			t.Fatalf("%d going, %d waiting; want 3 and 5", len(going), len(waiting))
		}

		poll, err := s.CreatePost(ctx, ann, "club", spaces.PostInput{Body: "Which day?",
			Poll: &spaces.PollInput{Options: []string{"Mon", "Tue"}, ExpiresIn: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for c := range 2 {
			wg.Go(func() { _, err := s.Vote(ctx, members[0], poll.ID, []int{c}); errs <- err })
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, "already_voted")
			}
		}
		if got, _ := s.GetPost(ctx, ann, poll.ID); ok != 1 || got.Poll.VotersCount != 1 {
			t.Fatalf("%d votes taken, %d voters", ok, got.Poll.VotersCount)
		}
	})
}
