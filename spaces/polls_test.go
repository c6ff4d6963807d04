package spaces_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPolls: a note carries a poll; members who see it vote once, before
// its end, within its options; its author does not vote; hidden totals show
// to its author and, once it has ended, to everyone.
func TestPolls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		cat := mustMember(t, s, "cat", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Visibility: str("members")}); err != nil {
			t.Fatal(err)
		}

		for _, bad := range []struct {
			in   spaces.PostInput
			code string
		}{
			{spaces.PostInput{Body: "one?", Poll: &spaces.PollInput{Options: []string{"yes"}, ExpiresIn: time.Hour}}, "poll_options_count"},
			{spaces.PostInput{Body: "many?", Poll: &spaces.PollInput{Options: make([]string, 11), ExpiresIn: time.Hour}}, "poll_options_count"},
			{spaces.PostInput{Body: "blank?", Poll: &spaces.PollInput{Options: []string{"yes", "  "}, ExpiresIn: time.Hour}}, "poll_option_invalid"},
			{spaces.PostInput{Body: "twice?", Poll: &spaces.PollInput{Options: []string{"Yes", "yes"}, ExpiresIn: time.Hour}}, "poll_option_repeated"},
			{spaces.PostInput{Body: "soon?", Poll: &spaces.PollInput{Options: []string{"a", "b"}, ExpiresIn: time.Minute}}, "poll_duration"},
			{spaces.PostInput{Body: "late?", Poll: &spaces.PollInput{Options: []string{"a", "b"}, ExpiresIn: 40 * 24 * time.Hour}}, "poll_duration"},
			{spaces.PostInput{Kind: spaces.KindArticle, Title: "T", Body: "article", Poll: &spaces.PollInput{Options: []string{"a", "b"}, ExpiresIn: time.Hour}}, "poll_not_allowed"},
		} {
			_, err := s.CreatePost(ctx, ann, "club", bad.in)
			wantCode(t, err, bad.code)
		}

		p, err := s.CreatePost(ctx, ann, "club", spaces.PostInput{Body: "Which day?",
			Poll: &spaces.PollInput{Options: []string{" Monday ", "Tuesday", "Friday"}, Multiple: true, ExpiresIn: 24 * time.Hour, HideTotals: true}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Poll == nil || len(p.Poll.Options) != 3 || p.Poll.Options[0].Title != "Monday" || !p.Poll.Multiple ||
			!p.Poll.EndsAt.Equal(p.CreatedAt.Add(24*time.Hour)) {
			t.Fatalf("created poll: %+v", p.Poll)
		}

		if found, err := s.Search(ctx, bob, "tuesday", spaces.SearchPosts, spaces.Page{}); err != nil || len(found.Posts) != 1 {
			t.Fatalf("searching a poll's answer: %v %v", found, err)
		}
		_, err = s.Vote(ctx, ann, p.ID, []int{0})
		wantCode(t, err, "own_poll")
		_, err = s.Vote(ctx, cat, p.ID, []int{0}) // not a member of a members-only space
		wantCode(t, err, "post_not_found")
		for _, bad := range [][]int{nil, {3}, {-1}, {1, 1}} {
			_, err = s.Vote(ctx, bob, p.ID, bad)
			wantCode(t, err, "choices_invalid")
		}
		poll, err := s.Vote(ctx, bob, p.ID, []int{2, 0})
		if err != nil {
			t.Fatal(err)
		}
		if poll.VotersCount != 1 || poll.Options[0].VotesCount != 1 || poll.Options[1].VotesCount != 0 ||
			poll.Options[2].VotesCount != 1 || !slices.Equal(poll.Chosen, []int{0, 2}) {
			t.Fatalf("after bob's vote: %+v, options %+v %+v %+v", poll, poll.Options[0], poll.Options[1], poll.Options[2])
		}
		_, err = s.Vote(ctx, bob, p.ID, []int{1})
		wantCode(t, err, "already_voted")
		if n := countOf(rec.events, "spaces.PollVoted"); n != 1 {
			t.Errorf("%d PollVoted events, want 1 (%v)", n, rec.events)
		}

		got, err := s.GetPost(ctx, bob, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		choices, err := s.PollChoices(ctx, bob, []*spaces.Post{got})
		if err != nil {
			t.Fatal(err)
		}
		if got.Poll == nil || got.Poll.VotersCount != 1 || !slices.Equal(choices[p.ID], []int{0, 2}) {
			t.Fatalf("bob reads the poll: %+v, his choices %v", got.Poll, choices)
		}
		if st := s.PollStateFor(bob, got, choices[p.ID]); st.Totals || st.CanVote || st.Ended {
			t.Errorf("bob, who voted, before the end: %+v; want no counts (hidden) and no vote", st)
		}
		if st := s.PollStateFor(ann, got, nil); !st.Totals || st.CanVote {
			t.Errorf("the author: %+v; want the counts and no vote", st)
		}

		// A single-choice poll takes one choice.
		single, err := s.CreatePost(ctx, ann, "club", spaces.PostInput{Body: "Coffee or tea?",
			Poll: &spaces.PollInput{Options: []string{"coffee", "tea"}, ExpiresIn: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Vote(ctx, bob, single.ID, []int{0, 1})
		wantCode(t, err, "choices_invalid")

		clk.advance(25 * time.Hour)
		_, err = s.Vote(ctx, bob, single.ID, []int{1})
		wantCode(t, err, "poll_ended")
		if st := s.PollStateFor(bob, got, choices[p.ID]); !st.Totals || !st.Ended || st.CanVote {
			t.Errorf("once ended: %+v; want the counts, ended, no vote", st)
		}
		feed, err := s.SpaceFeed(ctx, bob, "club", spaces.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, fp := range feed {
			if fp.Poll == nil {
				t.Errorf("%q: the feed lost its poll", fp.Content)
			}
		}

		// Closed once: its voter and its author are told, once.
		if n, err := s.ClosePolls(ctx); err != nil || n != 2 {
			t.Fatalf("closed %d polls (%v), want both", n, err)
		}
		if n, _ := s.ClosePolls(ctx); n != 0 {
			t.Fatalf("closed %d polls again", n)
		}
		if countOf(rec.events, "spaces.PollEnded") != 2 {
			t.Errorf("events: %v", rec.events)
		}
		for who, want := range map[*spaces.Account]int{bob: 1, ann: 2, cat: 0} {
			if got := notificationKinds(t, s, who)[spaces.NotifyPollEnded]; got != want {
				t.Errorf("%s was told of %d ended polls, want %d", who.Username, got, want)
			}
		}
	})
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
