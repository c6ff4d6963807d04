package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

var ctx = context.Background()

// host is the host:port of a test node: its domain in handles.
func host(n *nodetest.Node) string { return strings.TrimPrefix(n.URL, "http://") }

// resolve makes n know user@other, as a search for the handle would.
func resolve(t testing.TB, n, other *nodetest.Node, user string) *spaces.Account {
	t.Helper()
	a, err := n.Federation.ResolveHandle(ctx, user, host(other))
	if err != nil {
		t.Fatalf("%s resolves %s@%s: %v", n.URL, user, host(other), err)
	}
	return a
}

// account reloads a local account by name.
func account(t testing.TB, n *nodetest.Node, name string) *spaces.Account {
	t.Helper()
	a, err := n.Spaces.LocalAccount(ctx, name)
	if err != nil {
		t.Fatalf("%s: account %s: %v", n.URL, name, err)
	}
	return a
}

// remote reloads what n knows of a remote actor.
func remote(t testing.TB, n *nodetest.Node, iri string) *spaces.Account {
	t.Helper()
	a, err := n.DB.AccountByURI(ctx, iri)
	if err != nil {
		t.Fatalf("%s: remote %s: %v", n.URL, iri, err)
	}
	return a
}

// followState returns the state of follower's follow of target on n, or "none".
func followState(t testing.TB, n *nodetest.Node, follower, target *spaces.Account) string {
	t.Helper()
	f, err := n.DB.FollowBetween(ctx, follower.ID, target.ID)
	if err != nil {
		return "none"
	}
	return f.State
}

// getAS fetches an ActivityStreams document from a node, unsigned.
func getAS(t testing.TB, url string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", activitystreams.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	json.Unmarshal(body, &doc)
	return resp.StatusCode, doc
}

// count counts the rows of a table on n.
func count(t testing.TB, n *nodetest.Node, table string) int {
	t.Helper()
	c, err := n.DB.Bun().NewSelect().Table(table).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(c)
}

// federationConfig sets federation settings of a test node.
func federationConfig(fn func(*config.Federation)) nodetest.Option {
	return func(c *config.Config, _ *node.Options) { fn(&c.Federation) }
}

// restartOnSameAddress starts n's server again on the address it had, after
// it was closed: the node "comes back".
func restartOnSameAddress(t testing.TB, n *nodetest.Node) {
	t.Helper()
	ln, err := net.Listen("tcp", host(n))
	if err != nil {
		t.Fatalf("listen again on %s: %v", host(n), err)
	}
	srv := httptest.NewUnstartedServer(n.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	n.Server = srv
	t.Cleanup(srv.Close)
}
