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

func str(s string) *string { return &s }

func mustSpace(t *testing.T, s *spaces.Service, by *spaces.Account, slug string, set spaces.SpaceSettings) *spaces.Space {
	t.Helper()
	if set.Name == nil {
		set.Name = str("Space " + slug)
	}
	sp, err := s.CreateSpace(context.Background(), by, spaces.NewSpace{Slug: slug, SpaceSettings: set})
	if err != nil {
		t.Fatalf("create space %s: %v", slug, err)
	}
	return sp
}

func mustJoin(t *testing.T, s *spaces.Service, by *spaces.Account, slug string) *spaces.Membership {
	t.Helper()
	m, err := s.JoinSpace(context.Background(), by, slug, "", "")
	if err != nil {
		t.Fatalf("%s joins %s: %v", by.Username, slug, err)
	}
	return m
}

func mustPost(t *testing.T, s *spaces.Service, by *spaces.Account, slug, body string) *spaces.Post {
	t.Helper()
	p, err := s.CreatePost(context.Background(), by, slug, spaces.PostInput{Body: body})
	if err != nil {
		t.Fatalf("%s posts in %s: %v", by.Username, slug, err)
	}
	return p
}

func eventNames(r *recorder) string { return strings.Join(r.events, " ") }

func TestCreateSpace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		sp := mustSpace(t, s, alice, "catering", spaces.SpaceSettings{
			Name: str("School catering"), Description: str("Cooks of <b>schools</b>"),
			Languages: []string{"fr", "en"}, Themes: []string{"#Catering", "health"},
			Visibility: str("public"), JoinPolicy: str("approval"),
		})
		if sp.Slug() != "catering" || sp.Account.Type != spaces.TypeGroup || !sp.Account.Locked {
			t.Fatalf("space: %+v %+v", sp, sp.Account)
		}
		got, err := s.Space(ctx, nil, "Catering")
		if err != nil || got.Account.DisplayName != "School catering" || strings.Join(got.Themes, ",") != "catering,health" || got.Languages != "fr en" {
			t.Fatalf("loaded space: %+v %v", got, err)
		}
		m, _ := s.Membership(ctx, alice, got)
		if m == nil || m.Role != spaces.SpaceRoleOwner || m.State != spaces.StateActive {
			t.Fatalf("creator's membership: %+v", m)
		}
		if eventNames(rec) != "spaces.AccountCreated spaces.SpaceCreated" {
			t.Fatalf("events: %s", eventNames(rec))
		}

		// Slugs share the namespace of usernames, and follow the same rules.
		for slug, code := range map[string]string{
			"alice": "slug_taken", "catering": "slug_taken", "api": "slug_reserved",
			"Bad Slug": "slug_invalid", "": "slug_required",
		} {
			_, err := s.CreateSpace(ctx, alice, spaces.NewSpace{Slug: slug, SpaceSettings: spaces.SpaceSettings{Name: str("x")}})
			wantCode(t, err, code)
		}
		if _, err := s.CreateMember(ctx, spaces.Console, spaces.NewMember{Username: "catering", Email: "c@example.org", Password: "correct horse battery"}); !errors.Is(err, spaces.ErrConflict) {
			t.Fatalf("a member named like a space: %v", err)
		}
		bad := []spaces.SpaceSettings{
			{Name: str("  ")},
			{Name: str(strings.Repeat("n", 101))},
			{Name: str("x"), Visibility: str("secret")},
			{Name: str("x"), JoinPolicy: str("maybe")},
			{Name: str("x"), Posting: str("everyone")},
			{Name: str("x"), Languages: []string{"french"}},
			{Name: str("x"), Themes: []string{"no spaces"}},
			{Name: str("x\x00")},
		}
		for i, set := range bad {
			if _, err := s.CreateSpace(ctx, alice, spaces.NewSpace{Slug: fmt.Sprintf("bad%d", i), SpaceSettings: set}); !errors.Is(err, spaces.ErrInvalid) {
				t.Fatalf("bad settings %d: %v", i, err)
			}
		}
		if _, err := s.CreateSpace(ctx, nil, spaces.NewSpace{Slug: "anon", SpaceSettings: spaces.SpaceSettings{Name: str("x")}}); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous creation: %v", err)
		}
		// A node can restrict creation to admins.
		s2, _ := newService(t, d, spaces.Options{SpaceCreation: spaces.SpaceCreationAdmins})
		if _, err := s2.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "mine", SpaceSettings: spaces.SpaceSettings{Name: str("x")}}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("member creates on an admins-only node: %v", err)
		}
		admin := mustMember(t, s2, "root_admin", spaces.RoleAdmin)
		mustSpace(t, s2, admin, "mine", spaces.SpaceSettings{})
	})
}

func TestUpdateArchiveDeleteSpace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, alice, "town", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "town")
		p := mustPost(t, s, bob, "town", "hello")

		if _, err := s.UpdateSpace(ctx, bob, "town", spaces.SpaceSettings{Name: str("Mine")}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member edits the settings: %v", err)
		}
		sp, err := s.UpdateSpace(ctx, alice, "town", spaces.SpaceSettings{Visibility: str("members"), Rules: str("Be kind")})
		if err != nil || sp.Visibility != "members" || sp.Rules != "Be kind" {
			t.Fatalf("update: %+v %v", sp, err)
		}
		// The posts follow the space's visibility.
		if _, err := s.GetPost(ctx, nil, p.ID); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("a members post seen anonymously after the change: %v", err)
		}
		if _, err := s.ArchiveSpace(ctx, bob, "town", true); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member archives: %v", err)
		}
		if sp, err = s.ArchiveSpace(ctx, alice, "town", true); err != nil || !sp.IsArchived() {
			t.Fatalf("archive: %v", err)
		}
		_, err = s.CreatePost(ctx, bob, "town", spaces.PostInput{Body: "more"})
		wantCode(t, err, "space_archived")
		_, err = s.LikePost(ctx, bob, p.ID, "")
		wantCode(t, err, "space_archived")
		if _, err := s.GetPost(ctx, bob, p.ID); err != nil {
			t.Fatalf("an archived space stays readable: %v", err)
		}
		if _, err := s.ArchiveSpace(ctx, alice, "town", false); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSpace(ctx, bob, "town"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member deletes the space: %v", err)
		}
		if err := s.DeleteSpace(ctx, alice, "town"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Space(ctx, alice, "town"); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("deleted space: %v", err)
		}
		if _, err := d.PostByID(ctx, p.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("the posts of a deleted space: %v", err)
		}
		// the slug is free again
		mustSpace(t, s, bob, "town", spaces.SpaceSettings{})
	})
}
