package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// gate holds POSTs to a node's inboxes while closed, and says when the first
// one arrives: the moment a delivery is in flight.
type gate struct {
	next    http.Handler
	mu      sync.Mutex
	closed  bool
	open    chan struct{}
	arrived chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed && r.Method == http.MethodPost {
		select {
		case g.arrived <- struct{}{}:
		default:
		}
		<-g.open
	}
	g.next.ServeHTTP(w, r)
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
}

// TestKillMidDelivery: a node is killed (SIGKILL) while it delivers; after a
// restart every delivery arrives. The jobs the dead process held are taken
// over at once: on SQLite because one process owns the database, on
// PostgreSQL because the dead worker's lock vanished with its connection.
func TestKillMidDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const updates = 8
		b := nodetest.New(t, d.Dialect())
		g := &gate{next: b.Handler(), open: make(chan struct{}), arrived: make(chan struct{}, 1)}
		b.Server.Config.Handler = g
		bob := b.Member(t, "bob", spaces.RoleMember)

		// Node A, in this process first: alice gets a follower on B, then
		// changes her profile several times; A stops before delivering.
		a := nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		aliceOnB, err := b.Federation.ResolveHandle(ctx, "alice", strings.TrimPrefix(a.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Spaces.FollowAccount(ctx, bob, aliceOnB, ""); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			b.Federation.RunUntilIdle(ctx)
			a.Federation.RunUntilIdle(ctx)
		}
		for i := range updates {
			name := fmt.Sprintf("Alice %d", i)
			if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
		}
		addr, dbURL := strings.TrimPrefix(a.URL, "http://"), a.Config.Database.URL
		a.Server.Close()
		a.Close()

		// A as a real process: killed while B holds its first delivery.
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		var log1 bytes.Buffer
		first := serveNode(t, addr, dbURL, &log1)
		select {
		case <-g.arrived:
		case <-time.After(60 * time.Second):
			first.Process.Kill()
			t.Fatalf("no delivery started; log:\n%s", log1.String())
		}
		if err := first.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		first.Wait()
		g.release()

		// Restarted, it delivers everything.
		var log2 bytes.Buffer
		second := serveNode(t, addr, dbURL, &log2)
		deadline := time.Now().Add(90 * time.Second)
		for {
			n, err := b.DB.Bun().NewSelect().Table("inbox_items").Where("type = 'Update'").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == updates {
				break
			}
			if time.Now().After(deadline) {
				second.Process.Kill()
				second.Wait()
				t.Fatalf("B received %d of %d updates; log after restart:\n%s", n, updates, log2.String())
			}
			time.Sleep(100 * time.Millisecond) // waiting on another process, not on our own queue
		}
		second.Process.Signal(syscall.SIGTERM)
		if err := second.Wait(); err != nil {
			t.Fatalf("graceful stop: %v\n%s", err, log2.String())
		}
		if !strings.Contains(log2.String(), "took over jobs of a stopped worker") {
			t.Fatalf("the restarted node did not take over the dead one's jobs:\n%s", log2.String())
		}
		ad, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer ad.Close()
		left, err := ad.Bun().NewSelect().Table("deliveries").Where("state <> 'done'").Count(ctx)
		if err != nil || left != 0 {
			t.Fatalf("%d deliveries not done (%v)", left, err)
		}
	})
}

// serveNode starts `ruche serve` for an existing node database.
func serveNode(t *testing.T, addr, dbURL string, log *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", addr, "--public-url", "http://"+addr,
		"--database-url", dbURL, "--federation-allow-private-addresses", "--log-level", "debug")
	cmd.Env = cleanEnv()
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}
