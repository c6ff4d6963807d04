package spaces_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestDeleteAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		zed := remoteAccount(t, d, "zed")
		if _, err := s.FollowAccount(ctx, alice, bob, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FollowAccount(ctx, zed, alice, "https://remote.example/f/1"); err != nil {
			t.Fatal(err)
		}
		_, _, token, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}

		if err := s.DeleteOwnAccount(ctx, alice, "wrong"); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("deleting with a wrong password: %v", err)
		}
		if err := s.DeleteMember(ctx, bob, "alice"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member deletes another: %v", err)
		}
		if err := s.DeleteMember(ctx, admin, "boss"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("an admin deletes themself as a member: %v", err)
		}
		rec.events = nil
		if err := s.DeleteOwnAccount(ctx, alice, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(rec.events) != "[spaces.AccountDeleted]" {
			t.Fatalf("events %v", rec.events)
		}
		gone, err := s.LocalAccount(ctx, "alice")
		if err != nil || gone.Status != spaces.StatusDeleted || gone.User != nil || gone.DeletedAt.IsZero() {
			t.Fatalf("deleted account: %+v %v", gone, err)
		}
		if _, _, err := s.Authenticate(ctx, token); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("a deleted member's session still works: %v", err)
		}
		if n, m, _ := s.FollowCounts(ctx, bob); n != 0 || m != 0 {
			t.Fatalf("follows of the deleted account remain: %d %d", n, m)
		}
		if _, err := s.CreateMember(ctx, spaces.Console, spaces.NewMember{Username: "alice", Email: "alice2@example.org", Password: "correct horse battery"}); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("a deleted name must not be taken again: %v", err)
		}
		if err := s.DeleteMember(ctx, admin, "alice"); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		if err := s.DeleteMember(ctx, spaces.Console, "boss"); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("deleting the last admin: %v", err)
		}
		if err := s.DeleteMember(ctx, admin, "bob"); err != nil {
			t.Fatal(err)
		}

		// A remote actor is deleted by its own server only.
		if err := s.RemoteAccountDeleted(ctx, admin); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a local account deleted as remote: %v", err)
		}
		if err := s.RemoteAccountDeleted(ctx, zed); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoteAccountDeleted(ctx, zed); err != nil {
			t.Fatalf("a Delete received twice: %v", err)
		}
		if _, err := s.SaveRemoteAccount(ctx, spaces.RemoteProfile{URI: zed.URI, Type: "Person", Username: "zed"}); !errors.Is(err, spaces.ErrGone) {
			t.Fatalf("a deleted remote actor came back: %v", err)
		}
	})
}

func TestSaveRemoteAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		p := spaces.RemoteProfile{URI: "https://b.example/users/bob", Type: "Person", Username: "bob",
			DisplayName: "Bob", InboxURI: "https://b.example/users/bob/inbox", Locked: true}
		a, err := s.SaveRemoteAccount(ctx, p)
		if err != nil || a.Domain != "b.example" || !a.Locked || a.IsLocal() {
			t.Fatalf("save: %+v %v", a, err)
		}
		p.DisplayName = strings.Repeat("é\x00", 300)
		again, err := s.SaveRemoteAccount(ctx, p)
		if err != nil || again.ID != a.ID || len([]rune(again.DisplayName)) != 200 {
			t.Fatalf("refresh: %+v %v", again, err)
		}
		for name, bad := range map[string]spaces.RemoteProfile{
			"relative uri": {URI: "/users/x", Type: "Person", Username: "x"},
			"no username":  {URI: "https://b.example/users/y", Type: "Person"},
			"not an actor": {URI: "https://b.example/notes/1", Type: "Note", Username: "n"},
		} {
			if _, err := s.SaveRemoteAccount(ctx, bad); !errors.Is(err, spaces.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := s.SaveRemoteAccount(ctx, spaces.RemoteProfile{URI: "https://b.example/u/bob2", Type: "Person", Username: "BOB"}); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("two actors of one server with one name: %v", err)
		}
	})
}
