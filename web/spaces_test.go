package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestSpacesDirectory(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := member(t, n, "owner", spaces.RoleMember)
		speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, owner, "cantines", spaces.SpaceSettings{Name: str("Restauration scolaire"), Description: str("Les cuisiniers des écoles"),
			Themes: []string{"catering"}, Languages: []string{"fr", "en"}})
		newSpace(t, n, owner, "dsi", spaces.SpaceSettings{Name: str("DSI"), Visibility: str("network"), JoinPolicy: str("approval")})
		newSpace(t, n, owner, "secret", spaces.SpaceSettings{Name: str("Projet X"), Visibility: str("members"), JoinPolicy: str("invite")})

		anon := newBrowser(t, n, "fr")
		p := anon.get("/spaces")
		want(t, p, http.StatusOK, "Restauration scolaire", "1 membre", "#catering", "Français, Anglais")
		if p.has("DSI") || p.has("Projet X") || p.has(`action="/spaces/cantines/join"`) {
			t.Fatal("a visitor sees network or members-only spaces, or join buttons")
		}

		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		p = b.get("/spaces")
		want(t, p, http.StatusOK, "Restauration scolaire", "DSI", `action="/spaces/cantines/join"`, ">Join<span", ">Ask to join<span", `href="/spaces/new"`)
		if p.has("Projet X") {
			t.Fatal("members-only space listed")
		}
		for q, wantText := range map[string]string{
			"?q=ecoles":                    "Restauration scolaire", // accents and case do not matter
			"?visibility=network":          "DSI",
			"?language=en":                 "Restauration scolaire",
			"?theme=catering&q=cuisiniers": "Restauration scolaire",
		} {
			want(t, b.get("/spaces"+q), http.StatusOK, wantText)
		}
		want(t, b.get("/spaces?q=nothing+like+this"), http.StatusOK, "No space matches this search")
		want(t, b.get("/spaces?theme=not+a+theme"), http.StatusUnprocessableEntity, "A theme has")
		want(t, b.get("/spaces?visibility=everyone"), http.StatusUnprocessableEntity)
	})
}

func TestCreateSpace(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "fr")
		wantRedirect(t, b.get("/spaces/new"), "/login?next=%2Fspaces%2Fnew")
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/spaces/new"), http.StatusOK, "Créer un espace", `name="slug"`, `value="members" id="f-posting-members"`)

		script := `<script>alert(1)</script>`
		form := url.Values{"slug": {"cantines"}, "name": {"Cantines " + script}, "description": {"Desc " + script},
			"rules": {"Rules " + script}, "main_language": {"fr"}, "languages": {"en"}, "themes": {"catering, health"},
			"visibility": {"public"}, "join_policy": {"approval"}, "posting": {"members"},
			"tools_shown": {"1"}, "tools": {"articles", "polls"}}

		// Bad input: a message on the field, nothing created.
		for field, c := range map[string]struct{ value, text string }{
			"name":        {"", "Saisissez un nom"},
			"slug":        {"Bad Slug!", "minuscules"},
			"description": {strings.Repeat("d", 2001), "trop longue"},
			"themes":      {"not a theme!", "Un thème"},
			"visibility":  {"everyone", "qui peut voir"},
		} {
			bad := cloneValues(form)
			bad.Set(field, c.value)
			p := b.post("/spaces/new", bad)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(p.body), strings.ToLower(c.text)) {
				t.Fatalf("%s: %d, want 422 with %q: %s", field, p.status, c.text, excerpt(p.body))
			}
		}
		if _, err := n.Spaces.Space(context.Background(), spaces.Console, "cantines"); err == nil {
			t.Fatal("refused input created the space")
		}

		wantRedirect(t, b.post("/spaces/new", form), "/spaces/cantines")
		p := b.open("/spaces/cantines")
		want(t, p, http.StatusOK, "Votre espace est prêt", "Cantines &lt;script&gt;", "Desc &lt;script&gt;", "@cantines@")
		if strings.Contains(p.body, script) {
			t.Fatal("a script from a field reaches the page")
		}
		sp, _ := n.Spaces.Space(context.Background(), spaces.Console, "cantines")
		if sp.JoinPolicy != spaces.JoinApproval || sp.Languages != "fr en" || strings.Join(sp.Themes, ",") != "catering,health" ||
			sp.ToolsOff != spaces.ToolEvents+" "+spaces.ToolFAQ+" "+spaces.ToolDocuments+" "+spaces.ToolWiki { // not ticked
			t.Fatalf("space: %+v", sp)
		}
		// Sending the form again: the name is taken, said on its field; one space.
		want(t, b.post("/spaces/new", form), http.StatusConflict, "Ce nom est déjà pris", `href="#f-slug"`)
		// A form from another site is refused.
		stale := cloneValues(form)
		stale.Set("csrf", "forged")
		stale.Set("slug", "other")
		want(t, b.post("/spaces/new", stale), http.StatusForbidden)
		if _, err := n.Spaces.Space(context.Background(), spaces.Console, "other"); err == nil {
			t.Fatal("a forged form created a space")
		}
	})
}

func TestSpaceCreationForAdminsOnly(t *testing.T) {
	n := nodetest.New(t, "sqlite", func(c *config.Config, _ *node.Options) { c.Spaces.Creation = spaces.SpaceCreationAdmins })
	speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
	b := newBrowser(t, n, "en")
	b.signIn("alice", nodetest.Password)
	want(t, b.get("/spaces/new"), http.StatusForbidden, "only admins create spaces")
	p := b.post("/spaces/new", url.Values{"slug": {"mine"}, "name": {"Mine"}})
	want(t, p, http.StatusForbidden)
	if b.get("/spaces").has(`href="/spaces/new"`) {
		t.Fatal("the directory offers to create a space")
	}
}

func TestSpacePagesAndMembership(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		owner := speaks(t, n, member(t, n, "owner", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, owner, "cantines", spaces.SpaceSettings{Name: str("Restauration scolaire"), Rules: str("Be kind"), Themes: []string{"catering"}})
		newSpace(t, n, owner, "dsi", spaces.SpaceSettings{Name: str("DSI"), JoinPolicy: str("approval")})
		newSpace(t, n, owner, "secret", spaces.SpaceSettings{Name: str("Projet X"), Visibility: str("members")})
		posted(t, n, owner, "cantines", "Bienvenue à tous")

		anon := newBrowser(t, n, "en")
		want(t, anon.get("/spaces/cantines"), http.StatusOK, "Restauration scolaire", "Bienvenue à tous", "@cantines@", "Sign in to join")
		want(t, anon.get("/spaces/cantines/about"), http.StatusOK, "Be kind", "Moderators", "owner", "Follow from another server")
		want(t, anon.get("/spaces/cantines/people"), http.StatusOK, "1 member")
		want(t, anon.get("/spaces/cantines/articles"), http.StatusOK, "No article matches")
		want(t, anon.get("/spaces/secret"), http.StatusNotFound, "There is no such space")
		want(t, anon.get("/spaces/nope"), http.StatusNotFound)
		// The space's id serves ActivityStreams clients the Group, not this page.
		anon.header.Set("Accept", "application/activity+json")
		if p := anon.get("/spaces/cantines"); p.has("<html") || !strings.Contains(p.header.Get("Content-Type"), "activity+json") {
			t.Fatalf("an ActivityStreams client got %d %q", p.status, p.header.Get("Content-Type"))
		}
		anon.header = http.Header{}

		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/spaces/cantines"), http.StatusOK, `action="/spaces/cantines/join"`, "Follow without joining")
		if b.get("/spaces/cantines").has(`action="/compose"`) {
			t.Fatal("a non-member gets the composer")
		}
		// Join an open space: a member at once, with a composer.
		wantRedirect(t, b.post("/spaces/cantines/join", nil), "/spaces/cantines")
		want(t, b.open("/spaces/cantines"), http.StatusOK, "Welcome to the space", "You are a member", `action="/compose"`, "Leave the space")
		// Watch: on, then off.
		wantRedirect(t, b.post("/spaces/cantines/watch", url.Values{"watch": {"1"}, "next": {"/spaces/cantines/about"}}), "/spaces/cantines/about")
		if m, _ := n.Spaces.Membership(ctx, account(t, n, "alice"), mustSpace(t, n, "cantines")); !m.Watch {
			t.Fatal("watch not saved")
		}
		// Ask to join an approval space: pending, then withdraw.
		wantRedirect(t, b.post("/spaces/dsi/join", nil), "/spaces/dsi")
		want(t, b.open("/spaces/dsi"), http.StatusOK, "a moderator will answer it", "Request sent", "Withdraw my request")
		wantRedirect(t, b.post("/spaces/dsi/leave", nil), "/spaces/dsi")
		if m, _ := n.Spaces.Membership(ctx, account(t, n, "alice"), mustSpace(t, n, "dsi")); m != nil {
			t.Fatalf("request not withdrawn: %+v", m)
		}
		// Follow without joining, and stop.
		wantRedirect(t, b.post("/spaces/dsi/follow", url.Values{"follow": {"1"}}), "/spaces/dsi")
		want(t, b.open("/spaces/dsi"), http.StatusOK, "its posts appear in your home", `aria-pressed="true"`)
		wantRedirect(t, b.post("/spaces/dsi/follow", url.Values{"follow": {"0"}}), "/spaces/dsi")
		// A members-only space stays out of reach.
		want(t, b.post("/spaces/secret/join", nil), http.StatusNotFound)
		// The last owner cannot leave: the button is not offered, the action refused.
		o := newBrowser(t, n, "en")
		o.signIn("owner", nodetest.Password)
		if o.get("/spaces/cantines").has("Leave the space") {
			t.Fatal("the last owner is offered to leave")
		}
		want(t, o.post("/spaces/cantines/leave", nil), http.StatusConflict, "last owner")
	})
}

func mustSpace(t *testing.T, n *nodetest.Node, slug string) *spaces.Space {
	t.Helper()
	sp, err := n.Spaces.Space(context.Background(), spaces.Console, slug)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestSpaceSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		owner := speaks(t, n, member(t, n, "owner", spaces.RoleMember), "en")
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := member(t, n, "bob", spaces.RoleMember)
		speaks(t, n, member(t, n, "carol", spaces.RoleMember), "en")
		newSpace(t, n, owner, "club", spaces.SpaceSettings{Name: str("Club"), JoinPolicy: str("approval")})
		joined(t, n, alice, owner, "club")
		if _, err := n.Spaces.JoinSpace(ctx, bob, "club", "", ""); err != nil { // pending
			t.Fatal(err)
		}

		// A member may not open the settings, nor post to them.
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		for _, path := range []string{"/spaces/club/settings", "/spaces/club/settings/requests", "/spaces/club/settings/members", "/spaces/club/settings/invitations", "/spaces/club/settings/archive"} {
			want(t, a.get(path), http.StatusForbidden, "Only the space’s")
		}
		want(t, a.post("/spaces/club/settings", url.Values{"name": {"Hijacked"}}), http.StatusForbidden)
		want(t, a.post("/spaces/club/settings/requests", url.Values{"account": {"bob"}, "accept": {"1"}}), http.StatusForbidden)
		if mustSpace(t, n, "club").Account.DisplayName != "Club" {
			t.Fatal("a member changed the settings")
		}

		o := newBrowser(t, n, "en")
		o.signIn("owner", nodetest.Password)
		want(t, o.get("/spaces/club/settings"), http.StatusOK, `value="Club"`, "Requests <span class=\"count\">1</span>")
		// General settings: a bad value changes nothing; a good one is saved.
		p := o.post("/spaces/club/settings", url.Values{"name": {""}, "visibility": {"public"}})
		want(t, p, http.StatusUnprocessableEntity, "Enter a name")
		form := url.Values{"name": {"Club des cuisiniers"}, "description": {"About"}, "rules": {"Rules"}, "main_language": {"en"},
			"languages": {"fr"}, "themes": {"food"}, "visibility": {"network"}, "join_policy": {"open"}, "posting": {"moderators"}}
		wantRedirect(t, o.post("/spaces/club/settings", form), "/spaces/club/settings")
		sp := mustSpace(t, n, "club")
		if sp.Account.DisplayName != "Club des cuisiniers" || sp.Visibility != "network" || sp.Languages != "en fr" || sp.Posting != "moderators" {
			t.Fatalf("settings not saved: %+v", sp)
		}
		// The space's picture: a PDF is refused on the field, an image is shown.
		want(t, o.postMultipart("/spaces/club/settings", form, upload{"avatar", "logo.pdf", pdf}), http.StatusUnprocessableEntity,
			"Choose an image (PNG, JPEG, GIF or WebP)", `href="#f-avatar_id"`)
		wantRedirect(t, o.postMultipart("/spaces/club/settings", form, upload{"avatar", "logo.png", tinyPNG}), "/spaces/club/settings")
		sp = mustSpace(t, n, "club")
		if sp.AvatarID == "" {
			t.Fatal("the space's picture was not kept")
		}
		want(t, o.get("/spaces/club"), http.StatusOK, `<img src="/media/`+sp.AvatarID+`"`)

		// Requests: accept bob.
		want(t, o.get("/spaces/club/settings/requests"), http.StatusOK, "bob", "Accept")
		wantRedirect(t, o.post("/spaces/club/settings/requests", url.Values{"account": {"bob"}, "accept": {"1"}}), "/spaces/club/settings/requests")
		if m, _ := n.Spaces.Membership(ctx, bob, sp); m.State != spaces.StateActive {
			t.Fatal("request not accepted")
		}
		want(t, o.post("/spaces/club/settings/requests", url.Values{"account": {"bob"}, "accept": {"1"}}), http.StatusNotFound, "no pending request")

		// Members: make alice a moderator, remove bob, ban carol (not a member), unban her.
		wantRedirect(t, o.post("/spaces/club/settings/members", url.Values{"action": {"role"}, "account": {"alice"}, "role": {"moderator"}}), "/spaces/club/settings/members")
		wantRedirect(t, o.post("/spaces/club/settings/members", url.Values{"action": {"remove"}, "account": {"bob"}}), "/spaces/club/settings/members")
		wantRedirect(t, o.post("/spaces/club/settings/members", url.Values{"action": {"ban"}, "account": {"@carol"}}), "/spaces/club/settings/members")
		want(t, o.get("/spaces/club/settings/members"), http.StatusOK, "Banned accounts", "carol", "Lift the ban")
		want(t, o.post("/spaces/club/settings/members", url.Values{"action": {"ban"}, "account": {"nobody"}}), http.StatusNotFound, "There is no such account")
		want(t, o.post("/spaces/club/settings/members", url.Values{"action": {"remove"}, "account": {"owner"}}), http.StatusForbidden, "You cannot do this to yourself")
		wantRedirect(t, o.post("/spaces/club/settings/members", url.Values{"action": {"unban"}, "account": {"carol"}}), "/spaces/club/settings/members")
		// A moderator (alice now) sees the settings but not the owners' section.
		want(t, a.get("/spaces/club/settings"), http.StatusOK, "General")
		want(t, a.get("/spaces/club/settings/archive"), http.StatusForbidden, "Only the space’s owners")
		want(t, a.post("/spaces/club/settings/members", url.Values{"action": {"role"}, "account": {"alice"}, "role": {"owner"}}), http.StatusForbidden)

		// Invitations: by username (bob is notified), by link (shown once), withdrawn.
		wantRedirect(t, o.post("/spaces/club/settings/invitations", url.Values{"action": {"invite"}, "handle": {"bob"}}), "/spaces/club/settings/invitations")
		if c, _ := n.Spaces.UnreadCount(ctx, bob); c == 0 {
			t.Fatal("bob is not told of his invitation")
		}
		want(t, o.post("/spaces/club/settings/invitations", url.Values{"action": {"invite"}, "handle": {"ghost"}}), http.StatusNotFound, "There is no such account")
		p = o.post("/spaces/club/settings/invitations", url.Values{"action": {"link"}, "max_uses": {"5"}, "ttl": {"7"}})
		want(t, p, http.StatusCreated, "Invitation link created")
		link := regexp.MustCompile(`/spaces/club/join\?invite=[A-Za-z0-9_%-]+`).FindString(p.body)
		if link == "" {
			t.Fatal("no link shown")
		}
		want(t, o.post("/spaces/club/settings/invitations", url.Values{"action": {"link"}, "max_uses": {"-3"}, "ttl": {"7"}}), http.StatusUnprocessableEntity)
		// The link's landing page, then joining with it.
		c := newBrowser(t, n, "en")
		wantRedirect(t, c.get(link), "/login?next=")
		c.signIn("carol", nodetest.Password)
		want(t, c.get(link), http.StatusOK, "You are invited to join", "Club des cuisiniers")
		token, _ := url.QueryUnescape(strings.SplitN(link, "invite=", 2)[1])
		wantRedirect(t, c.post("/spaces/club/join", url.Values{"invite": {token}}), "/spaces/club")
		want(t, c.get("/spaces/club/join?invite=bogus"), http.StatusUnprocessableEntity, "not valid")
		invs, _ := n.Spaces.SpaceInvitations(ctx, owner, "club")
		wantRedirect(t, o.post("/spaces/club/settings/invitations", url.Values{"action": {"revoke"}, "id": {invs[0].ID}}), "/spaces/club/settings/invitations")

		// Archive: read-only, said on the page; then reopen. Delete needs the address typed.
		wantRedirect(t, o.post("/spaces/club/settings/archive", url.Values{"archive": {"1"}}), "/spaces/club")
		p = o.open("/spaces/club")
		want(t, p, http.StatusOK, "This space is archived")
		if p.has(`action="/compose"`) {
			t.Fatal("an archived space offers a composer")
		}
		want(t, o.postMultipart("/compose", url.Values{"space": {"club"}, "body": {"Hello"}}), http.StatusForbidden, "archived")
		wantRedirect(t, o.post("/spaces/club/settings/archive", url.Values{"archive": {"0"}}), "/spaces/club")
		want(t, o.post("/spaces/club/settings/delete", url.Values{"confirm": {"wrong"}}), http.StatusUnprocessableEntity, "Type the space’s address exactly")
		mustSpace(t, n, "club")
		wantRedirect(t, o.post("/spaces/club/settings/delete", url.Values{"confirm": {"club"}}), "/spaces")
		want(t, o.get("/spaces/club"), http.StatusNotFound)
	})
}
