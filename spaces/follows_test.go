package spaces_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// recorder is a listener that keeps the names of the events it sees, but
// Notified, which follows many changes (TestFeedHolds checks it).
type recorder struct{ events []string }

func (r *recorder) HandleEvent(_ context.Context, ev spaces.Event) error {
	if _, ok := ev.(spaces.Notified); ok {
		return nil
	}
	r.events = append(r.events, fmt.Sprintf("%T", ev))
	return nil
}

func remoteAccount(t *testing.T, d *db.DB, name string) *spaces.Account {
	t.Helper()
	now := time.Now().UTC()
	a := &spaces.Account{ID: "remote-" + name, Type: spaces.TypePerson, Username: name, Domain: "remote.example",
		Status: spaces.StatusActive, URI: "https://remote.example/users/" + name, CreatedAt: now, UpdatedAt: now}
	if err := d.InsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFollows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		locked := true
		carol := mustMember(t, s, "carol", spaces.RoleMember)
		carol, _ = s.UpdateProfile(ctx, carol, spaces.ProfileUpdate{Locked: &locked})
		rec.events = nil

		f, err := s.FollowAccount(ctx, alice, bob, "")
		if err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("follow an unlocked member: %+v %v", f, err)
		}
		again, err := s.FollowAccount(ctx, alice, bob, "")
		if err != nil || again.ID != f.ID {
			t.Fatalf("following twice must return the same follow: %v %v", again, err)
		}
		f, err = s.FollowAccount(ctx, alice, carol, "")
		if err != nil || f.State != spaces.FollowStatePending {
			t.Fatalf("follow a locked member: %+v %v", f, err)
		}
		if _, err := s.Followers(ctx, alice, carol, spaces.FollowPage{State: spaces.FollowStatePending}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("someone else's follow requests: %v", err)
		}
		reqs, err := s.Followers(ctx, carol, carol, spaces.FollowPage{State: spaces.FollowStatePending})
		if err != nil || len(reqs) != 1 || reqs[0].Follower.Username != "alice" {
			t.Fatalf("carol's requests: %v %v", reqs, err)
		}
		if _, err := s.AcceptFollow(ctx, carol, alice); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptFollow(ctx, carol, bob); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("accepting a follow nobody asked for: %v", err)
		}
		if n, m, _ := s.FollowCounts(ctx, alice); n != 0 || m != 2 {
			t.Fatalf("alice follows %d and has %d followers, want 2 and 0", m, n)
		}
		if err := s.Unfollow(ctx, alice, bob); err != nil {
			t.Fatal(err)
		}
		if err := s.Unfollow(ctx, alice, bob); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("unfollowing twice: %v", err)
		}
		if _, err := s.RejectFollow(ctx, carol, alice); err != nil {
			t.Fatalf("carol removes a follower: %v", err)
		}
		want := []string{"spaces.FollowRequested", "spaces.FollowRequested", "spaces.FollowAccepted", "spaces.FollowUndone", "spaces.FollowRejected"}
		if fmt.Sprint(rec.events) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v", rec.events, want)
		}

		if _, err := s.FollowAccount(ctx, alice, alice, ""); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("self-follow: %v", err)
		}
		if _, err := s.FollowAccount(ctx, nil, bob, ""); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous follow: %v", err)
		}
		s.Suspend(ctx, spaces.Console, "bob")
		bob, _ = s.LocalAccount(ctx, "bob")
		if _, err := s.FollowAccount(ctx, alice, bob, ""); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("following a suspended member: %v", err)
		}
	})
}

func TestRemoteFollows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		zed := remoteAccount(t, d, "zed")
		yan := remoteAccount(t, d, "yan")

		// A remote account follows a local one: accepted at once, its activity id kept.
		f, err := s.FollowAccount(ctx, zed, alice, "https://remote.example/follows/1")
		if err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("remote follows local: %+v %v", f, err)
		}
		if got, _ := d.FollowByURI(ctx, "https://remote.example/follows/1"); got.ID != f.ID {
			t.Fatal("follow not found by its activity id")
		}
		// A local member follows a remote account: pending until its server accepts.
		f, err = s.FollowAccount(ctx, alice, zed, "")
		if err != nil || f.State != spaces.FollowStatePending {
			t.Fatalf("local follows remote: %+v %v", f, err)
		}
		f, err = s.AcceptFollow(ctx, zed, alice)
		if err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("remote accept: %+v %v", f, err)
		}
		// Two remote accounts cannot make this node record a follow between them.
		if _, err := s.FollowAccount(ctx, zed, yan, ""); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("remote follows remote: %v", err)
		}
	})
}

func TestFollowersPagination(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		star := mustMember(t, s, "star", spaces.RoleMember)
		for i := range 7 {
			fan := mustMember(t, s, fmt.Sprintf("fan%d", i), spaces.RoleMember)
			if _, err := s.FollowAccount(ctx, fan, star, ""); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		page := spaces.FollowPage{Limit: 3}
		for pages := 0; ; pages++ {
			got, err := s.Followers(ctx, nil, star, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range got {
				if seen[f.Follower.Username] {
					t.Fatalf("%s twice", f.Follower.Username)
				}
				seen[f.Follower.Username] = true
			}
			if len(got) < page.Limit {
				break
			}
			page.Before = got[len(got)-1].ID
		}
		if len(seen) != 7 {
			t.Fatalf("saw %d followers over the pages, want 7", len(seen))
		}
	})
}
