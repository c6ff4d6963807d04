package spaces_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// TestStaleInvitations: an invitation lets its account see a members-only
// space while it is live. Once it is used and its member removed and
// banned, once it expired, or once its account is banned, it grants
// nothing: neither the space nor its member list.
func TestStaleInvitations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		carol := mustMember(t, s, "carol", spaces.RoleMember)
		dave := mustMember(t, s, "dave", spaces.RoleMember)
		mustSpace(t, s, owner, "board", spaces.SpaceSettings{JoinPolicy: str("invite"), Visibility: str("members")})
		for _, who := range []string{"bob", "dave"} {
			if _, _, err := s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: who}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: "carol", TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		sees := func(a *spaces.Account) bool {
			t.Helper()
			_, err := s.Space(ctx, a, "board")
			if err != nil && !errors.Is(err, spaces.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		for _, a := range []*spaces.Account{bob, carol, dave} {
			if !sees(a) {
				t.Fatalf("%s, invited, does not see the space", a.Username)
			}
		}
		if _, err := s.JoinSpace(ctx, bob, "board", "", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveMember(ctx, owner, "board", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.BanMember(ctx, owner, "board", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.BanMember(ctx, owner, "board", "dave"); err != nil {
			t.Fatal(err)
		}
		clk.advance(2 * time.Hour)
		for _, a := range []*spaces.Account{bob, carol, dave} {
			if sees(a) {
				t.Fatalf("%s still sees the space by a stale invitation", a.Username)
			}
			if _, err := s.SpaceMembers(ctx, a, "board", spaces.MemberPage{}); err == nil {
				t.Fatalf("%s still reads the member list", a.Username)
			}
		}
	})
}
