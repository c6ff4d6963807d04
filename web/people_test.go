package web_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestProfilesAndFollows(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		locked := true
		if _, err := n.Spaces.UpdateProfile(ctx, bob, spaces.ProfileUpdate{Locked: &locked}); err != nil {
			t.Fatal(err)
		}
		newSpace(t, n, alice, "club", spaces.SpaceSettings{})
		posted(t, n, alice, "club", "Alice writes in the club")

		// A profile shows the member's posts to anyone who may see them.
		anon := newBrowser(t, n, "en")
		want(t, anon.get("/@alice"), http.StatusOK, "Alice writes in the club", "0 followers", "follows 0")
		if anon.get("/@alice").has(`action="/@alice/follow"`) {
			t.Fatal("a visitor gets a follow button")
		}
		wantRedirect(t, anon.get("/@ALICE/followers"), "/@alice/followers")

		// Alice follows bob, who approves followers himself: a request.
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/@bob"), http.StatusOK, ">Ask to follow<")
		wantRedirect(t, a.post("/@bob/follow", url.Values{"follow": {"1"}}), "/@bob")
		want(t, a.open("/@bob"), http.StatusOK, "it waits for approval", "Request sent", "waits for bob")
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		want(t, b.get("/settings/followers"), http.StatusOK, "You approve your followers yourself", "alice", "Accept")
		want(t, b.post("/settings/followers", url.Values{"account": {"nobody"}, "accept": {"1"}}), http.StatusNotFound)
		wantRedirect(t, b.post("/settings/followers", url.Values{"account": {"alice"}, "accept": {"1"}}), "/settings/followers")
		want(t, a.get("/@bob"), http.StatusOK, ">Following<", "1 follower")
		want(t, a.get("/@bob/followers"), http.StatusOK, "Followers of", "alice")
		want(t, a.get("/@alice/following"), http.StatusOK, "bob")
		// Bob follows alice (open): at once; then unfollows.
		wantRedirect(t, b.post("/@alice/follow", url.Values{"follow": {"1"}}), "/@alice")
		if f, _ := n.Spaces.FollowOf(ctx, bob, alice); f == nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("follow: %+v", f)
		}
		wantRedirect(t, b.post("/@alice/follow", url.Values{"follow": {"0"}}), "/@alice")
		if f, _ := n.Spaces.FollowOf(ctx, bob, alice); f != nil {
			t.Fatal("unfollow did not take")
		}
		want(t, b.post("/@bob/follow", url.Values{"follow": {"1"}}), http.StatusUnprocessableEntity, "cannot follow yourself")
		want(t, b.post("/@nobody/follow", url.Values{"follow": {"1"}}), http.StatusNotFound)
	})
}

func TestNotificationsPage(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := member(t, n, "bob", spaces.RoleMember)
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club"), JoinPolicy: str("approval")})
		joined(t, n, bob, alice, "club")
		p := posted(t, n, alice, "club", "Hello")
		if _, err := n.Spaces.LikePost(ctx, bob, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "Hi @alice"}); err != nil {
			t.Fatal(err)
		}

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		home := a.get("/")
		want(t, home, http.StatusOK, `<span class="count" aria-hidden="true">3</span>`, "3 unread notifications")
		page := a.get("/notifications")
		want(t, page, http.StatusOK, "bob asks to join Club", "bob likes your post", "bob mentioned you", "Mark all as read",
			`href="/spaces/club/settings/requests"`, `href="/posts/`+p.ID+`"`)
		if strings.Count(page.body, "notification--unread") != 3 {
			t.Fatal("unread notifications are not marked")
		}
		newest := strings.SplitN(strings.SplitN(page.body, `name="up_to" value="`, 2)[1], `"`, 2)[0]
		// One more arrives while the page is open: marking read leaves it unread.
		if _, err := n.Spaces.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "Again"}); err != nil {
			t.Fatal(err)
		}
		wantRedirect(t, a.post("/notifications/read", url.Values{"up_to": {newest}}), "/notifications")
		if c, _ := n.Spaces.UnreadCount(ctx, alice); c != 1 {
			t.Fatalf("%d unread after marking", c)
		}
		want(t, a.get("/"), http.StatusOK, "1 unread notification")

		// Choices: turn likes off; a new like notifies nothing.
		want(t, a.get("/settings/notifications"), http.StatusOK, `value="like" id="f-on-like" aria-describedby="f-on-like-hint" checked`)
		on := url.Values{"on": {"mention", "reply", "join_request", "join_accepted", "invitation", "new_post"}}
		wantRedirect(t, a.post("/settings/notifications", on), "/settings/notifications")
		if spaces.NotificationOn(account(t, n, "alice"), spaces.NotifyLike) {
			t.Fatal("likes still on")
		}
		p2 := posted(t, n, alice, "club", "Another")
		if _, err := n.Spaces.LikePost(ctx, bob, p2.ID, ""); err != nil {
			t.Fatal(err)
		}
		if c, _ := n.Spaces.UnreadCount(ctx, alice); c != 1 {
			t.Fatalf("a like notified alice after she turned likes off (%d unread)", c)
		}
		want(t, a.post("/settings/notifications", url.Values{"on": {"spam"}}), http.StatusUnprocessableEntity, "does not exist")
		want(t, newBrowser(t, n, "en").get("/notifications"), http.StatusSeeOther)
	})
}

func TestSearchPage(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		if _, err := n.Spaces.UpdateProfile(context.Background(), alice, spaces.ProfileUpdate{DisplayName: str("Alice Écologie")}); err != nil {
			t.Fatal(err)
		}
		newSpace(t, n, alice, "ecoles", spaces.SpaceSettings{Name: str("Écoles de la région")})
		newSpace(t, n, alice, "secret", spaces.SpaceSettings{Name: str("École secrète"), Visibility: str("members")})
		posted(t, n, alice, "ecoles", "Les écoles maternelles et la cantine")
		posted(t, n, alice, "secret", "Une école cachée")

		anon := newBrowser(t, n, "en")
		want(t, anon.get("/search"), http.StatusOK, "What are you looking for?")
		p := anon.get("/search?q=ECOLES")
		want(t, p, http.StatusOK, "Écoles de la région", "Les écoles maternelles")
		if p.has("cachée") || p.has("secrète") {
			t.Fatal("search shows what the visitor may not see")
		}
		want(t, anon.get("/search?q=alice&type=accounts"), http.StatusOK, "Alice Écologie", "@alice@")
		want(t, anon.get("/search?q=%40alice"), http.StatusOK, "Alice Écologie")
		want(t, anon.get("/search?q=zzzz"), http.StatusOK, "Nothing found for “zzzz”")
		want(t, anon.get("/search?q="+strings.Repeat("a", 501)), http.StatusUnprocessableEntity, "Search for 1 to 500 characters")
		want(t, anon.get("/search?q=x&type=nope"), http.StatusUnprocessableEntity)
		want(t, anon.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"), http.StatusOK, "&lt;script&gt;alert(1)&lt;/script&gt;")
		// Hashtags lead to a search.
		wantRedirect(t, anon.get("/tags/cantine"), "/search?q=%23cantine")
		// Alice sees her members-only space's post.
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/search?q=ecole&type=posts"), http.StatusOK, "Une école cachée")
	})
}

func TestExportMyData(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		b := newBrowser(t, n, "en")
		wantRedirect(t, b.get("/settings/export"), "/login?")
		b.signIn("alice", nodetest.Password)
		wantRedirect(t, b.postMultipart("/compose", url.Values{"space": {"club"}, "body": {"My words"}, "next": {"/"}},
			upload{"files", "../../checklist.pdf", pdf}), "/")
		want(t, b.get("/settings/data"), http.StatusOK, "Download my data", `href="/settings/export"`)
		p := b.get("/settings/export")
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Disposition"), `attachment; filename=ruche-alice-`) ||
			p.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export: %d %v", p.status, p.header)
		}
		zr, err := zip.NewReader(strings.NewReader(p.body), int64(len(p.body)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(rc)
			rc.Close()
			files[f.Name] = string(raw)
		}
		var x spaces.Export
		if err := json.Unmarshal([]byte(files["data.json"]), &x); err != nil {
			t.Fatalf("data.json: %v (%v)", err, len(files))
		}
		if x.Account.Username != "alice" || len(x.Posts) != 1 || x.Posts[0].Translations[0].Markdown != "My words" || len(x.Spaces) != 1 {
			t.Fatalf("export: %+v", x)
		}
		att := x.Posts[0].Attachments[0]
		if got := files["files/"+att.MediaID+"/checklist.pdf"]; got != string(pdf) {
			t.Fatalf("the attached file is not in the archive: %v", len(files))
		}
		if strings.Contains(files["data.json"], "argon2") {
			t.Fatal("the export holds the password hash")
		}
	})
}

func TestAdminSpaces(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		root := speaks(t, n, member(t, n, "boss", spaces.RoleAdmin), "en")
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})
		newSpace(t, n, root, "staff", spaces.SpaceSettings{Name: str("Staff room")})
		newSpace(t, n, alice, "secret", spaces.SpaceSettings{Name: str("Hidden"), Visibility: str("members")})

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/admin/spaces"), http.StatusForbidden)
		want(t, a.post("/admin/spaces/staff/delete", nil), http.StatusForbidden)
		want(t, a.post("/admin/spaces/staff/archive", url.Values{"archive": {"1"}}), http.StatusForbidden)
		if mustSpace(t, n, "staff").IsArchived() {
			t.Fatal("a member archived another's space")
		}
		boss := newBrowser(t, n, "en")
		boss.signIn("boss", nodetest.Password)
		want(t, boss.get("/admin/spaces"), http.StatusOK, "Club", "Hidden", "Members only")
		wantRedirect(t, boss.post("/admin/spaces/club/archive", url.Values{"archive": {"1"}}), "/admin/spaces")
		if !mustSpace(t, n, "club").IsArchived() {
			t.Fatal("not archived")
		}
		want(t, boss.get("/admin/spaces?q=hidden"), http.StatusOK, "Hidden")
		wantRedirect(t, boss.post("/admin/spaces/secret/delete", nil), "/admin/spaces")
		if _, err := n.Spaces.Space(context.Background(), spaces.Console, "secret"); err == nil {
			t.Fatal("not deleted")
		}
	})
}

func TestOnboardingSuggestsSpaces(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := member(t, n, "owner", spaces.RoleMember)
		newSpace(t, n, owner, "cantines", spaces.SpaceSettings{Name: str("Cantines"), Languages: []string{"fr"}})
		newSpace(t, n, owner, "dsi", spaces.SpaceSettings{Name: str("DSI"), Languages: []string{"fr"}, JoinPolicy: str("approval")})
		newSpace(t, n, owner, "secret", spaces.SpaceSettings{Name: str("Secret"), Visibility: str("members")})
		n.Member(t, "newbie", spaces.RoleMember) // not onboarded, French
		b := newBrowser(t, n, "fr")
		b.signIn("newbie", nodetest.Password)
		p := b.get("/onboarding/spaces")
		want(t, p, http.StatusOK, "Rejoignez vos premiers espaces", "Cantines", "DSI", `action="/spaces/cantines/join"`, `value="/onboarding/spaces"`)
		if p.has("Secret") {
			t.Fatal("a members-only space is suggested")
		}
		wantRedirect(t, b.post("/spaces/cantines/join", url.Values{"next": {"/onboarding/spaces"}}), "/onboarding/spaces")
		p = b.open("/onboarding/spaces")
		want(t, p, http.StatusOK, "Vous avez rejoint", "Cantines")
		wantRedirect(t, b.post("/onboarding/spaces", nil), "/onboarding/follow")
	})
}
