package spaces_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestLoginAndSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{SessionTTL: time.Hour})
		mustMember(t, s, "alice", spaces.RoleMember)

		for _, login := range []string{"alice", "ALICE", "alice@example.org", "Alice@Example.org"} {
			if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: login, Password: "correct horse battery", IP: "192.0.2.1"}); err != nil {
				t.Fatalf("login as %q: %v", login, err)
			}
		}
		_, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "wrong password!", IP: "192.0.2.1"})
		wantCode(t, err, "invalid_credentials")
		_, _, _, err = s.Login(ctx, spaces.Credentials{Login: "nobody", Password: "wrong password!", IP: "192.0.2.1"})
		wantCode(t, err, "invalid_credentials") // the same answer: no telling who exists

		acct, sess, token, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.1", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got, gotSess, err := s.Authenticate(ctx, token)
		if err != nil || got.ID != acct.ID || gotSess.ID != sess.ID {
			t.Fatalf("authenticate: %v %v %v", got, gotSess, err)
		}
		stored, _ := d.SessionByTokenHash(ctx, token)
		if stored.ID != "" {
			t.Fatal("the session token is stored in clear")
		}
		if _, _, err := s.Authenticate(ctx, token+"x"); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("forged token: %v", err)
		}

		// Changing the password keeps the current session and ends the others.
		_, other, otherToken, _ := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.2"})
		wantCode(t, s.ChangePassword(ctx, got, gotSess, "not it at all", "a brand new passphrase"), "wrong_password")
		if err := s.ChangePassword(ctx, got, gotSess, "correct horse battery", "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, token); err != nil {
			t.Fatalf("current session after password change: %v", err)
		}
		if _, _, err := s.Authenticate(ctx, otherToken); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("other session %s survived a password change: %v", other.ID, err)
		}
		if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.3"}); err == nil {
			t.Fatal("old password still works")
		}

		// Logout ends the session.
		if err := s.Logout(ctx, gotSess); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, token); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("session after logout: %v", err)
		}

		// Sessions expire.
		_, _, token, _ = s.Login(ctx, spaces.Credentials{Login: "alice", Password: "a brand new passphrase", IP: "192.0.2.1"})
		clk.advance(time.Hour + time.Second)
		_, _, err = s.Authenticate(ctx, token)
		wantCode(t, err, "session_expired")

		// Suspension ends sessions and stops sign-in.
		clk.advance(-time.Hour)
		_, _, token, _ = s.Login(ctx, spaces.Credentials{Login: "alice", Password: "a brand new passphrase", IP: "192.0.2.1"})
		if _, err := s.Suspend(ctx, spaces.Console, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, token); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("session of a suspended member: %v", err)
		}
		_, _, _, err = s.Login(ctx, spaces.Credentials{Login: "alice", Password: "a brand new passphrase", IP: "192.0.2.1"})
		wantCode(t, err, "account_suspended")
	})
}

func TestLoginThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		mustMember(t, s, "alice", spaces.RoleMember)
		mustMember(t, s, "bob", spaces.RoleMember)
		bad := spaces.Credentials{Login: "alice", Password: "wrong password!", IP: "192.0.2.1"}
		for range 5 {
			_, _, _, err := s.Login(ctx, bad)
			wantCode(t, err, "invalid_credentials")
		}
		// Even the right password is refused while the account is throttled.
		_, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.9"})
		var de *spaces.Error
		if !errors.As(err, &de) || de.Kind != spaces.KindRateLimited || de.RetryAfter <= 0 || de.RetryAfter > 15*time.Minute {
			t.Fatalf("throttled login: %v", err)
		}
		// Another account from another address is not affected.
		if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: "bob", Password: "correct horse battery", IP: "192.0.2.9"}); err != nil {
			t.Fatalf("bob: %v", err)
		}
		// One address guessing many accounts is throttled too.
		for i := range 20 {
			s.Login(ctx, spaces.Credentials{Login: "guess" + string(rune('a'+i)), Password: "wrong password!", IP: "198.51.100.7"})
		}
		_, _, _, err = s.Login(ctx, spaces.Credentials{Login: "bob", Password: "correct horse battery", IP: "198.51.100.7"})
		wantCode(t, err, "too_many_attempts")
		// The window passes.
		clk.advance(16 * time.Minute)
		if _, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.1"}); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestInvitations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{Registrations: spaces.RegistrationsInvite})
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		member := mustMember(t, s, "bob", spaces.RoleMember)

		newcomer := func(name, invite string) spaces.NewMember {
			return spaces.NewMember{Username: name, Email: name + "@example.org", Password: "correct horse battery", Invite: invite}
		}
		_, err := s.Register(ctx, newcomer("newbie", ""))
		wantCode(t, err, "invite_required")
		_, err = s.Register(ctx, newcomer("newbie", "made-up-token"))
		wantCode(t, err, "invite_invalid")

		if _, _, err := s.CreateInvitation(ctx, member, spaces.NewInvitation{MaxUses: 1}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("member invites while the node does not allow it: %v", err)
		}

		inv, token, err := s.CreateInvitation(ctx, admin, spaces.NewInvitation{MaxUses: 1, Note: "for carol"})
		if err != nil {
			t.Fatal(err)
		}
		if inv.TokenHash == token {
			t.Fatal("invitation token stored in clear")
		}
		if _, err := s.CheckInvitation(ctx, token); err != nil {
			t.Fatal(err)
		}
		carol, err := s.Register(ctx, newcomer("carol", token))
		if err != nil {
			t.Fatal(err)
		}
		if carol.User.InvitationID != inv.ID || carol.User.Role != spaces.RoleMember {
			t.Fatalf("carol: %+v", carol.User)
		}
		_, err = s.Register(ctx, newcomer("dave", token))
		wantCode(t, err, "invite_used")

		_, multi, _ := s.CreateInvitation(ctx, admin, spaces.NewInvitation{MaxUses: 0, TTL: time.Hour})
		for _, n := range []string{"erin", "frank"} {
			if _, err := s.Register(ctx, newcomer(n, multi)); err != nil {
				t.Fatalf("multi-use invitation for %s: %v", n, err)
			}
		}
		clk.advance(time.Hour)
		_, err = s.Register(ctx, newcomer("grace", multi))
		wantCode(t, err, "invite_expired")

		if _, err := s.Register(ctx, spaces.NewMember{Username: "admin2", Email: "a2@example.org", Password: "correct horse battery", Role: spaces.RoleAdmin, Invite: multi}); err == nil {
			t.Fatal("registration with an expired invite succeeded")
		}

		closed, _ := newService(t, d, spaces.Options{Registrations: spaces.RegistrationsClosed})
		_, err = closed.Register(ctx, newcomer("henry", ""))
		wantCode(t, err, "registrations_closed")

		open, _ := newService(t, d, spaces.Options{Registrations: spaces.RegistrationsOpen, MembersCanInvite: true})
		ivan, err := open.Register(ctx, spaces.NewMember{Username: "ivan", Email: "ivan@example.org", Password: "correct horse battery", Role: spaces.RoleAdmin})
		if err != nil || ivan.User.Role != spaces.RoleMember {
			t.Fatalf("open registration must make a plain member: %v %v", ivan, err)
		}
		if _, _, err := open.CreateInvitation(ctx, member, spaces.NewInvitation{MaxUses: 3}); err != nil {
			t.Fatalf("member invites when allowed: %v", err)
		}
		if _, _, err := open.CreateInvitation(ctx, member, spaces.NewInvitation{MaxUses: 0}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("member creates an unlimited invitation: %v", err)
		}
	})
}

// TestLoginThrottleAtOnce: 59 wrong sign-ins sent at once for one account
// from one address get at most the account's 5 password checks; the others
// are refused before their password is checked, and so is the right
// password next. Counting only finished attempts let all 59 guesses through
// (and then the right one).
func TestLoginThrottleAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		mustMember(t, s, "alice", spaces.RoleMember)
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		checked, limited := 0, 0
		for range 59 {
			wg.Go(func() {
				<-start
				_, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "wrong password!", IP: "192.0.2.1"})
				mu.Lock()
				defer mu.Unlock()
				switch spaces.KindOf(err) {
				case spaces.KindRateLimited:
					limited++
				case spaces.KindUnauthorized:
					checked++
				default:
					t.Errorf("a wrong sign-in: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if checked > 5 || checked+limited != 59 {
			t.Fatalf("%d wrong passwords checked, %d refused at once; want at most 5 checked", checked, limited)
		}
		_, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice", Password: "correct horse battery", IP: "192.0.2.1"})
		wantCode(t, err, "too_many_attempts")
	})
}

// TestLoginThrottleByAccount: failures count against the account, whether
// it is named by its username or its email address.
func TestLoginThrottleByAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		mustMember(t, s, "alice", spaces.RoleMember)
		for i, login := range []string{"alice", "alice@example.org", "ALICE", "Alice@Example.org", "alice"} {
			_, _, _, err := s.Login(ctx, spaces.Credentials{Login: login, Password: "wrong password!", IP: fmt.Sprintf("192.0.2.%d", i)})
			wantCode(t, err, "invalid_credentials")
		}
		_, _, _, err := s.Login(ctx, spaces.Credentials{Login: "alice@example.org", Password: "correct horse battery", IP: "192.0.2.99"})
		wantCode(t, err, "too_many_attempts")
	})
}
