package spaces_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func slugs(list []*spaces.Space) string {
	var out []string
	for _, sp := range list {
		out = append(out, sp.Slug())
	}
	return strings.Join(out, " ")
}

func TestDirectoryFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		mustSpace(t, s, alice, "cantines", spaces.SpaceSettings{Name: str("Restauration scolaire"), Description: str("Les cuisiniers des écoles"),
			Languages: []string{"fr"}, Themes: []string{"catering"}})
		mustSpace(t, s, alice, "urbanism", spaces.SpaceSettings{Name: str("Urban planning"), Languages: []string{"en", "fr"},
			Visibility: str("network"), Themes: []string{"planning"}})
		mustSpace(t, s, alice, "secret", spaces.SpaceSettings{Name: str("Project X"), Visibility: str("members"), JoinPolicy: str("invite")})
		if _, err := s.ArchiveSpace(ctx, alice, "urbanism", true); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			viewer *spaces.Account
			f      spaces.SpaceFilter
			want   string
		}{
			{nil, spaces.SpaceFilter{}, "cantines"},
			{bob, spaces.SpaceFilter{}, "cantines urbanism"},
			{alice, spaces.SpaceFilter{}, "cantines secret urbanism"},
			{bob, spaces.SpaceFilter{Visibility: "network"}, "urbanism"},
			{bob, spaces.SpaceFilter{Language: "EN"}, "urbanism"},
			{bob, spaces.SpaceFilter{Theme: "#Catering"}, "cantines"},
			{bob, spaces.SpaceFilter{Query: "ecoles"}, "cantines"},        // accents and case do not matter
			{bob, spaces.SpaceFilter{Query: "urban", Language: "de"}, ""}, // every filter applies
			{bob, spaces.SpaceFilter{Query: "Project"}, ""},               // members-only stays hidden
			{alice, spaces.SpaceFilter{Query: "project", Visibility: "members"}, "secret"},
			{bob, spaces.SpaceFilter{Query: "?!"}, ""},
		} {
			got, err := s.ListSpaces(ctx, c.viewer, c.f)
			if err != nil || slugs(got) != c.want {
				t.Errorf("%+v: %q %v, want %q", c.f, slugs(got), err, c.want)
			}
		}
		_, err := s.ListSpaces(ctx, bob, spaces.SpaceFilter{Visibility: "secret"})
		wantCode(t, err, "visibility_invalid")
		_, err = s.ListSpaces(ctx, bob, spaces.SpaceFilter{Language: "french"})
		wantCode(t, err, "language_invalid")
		_, err = s.ListSpaces(ctx, bob, spaces.SpaceFilter{Query: strings.Repeat("a", 501)})
		wantCode(t, err, "query_invalid")

		// The staff see every space of the node, archived and members-only ones too.
		all, err := s.ManagedSpaces(ctx, admin, spaces.SpaceFilter{})
		if err != nil || slugs(all) != "cantines secret urbanism" {
			t.Fatalf("managed spaces: %q %v", slugs(all), err)
		}
		_, err = s.ManagedSpaces(ctx, bob, spaces.SpaceFilter{})
		wantCode(t, err, "staff_only")

		// Counts and the viewer's memberships, for a page of the directory.
		mustJoin(t, s, bob, "cantines")
		list, _ := s.ListSpaces(ctx, alice, spaces.SpaceFilter{})
		counts, err := s.MemberCounts(ctx, list)
		if err != nil || counts[list[0].AccountID] != 2 || counts[list[1].AccountID] != 1 {
			t.Fatalf("counts: %v %v", counts, err)
		}
		ms, err := s.MembershipsAmong(ctx, bob, list)
		if err != nil || len(ms) != 1 || ms[list[0].AccountID].Role != spaces.SpaceRoleMember {
			t.Fatalf("memberships among: %v %v", ms, err)
		}
		if ms, _ := s.MembershipsAmong(ctx, nil, list); len(ms) != 0 {
			t.Fatal("an anonymous visitor has memberships")
		}
	})
}

func TestSuggestedSpaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		var crowd []*spaces.Account
		for _, n := range []string{"m1", "m2", "m3"} {
			crowd = append(crowd, mustMember(t, s, n, spaces.RoleMember))
		}
		newcomer := mustMember(t, s, "newcomer", spaces.RoleMember) // French, the node's default
		mustSpace(t, s, owner, "big_en", spaces.SpaceSettings{Languages: []string{"en"}})
		mustSpace(t, s, owner, "small_fr", spaces.SpaceSettings{Languages: []string{"fr"}})
		mustSpace(t, s, owner, "mid_fr", spaces.SpaceSettings{Languages: []string{"de", "fr"}})
		mustSpace(t, s, owner, "joined", spaces.SpaceSettings{Languages: []string{"fr"}})
		mustSpace(t, s, owner, "hidden", spaces.SpaceSettings{Languages: []string{"fr"}, Visibility: str("members")})
		mustSpace(t, s, owner, "old", spaces.SpaceSettings{Languages: []string{"fr"}})
		for _, m := range crowd {
			mustJoin(t, s, m, "big_en")
		}
		mustJoin(t, s, crowd[0], "mid_fr")
		mustJoin(t, s, newcomer, "joined")
		if _, err := s.ArchiveSpace(ctx, owner, "old", true); err != nil {
			t.Fatal(err)
		}

		got, err := s.SuggestedSpaces(ctx, newcomer, 3)
		if err != nil || slugs(got) != "mid_fr small_fr big_en" {
			t.Fatalf("suggestions: %q %v", slugs(got), err)
		}
		if _, err := s.SuggestedSpaces(ctx, nil, 3); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous suggestions: %v", err)
		}
	})
}

func TestRights(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		mod := mustMember(t, s, "mod", spaces.RoleMember)
		member := mustMember(t, s, "member", spaces.RoleMember)
		asker := mustMember(t, s, "asker", spaces.RoleMember)
		guest := mustMember(t, s, "guest", spaces.RoleMember)
		outsider := mustMember(t, s, "outsider", spaces.RoleMember)
		admin := mustMember(t, s, "boss", spaces.RoleAdmin)
		sp := mustSpace(t, s, owner, "club", spaces.SpaceSettings{JoinPolicy: str("approval"), Posting: str("moderators")})
		for _, a := range []*spaces.Account{mod, member} {
			mustJoin(t, s, a, "club")
			if _, err := s.AnswerJoinRequest(ctx, owner, "club", a.Username, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetMemberRole(ctx, owner, "club", "mod", spaces.SpaceRoleModerator); err != nil {
			t.Fatal(err)
		}
		mustJoin(t, s, asker, "club")
		if _, _, err := s.InviteToSpace(ctx, owner, "club", spaces.SpaceInvite{Handle: "guest"}); err != nil {
			t.Fatal(err)
		}

		type want struct{ member, pending, join, request, leave, post, comment, moderate, own, invited bool }
		for who, w := range map[*spaces.Account]want{
			owner:    {member: true, post: true, comment: true, moderate: true, own: true}, // the last owner cannot leave
			mod:      {member: true, leave: true, post: true, comment: true, moderate: true},
			member:   {member: true, leave: true, comment: true},
			asker:    {pending: true, leave: true},
			guest:    {join: true, invited: true},
			outsider: {request: true},
			admin:    {request: true, moderate: true, own: true},
			nil:      {},
		} {
			r, err := s.Rights(ctx, who, sp)
			if err != nil {
				t.Fatal(err)
			}
			got := want{r.Member, r.Pending, r.Join, r.Request, r.Leave, r.Post, r.Comment, r.Moderate, r.Own, r.Invited}
			if got != w {
				name := "anonymous"
				if who != nil {
					name = who.Username
				}
				t.Errorf("%s: %+v, want %+v", name, got, w)
			}
		}

		// What the rights say matches what the operations do.
		if _, err := s.CreatePost(ctx, member, "club", spaces.PostInput{Body: "hello"}); spaces.AsError(err).Code != "moderators_only" {
			t.Fatalf("a member posts in a moderators' space: %v", err)
		}
		p := mustPost(t, s, mod, "club", "Welcome")
		p, _ = s.GetPost(ctx, member, p.ID)
		rights := func(a *spaces.Account) spaces.PostRights {
			r, err := s.Rights(ctx, a, sp)
			if err != nil {
				t.Fatal(err)
			}
			return spaces.PostRightsOf(a, p, r)
		}
		if r := rights(mod); !r.Edit || !r.Delete || r.Remove || !r.Pin || !r.Like || !r.Comment {
			t.Errorf("author's rights: %+v", r)
		}
		if r := rights(member); r.Edit || r.Delete || r.Remove || r.Pin || !r.Like || !r.Comment {
			t.Errorf("member's rights: %+v", r)
		}
		if r := rights(owner); r.Edit || r.Delete || !r.Remove || !r.Pin {
			t.Errorf("owner's rights: %+v", r)
		}
		if r := rights(outsider); r.Comment || r.Remove || r.Pin {
			t.Errorf("outsider's rights: %+v", r)
		}
		if r := rights(nil); r != (spaces.PostRights{}) {
			t.Errorf("anonymous rights: %+v", r)
		}
		if _, err := s.EditPost(ctx, member, p.ID, spaces.PostInput{Body: "x"}); spaces.AsError(err).Code != "not_author" {
			t.Fatalf("edit by another member: %v", err)
		}
		if err := s.DeletePost(ctx, owner, p.ID); err != nil {
			t.Fatalf("removal by the owner: %v", err)
		}

		// An archived space is read-only: no right to write is left.
		if _, err := s.ArchiveSpace(ctx, owner, "club", true); err != nil {
			t.Fatal(err)
		}
		sp, _ = s.Space(ctx, owner, "club")
		if r, _ := s.Rights(ctx, owner, sp); r.Post || r.Comment {
			t.Errorf("rights in an archived space: %+v", r)
		}
	})
}

func TestPostableSpacesAndArticles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, owner, "open", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "news", spaces.SpaceSettings{Posting: str("moderators")})
		mustSpace(t, s, owner, "closed", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "other", spaces.SpaceSettings{})
		for _, slug := range []string{"open", "news", "closed"} {
			mustJoin(t, s, bob, slug)
		}
		if _, err := s.ArchiveSpace(ctx, owner, "closed", true); err != nil {
			t.Fatal(err)
		}
		got, err := s.PostableSpaces(ctx, bob)
		if err != nil || slugs(got) != "open" {
			t.Fatalf("bob may post in: %q %v", slugs(got), err)
		}
		if got, _ := s.PostableSpaces(ctx, owner); slugs(got) != "news open other" {
			t.Fatalf("the owner may post in: %q", slugs(got))
		}

		mustPost(t, s, bob, "open", "a note")
		art, err := s.CreatePost(ctx, bob, "open", spaces.PostInput{Kind: spaces.KindArticle, Title: "Menus", Body: "Texte", Language: "fr",
			Themes: []string{"catering"}, Translations: []spaces.TranslationInput{{Language: "en", Title: "Menus", Body: "Text"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePost(ctx, owner, "other", spaces.PostInput{Kind: spaces.KindArticle, Title: "Elsewhere", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ theme, lang, want string }{
			{"", "", art.ID}, {"catering", "en", art.ID}, {"health", "", ""}, {"", "de", ""},
		} {
			list, err := s.SpaceArticles(ctx, nil, "open", c.theme, c.lang, spaces.Page{})
			got := ""
			for _, p := range list {
				got += p.ID
			}
			if err != nil || got != c.want {
				t.Errorf("articles %q %q: %q %v, want %q", c.theme, c.lang, got, err, c.want)
			}
		}
		_, err = s.SpaceArticles(ctx, nil, "open", "no way", "", spaces.Page{})
		wantCode(t, err, "theme_invalid")
	})
}
