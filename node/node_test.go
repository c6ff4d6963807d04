package node

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func testConfig(t *testing.T, dialect db.Dialect) config.Config {
	cfg := config.Default()
	cfg.Database.URL = dbtest.URL(t, dialect)
	cfg.Media.Dir = filepath.Join(t.TempDir(), "media")
	return cfg
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Every first path segment the node routes must be a reserved name, or a member
// called after it would shadow (or be shadowed by) the route.
func TestRouteSegmentsAreReserved(t *testing.T) {
	n, err := New(context.Background(), testConfig(t, db.SQLite), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	seen := 0
	err = n.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil // a route without a path (none today)
		}
		seg := strings.SplitN(strings.TrimPrefix(tpl, "/"), "/", 2)[0]
		seg = strings.NewReplacer(".", "", "-", "_").Replace(seg)
		if seg == "" || strings.HasPrefix(seg, "@") || strings.HasPrefix(seg, "{") {
			return nil
		}
		seen++
		if !spaces.IsReservedName(seg) {
			t.Errorf("route %s: segment %q is not a reserved name", tpl, seg)
		}
		return nil
	})
	if err != nil || seen == 0 {
		t.Fatalf("walk: %v, %d routes seen", err, seen)
	}
}

func TestReadiness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cfg := testConfig(t, d.Dialect())
		ctx := context.Background()
		n, err := New(ctx, cfg, Options{Logger: quiet, NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.Ready(ctx); err == nil || !strings.Contains(err.Error(), "migrations pending") {
			t.Fatalf("a node on an unmigrated database must not be ready: %v", err)
		}
		if _, err := n.DB.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n.Ready(ctx); err != nil {
			t.Fatalf("after migrating: %v", err)
		}
	})
}

func TestMigrationsAreIdempotentAndConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cfg := testConfig(t, d.Dialect())
		ctx := context.Background()
		errs := make(chan error, 3)
		for range 3 { // three processes starting at once on one database
			go func() {
				n, err := New(ctx, cfg, Options{Logger: quiet})
				if err == nil {
					n.Close()
				}
				errs <- err
			}()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	n, err := New(context.Background(), testConfig(t, db.SQLite), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	started, release := make(chan struct{}), make(chan struct{})
	n.router.HandleFunc("/slow-test", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx, ln) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow-test")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-started
	stop() // SIGTERM arrives while a request is in flight
	// New connections are refused once shutdown begins.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request: %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestHealthAndHeaders(t *testing.T) {
	n, err := New(context.Background(), testConfig(t, db.SQLite), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go n.Serve(ctx, ln)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: %d %v", path, res.StatusCode, res.Header)
		}
	}
}

// Streams never end on their own: a graceful stop ends them, rather than
// wait for them until its timeout.
func TestShutdownEndsStreams(t *testing.T) {
	ctx := context.Background()
	n, err := New(ctx, testConfig(t, db.SQLite), Options{Logger: quiet,
		Spaces: func(o *spaces.Options) { o.Password = spaces.PasswordParams{Memory: 64, Time: 1, Threads: 1} }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	acct, err := n.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{Username: "alice", Email: "alice@example.org", Password: "correct horse battery staple", Role: spaces.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	app, secret, err := n.Spaces.RegisterApp(ctx, spaces.NewApp{Name: "App", RedirectURIs: []string{spaces.OutOfBand}, Scopes: "read"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := n.Spaces.Authorize(ctx, acct, spaces.AuthorizationRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: spaces.OutOfBand, Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := n.Spaces.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: code})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- n.Serve(sctx, ln) }()

	rctx, cancel := context.WithTimeout(ctx, 4*ShutdownTimeout) // fails, rather than hangs, if the stream outlives the stop
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", "http://"+ln.Addr().String()+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	if _, err := res.Body.Read(make([]byte, 16)); err != nil {
		t.Fatalf("opening of the stream: %v", err)
	}
	stop()
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
