package spaces_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestCreateMemberRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "Alice", spaces.RoleMember)
		if alice.Username != "alice" || alice.DisplayName != "alice" || alice.User.Locale != "fr" {
			t.Fatalf("got %+v %+v, want lowercase username, display name defaulted, locale fr", alice, alice.User)
		}

		cases := []struct {
			name string
			in   spaces.NewMember
			code string
		}{
			{"empty username", spaces.NewMember{Email: "x@example.org", Password: "correct horse battery"}, "username_required"},
			{"bad characters", spaces.NewMember{Username: "al-ice", Email: "x@example.org", Password: "correct horse battery"}, "username_invalid"},
			{"too long", spaces.NewMember{Username: strings.Repeat("a", 31), Email: "x@example.org", Password: "correct horse battery"}, "username_invalid"},
			{"reserved", spaces.NewMember{Username: "admin", Email: "x@example.org", Password: "correct horse battery"}, "username_reserved"},
			{"reserved route", spaces.NewMember{Username: "Users", Email: "x@example.org", Password: "correct horse battery"}, "username_reserved"},
			{"taken, other case", spaces.NewMember{Username: "ALICE", Email: "x@example.org", Password: "correct horse battery"}, "username_taken"},
			{"email taken", spaces.NewMember{Username: "bob", Email: "Alice@Example.org", Password: "correct horse battery"}, "email_taken"},
			{"bad email", spaces.NewMember{Username: "bob", Email: "not an email", Password: "correct horse battery"}, "email_invalid"},
			{"empty password", spaces.NewMember{Username: "bob", Email: "bob@example.org"}, "password_required"},
			{"short password", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "short"}, "password_too_short"},
			{"common password", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "azertyuiop"}, "password_too_common"},
			{"repeated password", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "aaaaaaaaaaaa"}, "password_too_common"},
			{"password with name", spaces.NewMember{Username: "bobby", Email: "bob@example.org", Password: "bobby-is-great"}, "password_contains_username"},
			{"bad locale", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "correct horse battery", Locale: "es"}, "locale_invalid"},
			{"bad role", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "correct horse battery", Role: "king"}, "role_invalid"},
			{"control chars", spaces.NewMember{Username: "bob", Email: "bob@example.org", Password: "correct horse battery", DisplayName: "Bob\x00"}, "display_name_invalid"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateMember(ctx, spaces.Console, c.in)
				wantCode(t, err, c.code)
			})
		}
		n, err := d.CountLocalMembers(ctx, db.AccountFilter{})
		if err != nil || n != 1 {
			t.Fatalf("members after refused creations = %d, %v; want 1", n, err)
		}

		if _, err := s.CreateMember(ctx, alice, spaces.NewMember{Username: "carol", Email: "c@example.org", Password: "correct horse battery"}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("member creating a member: %v, want forbidden", err)
		}
	})
}

func TestConcurrentRegistrationsOfOneName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d, spaces.Options{Registrations: spaces.RegistrationsOpen})
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Register(context.Background(), spaces.NewMember{
					Username: "same", Email: strings.Repeat("x", i+1) + "@example.org", Password: "correct horse battery",
				})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, spaces.ErrConflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d registrations of one name succeeded, want 1", ok)
		}
	})
}

func TestRolesAndLastAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		root := mustMember(t, s, "root_admin", spaces.RoleAdmin)
		mod := mustMember(t, s, "mod", spaces.RoleModerator)
		bob := mustMember(t, s, "bob", spaces.RoleMember)

		if _, err := s.SetRole(ctx, root, "root_admin", spaces.RoleMember); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("demoting the last admin: %v, want conflict", err)
		}
		if _, err := s.Suspend(ctx, spaces.Console, "root_admin"); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("suspending the last admin: %v, want conflict", err)
		}
		if _, err := s.SetRole(ctx, mod, "bob", spaces.RoleAdmin); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("moderator promoting: %v, want forbidden", err)
		}
		if _, err := s.Suspend(ctx, mod, "root_admin"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("moderator suspending an admin: %v, want forbidden", err)
		}
		if _, err := s.Suspend(ctx, bob, "mod"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("member suspending: %v, want forbidden", err)
		}
		b, err := s.Suspend(ctx, mod, "bob")
		if err != nil || b.Status != spaces.StatusSuspended {
			t.Fatalf("moderator suspending a member: %v %v", b, err)
		}
		if _, err := s.SetRole(ctx, root, "mod", spaces.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if a, err := s.SetRole(ctx, root, "root_admin", spaces.RoleMember); err != nil || a.User.Role != spaces.RoleMember {
			t.Fatalf("demoting an admin when another remains: %v %v", a, err)
		}
		root, _ = s.LocalAccount(ctx, "root_admin")
		if _, err := s.SetRole(ctx, root, "mod", spaces.RoleMember); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a demoted admin still changes roles: %v, want forbidden", err)
		}
		if _, err := s.SetRole(ctx, spaces.Console, "nobody", spaces.RoleAdmin); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("unknown member: %v, want not found", err)
		}
	})
}

func TestUpdateProfile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		name, bio, locale, locked := "Alice Martin", "Cantine\nscolaire", "de", true
		a, err := s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name, Bio: &bio, Locale: &locale, Locked: &locked})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.LocalAccount(ctx, "ALICE")
		if got.DisplayName != name || got.Bio != bio || got.User.Locale != "de" || !got.Locked || a.ID != got.ID {
			t.Fatalf("profile not saved: %+v %+v", got, got.User)
		}
		long := strings.Repeat("x", 1001)
		if _, err := s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{Bio: &long}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("oversized bio: %v", err)
		}
		if _, err := s.UpdateProfile(ctx, nil, spaces.ProfileUpdate{Bio: &bio}); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous update: %v", err)
		}
	})
}
