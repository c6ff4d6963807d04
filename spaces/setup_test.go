package spaces_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestSetupAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		first := spaces.NewMember{Username: "chief", Email: "chief@example.org", Password: "correct horse battery"}

		_, err := s.SetupAdmin(ctx, "", first)
		wantCode(t, err, "setup_token_required")
		_, err = s.SetupAdmin(ctx, "made-up", first)
		wantCode(t, err, "setup_token_invalid")

		old, err := s.NewSetupToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(25 * time.Hour)
		wantCode(t, s.CheckSetupToken(ctx, old), "setup_token_expired")
		token, err := s.NewSetupToken(ctx) // a restart prints a new one
		if err != nil {
			t.Fatal(err)
		}
		other, _ := s.NewSetupToken(ctx) // a second web process
		if err := s.CheckSetupToken(ctx, token); err != nil {
			t.Fatal(err)
		}

		// Bad input changes nothing: the token still works afterwards.
		bad := first
		bad.Password = "short"
		_, err = s.SetupAdmin(ctx, token, bad)
		wantCode(t, err, "password_too_short")
		if err := s.CheckSetupToken(ctx, token); err != nil {
			t.Fatalf("a refused setup used the token: %v", err)
		}

		// Whatever role is asked for, setup makes an admin.
		first.Role = spaces.RoleMember
		a, err := s.SetupAdmin(ctx, token, first)
		if err != nil {
			t.Fatal(err)
		}
		if a.User.Role != spaces.RoleAdmin || !spaces.NeedsOnboarding(a) {
			t.Fatalf("first admin: %+v", a.User)
		}
		// Every token is void now, and no new one can be made.
		for _, tok := range []string{token, other} {
			_, err = s.SetupAdmin(ctx, tok, spaces.NewMember{Username: "second", Email: "second@example.org", Password: "correct horse battery"})
			wantCode(t, err, "setup_done")
		}
		_, err = s.NewSetupToken(ctx)
		wantCode(t, err, "setup_done")
		n, _ := d.CountLocalMembers(ctx, db.AccountFilter{Role: spaces.RoleAdmin})
		if n != 1 {
			t.Fatalf("%d admins", n)
		}
	})
}

// TestSetupAdminRace: two people submit the first-run form at once with the
// two tokens of two processes; exactly one admin results.
func TestSetupAdminRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		tokens := make([]string, 2)
		for i := range tokens {
			tokens[i], _ = s.NewSetupToken(ctx)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, name := range []string{"alpha", "beta"} {
			wg.Go(func() {
				_, errs[i] = s.SetupAdmin(ctx, tokens[i], spaces.NewMember{Username: name, Email: name + "@example.org", Password: "correct horse battery"})
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("want exactly one winner: %v / %v", errs[0], errs[1])
		}
		// The loser is told plainly, not with an internal error (a deadlock).
		wantCode(t, errors.Join(errs...), "setup_done")
		n, _ := d.CountLocalMembers(ctx, db.AccountFilter{Role: spaces.RoleAdmin})
		if n != 1 {
			t.Fatalf("%d admins", n)
		}
	})
}

func TestOnboarding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		a := mustMember(t, s, "newbie", spaces.RoleMember)
		if !spaces.NeedsOnboarding(a) {
			t.Fatal("a new member needs onboarding")
		}
		if _, err := s.CompleteOnboarding(ctx, nil); err == nil {
			t.Fatal("anonymous onboarding")
		}
		done, err := s.CompleteOnboarding(ctx, a)
		if err != nil || spaces.NeedsOnboarding(done) {
			t.Fatalf("complete: %v %+v", err, done)
		}
		first := done.User.OnboardedAt
		clk.advance(time.Hour)
		again, err := s.CompleteOnboarding(ctx, a)
		if err != nil || !again.User.OnboardedAt.Equal(first) {
			t.Fatalf("twice: %v %v", err, again.User.OnboardedAt)
		}
		reloaded, _ := s.LocalAccount(ctx, "newbie")
		if spaces.NeedsOnboarding(reloaded) {
			t.Fatal("onboarding not stored")
		}
	})
}

func TestPasswordResetLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		mod := mustMember(t, s, "mod", spaces.RoleModerator)
		mustMember(t, s, "alice", spaces.RoleMember)
		_, _, session, _ := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.1"})

		_, _, err := s.CreatePasswordReset(ctx, mod, "alice")
		wantCode(t, err, "admin_only")
		_, _, err = s.CreatePasswordReset(ctx, admin, "nobody")
		wantCode(t, err, "member_not_found")

		_, old, err := s.CreatePasswordReset(ctx, admin, "alice")
		if err != nil {
			t.Fatal(err)
		}
		p, token, err := s.CreatePasswordReset(ctx, admin, "alice")
		if err != nil || p.TokenHash == token || p.CreatedByID != admin.ID {
			t.Fatalf("reset link: %v %+v", err, p)
		}
		_, err = s.CheckPasswordReset(ctx, old)
		wantCode(t, err, "reset_invalid") // a new link voids the older ones
		a, err := s.CheckPasswordReset(ctx, token)
		if err != nil || a.Username != "alice" {
			t.Fatalf("check: %v %v", a, err)
		}

		// A weak password is refused and the link still works.
		_, err = s.ResetPasswordWithLink(ctx, token, "alice12345678")
		wantCode(t, err, "password_contains_username")
		if _, err := s.CheckPasswordReset(ctx, token); err != nil {
			t.Fatalf("a refused reset used the link: %v", err)
		}

		if _, err := s.ResetPasswordWithLink(ctx, token, "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, session); err == nil {
			t.Fatal("sessions survive a password reset")
		}
		if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "a brand new passphrase", IP: "192.0.2.1"}); err != nil {
			t.Fatalf("sign in with the new password: %v", err)
		}
		_, err = s.ResetPasswordWithLink(ctx, token, "another new passphrase")
		wantCode(t, err, "reset_used")

		_, late, _ := s.CreatePasswordReset(ctx, spaces.Console, "alice")
		clk.advance(73 * time.Hour)
		_, err = s.ResetPasswordWithLink(ctx, late, "another new passphrase")
		wantCode(t, err, "reset_expired")
		_, err = s.ResetPasswordWithLink(ctx, "made-up", "another new passphrase")
		wantCode(t, err, "reset_invalid")
	})
}

func TestManagedMemberAndSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		mod := mustMember(t, s, "mod", spaces.RoleModerator)
		member := mustMember(t, s, "alice", spaces.RoleMember)
		mustMember(t, s, "al_bert", spaces.RoleMember)
		mustMember(t, s, "alxbert", spaces.RoleMember)

		if _, err := s.ManagedMember(ctx, member, "boss"); err == nil {
			t.Fatal("a member sees another member's details")
		}
		for _, by := range []*spaces.Account{admin, mod} {
			a, err := s.ManagedMember(ctx, by, "ALICE")
			if err != nil || a.User.Email != "alice@example.org" {
				t.Fatalf("managed member: %v %v", a, err)
			}
		}
		_, err := s.ManagedMember(ctx, admin, "nobody")
		wantCode(t, err, "member_not_found")

		// Public profiles: members only, not once suspended.
		if p, err := s.MemberProfile(ctx, "Alice"); err != nil || p.Username != "alice" {
			t.Fatalf("profile: %v %v", p, err)
		}
		if _, err := s.Suspend(ctx, admin, "alice"); err != nil {
			t.Fatal(err)
		}
		_, err = s.MemberProfile(ctx, "alice")
		wantCode(t, err, "member_not_found")
		if _, err := s.Unsuspend(ctx, admin, "alice"); err != nil {
			t.Fatal(err)
		}

		names := func(f spaces.MemberFilter) []string {
			t.Helper()
			list, err := s.ListMembers(ctx, admin, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range list {
				out = append(out, a.Username)
			}
			return out
		}
		if got := names(spaces.MemberFilter{Query: "AL"}); len(got) != 3 {
			t.Fatalf("query AL: %v", got)
		}
		// _ and % are literal characters, not patterns.
		if got := names(spaces.MemberFilter{Query: "l_b"}); len(got) != 1 || got[0] != "al_bert" {
			t.Fatalf("query l_b: %v", got)
		}
		if got := names(spaces.MemberFilter{Query: "%"}); len(got) != 0 {
			t.Fatalf("query %%: %v", got)
		}
		if got := names(spaces.MemberFilter{Query: "example.org", Role: spaces.RoleModerator}); len(got) != 1 || got[0] != "mod" {
			t.Fatalf("query by email and role: %v", got)
		}
	})
}
