package federation_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPollsTwoNodes: a poll reaches a follower's node as a Question; a
// member there votes, as Mastodon does (a Note named after each choice, to
// the author); the poll's node counts the vote and sends the new counts,
// which the follower's node shows.
func TestPollsTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		aliceOnB := resolve(t, b, a, "alice")
		if _, err := b.Spaces.FollowAccount(ctx, bob, aliceOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)

		p, err := a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "Which days suit you?",
			Poll: &spaces.PollInput{Options: []string{"Monday", "Tuesday", "Friday"}, Multiple: true, ExpiresIn: 24 * time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		onB := postOn(t, b, bob, a.URL+"/posts/"+p.ID)
		if onB.Poll == nil || len(onB.Poll.Options) != 3 || onB.Poll.Options[2].Title != "Friday" || !onB.Poll.Multiple ||
			!onB.Poll.EndsAt.Equal(p.Poll.EndsAt.Truncate(time.Second)) {
			t.Fatalf("the poll on B: %+v", onB.Poll)
		}

		if _, err := b.Spaces.Vote(ctx, bob, onB.ID, []int{0, 2}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		nodetest.Drain(t, a, b)
		onA := postOn(t, a, alice, a.URL+"/posts/"+p.ID)
		if onA.Poll.VotersCount != 1 || onA.Poll.Options[0].VotesCount != 1 || onA.Poll.Options[1].VotesCount != 0 ||
			onA.Poll.Options[2].VotesCount != 1 {
			t.Fatalf("on A after bob's vote: %+v %+v %+v %+v", onA.Poll, onA.Poll.Options[0], onA.Poll.Options[1], onA.Poll.Options[2])
		}
		bobOnA := remote(t, a, b.URL+"/users/bob")
		chosen, err := a.Spaces.PollChoices(ctx, bobOnA, []*spaces.Post{onA})
		if err != nil || !slices.Equal(chosen[p.ID], []int{0, 2}) {
			t.Fatalf("bob's choices on A: %v %v", chosen, err)
		}
		onB = postOn(t, b, bob, a.URL+"/posts/"+p.ID)
		if onB.Poll.VotersCount != 1 || onB.Poll.Options[0].VotesCount != 1 || onB.Poll.Options[2].VotesCount != 1 {
			t.Fatalf("the counts on B: %+v %+v %+v %+v", onB.Poll, onB.Poll.Options[0], onB.Poll.Options[1], onB.Poll.Options[2])
		}

		// Results hidden until the end reach B once it has ended: B counts
		// its own member's vote, not carol's on A, until then.
		carol := a.Member(t, "carol", spaces.RoleMember)
		hidden, err := a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "Secret ballot?",
			Poll: &spaces.PollInput{Options: []string{"Yes", "No"}, ExpiresIn: time.Hour, HideTotals: true}})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		onB = postOn(t, b, bob, a.URL+"/posts/"+hidden.ID)
		if _, err := b.Spaces.Vote(ctx, bob, onB.ID, []int{1}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.Vote(ctx, carol, hidden.ID, []int{0}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if onB = postOn(t, b, bob, a.URL+"/posts/"+hidden.ID); onB.Poll.VotersCount != 1 || onB.Poll.Options[0].VotesCount != 0 {
			t.Fatalf("hidden counts reached B before the end: %+v %+v", onB.Poll, onB.Poll.Options[0])
		}
		clock.Advance(2 * time.Hour)
		for _, n := range []*nodetest.Node{a, b} {
			if _, err := n.Spaces.ClosePolls(ctx); err != nil {
				t.Fatal(err)
			}
		}
		nodetest.Drain(t, a, b)
		if onB = postOn(t, b, bob, a.URL+"/posts/"+hidden.ID); onB.Poll.VotersCount != 2 || onB.Poll.Options[0].VotesCount != 1 ||
			onB.Poll.Options[1].VotesCount != 1 {
			t.Fatalf("the final counts on B: %+v %+v %+v", onB.Poll, onB.Poll.Options[0], onB.Poll.Options[1])
		}
		if kinds := notified(t, b, bob); kinds[spaces.NotifyPollEnded] != 1 {
			t.Fatalf("bob's notifications on B: %v", kinds)
		}
	})
}

// postOn reads, on node n as viewer, the post with IRI iri: a remote post
// by its IRI, or the node's own by its id.
func postOn(t *testing.T, n *nodetest.Node, viewer *spaces.Account, iri string) *spaces.Post {
	t.Helper()
	id := strings.TrimPrefix(iri, n.URL+"/posts/")
	if stored, err := n.DB.PostByURI(ctx, iri); err == nil {
		id = stored.ID
	}
	p, err := n.Spaces.GetPost(ctx, viewer, id)
	if err != nil {
		t.Fatalf("%s on %s: %v", iri, n.URL, err)
	}
	return p
}

// notified counts who's notifications on n by kind.
func notified(t *testing.T, n *nodetest.Node, who *spaces.Account) map[string]int {
	t.Helper()
	list, err := n.Spaces.Notifications(ctx, who, spaces.NotificationPage{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, x := range list {
		out[x.Kind]++
	}
	return out
}
