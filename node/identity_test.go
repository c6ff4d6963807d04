package node

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

const identityMigration = "20261206090000_node_identity"

// open starts a node on cfg with public_url set to publicURL.
func open(t *testing.T, cfg config.Config, publicURL string, opts Options) (*Node, error) {
	t.Helper()
	cfg.PublicURL = publicURL
	opts.Logger = quiet
	opts.Spaces = func(o *spaces.Options) { o.Password = spaces.PasswordParams{Memory: 64, Time: 1, Threads: 1} }
	return New(context.Background(), cfg, opts)
}

func mustOpen(t *testing.T, cfg config.Config, publicURL string) *Node {
	t.Helper()
	n, err := open(t, cfg, publicURL, Options{})
	if err != nil {
		t.Fatalf("open the node as %s: %v", publicURL, err)
	}
	return n
}

// wantRefused checks that err is the refusal of configured by a node that
// belongs to stored, naming both.
func wantRefused(t *testing.T, err error, configured, stored string) {
	t.Helper()
	var pe *PublicURLError
	if !errors.As(err, &pe) {
		t.Fatalf("public_url %s on a node of %s: want a *PublicURLError, got %v", configured, stored, err)
	}
	if msg := err.Error(); !strings.Contains(msg, configured) || !strings.Contains(msg, "RUCHE_PUBLIC_URL="+stored) {
		t.Fatalf("the refusal must name %s and how to run as %s: %s", configured, stored, msg)
	}
}

func recorded(t *testing.T, n *Node) string {
	t.Helper()
	id, err := n.DB.NodeIdentity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id.PublicURL
}

// A node records its public_url at its first start; a later process with an
// equivalent spelling runs with the recorded one, any other is refused
// before it opens a node, and nothing it would write gets written.
func TestPublicURLIsPinned(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cfg := testConfig(t, d.Dialect())
		n := mustOpen(t, cfg, "https://Ville-A.example/")
		if got := recorded(t, n); got != "https://ville-a.example" {
			t.Fatalf("recorded %q, want the canonical spelling", got)
		}
		n.Close()

		for _, same := range []string{"https://ville-a.example", "https://ville-a.example/", "HTTPS://VILLE-A.EXAMPLE:443"} {
			n := mustOpen(t, cfg, same)
			if n.Config.Origin() != "https://ville-a.example" {
				t.Errorf("configured as %s, the node builds ids from %s", same, n.Config.Origin())
			}
			n.Close()
		}
		for _, other := range []string{"http://ville-a.example", "https://ville-b.example", "https://ville-a.example:8443", "http://localhost:8080"} {
			_, err := open(t, cfg, other, Options{})
			wantRefused(t, err, other, "https://ville-a.example")
			_, err = open(t, cfg, other, Options{NoMigrate: true})
			wantRefused(t, err, other, "https://ville-a.example")
			oc := cfg
			oc.PublicURL = other
			_, err = OpenDB(ctx, oc)
			wantRefused(t, err, other, "https://ville-a.example")
		}

		n = mustOpen(t, cfg, "https://ville-a.example")
		defer n.Close()
		if _, err := n.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{
			Username: "alice", Email: "alice@example.org", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		origins, err := n.DB.LocalKeyOrigins(ctx)
		if err != nil || !slices.Equal(origins, []string{"https://ville-a.example"}) {
			t.Fatalf("the node's keys carry %v (%v); refused processes must have made none", origins, err)
		}
	})
}

// A database from before the record has the node's keys: the first process
// records its public_url only if the keys were made for it (in the spelling
// the ids use), and otherwise is refused without migrating.
func TestPublicURLOfAnOlderDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cfg := testConfig(t, d.Dialect())
		n := mustOpen(t, cfg, "https://ville-a.example")
		if _, err := n.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{
			Username: "alice", Email: "alice@example.org", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		// Before the record, ids kept the configuration's spelling, capitals
		// included; and the schema had no table for the record.
		for _, q := range []string{
			`UPDATE keys SET key_id = replace(key_id, 'https://ville-a.example', 'https://Ville-A.example')`,
			`DROP TABLE node_identity`,
			`DELETE FROM schema_migrations WHERE name = '` + identityMigration + `'`,
		} {
			if _, err := n.DB.Bun().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		n.Close()

		_, err := open(t, cfg, "http://localhost:8080", Options{})
		wantRefused(t, err, "http://localhost:8080", "https://Ville-A.example")
		var pe *PublicURLError
		if errors.As(err, &pe) && (pe.Stored != "" || !slices.Equal(pe.KeyOrigins, []string{"https://Ville-A.example"})) {
			t.Fatalf("the refusal must name the keys' origin: %+v", pe)
		}
		raw, err := db.Open(ctx, cfg.Database.URL)
		if err != nil {
			t.Fatal(err)
		}
		pending, err := raw.PendingMigrations(ctx)
		raw.Close()
		if err != nil || pending != 1 {
			t.Fatalf("the refused process changed the schema: %d migrations pending (%v)", pending, err)
		}

		n = mustOpen(t, cfg, "https://ville-a.example/")
		defer n.Close()
		if got := recorded(t, n); got != "https://Ville-A.example" || n.Config.Origin() != got {
			t.Fatalf("recorded %q, ids built from %q: want the keys' spelling for both", got, n.Config.Origin())
		}
	})
}

// Two processes starting at once on a new database with different
// public_urls both pass the check; the one that records second is refused.
func TestPublicURLRecordedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, err := checkPublicURL(ctx, d, "https://ville-a.example")
		if err != nil {
			t.Fatal(err)
		}
		b, err := checkPublicURL(ctx, d, "https://ville-b.example")
		if err != nil {
			t.Fatal(err)
		}
		if a, err = recordPublicURL(ctx, d, "https://ville-a.example", a); err != nil || a.origin != "https://ville-a.example" {
			t.Fatalf("first record: %+v %v", a, err)
		}
		_, err = recordPublicURL(ctx, d, "https://ville-b.example", b)
		wantRefused(t, err, "https://ville-b.example", "https://ville-a.example")
	})
}
