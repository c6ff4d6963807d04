// Package mastodon_test runs the Mastodon client API against masto.js, the
// client library many Mastodon apps are built on: on each database it starts
// two federating nodes with members and a space, then runs `node --test`
// over the *.test.mjs files of this directory, whose apps sign members in
// through the nodes' real OAuth pages in Debian's chromium (lib.mjs) and
// call the API.
//
// It needs `npm ci` in this directory first; `make test` does that and sets
// RUCHE_INTEROP=1, so in CI the suite runs or fails — it never skips.
// Without RUCHE_INTEROP it skips, so that `go test ./...` works on a machine
// without Node.js or a browser.
package mastodon_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestMastoJS(t *testing.T) {
	if os.Getenv("RUCHE_INTEROP") == "" {
		t.Skip("RUCHE_INTEROP is not set: run `make test` (npm ci in test/mastodon, then this suite)")
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("RUCHE_INTEROP is set but node is missing: apt-get install nodejs npm (make test-deps)")
	}
	chromium := os.Getenv("RUCHE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("RUCHE_INTEROP is set but %s is missing: apt-get install chromium (make test-deps)", chromium)
	}
	for _, pkg := range []string{"masto", "playwright-core"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg)); err != nil {
			t.Fatalf("RUCHE_INTEROP is set but the npm package %s is missing: make interop-deps (npm ci in test/mastodon)", pkg)
		}
	}
	pattern := "*.test.mjs"
	if p := os.Getenv("RUCHE_MASTO_TESTS"); p != "" {
		pattern = p // one file, say, while working on it
	}
	tests, err := filepath.Glob(pattern)
	if err != nil || len(tests) == 0 {
		t.Fatalf("no *.test.mjs files: %v", err)
	}

	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		runMastoJS(t, d.Dialect(), nodeBin, chromium, tests)
	})
}

// runMastoJS starts two nodes on dialect — A with the members alice and
// carol and alice's space "urbanisme", B with bob — with their federation
// workers running, and runs the masto.js tests against them.
func runMastoJS(t *testing.T, dialect db.Dialect, nodeBin, chromium string, tests []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	a := nodetest.New(t, dialect)
	b := nodetest.New(t, dialect)
	member := func(n *nodetest.Node, name string) *spaces.Account {
		m := n.Member(t, name, spaces.RoleMember)
		if _, err := n.Spaces.CompleteOnboarding(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	alice := member(a, "alice")
	member(a, "carol")
	member(b, "bob")
	name := "Urbanisme"
	if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "urbanisme", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	var workers sync.WaitGroup
	defer workers.Wait()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	for _, n := range []*nodetest.Node{a, b} {
		workers.Go(func() { n.Federation.Run(wctx) })
	}

	// Node 20 has a WebSocket client behind a flag (masto.js's streaming
	// client uses the global one); later versions have it anyway.
	args := append([]string{"--experimental-websocket", "--test", "--test-force-exit", "--test-concurrency=1", "--test-reporter=spec"}, tests...)
	run := exec.CommandContext(ctx, nodeBin, args...)
	run.Env = append(os.Environ(),
		"RUCHE_URL="+a.URL, "RUCHE_USERNAME=alice", "RUCHE_PASSWORD="+nodetest.Password, "RUCHE_CHROMIUM="+chromium,
		"RUCHE_USERNAME_2=carol", "RUCHE_SPACE=urbanisme",
		"RUCHE_URL_B="+b.URL, "RUCHE_USERNAME_B=bob")
	out, err := run.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("masto.js tests failed: %v", err)
	}
}
