package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/internal/testlog"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// The PostgreSQL server of a node restarts while the node works (an upgrade,
// a failover, a crash and restart of the server): the node must lose
// nothing, and carry on by itself once the database answers again, without
// being restarted and without waiting for claims to expire (the lease of a
// claimed job is 5 minutes).
//
// Node A runs on a private PostgreSQL cluster that the test restarts; node B
// on SQLite. Once the stage is set, both run their background workers, as
// `ruche serve` does, on a shared clock that the test moves forward so that
// retries come due — never by as much as the lease.

// restartPosts is how many posts cross between the nodes in each test.
const restartPosts = 30

// restartPause is how long A's database stays down: the node meanwhile
// finds its connections cut and new ones refused, and the copies of
// database rows it keeps in memory for a moment expire.
const restartPause = 3 * time.Second

// TestDatabaseRestartDuringIngest: bob, on B, publishes posts that his
// follower alice's node A receives and processes; A's database restarts
// while A's worker is processing a batch of them. Every post is stored on
// A, no received activity is left undone, the inbox never answered
// anything a sender would not retry, and A goes on working.
func TestDatabaseRestartDuringIngest(t *testing.T) {
	// B sends one post at a time: it is still sending when A's database
	// stops.
	r := newRestartRig(t, federationConfig(func(f *config.Federation) { f.DeliveryPerHost = 1 }))
	alice := r.a.Member(t, "alice", spaces.RoleMember)
	bob := r.b.Member(t, "bob", spaces.RoleMember)
	bobOnA := resolve(t, r.a, r.b, "bob")
	if _, err := r.a.Spaces.FollowAccount(ctx, alice, bobOnA, ""); err != nil {
		t.Fatal(err)
	}
	nodetest.Drain(t, r.a, r.b)
	if state := followState(t, r.a, alice, bobOnA); state != spaces.FollowStateAccepted {
		t.Fatalf("alice's follow of bob is %s", state)
	}
	inbox := &statusRecorder{next: r.a.Handler()}
	r.a.Server.Config.Handler = inbox
	// A's database stops as A's worker starts on the third post: the rest
	// of its batch is then in its hands, and B has more to send.
	create := r.a.Federation.HandlerOf("Create")
	var creates atomic.Int32
	r.a.Federation.Handle("Create", func(ctx context.Context, rcv *federation.Received) error {
		if creates.Add(1) == 3 {
			r.stop(t)
		}
		return create(ctx, rcv)
	})

	var uris []string
	for i := range restartPosts {
		p, err := r.b.Spaces.CreatePost(ctx, bob, "", spaces.PostInput{Body: fmt.Sprintf("Post %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.b.URL+"/posts/"+p.ID)
	}
	r.runWorkers(t)
	r.outage(t, "mid-ingest")
	r.writeAtOnce(t, alice)

	r.waitFor(t, "every post stored on A, every received activity done", func() (bool, string) {
		missing := missingPosts(r.a, uris)
		undone := undoneJobs(r.a, "inbox_items", db.JobDone, db.JobIgnored)
		return len(missing) == 0 && undone == "", fmt.Sprintf("missing %d posts; undone on A: %s; deliveries undone on B: %s; B's view of A: %s",
			len(missing), undone, undoneJobs(r.b, "deliveries", db.JobDone), hostHealth(r.b, host(r.a)))
	})
	if bad := inbox.refusals(); bad != "" {
		t.Errorf("A's inbox refused deliveries while its database was down: %s", bad)
	}
	if n := inbox.unavailableSince(r.upAt()); n > 0 {
		t.Errorf("A's inbox answered 503 to %d deliveries that came once its database was back", n)
	}
	r.checkRecovered(t)

	// A works on, unrestarted: a new post arrives.
	p, err := r.b.Spaces.CreatePost(ctx, bob, "", spaces.PostInput{Body: "After the restart"})
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "bob's post after the restart stored on A", func() (bool, string) {
		return len(missingPosts(r.a, []string{r.b.URL + "/posts/" + p.ID})) == 0, ""
	})
}

// TestDatabaseRestartDuringFanOut: alice, on A, has followers on B; she
// publishes posts, and A's database restarts while A's worker has
// deliveries of them in flight. B gets every post, each once, and A's
// queue is left with nothing undone.
func TestDatabaseRestartDuringFanOut(t *testing.T) {
	r := newRestartRig(t)
	alice := r.a.Member(t, "alice", spaces.RoleMember)
	aliceOnB := resolve(t, r.b, r.a, "alice")
	for _, name := range []string{"bob", "carol"} {
		follower := r.b.Member(t, name, spaces.RoleMember)
		if _, err := r.b.Spaces.FollowAccount(ctx, follower, aliceOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, r.a, r.b)
		if state := followState(t, r.b, follower, aliceOnB); state != spaces.FollowStateAccepted {
			t.Fatalf("%s's follow of alice is %s", name, state)
		}
	}
	// B counts what it receives, and stops A's database when the tenth
	// post is on its way: A then has deliveries in flight whose outcomes
	// it cannot record.
	received := &receiveCounter{next: r.b.Handler(), at: 10, trigger: func() { r.stop(t) }}
	r.b.Server.Config.Handler = received

	var uris []string
	for i := range restartPosts {
		p, err := r.a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: fmt.Sprintf("Post %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.a.URL+"/posts/"+p.ID)
	}
	r.runWorkers(t)
	r.outage(t, "mid-fan-out")
	uris = append(uris, r.a.URL+"/posts/"+r.writeAtOnce(t, alice).ID)

	r.waitFor(t, "every post on B, every delivery done", func() (bool, string) {
		missing := missingPosts(r.b, uris)
		undone := undoneJobs(r.a, "deliveries", db.JobDone)
		return len(missing) == 0 && undone == "", fmt.Sprintf("missing %d posts on B; undone on A: %s", len(missing), undone)
	})
	if dup := received.duplicates(); dup != "" {
		t.Errorf("deliveries made again after the restart: %s", dup)
	}
	r.checkRecovered(t)

	p, err := r.a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "After the restart"})
	if err != nil {
		t.Fatalf("a post on A after the restart: %v", err)
	}
	r.waitFor(t, "alice's post after the restart on B", func() (bool, string) {
		return len(missingPosts(r.b, []string{r.a.URL + "/posts/" + p.ID})) == 0, ""
	})
}

// TestInboxWhileDatabaseDown: while A's database is down, A's inboxes
// answer deliveries 503 with Retry-After — come back later — whatever check
// first needs the database; once it is back, the same delivery is taken.
func TestInboxWhileDatabaseDown(t *testing.T) {
	r := newRestartRig(t)
	r.a.Member(t, "alice", spaces.RoleMember)
	r.b.Member(t, "bob", spaces.RoleMember)
	bob := senderOf(t, r.b, "bob")
	alice := r.a.URL + "/users/alice"
	follow := func(n int) []byte {
		return activity(fmt.Sprintf("%s/follows/%d", r.b.URL, n), "Follow", bob.actor, alice)
	}
	if status := bob.post(t, alice+"/inbox", follow(1), r.clock.Now(), nil); status != http.StatusAccepted {
		t.Fatalf("a Follow while A's database is up: %d", status)
	}
	r.stop(t)
	time.Sleep(3 * time.Second) // past what A keeps in memory of the federation rules
	for _, inbox := range []string{r.a.URL + "/inbox", alice + "/inbox"} {
		status, answer, retry := bob.sendFull(t, inbox, follow(2), r.clock.Now())
		if status != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("%s while A's database is down: %d %q, Retry-After %q; want 503 with Retry-After", inbox, status, answer, retry)
		}
	}
	r.start(t)
	if status := bob.post(t, alice+"/inbox", follow(2), r.clock.Now(), nil); status != http.StatusAccepted {
		t.Fatalf("the Follow again once A's database is back: %d", status)
	}
}

// sendFull is send, also returning the answer's Retry-After.
func (s sender) sendFull(t testing.TB, url string, body []byte, when time.Time) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", activitystreams.MediaType)
	if err := transport.SignRequest(req, s.keyID, s.key, body, when); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(answer)), resp.Header.Get("Retry-After")
}

// restartRig is node A on a private PostgreSQL cluster and node B on
// SQLite, on a clock the test moves.
type restartRig struct {
	pg    *dbtest.Cluster
	clock *nodetest.Clock
	t0    time.Time // the clock at the start
	a, b  *nodetest.Node
	logA  *testlog.Buffer

	mu   sync.Mutex
	down bool
	up   time.Time // when the database was last started again
}

// restartClockLimit bounds how far the test moves the clock: short of the
// lease of claimed jobs (5 minutes), so that nothing recovers only because
// a lease ran out.
const restartClockLimit = 4 * time.Minute

func newRestartRig(t *testing.T, optsB ...nodetest.Option) *restartRig {
	r := &restartRig{pg: dbtest.PrivatePostgres(t), clock: nodetest.NewClock(), logA: &testlog.Buffer{}}
	r.t0 = r.clock.Now()
	logTo := func(_ *config.Config, o *node.Options) {
		o.Logger = slog.New(slog.NewTextHandler(r.logA, nil))
	}
	r.a = nodetest.New(t, db.Postgres, nodetest.WithDatabase(r.pg.URL), nodetest.WithClock(r.clock), logTo)
	r.b = nodetest.New(t, db.SQLite, append([]nodetest.Option{nodetest.WithClock(r.clock)}, optsB...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("A's log:\n%s", r.logA.String())
		}
	})
	return r
}

// runWorkers starts the nodes' workers in the background, as `ruche serve`
// does; until then the test drains the queues itself.
func (r *restartRig) runWorkers(t *testing.T) {
	// The workers stop before the nodes close (cleanups run last first).
	wctx, stop := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	for _, n := range []*nodetest.Node{r.a, r.b} {
		workers.Go(func() { n.Federation.Run(wctx) })
	}
	t.Cleanup(func() {
		stop()
		workers.Wait()
	})
}

// waitFor waits until done reports true, moving the clock one second every
// 50 ms so that retries come due; it fails the test once the clock has
// moved restartClockLimit in all, or after a minute. done's second result
// describes the state, for the failure message.
func (r *restartRig) waitFor(t *testing.T, what string, done func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, state := done()
		if ok {
			return
		}
		if moved := r.clock.Now().Sub(r.t0); moved >= restartClockLimit || time.Now().After(deadline) {
			t.Fatalf("%s: still not, after %v of node time (%s)", what, moved.Round(time.Second), state)
		}
		time.Sleep(50 * time.Millisecond) // the workers run on their own: wait for them
		r.clock.Advance(time.Second)
	}
}

// stop stops A's database; it may be called from any goroutine. The test
// starts it again.
func (r *restartRig) stop(t *testing.T) {
	if err := r.pg.Stop(); err != nil {
		t.Error(err)
	}
	r.mu.Lock()
	r.down = true
	r.mu.Unlock()
}

func (r *restartRig) start(t *testing.T) {
	if err := r.pg.Start(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.down, r.up = false, time.Now()
	r.mu.Unlock()
}

func (r *restartRig) upAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up
}

// writeAtOnce writes a post on A the moment its database is back: it
// succeeds, though the connections the node held before the restart are
// dead.
func (r *restartRig) writeAtOnce(t *testing.T, by *spaces.Account) *spaces.Post {
	t.Helper()
	p, err := r.a.Spaces.CreatePost(ctx, by, "", spaces.PostInput{Body: "Right after the restart"})
	if err != nil {
		t.Fatalf("a post on A once its database is back: %v", err)
	}
	return p
}

func (r *restartRig) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down
}

// outage waits for A's database to be stopped, keeps it down for
// restartPause — moving the clock meanwhile, so that B's retries come due
// while it is — and starts it again.
func (r *restartRig) outage(t *testing.T, when string) {
	t.Helper()
	r.waitFor(t, "A's database stopped "+when, func() (bool, string) { return r.stopped(), "" })
	for end := time.Now().Add(restartPause); time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		r.clock.Advance(time.Second)
	}
	r.start(t)
}

// checkRecovered checks that A, after the restart, is itself again: ready,
// and its worker marked alive — its advisory lock held again, so that no
// other process takes its claimed jobs for those of a dead one.
func (r *restartRig) checkRecovered(t *testing.T) {
	t.Helper()
	if err := r.a.Ready(ctx); err != nil {
		t.Fatalf("A is not ready after the restart: %v", err)
	}
	r.waitFor(t, "A's worker lock held again", func() (bool, string) {
		n, err := r.a.DB.Bun().NewSelect().TableExpr("pg_locks").
			Where("locktype = 'advisory' AND classid = ? AND objsubid = 2 AND granted", workerLockSpace).Count(ctx)
		return err == nil && n == 1, fmt.Sprintf("%d worker locks, %v", n, err)
	})
}

// workerLockSpace is the first key of the workers' advisory locks (see federation/queue).
const workerLockSpace = 0x52756378

// missingPosts returns those of uris that n does not hold.
func missingPosts(n *nodetest.Node, uris []string) []string {
	var held []string
	if err := n.DB.Bun().NewSelect().Table("posts").Column("uri").Where("uri IN (?)", bun.In(uris)).Scan(ctx, &held); err != nil {
		return uris
	}
	var missing []string
	for _, uri := range uris {
		if !slices.Contains(held, uri) {
			missing = append(missing, uri)
		}
	}
	return missing
}

// hostHealth describes what n knows of the health of host.
func hostHealth(n *nodetest.Node, host string) string {
	failing, err := n.DB.FailingHosts(ctx)
	if err != nil {
		return err.Error()
	}
	h := &db.Host{Host: host}
	for _, f := range failing {
		if f.Host == host {
			h = f
		}
	}
	return fmt.Sprintf("%d failures, unreachable since %v", h.Failures, h.UnreachableSince)
}

// undoneJobs describes the rows of a job table in states other than ok, or
// still claimed: "" when there are none.
func undoneJobs(n *nodetest.Node, table string, ok ...string) string {
	var rows []struct {
		State   string
		Claimed bool
		N       int
	}
	err := n.DB.Bun().NewSelect().Table(table).ColumnExpr("state, claimed_by IS NOT NULL AS claimed, count(*) AS n").
		Where("state NOT IN (?) OR claimed_by IS NOT NULL", bun.In(ok)).GroupExpr("state, claimed").Scan(ctx, &rows)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%d %s", r.N, r.State)
		if r.Claimed {
			s += " (claimed)"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// statusRecorder counts the answers of a node's inboxes.
type statusRecorder struct {
	next http.Handler

	mu          sync.Mutex
	statuses    map[int]int
	noRetryAt   int         // 503 answers without Retry-After
	unavailable []time.Time // when the requests answered 503 began
}

func (s *statusRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/inbox") {
		s.next.ServeHTTP(w, r)
		return
	}
	began := time.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.next.ServeHTTP(rec, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[int]int{}
	}
	s.statuses[rec.status]++
	if rec.status == http.StatusServiceUnavailable {
		s.unavailable = append(s.unavailable, began)
		if w.Header().Get("Retry-After") == "" {
			s.noRetryAt++
		}
	}
}

// unavailableSince counts the requests answered 503 that began at t or later.
func (s *statusRecorder) unavailableSince(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, began := range s.unavailable {
		if !began.Before(t) {
			n++
		}
	}
	return n
}

// refusals describes the answers other than 202 (accepted) and 503 with
// Retry-After (come back later), or "".
func (s *statusRecorder) refusals() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for status, n := range s.statuses {
		if status != http.StatusAccepted && status != http.StatusServiceUnavailable {
			out = append(out, fmt.Sprintf("%d × %d", n, status))
		}
	}
	if s.noRetryAt > 0 {
		out = append(out, fmt.Sprintf("%d × 503 without Retry-After", s.noRetryAt))
	}
	return strings.Join(out, ", ")
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// receiveCounter counts the activities a node's inboxes receive, by id, and
// calls trigger (once, before passing it on) when the at-th arrives.
type receiveCounter struct {
	next    http.Handler
	at      int
	trigger func()

	mu    sync.Mutex
	total int
	ids   map[string]int
}

func (c *receiveCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/inbox") {
		c.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var act struct{ ID string }
	json.Unmarshal(body, &act)
	c.mu.Lock()
	if c.ids == nil {
		c.ids = map[string]int{}
	}
	c.ids[act.ID]++
	c.total++
	fire := c.total == c.at
	c.mu.Unlock()
	if fire {
		c.trigger()
	}
	c.next.ServeHTTP(w, r)
}

// duplicates lists the activities received more than once, or "".
func (c *receiveCounter) duplicates() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, n := range c.ids {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s × %d", id, n))
		}
	}
	return strings.Join(out, ", ")
}
