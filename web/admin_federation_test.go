package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// queued stores an activity of actor waiting to be delivered to host, due
// in an hour so that no worker takes it during the test.
func queued(t *testing.T, n *nodetest.Node, actor *spaces.Account, host string) *db.Delivery {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := ulid.Make().String()
	act := &db.Activity{ID: id, URI: n.URL + "/activities/" + id, Type: "Create", ActorID: actor.ID, Body: "{}", CreatedAt: now}
	if err := n.DB.InsertActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	d := &db.Delivery{ID: ulid.Make().String(), ActivityID: id, Inbox: "https://" + host + "/inbox", Host: host,
		State: db.JobPending, NextAt: now.Add(time.Hour), CreatedAt: now.Add(-2 * time.Hour)}
	if err := n.DB.InsertDeliveries(ctx, []*db.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAdminFederationPermissions(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "boss", spaces.RoleAdmin)
		member(t, n, "mod", spaces.RoleModerator)
		member(t, n, "alice", spaces.RoleMember)
		pages := []string{"/admin/federation", "/admin/federation/blocks"}

		// Anonymous visitors are sent to sign in.
		anon := newBrowser(t, n, "en")
		for _, path := range pages {
			wantRedirect(t, anon.get(path), "/login?next="+url.QueryEscape(path))
		}
		// Members and moderators may neither see nor change anything.
		for _, who := range []string{"alice", "mod"} {
			b := newBrowser(t, n, "en")
			b.signIn(who, nodetest.Password)
			for _, path := range pages {
				want(t, b.get(path), http.StatusForbidden)
			}
			want(t, b.post("/admin/federation/blocks", url.Values{"domain": {"spam.example"}}), http.StatusForbidden)
			if p := b.get("/admin/members"); p.has("/admin/federation") {
				t.Fatalf("%s is shown the federation pages", who)
			}
		}
		if list, _ := n.Federation.DomainBlocks(context.Background()); len(list) != 0 {
			t.Fatalf("a non-admin blocked a domain: %v", list)
		}

		// A form without the CSRF token changes nothing.
		boss := newBrowser(t, n, "en")
		boss.signIn("boss", nodetest.Password)
		want(t, boss.post("/admin/federation/blocks", url.Values{"csrf": {"forged"}, "domain": {"spam.example"}}), http.StatusForbidden)
		if list, _ := n.Federation.DomainBlocks(context.Background()); len(list) != 0 {
			t.Fatalf("a forged form blocked a domain: %v", list)
		}
		// The admin's pages are linked from the admin home.
		want(t, boss.open("/admin"), http.StatusOK, `href="/admin/federation"`, `href="/admin/federation/blocks"`)
	})
}

func TestAdminFederationStatus(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		boss := member(t, n, "boss", spaces.RoleAdmin)
		b := newBrowser(t, n, "fr")
		b.signIn("boss", nodetest.Password)
		want(t, b.get("/admin/federation"), http.StatusOK, "Rien n’est en attente", "Tous les serveurs répondent.")

		d := queued(t, n, boss, "down.example")
		queued(t, n, boss, "down.example")
		since := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		down := &db.Host{Host: "down.example", Failures: 12, FirstFailureAt: since,
			LastFailureAt: since, LastError: "connection refused", UnreachableSince: since}
		if _, err := n.DB.Bun().NewInsert().Model(down).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		p := b.get("/admin/federation")
		want(t, p, http.StatusOK, "down.example", "connection refused", "Injoignable depuis",
			`datetime="`+d.CreatedAt.Format(time.RFC3339)+`"`, `datetime="`+since.Format(time.RFC3339)+`"`)
		if !strings.Contains(p.body, "<dt>En attente d’envoi</dt><dd>2</dd>") {
			t.Fatalf("pending deliveries not counted: %s", excerpt(p.body))
		}

		// The host is back: the admin has its deliveries tried again now.
		want(t, p, http.StatusOK, `action="/admin/federation/retry"`, "Réessayer maintenant")
		want(t, b.post("/admin/federation/retry", url.Values{"csrf": {"forged"}, "host": {"down.example"}}), http.StatusForbidden)
		want(t, b.post("/admin/federation/retry", url.Values{"host": {"a/b"}}), http.StatusUnprocessableEntity)
		if ds, _ := n.DB.DeliveriesOfActivity(ctx, d.ActivityID); len(ds) != 1 || !ds[0].NextAt.Equal(d.NextAt) {
			t.Fatalf("a refused retry changed the delivery: %+v", ds)
		}
		wantRedirect(t, b.post("/admin/federation/retry", url.Values{"host": {"Down.Example"}}), "/admin/federation")
		want(t, b.get("/admin/federation"), http.StatusOK, "Les envois à ce serveur repartent maintenant.")
		ds, err := n.DB.DeliveriesOfActivity(ctx, d.ActivityID)
		if err != nil || len(ds) != 1 || !ds[0].NextAt.Before(d.NextAt) {
			t.Fatalf("the delivery is not due again: %+v %v", ds, err)
		}
	})
}

func TestAdminRetryHostIsForAdmins(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		boss := member(t, n, "boss", spaces.RoleAdmin)
		member(t, n, "mod", spaces.RoleModerator)
		d := queued(t, n, boss, "down.example")
		wantRedirect(t, newBrowser(t, n, "en").post("/admin/federation/retry", url.Values{"host": {"down.example"}}), "/login")
		b := newBrowser(t, n, "en")
		b.signIn("mod", nodetest.Password)
		want(t, b.post("/admin/federation/retry", url.Values{"host": {"down.example"}}), http.StatusForbidden)
		if ds, _ := n.DB.DeliveriesOfActivity(ctx, d.ActivityID); len(ds) != 1 || !ds[0].NextAt.Equal(d.NextAt) {
			t.Fatalf("a moderator made a delivery due again: %+v", ds)
		}
	})
}

func TestAdminDomainBlocks(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		boss := speaks(t, n, member(t, n, "boss", spaces.RoleAdmin), "de")
		d := queued(t, n, boss, "spam.example")
		b := newBrowser(t, n, "de")
		b.signIn("boss", nodetest.Password)
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "Keine Domain ist gesperrt.", "föderiert mit allen Servern")

		// Bad input shows a translated message on the field and changes nothing.
		host := strings.TrimPrefix(n.URL, "http://")
		for _, c := range []struct{ domain, msg string }{
			{"", "Geben Sie eine Domain an"},
			{"  ", "Geben Sie eine Domain an"},
			{"https://spam.example/path", "Das ist kein Domainname"},
			{"spam example", "Das ist kein Domainname"},
			{"<script>alert(1)</script>", "Das ist kein Domainname"},
			{host, "Ein Knoten kann sich nicht selbst sperren."},
		} {
			p := b.post("/admin/federation/blocks", url.Values{"domain": {c.domain}, "reason": {"spam"}})
			want(t, p, http.StatusUnprocessableEntity, c.msg, `aria-invalid="true"`)
			if strings.Contains(p.body, "<script>alert") {
				t.Fatal("input echoed unescaped")
			}
		}
		p := b.post("/admin/federation/blocks", url.Values{"domain": {"spam.example"}, "reason": {strings.Repeat("x", 501)}})
		want(t, p, http.StatusUnprocessableEntity, "Der Grund ist zu lang")
		if list, _ := n.Federation.DomainBlocks(ctx); len(list) != 0 {
			t.Fatalf("bad input blocked a domain: %v", list)
		}

		// A block: listed with its reason, refused by the federation policy,
		// and what waited to be delivered there is given up.
		wantRedirect(t, b.post("/admin/federation/blocks", url.Values{"domain": {"Spam.Example"}, "reason": {"Werbung"}}), "/admin/federation/blocks")
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "Die Domain ist gesperrt.", "spam.example", "Werbung")
		list, err := n.Federation.DomainBlocks(ctx)
		if err != nil || len(list) != 1 || list[0].Domain != "spam.example" || list[0].Reason != "Werbung" {
			t.Fatalf("blocks: %v, %v", list, err)
		}
		if _, err := n.Federation.ResolveHandle(ctx, "bob", "social.spam.example"); !errors.Is(err, federation.ErrHostRefused) {
			t.Fatalf("a subdomain of a blocked domain is not refused: %v", err)
		}
		ds, err := n.DB.DeliveriesOfActivity(ctx, d.ActivityID)
		if err != nil || len(ds) != 1 || ds[0].State != db.JobDead {
			t.Fatalf("the delivery to a blocked domain is not given up: %+v %v", ds, err)
		}
		// Blocking twice says so.
		want(t, b.post("/admin/federation/blocks", url.Values{"domain": {"spam.example"}}), http.StatusConflict, "Diese Domain ist bereits gesperrt.")

		// Lifting the block.
		wantRedirect(t, b.post("/admin/federation/blocks/remove", url.Values{"domain": {"spam.example"}}), "/admin/federation/blocks")
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "Die Sperre ist aufgehoben.", "Keine Domain ist gesperrt.")
		if list, _ := n.Federation.DomainBlocks(ctx); len(list) != 0 {
			t.Fatalf("the block is still there: %v", list)
		}
		want(t, b.post("/admin/federation/blocks/remove", url.Values{"domain": {"spam.example"}}), http.StatusNotFound, "Diese Domain ist nicht gesperrt.")
		want(t, b.post("/admin/federation/blocks/remove", url.Values{"domain": {"a/b"}}), http.StatusUnprocessableEntity, "Das ist kein Domainname")
	})
}

func TestAdminAllowlist(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		speaks(t, n, member(t, n, "boss", spaces.RoleAdmin), "en")
		member(t, n, "alice", spaces.RoleMember)
		alice := newBrowser(t, n, "en")
		alice.signIn("alice", nodetest.Password)
		want(t, alice.post("/admin/federation/allowlist", url.Values{"host": {"partner.example"}}), http.StatusForbidden)
		if n.Federation.InAllowlist("partner.example") {
			t.Fatal("a member changed the allowlist")
		}

		b := newBrowser(t, n, "en")
		b.signIn("boss", nodetest.Password)
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "No partner server yet.")
		want(t, b.post("/admin/federation/allowlist", url.Values{"csrf": {"forged"}, "host": {"partner.example"}}), http.StatusForbidden)
		for _, c := range []struct{ host, msg string }{
			{"", "Give a domain"},
			{"https://partner.example/", "This is not a domain name"},
			{strings.TrimPrefix(n.URL, "http://"), "This is the address of this node itself."},
		} {
			want(t, b.post("/admin/federation/allowlist", url.Values{"host": {c.host}}), http.StatusUnprocessableEntity, c.msg, `href="#f-host"`)
		}
		if n.Federation.InAllowlist("partner.example") {
			t.Fatal("bad input changed the allowlist")
		}

		// Added: a partner, who may see content shared with the network.
		wantRedirect(t, b.post("/admin/federation/allowlist", url.Values{"host": {"Partner.Example"}, "note": {"Métropole"}}), "/admin/federation/blocks")
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "The server is on the list.", "partner.example", "Métropole")
		if !n.Federation.InAllowlist("social.partner.example") {
			t.Fatal("a host added to the allowlist is not a partner")
		}
		if p, err := n.Spaces.FederationPolicy(ctx, spaces.Console); err != nil || len(p.Allowlist) != 1 || p.Allowlist[0].Host != "partner.example" {
			t.Fatalf("policy: %+v %v", p, err)
		}
		want(t, b.post("/admin/federation/allowlist", url.Values{"host": {"partner.example"}}), http.StatusConflict, "on the list already")

		wantRedirect(t, b.post("/admin/federation/allowlist/remove", url.Values{"host": {"partner.example"}}), "/admin/federation/blocks")
		want(t, b.get("/admin/federation/blocks"), http.StatusOK, "The server is off the list.", "No partner server yet.")
		if n.Federation.InAllowlist("partner.example") {
			t.Fatal("a host taken off the allowlist is still a partner")
		}
		want(t, b.post("/admin/federation/allowlist/remove", url.Values{"host": {"partner.example"}}), http.StatusNotFound, "This server is not on the list.")
	})
}

// TestAllowlistMode: in allowlist mode a server is refused until an admin
// adds it from the web; then the two nodes talk.
func TestAllowlistMode(t *testing.T) {
	allowlist := func(c *config.Config, _ *node.Options) {
		c.Federation.Mode = config.FederationAllowlist
		c.Federation.Allowlist = []string{"configured.example"}
	}
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			a, other := nodetest.New(t, d, allowlist), nodetest.New(t, d)
			hostB := strings.TrimPrefix(other.URL, "http://")
			member(t, other, "bob", spaces.RoleMember)
			speaks(t, a, member(t, a, "boss", spaces.RoleAdmin), "en")
			if _, err := a.Federation.ResolveHandle(ctx, "bob", hostB); !errors.Is(err, federation.ErrHostRefused) {
				t.Fatalf("a server off the allowlist is not refused: %v", err)
			}
			b := newBrowser(t, a, "en")
			b.signIn("boss", nodetest.Password)
			p := b.get("/admin/federation/blocks")
			want(t, p, http.StatusOK, "federates only with the servers of this list", "configured.example", "set in the configuration")
			want(t, b.post("/admin/federation/allowlist/remove", url.Values{"host": {"configured.example"}}), http.StatusConflict, "change it there")

			wantRedirect(t, b.post("/admin/federation/allowlist", url.Values{"host": {hostB}}), "/admin/federation/blocks")
			bob, err := a.Federation.ResolveHandle(ctx, "bob", hostB)
			if err != nil || bob.URI != other.URL+"/users/bob" {
				t.Fatalf("a partner added from the web is still refused: %v", err)
			}
			doc := nodeInfo(t, a)
			meta, _ := doc["metadata"].(map[string]any)
			fed, _ := meta["federation"].(map[string]any)
			if list, _ := fed["allowlist"].([]any); len(list) != 2 || list[1] != hostB {
				t.Fatalf("NodeInfo's allowlist: %v", fed)
			}
		})
	}
}
