package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/testfs"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestComposeWhenStorageIsFull: a member who attaches a file while the
// node's disk is full reads, in their language, that the server has no room
// (a 503: the node's fault, to retry later), finds their draft as they wrote
// it, and nothing is published.
func TestComposeWhenStorageIsFull(t *testing.T) {
	dir := testfs.Full(t, "64k")
	n := nodetest.New(t, db.SQLite, func(c *config.Config, _ *node.Options) { c.Media.Dir = dir })
	olga := speaks(t, n, member(t, n, "olga", spaces.RoleMember), "fr")
	newSpace(t, n, olga, "cantines", spaces.SpaceSettings{})
	b := newBrowser(t, n, "fr")
	b.signIn("olga", nodetest.Password)

	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 200<<10)...)
	p := b.postMultipart("/compose", url.Values{"space": {"cantines"}, "body": {"Le menu de la semaine"}},
		upload{"files", "menu.pdf", big})
	want(t, p, http.StatusServiceUnavailable, "Le serveur n’a plus de place pour les fichiers.", "Le menu de la semaine")
	if got := feedOf(t, n, "cantines"); len(got) != 0 {
		t.Fatalf("published with the file refused: %d posts", len(got))
	}
}

// TestDatabaseDown: while the database cannot be reached, a member's pages
// and API calls say so — 503, "try again shortly", a Retry-After — rather
// than "something went wrong"; once it is back, the same node serves them
// again without a restart.
func TestDatabaseDown(t *testing.T) {
	cluster := dbtest.PrivatePostgres(t)
	n := nodetest.New(t, db.Postgres, nodetest.WithDatabase(cluster.URL))
	speaks(t, n, member(t, n, "olga", spaces.RoleMember), "fr")
	b := newBrowser(t, n, "fr")
	b.signIn("olga", nodetest.Password)
	want(t, b.get("/"), http.StatusOK)

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	p := b.get("/")
	want(t, p, http.StatusServiceUnavailable, "Le serveur ne joint pas sa base de données pour le moment.")
	if p.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the page")
	}
	p = b.get("/api/ruche/v1/me")
	var body struct{ Error string }
	if err := json.Unmarshal([]byte(p.body), &body); err != nil || p.status != http.StatusServiceUnavailable ||
		body.Error != "database_unavailable" || p.header.Get("Retry-After") == "" {
		t.Fatalf("API while the database is down: %d %q %v", p.status, p.body, p.header)
	}

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for p = b.get("/"); p.status != http.StatusOK && time.Now().Before(deadline); p = b.get("/") {
		time.Sleep(100 * time.Millisecond) // the server is starting up
	}
	want(t, p, http.StatusOK, "olga")
}
