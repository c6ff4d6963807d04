package spaces_test

import (
	"context"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// TestRequestPasswordReset: a member asks for a link by email or username;
// nobody learns whether an account exists; requests are limited; the link
// lives an hour and works once.
func TestRequestPasswordReset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clock := newService(t, d, spaces.Options{})
		mustMember(t, s, "alice", spaces.RoleMember)
		mustMember(t, s, "bob", spaces.RoleMember)
		if _, err := s.Suspend(ctx, spaces.Console, "bob"); err != nil {
			t.Fatal(err)
		}

		for _, login := range []string{"nobody@example.org", "nobody", "bob", "bob@example.org"} {
			if a, token, err := s.RequestPasswordReset(ctx, login, "192.0.2.1"); a != nil || token != "" || err != nil {
				t.Fatalf("%s: %v %q %v; want nothing, and no error that tells", login, a, token, err)
			}
		}
		_, _, err := s.RequestPasswordReset(ctx, "  ", "192.0.2.2")
		wantCode(t, err, "login_required")

		a, first, err := s.RequestPasswordReset(ctx, "ALICE@example.org", "192.0.2.2")
		if err != nil || a == nil || a.Username != "alice" || first == "" {
			t.Fatalf("by email: %v %q %v", a, first, err)
		}
		_, second, err := s.RequestPasswordReset(ctx, "alice", "192.0.2.2")
		if err != nil || second == "" {
			t.Fatalf("by username: %q %v", second, err)
		}
		if _, err := s.CheckPasswordReset(ctx, first); err == nil {
			t.Fatal("an older link still works after a new one was sent")
		}
		// Three links per member in the window; a fourth request makes none,
		// and says so no more than for an unknown address.
		s.RequestPasswordReset(ctx, "alice", "192.0.2.3")
		if a, token, err := s.RequestPasswordReset(ctx, "Alice", "192.0.2.4"); a != nil || token != "" || err != nil {
			t.Fatalf("a fourth link: %v %q %v", a, token, err)
		}
		// Ten requests per client address, then a wait.
		for i := 0; i < 10; i++ {
			s.RequestPasswordReset(ctx, "nobody", "198.51.100.7")
		}
		_, _, err = s.RequestPasswordReset(ctx, "nobody", "198.51.100.7")
		wantCode(t, err, "too_many_attempts")
		if de := spaces.AsError(err); de.RetryAfter <= 0 {
			t.Fatalf("no Retry-After: %+v", de)
		}

		// The link of the last request works once, within the hour.
		clock.advance(16 * time.Minute)
		_, token, err := s.RequestPasswordReset(ctx, "alice", "192.0.2.5")
		if err != nil || token == "" {
			t.Fatalf("after the window: %q %v", token, err)
		}
		clock.advance(61 * time.Minute)
		_, err = s.CheckPasswordReset(ctx, token)
		wantCode(t, err, "reset_expired")
		clock.advance(16 * time.Minute)
		_, token, _ = s.RequestPasswordReset(ctx, "alice", "192.0.2.6")
		if _, err := s.ResetPasswordWithLink(ctx, token, "a new long password"); err != nil {
			t.Fatal(err)
		}
		_, err = s.ResetPasswordWithLink(ctx, token, "another long password")
		wantCode(t, err, "reset_used")
		if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "a new long password", IP: "192.0.2.6"}); err != nil {
			t.Fatalf("sign in with the new password: %v", err)
		}
	})
}
