package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
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
