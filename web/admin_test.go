package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestAdminPermissions(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "boss", spaces.RoleAdmin)
		member(t, n, "mod", spaces.RoleModerator)
		member(t, n, "alice", spaces.RoleMember)
		member(t, n, "bob", spaces.RoleMember)

		// A plain member: every admin page and action is forbidden, and changes nothing.
		alice := newBrowser(t, n, "en")
		alice.signIn("alice", nodetest.Password)
		for _, path := range []string{"/admin/members", "/admin/members/bob", "/admin/invitations"} {
			p := alice.get(path)
			if p.status != http.StatusForbidden || !p.has("Un problème est survenu") { // alice reads French
				t.Fatalf("member GET %s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/admin/members/bob/suspend", "/admin/members/bob/role", "/admin/members/bob/reset", "/admin/invitations"} {
			if p := alice.post(path, url.Values{"role": {"admin"}, "max_uses": {"1"}, "ttl": {"7"}}); p.status != http.StatusForbidden {
				t.Fatalf("member POST %s: %d", path, p.status)
			}
		}
		if b := account(t, n, "bob"); b.Status != spaces.StatusActive || b.User.Role != spaces.RoleMember {
			t.Fatal("a member changed another member")
		}
		// Anonymous visitors are sent to sign in.
		wantRedirect(t, newBrowser(t, n, "en").get("/admin/members"), "/login?next=%2Fadmin%2Fmembers")

		// A moderator sees members and may suspend members, but not change roles.
		mod := newBrowser(t, n, "de") // the moderator's own setting (fr) wins
		mod.signIn("mod", nodetest.Password)
		p := mod.get("/admin/members/bob")
		want(t, p, http.StatusOK, "bob@example.org", "Suspendre ce membre")
		if p.has("/admin/members/bob/role") || p.has("/admin/members/bob/reset") {
			t.Fatal("a moderator is shown admin-only actions")
		}
		want(t, mod.post("/admin/members/bob/role", url.Values{"role": {"admin"}}), http.StatusForbidden, "Seul un administrateur peut faire cela")
		want(t, mod.post("/admin/members/boss/suspend", nil), http.StatusForbidden)
		wantRedirect(t, mod.post("/admin/members/bob/suspend", nil), "/admin/members/bob")
		want(t, mod.get("/admin/members/bob"), http.StatusOK, "Le membre est suspendu", "Lever la suspension")
		if account(t, n, "bob").Status != spaces.StatusSuspended {
			t.Fatal("not suspended")
		}
		wantRedirect(t, mod.post("/admin/members/bob/unsuspend", nil), "/admin/members/bob")
		want(t, mod.get("/admin/members/nobody"), http.StatusNotFound, "Ce membre n’existe pas")
	})
}

func TestAdminMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		boss := member(t, n, "boss", spaces.RoleAdmin)
		member(t, n, "alice", spaces.RoleMember)
		member(t, n, "albert", spaces.RoleModerator)
		if _, err := n.Spaces.UpdateProfile(context.Background(), boss, spaces.ProfileUpdate{Locale: ptr("en")}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, n, "fr")
		b.signIn("boss", nodetest.Password)

		p := b.get("/admin/members")
		want(t, p, http.StatusOK, "alice@example.org", "albert@example.org", "boss@example.org")
		p = b.get("/admin/members?q=AL&role=member")
		want(t, p, http.StatusOK, "alice@example.org")
		if p.has("albert@example.org") || p.has("boss@example.org") {
			t.Fatal("filters not applied")
		}
		want(t, b.get("/admin/members?q=%3Cscript%3E"), http.StatusOK, "No member matches", `value="&lt;script&gt;"`)
		want(t, b.get("/admin/members?status=suspended"), http.StatusOK, "No member matches")

		// Roles: promote, then the last admin cannot step down.
		wantRedirect(t, b.post("/admin/members/alice/role", url.Values{"role": {"moderator"}}), "/admin/members/alice")
		want(t, b.get("/admin/members/alice"), http.StatusOK, "The role is changed")
		if account(t, n, "alice").User.Role != spaces.RoleModerator {
			t.Fatal("role not changed")
		}
		want(t, b.post("/admin/members/alice/role", url.Values{"role": {"emperor"}}), http.StatusUnprocessableEntity, "Choose a role")
		want(t, b.post("/admin/members/boss/role", url.Values{"role": {"member"}}), http.StatusConflict, "This is the node’s last admin")
		want(t, b.post("/admin/members/boss/suspend", nil), http.StatusForbidden, "You cannot do this to yourself")
		if a := account(t, n, "boss"); a.User.Role != spaces.RoleAdmin || a.Status != spaces.StatusActive {
			t.Fatal("the last admin lost their role")
		}

		// Reset link, shown once, that works once.
		p = b.post("/admin/members/alice/reset", nil)
		want(t, p, http.StatusOK, "Password link created")
		link := regexp.MustCompile(`http://[^<"]*/password/reset\?token=[A-Za-z0-9_%-]+`).FindString(p.body)
		if link == "" {
			t.Fatal("no reset link shown")
		}
		if b.get("/admin/members/alice").has(link) {
			t.Fatal("the reset link is shown again")
		}
		anon := newBrowser(t, n, "en")
		token, _ := url.QueryUnescape(strings.SplitN(link, "token=", 2)[1])
		wantRedirect(t, anon.post("/password/reset", url.Values{"token": {token}, "password": {"a brand new passphrase"}}), "/login")
		anon.signIn("alice", "a brand new passphrase")
	})
}

func TestAdminInvitations(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "boss", spaces.RoleAdmin)
		b := newBrowser(t, n, "fr")
		b.signIn("boss", nodetest.Password)
		want(t, b.get("/admin/invitations"), http.StatusOK, "Aucune invitation", `name="max_uses" type="number" value="1"`)

		// Bad input: a message each, no invitation made.
		for _, form := range []url.Values{
			{"max_uses": {"-3"}, "ttl": {"7"}},
			{"max_uses": {"lots"}, "ttl": {"7"}},
			{"max_uses": {"1"}, "ttl": {"365"}},
			{"max_uses": {"1"}, "ttl": {"7"}, "note": {strings.Repeat("n", 201)}},
		} {
			p := b.post("/admin/invitations", form)
			if p.status != http.StatusUnprocessableEntity || !p.has("error-summary") {
				t.Fatalf("%v: %d %s", form, p.status, excerpt(p.body))
			}
		}
		want(t, b.get("/admin/invitations"), http.StatusOK, "Aucune invitation")

		script := `<script>alert(1)</script>`
		p := b.post("/admin/invitations", url.Values{"max_uses": {"2"}, "ttl": {"30"}, "note": {script}})
		want(t, p, http.StatusCreated, "Lien d’invitation créé", "&lt;script&gt;", "0 sur 2 utilisée(s)")
		if p.has(script) {
			t.Fatal("note shown unescaped")
		}
		link := regexp.MustCompile(`http://[^<"]*/register\?invite=[A-Za-z0-9_%-]+`).FindString(p.body)
		if link == "" {
			t.Fatal("no invitation link")
		}
		if b.get("/admin/invitations").has(link) {
			t.Fatal("the invitation link is shown again")
		}
		want(t, newBrowser(t, n, "en").get(strings.TrimPrefix(link, n.URL)), http.StatusOK, "Create your account")
	})
}
