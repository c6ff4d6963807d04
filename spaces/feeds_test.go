package spaces_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func ids(posts []*spaces.Post) map[string]bool {
	out := map[string]bool{}
	for _, p := range posts {
		out[p.ID] = true
	}
	return out
}

// One rule decides who sees what, everywhere: feeds, fetch, search, comments.
func TestVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{NetworkPeer: func(host string) bool { return host == "partner.example" }})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		member := mustMember(t, s, "member", spaces.RoleMember)
		other := mustMember(t, s, "other", spaces.RoleMember)
		remote := remoteAccount(t, d, "zed")
		now := remote.CreatedAt
		partner := &spaces.Account{ID: "partner-ann", Type: spaces.TypePerson, Username: "ann", Domain: "partner.example",
			Status: spaces.StatusActive, URI: "https://partner.example/users/ann", CreatedAt: now, UpdatedAt: now}
		if err := d.InsertAccount(ctx, partner); err != nil {
			t.Fatal(err)
		}
		mustSpace(t, s, owner, "pub", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "net", spaces.SpaceSettings{Visibility: str("network")})
		mustSpace(t, s, owner, "priv", spaces.SpaceSettings{Visibility: str("members")})
		if _, _, err := s.InviteToSpace(ctx, owner, "priv", spaces.SpaceInvite{Handle: "member"}); err != nil {
			t.Fatal(err)
		}
		for _, sp := range []string{"pub", "net", "priv"} {
			mustJoin(t, s, member, sp)
		}
		pub := mustPost(t, s, member, "pub", "public école")
		net := mustPost(t, s, member, "net", "network école")
		priv := mustPost(t, s, member, "priv", "members école")
		fol, err := s.CreatePost(ctx, member, "", spaces.PostInput{Body: "followers école", Visibility: "followers"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FollowAccount(ctx, other, member, ""); err != nil {
			t.Fatal(err)
		}

		type want struct{ pub, net, priv, fol bool }
		for name, c := range map[string]struct {
			viewer *spaces.Account
			want
		}{
			"anonymous":       {nil, want{true, false, false, false}},
			"other member":    {other, want{true, true, false, true}},
			"space member":    {member, want{true, true, true, true}},
			"remote":          {remote, want{true, false, false, false}},
			"remote partner":  {partner, want{true, true, false, false}},
			"owner of spaces": {owner, want{true, true, true, false}},
		} {
			for _, pc := range []struct {
				p    *spaces.Post
				want bool
			}{{pub, c.pub}, {net, c.net}, {priv, c.priv}, {fol, c.fol}} {
				_, err := s.GetPost(ctx, c.viewer, pc.p.ID)
				if (err == nil) != pc.want {
					t.Fatalf("%s fetching %q: %v, want visible=%v", name, pc.p.Source, err, pc.want)
				}
				if pc.want == false && !errors.Is(err, spaces.ErrNotFound) {
					t.Fatalf("%s: hidden posts are not found, got %v", name, err)
				}
				if ok, _ := s.CanSee(ctx, c.viewer, pc.p.ID); ok != pc.want {
					t.Fatalf("%s CanSee %q = %v", name, pc.p.Source, ok)
				}
				found, err := s.Search(ctx, c.viewer, "ECOLE", spaces.SearchPosts, spaces.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if ids(found.Posts)[pc.p.ID] != pc.want {
					t.Fatalf("%s searching finds %q: %v", name, pc.p.Source, !pc.want)
				}
			}
			public, _ := s.PublicFeed(ctx, c.viewer, false, spaces.Page{})
			if got := ids(public); len(got) != 1 || !got[pub.ID] {
				t.Fatalf("%s: the public feed holds only public posts, got %d", name, len(got))
			}
			profile, _ := s.ProfileFeed(ctx, c.viewer, "member", spaces.Page{})
			got := ids(profile)
			if got[pub.ID] != c.pub || got[net.ID] != c.net || got[priv.ID] != c.priv || got[fol.ID] != c.fol {
				t.Fatalf("%s: profile feed %v", name, got)
			}
		}
		if _, err := s.SpaceFeed(ctx, other, "priv", spaces.Page{}); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("a non-member reads a members space: %v", err)
		}
		if _, err := s.Comments(ctx, other, priv.ID, "", 10); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("a non-member reads members comments: %v", err)
		}
		dir, _ := s.ListSpaces(ctx, nil, spaces.SpaceFilter{})
		if len(dir) != 1 || dir[0].Slug() != "pub" {
			t.Fatalf("anonymous directory: %v", dir)
		}
		dir, _ = s.ListSpaces(ctx, other, spaces.SpaceFilter{})
		if len(dir) != 2 {
			t.Fatalf("a member's directory: %d spaces", len(dir))
		}
	})
}

func TestHomeFeedAndFollowingSpaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		reader := mustMember(t, s, "reader", spaces.RoleMember)
		friend := mustMember(t, s, "friend", spaces.RoleMember)
		mustSpace(t, s, owner, "joined", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "followed", spaces.SpaceSettings{JoinPolicy: str("approval")})
		mustSpace(t, s, owner, "elsewhere", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "secret", spaces.SpaceSettings{Visibility: str("members")})
		mustJoin(t, s, reader, "joined")
		mustJoin(t, s, friend, "elsewhere")
		inJoined := mustPost(t, s, owner, "joined", "a")
		inFollowed := mustPost(t, s, owner, "followed", "b")
		byFriend := mustPost(t, s, friend, "elsewhere", "c")
		notMine := mustPost(t, s, owner, "elsewhere", "d")

		followed, _ := s.LocalAccount(ctx, "followed")
		f, err := s.FollowAccount(ctx, reader, followed, "")
		if err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("follow a public space (approval to join) without joining: %+v %v", f, err)
		}
		if m, _ := s.Membership(ctx, reader, mustGetSpace(t, s, reader, "followed")); m != nil {
			t.Fatal("following is not joining")
		}
		secret, _ := s.LocalAccount(ctx, "secret")
		if _, err := s.FollowAccount(ctx, reader, secret, ""); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("follow a members space: %v", err)
		}
		zed := remoteAccount(t, d, "zed")
		if f, err := s.FollowAccount(ctx, zed, followed, "https://remote.example/f/1"); err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("a remote account follows a space: %v", err)
		}
		if _, err := s.FollowAccount(ctx, reader, friend, ""); err != nil {
			t.Fatal(err)
		}
		home, err := s.HomeFeed(ctx, reader, spaces.Page{})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(home)
		if !got[inJoined.ID] || !got[inFollowed.ID] || !got[byFriend.ID] || got[notMine.ID] || len(got) != 3 {
			t.Fatalf("home feed: %v", got)
		}
		if home[0].Space == nil {
			t.Fatal("feed posts come with their space")
		}
		if _, err := s.HomeFeed(ctx, nil, spaces.Page{}); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous home: %v", err)
		}
		// Banning from a space ends the follow.
		if _, err := s.BanMember(ctx, owner, "followed", "reader"); err != nil {
			t.Fatal(err)
		}
		home, _ = s.HomeFeed(ctx, reader, spaces.Page{})
		if ids(home)[inFollowed.ID] {
			t.Fatal("a banned follower still reads the space at home")
		}
	})
}

func TestArticlesFeedAndSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		mustSpace(t, s, alice, "ecoles", spaces.SpaceSettings{Name: str("Écoles de la Région"), Description: str("Restauration scolaire")})
		art := func(title string, themes []string, tr ...spaces.TranslationInput) *spaces.Post {
			p, err := s.CreatePost(ctx, alice, "ecoles", spaces.PostInput{Kind: "article", Title: title, Body: title + " body", Themes: themes, Translations: tr})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		a1 := art("Allergies à l'École", []string{"health", "catering"}, spaces.TranslationInput{Language: "en", Title: "Allergies at school", Body: "Schools"})
		a2 := art("Menus végétariens", []string{"catering"})
		mustPost(t, s, alice, "ecoles", "a note, not an article")

		all, _ := s.ArticlesFeed(ctx, nil, "", "", spaces.Page{})
		if len(all) != 2 || all[0].ID != a2.ID {
			t.Fatalf("articles newest first: %d", len(all))
		}
		health, _ := s.ArticlesFeed(ctx, nil, "Health", "", spaces.Page{})
		if len(health) != 1 || health[0].ID != a1.ID {
			t.Fatalf("by theme: %v", ids(health))
		}
		en, _ := s.ArticlesFeed(ctx, nil, "", "en", spaces.Page{})
		if len(en) != 1 || en[0].ID != a1.ID {
			t.Fatalf("by language: %v", ids(en))
		}
		if _, err := s.ArticlesFeed(ctx, nil, "", "english", spaces.Page{}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("bad language: %v", err)
		}
		// Case and accents do not matter, in any language of the article.
		for q, want := range map[string]string{"ecole": a1.ID, "ÉCOLE": a1.ID, "vegetariens": a2.ID, "school": a1.ID, "allergies ecole": a1.ID} {
			r, err := s.Search(ctx, nil, q, spaces.SearchPosts, spaces.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Posts) != 1 || r.Posts[0].ID != want {
				t.Fatalf("search %q: %d posts", q, len(r.Posts))
			}
		}
		if d.Dialect() == db.Postgres {
			// PostgreSQL stems each language with its own dictionary: the
			// English "schools" finds the English translation's "school".
			en := mustMember(t, s, "reader_en", spaces.RoleMember)
			if _, err := s.UpdateProfile(ctx, en, spaces.ProfileUpdate{Locale: str("en")}); err != nil {
				t.Fatal(err)
			}
			en, _ = s.LocalAccount(ctx, "reader_en")
			r, err := s.Search(ctx, en, "schooling", spaces.SearchPosts, spaces.Page{})
			if err != nil || len(r.Posts) != 1 || r.Posts[0].ID != a1.ID {
				t.Fatalf("stemmed search: %v", err)
			}
		}
		r, err := s.Search(ctx, nil, "region ecoles", "", spaces.Page{})
		if err != nil || len(r.Spaces) != 1 || r.Spaces[0].Slug() != "ecoles" {
			t.Fatalf("search spaces: %+v %v", r, err)
		}
		r, _ = s.Search(ctx, nil, "@alice", "", spaces.Page{})
		if len(r.Accounts) != 1 || r.Accounts[0].Username != "alice" {
			t.Fatalf("search a handle: %+v", r.Accounts)
		}
		// The seam for remote handles.
		s2, _ := newService(t, d, spaces.Options{ResolveHandle: func(ctx context.Context, u, host string) (*spaces.Account, error) {
			return remoteAccount(t, d, u), nil
		}})
		r, _ = s2.Search(ctx, nil, "@newcomer@remote.example", "", spaces.Page{})
		if len(r.Accounts) != 1 || r.Accounts[0].Domain != "remote.example" {
			t.Fatalf("resolve a remote handle: %+v", r.Accounts)
		}
		if _, err := s.Search(ctx, nil, "", "", spaces.Page{}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("empty search: %v", err)
		}
		// Deleted posts leave the index.
		if err := s.DeletePost(ctx, alice, a2.ID); err != nil {
			t.Fatal(err)
		}
		r, _ = s.Search(ctx, nil, "vegetariens", "", spaces.Page{})
		if len(r.Posts) != 0 {
			t.Fatal("a deleted post is still found")
		}
	})
}

// Pages walked while posts are being written: every post that existed when
// the walk began is seen exactly once, and none twice.
func TestFeedPaginationUnderInserts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		mustSpace(t, s, alice, "busy", spaces.SpaceSettings{})
		before := map[string]bool{}
		for i := range 45 {
			before[mustPost(t, s, alice, "busy", fmt.Sprintf("post %d", i)).ID] = true
		}
		var wg sync.WaitGroup
		wg.Add(1)
		writeErr := make(chan error, 1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				if _, err := s.CreatePost(ctx, alice, "busy", spaces.PostInput{Body: fmt.Sprintf("new %d", i)}); err != nil {
					writeErr <- err
					return
				}
			}
		}()
		seen := map[string]bool{}
		page := spaces.Page{Limit: 4}
		for {
			got, err := s.SpaceFeed(ctx, nil, "busy", page)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got {
				if seen[p.ID] {
					t.Fatalf("post %s served twice", p.ID)
				}
				seen[p.ID] = true
			}
			if len(got) < page.Limit {
				break
			}
			page.Before = got[len(got)-1].ID
		}
		wg.Wait()
		select {
		case err := <-writeErr:
			t.Fatal(err)
		default:
		}
		for id := range before {
			if !seen[id] {
				t.Fatalf("post %s was skipped", id)
			}
		}
	})
}

// pngHeader starts every PNG file: enough for the sniffer.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")

// zeros is an endless reader of zero bytes, to send big files without
// holding them in memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestMedia(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, alice, "priv", spaces.SpaceSettings{Visibility: str("members")})

		big := io.MultiReader(bytes.NewReader(pngHeader), io.LimitReader(zeros{}, 50<<20))
		_, err := s.UploadMedia(ctx, alice, big, "huge.png", "")
		wantCode(t, err, "file_too_large")
		_, err = s.UploadMedia(ctx, alice, strings.NewReader("<html><script>alert(1)</script></html>"), "page.png", "")
		wantCode(t, err, "file_type_not_allowed")
		_, err = s.UploadMedia(ctx, alice, bytes.NewReader([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")), "tool.pdf", "")
		wantCode(t, err, "file_type_not_allowed")
		_, err = s.UploadMedia(ctx, alice, strings.NewReader(""), "empty.txt", "")
		wantCode(t, err, "file_empty")
		if _, err := s.UploadMedia(ctx, nil, bytes.NewReader(pngHeader), "x.png", ""); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous upload: %v", err)
		}

		pdf, err := s.UploadMedia(ctx, alice, strings.NewReader("%PDF-1.4\n%checklist\n"), "../../checklist.pdf", "Allergy checklist")
		if err != nil || pdf.MediaType != "application/pdf" || pdf.Name != "checklist.pdf" || !strings.HasSuffix(pdf.Path, ".pdf") {
			t.Fatalf("pdf: %+v %v", pdf, err)
		}
		if _, err := s.CreatePost(ctx, bob, "", spaces.PostInput{Body: "mine now", Attachments: []string{pdf.ID}}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("attach someone else's file: %v", err)
		}
		p, err := s.CreatePost(ctx, alice, "priv", spaces.PostInput{Body: "see attached", Attachments: []string{pdf.ID}})
		if err != nil || len(p.Attachments) != 1 || p.Attachments[0].ID != pdf.ID {
			t.Fatalf("post with attachment: %v", err)
		}
		if _, err := s.CreatePost(ctx, alice, "priv", spaces.PostInput{Body: "again", Attachments: []string{pdf.ID}}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("attach a file twice: %v", err)
		}
		_, f, err := s.OpenMedia(ctx, alice, pdf.ID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(f)
		f.Close()
		if !strings.HasPrefix(string(body), "%PDF") {
			t.Fatalf("stored file: %q", body)
		}
		if _, _, err := s.OpenMedia(ctx, bob, pdf.ID); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("a non-member opens a members attachment: %v", err)
		}
		if err := s.DeletePost(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.OpenMedia(ctx, alice, pdf.ID); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("an attachment of a deleted post: %v", err)
		}
	})
}

func TestNotifications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, owner, "club", spaces.SpaceSettings{JoinPolicy: str("approval")})
		mustJoin(t, s, bob, "club")
		if _, err := s.AnswerJoinRequest(ctx, owner, "club", "bob", true); err != nil {
			t.Fatal(err)
		}
		p := mustPost(t, s, bob, "club", "hello")
		if _, err := s.LikePost(ctx, owner, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateComment(ctx, owner, p.ID, spaces.PostInput{Body: "hi @bob"}); err != nil {
			t.Fatal(err)
		}
		kinds := func(a *spaces.Account) string {
			ns, err := s.Notifications(ctx, a, spaces.NotificationPage{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range ns {
				out = append(out, n.Kind)
			}
			return strings.Join(out, " ")
		}
		if got := kinds(owner); got != "new_post join_request" {
			t.Fatalf("owner: %s", got)
		}
		// the comment mentions bob: one notification, not a mention and a reply
		if got := kinds(bob); got != "mention like join_accepted" {
			t.Fatalf("bob: %s", got)
		}
		if n, _ := s.UnreadCount(ctx, bob); n != 3 {
			t.Fatalf("unread: %d", n)
		}
		ns, _ := s.Notifications(ctx, bob, spaces.NotificationPage{})
		if n, _ := s.MarkNotificationsRead(ctx, owner, []string{ns[0].ID}, ""); n != 0 {
			t.Fatal("marked someone else's notification")
		}
		if n, _ := s.MarkNotificationsRead(ctx, bob, []string{ns[0].ID}, ""); n != 1 {
			t.Fatal("mark one read")
		}
		if n, _ := s.MarkNotificationsRead(ctx, bob, nil, ""); n != 2 {
			t.Fatal("mark all read")
		}
		unread, _ := s.Notifications(ctx, bob, spaces.NotificationPage{Unread: true})
		if len(unread) != 0 {
			t.Fatal("unread left")
		}
		if ns[0].Actor == nil || ns[0].Actor.Username != "owner" {
			t.Fatal("notifications come with their actor")
		}
	})
}

// A home feed whose sources hold many posts its reader may not see (a
// followed author's posts in a members-only space the reader is not in):
// every page is full until the last, and the pages hold exactly the visible
// posts, newest first, each once.
func TestHomeFeedPagesPastHiddenPosts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		reader := mustMember(t, s, "reader", spaces.RoleMember)
		friend := mustMember(t, s, "friend", spaces.RoleMember)
		mustSpace(t, s, owner, "open", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "closed", spaces.SpaceSettings{Visibility: str("members")})
		if _, _, err := s.InviteToSpace(ctx, owner, "closed", spaces.SpaceInvite{Handle: "friend"}); err != nil {
			t.Fatal(err)
		}
		mustJoin(t, s, friend, "closed")
		mustJoin(t, s, friend, "open")
		mustJoin(t, s, reader, "open")
		if _, err := s.FollowAccount(ctx, reader, friend, ""); err != nil {
			t.Fatal(err)
		}
		var visible []string
		for i := range 4 {
			visible = append(visible, mustPost(t, s, owner, "open", fmt.Sprintf("old %d", i)).ID)
		}
		for i := range 13 {
			mustPost(t, s, friend, "closed", fmt.Sprintf("hidden %d", i))
		}
		visible = append(visible, mustPost(t, s, friend, "open", "by friend").ID)
		for i := range 7 {
			mustPost(t, s, friend, "closed", fmt.Sprintf("hidden again %d", i))
		}
		visible = append(visible, mustPost(t, s, owner, "open", "new").ID)
		slices.Sort(visible)
		slices.Reverse(visible)

		var got []string
		page := spaces.Page{Limit: 3}
		for {
			ps, err := s.HomeFeed(ctx, reader, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if len(ps) < page.Limit {
				break
			}
			page.Before = ps[len(ps)-1].ID
		}
		if !slices.Equal(got, visible) {
			t.Fatalf("home pages hold %v, want %v", got, visible)
		}
	})
}
