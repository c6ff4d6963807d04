package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/internal/testlog"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// gate holds POSTs to a node's inboxes (or the requests holds picks) while
// closed, and says when the first one arrives: the moment a delivery (or a
// fetch) is in flight.
type gate struct {
	next    http.Handler
	holds   func(*http.Request) bool // nil: every POST
	mu      sync.Mutex
	closed  bool
	open    chan struct{}
	arrived chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed && (g.holds == nil && r.Method == http.MethodPost || g.holds != nil && g.holds(r)) {
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
func serveNode(t *testing.T, addr, dbURL string, log io.Writer) *exec.Cmd {
	t.Helper()
	return serveNodeAt(t, addr, addr, dbURL, log)
}

// serveNodeAt is serveNode listening on listen for a node whose public
// address is public (a proxy in front of it), with more flags.
func serveNodeAt(t *testing.T, listen, public, dbURL string, log io.Writer, flags ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"serve", "--listen", listen, "--public-url", "http://" + public,
		"--database-url", dbURL, "--federation-allow-private-addresses", "--log-level", "debug"}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// frontDoor stands at a node's public address, in front of its process, as
// a load balancer would: it forwards every request to the process, notes
// the posts whose Create the node answered 202, and while held keeps new
// requests waiting (the node is restarting) instead of refusing them.
type frontDoor struct {
	proxy    *httputil.ReverseProxy
	mu       sync.Mutex
	held     chan struct{} // closed on release; nil when not held
	accepted map[string]int
}

func newFrontDoor(backend string) *frontDoor {
	u, _ := url.Parse("http://" + backend)
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{DisableKeepAlives: true}
	p.ErrorLog = log.New(io.Discard, "", 0) // a killed backend is the point
	return &frontDoor{proxy: p, accepted: map[string]int{}}
}

func (d *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	held := d.held
	d.mu.Unlock()
	if held != nil {
		<-held
	}
	var create struct {
		Type   string
		Object struct{ ID string }
	}
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		json.Unmarshal(body, &create)
	}
	rec := &statusRecorder{ResponseWriter: w}
	d.proxy.ServeHTTP(rec, r)
	if create.Type == "Create" && create.Object.ID != "" && rec.status == http.StatusAccepted {
		d.mu.Lock()
		d.accepted[create.Object.ID]++
		d.mu.Unlock()
	}
}

func (d *frontDoor) hold() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held = make(chan struct{})
}

func (d *frontDoor) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.held)
	d.held = nil
}

// acceptedPosts returns the posts whose Create got a 202, and how often.
func (d *frontDoor) acceptedPosts() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.accepted)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// TestKillMidIngest: a node is killed (SIGKILL) while it receives a burst of
// posts from a followed member of another node — some accepted (202) and
// waiting, one being processed, more arriving — and restarted. In the end
// every post is stored exactly once, those answered 202 among them, and no
// received activity is left pending or dead.
//
// The timing is made certain: the first activity received is a Create
// naming its post by IRI, whose fetch the sender's node holds, so the
// node's worker is busy with it while the posts pile up pending behind it.
func TestKillMidIngest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const posts, pendingAtKill = 40, 10
		clock := nodetest.NewClock()
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		bob := b.Member(t, "bob", spaces.RoleMember)
		first, err := b.Spaces.CreatePost(ctx, bob, "", spaces.PostInput{Body: "Before anyone followed me"})
		if err != nil {
			t.Fatal(err)
		}
		firstIRI := b.URL + "/posts/" + first.ID
		g := &gate{next: b.Handler(), open: make(chan struct{}), arrived: make(chan struct{}, 1),
			holds: func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Path == "/posts/"+first.ID }}
		b.Server.Config.Handler = g

		// Node A, in this process first: alice follows bob.
		a := nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		bobOnA, err := a.Federation.ResolveHandle(ctx, "bob", strings.TrimPrefix(b.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.FollowAccount(ctx, alice, bobOnA, ""); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			a.Federation.RunUntilIdle(ctx)
			b.Federation.RunUntilIdle(ctx)
		}
		if f, err := b.DB.FollowBetween(ctx, remoteAccount(t, b, a.URL+"/users/alice").ID, bob.ID); err != nil || f.State != spaces.FollowStateAccepted {
			t.Fatalf("alice's follow of bob on B: %+v %v", f, err)
		}
		public, dbURL := strings.TrimPrefix(a.URL, "http://"), a.Config.Database.URL
		a.Server.Close()
		a.Close()

		// A as a real process behind a front door at its public address.
		// Fetches wait as long as the test needs (the held one).
		listen := freePort(t)
		door := newFrontDoor(listen)
		ln, err := net.Listen("tcp", public)
		if err != nil {
			t.Fatal(err)
		}
		front := &http.Server{Handler: door}
		go front.Serve(ln)
		t.Cleanup(func() { front.Close() })
		var log1 testlog.Buffer
		proc := serveNodeAt(t, listen, public, dbURL, &log1, "--federation-delivery-timeout", "5m")
		waitReady(t, "http://"+listen, &log1)
		ad, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer ad.Close()

		// The first activity: its post is fetched from B, which holds the
		// fetch. A's worker waits on it.
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		if status := postSigned(t, b, bob, "http://"+public+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": b.URL + "/activities/first", "type": "Create",
			"actor": b.URL + "/users/bob", "object": firstIRI,
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{b.URL + "/users/bob/followers"},
		}, clock.Now()); status != http.StatusAccepted {
			t.Fatalf("the first Create: %d", status)
		}
		select {
		case <-g.arrived:
		case <-time.After(60 * time.Second):
			t.Fatalf("A's worker never fetched the first post; log:\n%s", log1.String())
		}

		// The burst: B delivers as it does, while the test watches A's inbox.
		var iris []string
		for i := range posts {
			p, err := b.Spaces.CreatePost(ctx, bob, "", spaces.PostInput{Body: fmt.Sprintf("Post %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			iris = append(iris, b.URL+"/posts/"+p.ID)
		}
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.Federation.RunUntilIdle(ctx); err != nil {
					t.Errorf("B's worker: %v", err)
				}
				time.Sleep(20 * time.Millisecond) // B waits on A, another process
			}
		}()
		waitFor(t, 60*time.Second, "posts pending on A", &log1, func() bool {
			n, err := ad.Bun().NewSelect().Table("inbox_items").
				Where("type = 'Create' AND state = ? AND claimed_by IS NULL", db.JobPending).Count(ctx)
			return err == nil && n >= pendingAtKill
		})
		door.hold()
		if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		proc.Wait()
		acceptedBeforeKill := len(door.acceptedPosts())
		processedBeforeKill, err := ad.Bun().NewSelect().Table("posts").Where("uri IN (?)", bun.In(iris)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g.release()

		// Restarted, it takes over what the dead process held, and B
		// retries what the kill cut short.
		var log2 testlog.Buffer
		proc = serveNodeAt(t, listen, public, dbURL, &log2, "--federation-delivery-timeout", "5m")
		waitReady(t, "http://"+listen, &log2)
		door.release()
		close(stop)
		<-stopped
		for round := 0; ; round++ {
			if _, err := b.Federation.RunUntilIdle(ctx); err != nil {
				t.Fatalf("B's worker: %v", err)
			}
			left, err := b.DB.Bun().NewSelect().Table("deliveries").Where("state <> 'done'").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				break
			}
			if round == 10 {
				t.Fatalf("B still has %d deliveries to make; A's log after restart:\n%s", left, log2.String())
			}
			clock.Advance(time.Minute) // the retry of a delivery the kill cut short is due
		}
		waitFor(t, 90*time.Second, "A to process its inbox", &log2, func() bool {
			n, err := ad.Bun().NewSelect().Table("inbox_items").Where("state = ?", db.JobPending).Count(ctx)
			return err == nil && n == 0
		})
		proc.Process.Signal(syscall.SIGTERM)
		if err := proc.Wait(); err != nil {
			t.Fatalf("graceful stop: %v\n%s", err, log2.String())
		}
		if !strings.Contains(log2.String(), "took over jobs of a stopped worker") {
			t.Fatalf("the restarted node did not take over the dead one's jobs:\n%s", log2.String())
		}

		// Every post once, those answered 202 first among them; every
		// received activity done.
		accepted := door.acceptedPosts()
		for _, iri := range append(iris, firstIRI) {
			n, err := ad.Bun().NewSelect().Table("posts").Where("uri = ?", iri).Count(ctx)
			if err != nil || n != 1 {
				t.Fatalf("%s (answered 202 %d times) is stored %d times (%v)", iri, accepted[iri], n, err)
			}
		}
		if len(accepted) != posts {
			t.Fatalf("%d posts answered 202, want %d", len(accepted), posts)
		}
		var states []struct {
			Type, State string
			N           int
		}
		if err := ad.Bun().NewSelect().Table("inbox_items").ColumnExpr("type, state, count(*) AS n").
			Group("type", "state").Order("type", "state").Scan(ctx, &states); err != nil {
			t.Fatal(err)
		}
		creates := 0
		for _, s := range states {
			switch {
			case s.State == db.JobPending || s.State == db.JobDead || s.State == db.JobFailed:
				t.Fatalf("received activities left %s: %+v", s.State, states)
			case s.Type == "Create" && s.State == db.JobDone:
				creates = s.N
			}
		}
		if creates != posts+1 {
			t.Fatalf("received activities by type and state: %+v, want %d Creates done", states, posts+1)
		}
		retried, err := b.DB.Bun().NewSelect().Table("deliveries").Where("attempts > 1").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("at the kill: %d posts answered 202, %d processed; %d deliveries retried", acceptedBeforeKill, processedBeforeKill, retried)
	})
}

// waitFor polls cond (the state of another process) until it holds.
func waitFor(t *testing.T, limit time.Duration, what string, logs *testlog.Buffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; log:\n%s", limit, what, logs.String())
		}
		time.Sleep(50 * time.Millisecond) // waiting on another process, not on our own queue
	}
}

// remoteAccount is what n knows of the remote actor iri.
func remoteAccount(t *testing.T, n *nodetest.Node, iri string) *spaces.Account {
	t.Helper()
	a, err := n.DB.AccountByURI(context.Background(), iri)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// postSigned POSTs activity to inbox, signed with the key of n's member as.
func postSigned(t *testing.T, n *nodetest.Node, as *spaces.Account, inbox string, activity map[string]any, now time.Time) int {
	t.Helper()
	k, err := n.DB.KeyOfAccount(context.Background(), as.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, err := transport.ParsePrivateKeyPEM(k.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(activity)
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", activitystreams.MediaType)
	if err := transport.SignRequest(req, k.KeyID, key, body, now); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
