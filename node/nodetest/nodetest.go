// Package nodetest starts complete nodes for tests: a fresh database of the
// chosen engine, the real router, and a real HTTP server on loopback whose
// address is the node's public_url.
package nodetest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/spaces"
)

// Node is a running node and the server in front of it.
type Node struct {
	*node.Node
	Server *httptest.Server
	URL    string // the node's origin, e.g. http://127.0.0.1:41234
}

// Option adjusts the configuration or options of a test node before it starts.
type Option func(*config.Config, *node.Options)

// CheapPasswords keeps argon2id but at a cost that lets tests create many members.
var CheapPasswords = spaces.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// New starts a node on a fresh database of the given dialect, unless an
// option names another (WithDatabase). It stops when the test ends. Logs go
// to the test log only when RUCHE_TEST_LOG is set. The fresh database
// records the node's public_url (its loopback address, unless an option sets
// another), so a node served again on the same address, or started by `ruche
// serve` on the same database and address, is accepted.
func New(t testing.TB, dialect db.Dialect, opts ...Option) *Node {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()

	cfg := config.Default()
	cfg.PublicURL = origin
	cfg.Database.URL = ""
	cfg.Media.Dir = filepath.Join(t.TempDir(), "media")
	cfg.Federation.AllowPrivateAddresses = true // peers are on loopback
	var logOut io.Writer = io.Discard
	if os.Getenv("RUCHE_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	o := node.Options{
		Logger: slog.New(slog.NewTextHandler(logOut, nil)),
		Spaces: func(so *spaces.Options) { so.Password = CheapPasswords },
	}
	for _, opt := range opts {
		opt(&cfg, &o)
	}
	if cfg.Database.URL == "" {
		cfg.Database.URL = dbtest.URL(t, dialect)
	}
	n, err := node.New(context.Background(), cfg, o)
	if err != nil {
		srv.Close()
		t.Fatalf("start node: %v", err)
	}
	srv.Config.Handler = n.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		n.Close()
	})
	return &Node{Node: n, Server: srv, URL: origin}
}

// Client returns an HTTP client with its own cookie jar, as a browser would have.
func (n *Node) Client(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// Member creates a local member with the password "correct horse battery".
func (n *Node) Member(t testing.TB, username, role string) *spaces.Account {
	t.Helper()
	a, err := n.Spaces.CreateMember(context.Background(), spaces.Console, spaces.NewMember{
		Username: username, Email: username + "@example.org", Password: Password, Role: role,
	})
	if err != nil {
		t.Fatalf("create member %s: %v", username, err)
	}
	return a
}

// Password is the password of members made by Member.
const Password = "correct horse battery"

// WithDatabase runs a node on the database at url instead of a fresh one:
// a private cluster a test restarts (dbtest.PrivatePostgres), say.
func WithDatabase(url string) Option {
	return func(c *config.Config, _ *node.Options) { c.Database.URL = url }
}

// Drain runs the federation workers of every node until none has anything
// due: an activity one node delivers is processed by the other, whose answer
// is delivered back, and so on until the network is quiet.
func Drain(t testing.TB, nodes ...*Node) {
	t.Helper()
	for round := 0; ; round++ {
		if round > 50 {
			t.Fatal("the nodes never went idle")
		}
		did := 0
		for _, n := range nodes {
			k, err := n.Federation.RunUntilIdle(context.Background())
			if err != nil {
				t.Fatalf("%s: worker: %v", n.URL, err)
			}
			did += k
		}
		if did == 0 {
			return
		}
	}
}
