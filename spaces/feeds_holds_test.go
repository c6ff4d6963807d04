package spaces_test

import (
	"context"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// notifiedLog keeps the notifications of Notified events.
type notifiedLog struct{ ns []*spaces.Notification }

func (l *notifiedLog) HandleEvent(_ context.Context, ev spaces.Event) error {
	if e, ok := ev.(spaces.Notified); ok {
		l.ns = append(l.ns, e.Notifications...)
	}
	return nil
}

// FeedHolds tells the streaming API which feeds a post goes to: the same
// rule as the feeds themselves, deleted posts told as they were.
func TestFeedHolds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		notified := &notifiedLog{}
		s.Listen(notified)
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		carol := mustMember(t, s, "carol", spaces.RoleMember)
		dave := mustMember(t, s, "dave", spaces.RoleMember)
		pub := mustSpace(t, s, alice, "pub", spaces.SpaceSettings{})
		priv := mustSpace(t, s, alice, "priv", spaces.SpaceSettings{Visibility: str("members")})
		mustJoin(t, s, bob, "pub")
		if _, err := s.FollowAccount(ctx, carol, alice, ""); err != nil {
			t.Fatal(err)
		}
		open := mustPost(t, s, alice, "pub", "in the open space")
		closed := mustPost(t, s, alice, "priv", "in the members-only space")
		reply, err := s.CreateComment(ctx, bob, open.ID, spaces.PostInput{Body: "a reply"})
		if err != nil {
			t.Fatal(err)
		}
		home := spaces.FeedRef{Home: true}
		check := func(when string, viewer *spaces.Account, f spaces.FeedRef, p *spaces.Post, want bool) {
			t.Helper()
			got, err := s.FeedHolds(ctx, viewer, f, p.ID)
			if err != nil || got != want {
				t.Fatalf("%s: feed %+v of %s holds %q: %v %v, want %v", when, f, viewer.Username, p.Source, got, err, want)
			}
		}
		for _, when := range []string{"live", "deleted"} {
			check(when, alice, home, open, true) // her own
			check(when, bob, home, open, true)   // a space he joined
			check(when, carol, home, open, true) // someone she follows
			check(when, dave, home, open, false) // no tie
			check(when, dave, spaces.FeedRef{Public: true}, open, true)
			check(when, dave, spaces.FeedRef{Public: true, Local: true}, open, true)
			check(when, bob, spaces.FeedRef{SpaceID: pub.AccountID}, open, true)
			check(when, bob, spaces.FeedRef{SpaceID: priv.AccountID}, open, false)
			check(when, alice, home, closed, true)
			check(when, alice, spaces.FeedRef{SpaceID: priv.AccountID}, closed, true)
			check(when, bob, home, closed, false)   // not a member
			check(when, carol, home, closed, false) // follows the author, not a member
			check(when, dave, spaces.FeedRef{Public: true}, closed, false)
			check(when, bob, home, reply, false) // feeds hold top-level posts
			for _, p := range []*spaces.Post{open, closed} {
				if when == "live" {
					if err := s.DeletePost(ctx, alice, p.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if _, err := s.FeedHolds(ctx, nil, home, open.ID); err == nil {
			t.Fatal("an anonymous viewer has no feeds")
		}

		// The reply notified alice, with its actor loaded.
		var got *spaces.Notification
		for _, n := range notified.ns {
			if n.Kind == spaces.NotifyReply {
				got = n
			}
		}
		if got == nil || got.AccountID != alice.ID || got.Actor == nil || got.Actor.ID != bob.ID || got.PostID != reply.ID || got.Space == nil || got.Space.ID != pub.AccountID {
			t.Fatalf("notified: %+v", notified.ns)
		}
	})
}
