package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// nodeInfo fetches the node's NodeInfo document as another server would.
func nodeInfo(t *testing.T, n *nodetest.Node) map[string]any {
	t.Helper()
	res, err := http.Get(n.URL + "/nodeinfo/2.1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestAdminNodeSettings(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		speaks(t, n, member(t, n, "boss", spaces.RoleAdmin), "en")
		member(t, n, "mod", spaces.RoleModerator)
		before, err := n.Spaces.NodeSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		good := url.Values{"node_name": {"Ville de Lyon"}, "node_description": {"Le réseau des agents"},
			"registrations": {"open"}, "default_locale": {"de"}}

		// Anonymous visitors sign in first; moderators and members may not.
		wantRedirect(t, newBrowser(t, n, "en").get("/admin/settings"), "/login?next=%2Fadmin%2Fsettings")
		mod := newBrowser(t, n, "en")
		mod.signIn("mod", nodetest.Password)
		want(t, mod.get("/admin/settings"), http.StatusForbidden)
		want(t, mod.post("/admin/settings", good), http.StatusForbidden)

		boss := newBrowser(t, n, "en")
		boss.signIn("boss", nodetest.Password)
		want(t, boss.post("/admin/settings", withCSRF(good, "forged")), http.StatusForbidden)
		want(t, boss.open("/admin"), http.StatusOK, `href="/admin/settings"`)
		want(t, boss.get("/admin/settings"), http.StatusOK, `value="`+before.Name+`"`, `value="invite" id="f-registrations-invite" checked`)

		// Bad input: a translated message on its field, and nothing saved.
		for _, c := range []struct {
			field, value, msg string
		}{
			{"node_name", "  ", "Give the node a name."},
			{"node_name", strings.Repeat("n", 101), "at most 100 characters"},
			{"node_description", strings.Repeat("d", 2001), "at most 2,000 characters"},
			{"registrations", "everyone", "Choose closed, with an invitation, or open."},
			{"registrations", "", "Choose closed, with an invitation, or open."},
			{"default_locale", "es", "Choose French, English or German."},
		} {
			bad := cloneValues(good)
			bad.Set(c.field, c.value)
			want(t, boss.post("/admin/settings", bad), http.StatusUnprocessableEntity, c.msg, `href="#f-`+c.field+`"`)
		}
		if after, _ := n.Spaces.NodeSettings(ctx); after != before {
			t.Fatalf("bad input changed the settings: %+v", after)
		}
		if doc := nodeInfo(t, n); doc["openRegistrations"] != false {
			t.Fatalf("openRegistrations before: %v", doc["openRegistrations"])
		}

		// Saved: the header, NodeInfo, the registration rule and the
		// default language follow.
		wantRedirect(t, boss.post("/admin/settings", good), "/admin/settings")
		want(t, boss.get("/admin/settings"), http.StatusOK, "The settings are saved.", `<span class="brand__name">Ville de Lyon</span>`)
		doc := nodeInfo(t, n)
		meta, _ := doc["metadata"].(map[string]any)
		if doc["openRegistrations"] != true || meta["nodeName"] != "Ville de Lyon" || meta["nodeDescription"] != "Le réseau des agents" {
			t.Fatalf("NodeInfo does not follow the settings: %v", doc)
		}
		visitor := newBrowser(t, n, "")
		want(t, visitor.get("/register"), http.StatusOK, `lang="de"`, `name="username"`)
		a, err := n.Spaces.Register(ctx, spaces.NewMember{Username: "newbie", Email: "newbie@example.org", Password: nodetest.Password})
		if err != nil {
			t.Fatalf("open registrations refuse a registration: %v", err)
		}
		if a.User.Locale != "de" {
			t.Fatalf("a new member's language is %q, want the node's default", a.User.Locale)
		}

		closed := cloneValues(good)
		closed.Set("registrations", "closed")
		wantRedirect(t, boss.post("/admin/settings", closed), "/admin/settings")
		want(t, visitor.post("/register", url.Values{"username": {"late"}, "email": {"late@example.org"}, "password": {nodetest.Password}}),
			http.StatusForbidden, "Dieser Knoten nimmt keine neuen Konten an.")
		if _, err := n.Spaces.Register(ctx, spaces.NewMember{Username: "late", Email: "late@example.org", Password: nodetest.Password}); spaces.KindOf(err) != spaces.KindForbidden {
			t.Fatalf("closed registrations let someone in: %v", err)
		}
	})
}

// withCSRF returns a copy of form with the given CSRF token.
func withCSRF(form url.Values, token string) url.Values {
	f := cloneValues(form)
	f.Set("csrf", token)
	return f
}
