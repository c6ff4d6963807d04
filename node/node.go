// Package node assembles a Ruche node from its configuration: it opens and
// migrates the database, builds the domain service, mounts every HTTP door on
// one router, and serves it until asked to stop. cmd/ruche runs one node; tests
// run several in one process.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/api"
	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/internal/buildinfo"
	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/internal/mail"
	"github.com/ruche-social/ruche/internal/metrics"
	"github.com/ruche-social/ruche/mastodon"
	"github.com/ruche-social/ruche/spaces"
	"github.com/ruche-social/ruche/web"
)

// Roles a process can take: web serves HTTP, worker runs background jobs, all both.
const (
	RoleAll    = "all"
	RoleWeb    = "web"
	RoleWorker = "worker"
)

// ShutdownTimeout bounds a graceful stop: in-flight requests get this long.
const ShutdownTimeout = 15 * time.Second

// Options are the settings of a node that are not configuration: how this
// process runs it.
type Options struct {
	Role      string // all (default), web or worker
	NoMigrate bool   // do not migrate at start; fail readiness if migrations are pending
	Logger    *slog.Logger
	// Spaces overrides domain options derived from the configuration (tests
	// lower the password hashing cost and move the clock).
	Spaces func(*spaces.Options)
	// Now is the clock of the domain and of federation; nil means time.Now.
	// Tests move it to make retries due without waiting.
	Now func() time.Time
}

// Node is one running Ruche node.
type Node struct {
	Config     config.Config
	DB         *db.DB
	Spaces     *spaces.Service
	Federation *federation.Federation
	Log        *slog.Logger
	// Metrics is the registry served on metrics.listen; nil when that is
	// not set.
	Metrics *metrics.Metrics

	role    string
	apps    *mastodon.API
	router  *mux.Router
	handler http.Handler
}

// New validates cfg, opens the database, checks that it belongs to cfg's
// public_url (a *PublicURLError, before anything is changed, if not), migrates
// it unless told not to, records the public_url on a new node, and wires the
// node. Its Config carries the public_url as recorded. Close releases what it
// opened.
func New(ctx context.Context, cfg config.Config, opts Options) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	role := opts.Role
	switch role {
	case "":
		role = RoleAll
	case RoleAll, RoleWeb, RoleWorker:
	default:
		return nil, fmt.Errorf("role %q is invalid: want all, web or worker", role)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	d, p, err := openChecked(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if !opts.NoMigrate {
		applied, err := d.Migrate(ctx)
		if err != nil {
			d.Close()
			return nil, err
		}
		for _, name := range applied {
			log.Info("migration applied", "name", name)
		}
	}
	if p, err = recordPublicURL(ctx, d, cfg.PublicURL, p); err != nil {
		d.Close()
		return nil, err
	}
	cfg.PublicURL = p.origin // every id below is built from the node's own spelling
	sopts := spaces.Options{
		Registrations:     cfg.Registrations,
		NodeName:          cfg.Node.Name,
		NodeDescription:   cfg.Node.Description,
		MembersCanInvite:  cfg.Invites.MembersCanInvite,
		InviteTTL:         cfg.Invites.TTL,
		SessionTTL:        cfg.Sessions.TTL,
		DefaultLocale:     cfg.Node.DefaultLocale,
		Now:               opts.Now,
		PublicURL:         cfg.Origin(),
		SpaceCreation:     cfg.Spaces.Creation,
		MediaDir:          cfg.Media.Dir,
		MaxUpload:         int64(cfg.Media.MaxUploadMB) << 20,
		DocumentMaxUpload: int64(cfg.Documents.MaxUploadMB) << 20,
		DocumentTypes:     cfg.Documents.Types,
	}
	// The domain reaches remote actors through the federation side, built
	// below on the same service: these late-bound seams close the loop.
	var fed *federation.Federation
	sopts.ResolveHandle = func(ctx context.Context, username, host string) (*spaces.Account, error) {
		return fed.ResolveHandle(ctx, username, host)
	}
	sopts.NetworkPeer = func(host string) bool { return fed.InAllowlist(host) }
	if opts.Spaces != nil {
		opts.Spaces(&sopts)
	}
	n := &Node{Config: cfg, DB: d, Spaces: spaces.New(d, sopts), Log: log, role: role}
	if cfg.Metrics.Listen != "" {
		n.Metrics = metrics.New(d.Pool(), func(ctx context.Context) (*spaces.FederationStatus, error) {
			return n.Federation.Status(ctx)
		})
	}
	if err := n.federate(ctx, opts); err != nil {
		d.Close()
		return nil, err
	}
	fed = n.Federation
	n.handler, err = n.routes()
	if err != nil {
		d.Close()
		return nil, err
	}
	return n, nil
}

// federate wires the federation side: it listens to the domain's events
// (turning them into activities) and, once the schema is current, makes sure
// the node's own actor exists.
func (n *Node) federate(ctx context.Context, opts Options) error {
	fopts := federation.Options{Config: n.Config, Spaces: n.Spaces, Log: n.Log, Now: opts.Now}
	if n.Metrics != nil {
		fopts.Meter = n.Metrics
	}
	fed, err := federation.New(fopts)
	if err != nil {
		return err
	}
	n.Spaces.Listen(fed)
	n.Spaces.SetFederationAdmin(fed)
	n.Federation = fed
	if pending, err := n.DB.PendingMigrations(ctx); err != nil || pending > 0 {
		return nil // not ready: /readyz says so, and the actor is made on a later start
	}
	return fed.Start(ctx)
}

// routes mounts every door on one router.
func (n *Node) routes() (http.Handler, error) {
	proxies, err := n.Config.ProxyPrefixes()
	if err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	n.router = r
	if n.Metrics != nil {
		r.Use(n.Metrics.Middleware)
	}
	r.HandleFunc("/healthz", n.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", n.readyz).Methods(http.MethodGet, http.MethodHead)
	api.New(n.Spaces, n.Config.Secure(), proxies).Mount(r)
	n.Federation.Mount(r)
	opts := web.Options{PublicURL: n.Config.Origin(), TrustedProxies: proxies}
	if n.Config.Mail.SMTPURL != "" {
		if opts.Mailer, err = mail.New(n.Config.Mail.SMTPURL, n.Config.Mail.From); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
	}
	ui, err := web.New(n.Spaces, opts)
	if err != nil {
		return nil, err
	}
	apps, err := mastodon.New(mastodon.Options{
		Spaces: n.Spaces, Origin: n.Config.Origin(), TrustedProxies: proxies, Version: buildinfo.Version(),
		StaticURL: ui.StaticURL,
	})
	if err != nil {
		return nil, err
	}
	apps.Mount(r)
	n.apps = apps
	ui.Mount(r) // last: the web door answers every path no other door claims

	var h http.Handler = r
	h = securityHeaders(h)
	cop := http.NewCrossOriginProtection()
	for _, p := range mastodon.Prefixes {
		// Bearer tokens only: no cookie for another site's page to ride on.
		cop.AddInsecureBypassPattern(p)
	}
	h = cop.Handler(h)
	return httpx.Observe(n.Log, h), nil
}

// Handler is the node's whole HTTP surface.
func (n *Node) Handler() http.Handler { return n.handler }

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}

// healthz answers as long as the process serves HTTP.
func (n *Node) healthz(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 when the database answers and its schema is current, so a
// load balancer sends traffic only to nodes that can serve it.
func (n *Node) readyz(w http.ResponseWriter, r *http.Request) {
	if err := n.Ready(r.Context()); err != nil {
		httpx.Logger(r.Context()).Warn("not ready", "err", err)
		writeStatus(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": err.Error()})
		return
	}
	writeStatus(w, http.StatusOK, map[string]any{"status": "ready"})
}

// Ready tells whether the node can serve: database reachable, no migration pending.
func (n *Node) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := n.DB.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	pending, err := n.DB.PendingMigrations(ctx)
	if err != nil {
		return errors.New("cannot read the migration status")
	}
	if pending > 0 {
		return fmt.Errorf("%d migrations pending: run `ruche migrate up`", pending)
	}
	return nil
}

func writeStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Serve serves HTTP on ln, and runs the background workers when the node's
// role includes them, until ctx is done; then it stops gracefully: it stops
// accepting, lets in-flight requests and deliveries finish for up to
// ShutdownTimeout, and returns. It does not close the database: Close does.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	var workers sync.WaitGroup
	defer workers.Wait() // after cancel below: the workers see ctx done, finish, return
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if n.role != RoleWeb {
		workers.Go(func() { n.Federation.Run(ctx) })
		workers.Go(func() { n.everyMinute(ctx) })
	}
	srv := &http.Server{
		Handler:           n.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Streams never end on their own: Shutdown would wait for them.
	srv.RegisterOnShutdown(n.apps.CloseStreams)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	servers := []*http.Server{srv}
	if n.Metrics != nil {
		mln, err := net.Listen("tcp", n.Config.Metrics.Listen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("metrics: listen on %s: %w", n.Config.Metrics.Listen, err)
		}
		n.Log.Info("metrics", "addr", mln.Addr().String(), "path", "/metrics")
		routes := http.NewServeMux()
		routes.Handle("GET /metrics", n.Metrics.Handler())
		// Go's profiles too, to find what bounds a busy node (a CPU
		// profile takes ?seconds=N, at most a minute).
		routes.HandleFunc("GET /debug/pprof/", pprof.Index)
		routes.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		routes.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		routes.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		msrv := &http.Server{Handler: routes, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 70 * time.Second}
		go func() { errc <- msrv.Serve(mln) }()
		servers = append(servers, msrv)
	}
	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return err
	case <-ctx.Done():
	}
	n.Log.Info("shutting down", "timeout", ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			return fmt.Errorf("graceful shutdown: %w", err)
		}
	}
	return nil
}

// everyMinute does, every minute until ctx is done, what comes with time:
// it reminds members of the events they go to and closes the polls that
// ended. Each event and poll is claimed in the database, so that several
// workers do each once.
func (n *Node) everyMinute(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		for _, job := range []struct {
			name string
			run  func(context.Context) (int, error)
		}{{"event reminders", n.Spaces.RemindEvents}, {"polls closed", n.Spaces.ClosePolls}} {
			if count, err := job.run(ctx); err != nil && ctx.Err() == nil {
				n.Log.Warn(job.name, "err", err)
			} else if count > 0 {
				n.Log.Info(job.name, "count", count)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Close ends the streaming connections and releases the database.
func (n *Node) Close() error {
	if n.apps != nil {
		n.apps.CloseStreams()
	}
	n.Federation.Close()
	return n.DB.Close()
}

// NewLogger builds the node's structured logger from the log settings.
func NewLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
