package node

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
)

// The node's identity is pinned: every id it writes (actors, keys, posts,
// activities) is built from public_url, and other servers keep those ids, so
// a process configured with another public_url — an admin command run
// without the server's environment — would write ids that every other server
// rejects. The first process that opens a node on a database records its
// public_url there; every later one must be configured with the same origin,
// or it stops before changing anything.

// PublicURLError says that the configured public_url is not the node's. The
// command that meets it has changed nothing.
type PublicURLError struct {
	Configured string // as the configuration gives it
	Stored     string // as the database records it; empty on a database from before the record
	// KeyOrigins are, on a database from before the record, the origins
	// the node's own keys carry, oldest first.
	KeyOrigins []string
}

func (e *PublicURLError) Error() string {
	found, want := "this node's database belongs to "+e.Stored, e.Stored
	if e.Stored == "" {
		found, want = "the keys in this node's database were made for "+strings.Join(e.KeyOrigins, " and "), e.KeyOrigins[0]
	}
	return fmt.Sprintf("public_url is %s here, but %s: every id the node writes is built from it, "+
		"and other servers reject ids of another origin. Nothing was changed. "+
		"Run this command with the node's own configuration: RUCHE_PUBLIC_URL=%s "+
		"(or public_url in its ruche.yaml, or --public-url); a node cannot move to another one (README: public_url)",
		e.Configured, found, want)
}

// pin is the public_url a process runs under, once checked.
type pin struct {
	origin   string // the spelling ids are built from
	recorded bool   // false: origin is still to be recorded
}

// OpenDB opens cfg's database for a command that works on it without running
// a node (migrate), after checking that it belongs to cfg's public_url: if
// not, it returns a *PublicURLError and has changed nothing. It records
// nothing: migrating writes no id, and an operator may migrate before the
// node's configuration is in place. New makes the same check (openChecked)
// before it migrates, then records the public_url of a new node.
func OpenDB(ctx context.Context, cfg config.Config) (*db.DB, error) {
	d, _, err := openChecked(ctx, cfg)
	return d, err
}

// openChecked opens cfg's database and checks its public_url against it.
func openChecked(ctx context.Context, cfg config.Config) (*db.DB, pin, error) {
	d, err := db.Open(ctx, cfg.Database.URL)
	if err != nil {
		return nil, pin{}, err
	}
	p, err := checkPublicURL(ctx, d, cfg.PublicURL)
	if err != nil {
		d.Close()
		return nil, pin{}, err
	}
	return d, p, nil
}

// checkPublicURL compares configured with the public_url d belongs to: the
// recorded one, or on a database from before the record the origin its keys
// were made for. It reads only, so that it can run before migrating. The pin
// it returns carries the spelling the node's ids already use, so that an
// equivalent one in the configuration (a trailing slash, a capital, :443)
// builds the same ids.
func checkPublicURL(ctx context.Context, d *db.DB, configured string) (pin, error) {
	want, err := config.NormalizeOrigin(configured)
	if err != nil {
		return pin{}, fmt.Errorf("config: public_url = %q is invalid: %w", configured, err)
	}
	id, err := d.NodeIdentity(ctx)
	switch {
	case err == nil:
		if stored, _ := config.NormalizeOrigin(id.PublicURL); stored != want {
			return pin{}, &PublicURLError{Configured: configured, Stored: id.PublicURL}
		}
		return pin{origin: id.PublicURL, recorded: true}, nil
	case !errors.Is(err, db.ErrNotFound):
		return pin{}, err
	}
	origins, err := d.LocalKeyOrigins(ctx)
	if err != nil {
		return pin{}, err
	}
	if len(origins) == 0 {
		return pin{origin: want}, nil // a new node: its ids will be built from the canonical spelling
	}
	for _, o := range origins {
		if norm, err := config.NormalizeOrigin(o); err == nil && norm == want {
			return pin{origin: o}, nil
		}
	}
	return pin{}, &PublicURLError{Configured: configured, KeyOrigins: origins}
}

// recordPublicURL records p's origin once the schema has the table for it,
// and checks what was recorded: a process starting at the same moment with
// another public_url may have recorded first. Before the table exists (a
// node started with --no-migrate) there is nothing to record into yet; the
// node is not ready then, and a later start records.
func recordPublicURL(ctx context.Context, d *db.DB, configured string, p pin) (pin, error) {
	if p.recorded {
		return p, nil
	}
	id, err := d.RecordNodeIdentity(ctx, p.origin, db.Now())
	if errors.Is(err, db.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return pin{}, err
	}
	stored, _ := config.NormalizeOrigin(id.PublicURL)
	if mine, _ := config.NormalizeOrigin(p.origin); stored != mine {
		return pin{}, &PublicURLError{Configured: configured, Stored: id.PublicURL}
	}
	return pin{origin: id.PublicURL, recorded: true}, nil
}
