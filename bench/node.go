package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/node"
)

// engine is a database the harness runs a figure on.
type engine struct {
	name string // SQLite or PostgreSQL, as the table shows it
	pg   bool
}

// engines lists SQLite, and PostgreSQL when RUCHE_TEST_POSTGRES names a
// server to create databases on.
func (e *env) engines() []engine {
	var out []engine
	if e.engineSel != "postgres" {
		out = append(out, engine{name: "SQLite"})
	}
	if e.pgDSN != "" && e.engineSel != "sqlite" {
		out = append(out, engine{name: "PostgreSQL", pg: true})
	}
	return out
}

// database makes an empty database for one part of a run: a file under the
// work directory, or a new database on the PostgreSQL server (dropped by the
// returned cleanup).
func (e *env) database(ctx context.Context, eng engine, name string) (dbURL string, cleanup func(), err error) {
	if !eng.pg {
		dir := filepath.Join(e.work, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "ruche.db"), func() {}, nil
	}
	dbName := fmt.Sprintf("ruche_bench_%s_%d", name, os.Getpid())
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.pgDSN), pgdriver.WithReadTimeout(5*time.Minute)))
	defer admin.Close()
	admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+dbName)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+dbName); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", dbName, err)
	}
	u, err := url.Parse(e.pgDSN)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + dbName
	return u.String(), func() {
		a := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(e.pgDSN), pgdriver.WithReadTimeout(5*time.Minute)))
		defer a.Close()
		a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
	}, nil
}

// nodeConfig is the configuration of a node under test: its database, its
// address (public_url = http://addr) and permission to talk to the harness's
// peers on loopback.
func nodeConfig(dbURL, addr, dir string) config.Config {
	cfg := config.Default()
	cfg.Database.URL = dbURL
	cfg.PublicURL = "http://" + addr
	cfg.Listen = addr
	cfg.Media.Dir = filepath.Join(dir, "media")
	cfg.Federation.AllowPrivateAddresses = true
	return cfg
}

// nodeEnv is the same configuration for a `ruche serve` process.
func nodeEnv(cfg config.Config) []string {
	env := []string{
		"RUCHE_DATABASE_URL=" + cfg.Database.URL,
		"RUCHE_PUBLIC_URL=" + cfg.PublicURL,
		"RUCHE_LISTEN=" + cfg.Listen,
		"RUCHE_MEDIA_DIR=" + cfg.Media.Dir,
		"RUCHE_FEDERATION_ALLOW_PRIVATE_ADDRESSES=true",
	}
	if cfg.Metrics.Listen != "" {
		env = append(env, "RUCHE_METRICS_LISTEN="+cfg.Metrics.Listen)
	}
	return env
}

// setupNode opens the node in the harness's process to prepare it (migrate,
// create members through the domain, seed rows); the caller closes it before
// the measured `ruche serve` starts on the same database.
func setupNode(ctx context.Context, cfg config.Config) (*node.Node, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return node.New(ctx, cfg, node.Options{Role: node.RoleWeb, Logger: log})
}

// serve starts `ruche serve` on cfg and waits until it is ready.
func (e *env) serve(ctx context.Context, dir string, cfg config.Config) (*proc, time.Duration, error) {
	ruche, err := filepath.Abs(e.ruche)
	if err != nil {
		return nil, 0, err
	}
	return startAt(ctx, dir, cfg.Listen, ruche, nodeEnv(cfg), "serve")
}

// member is a signed-in browser session of a member on a node.
type member struct {
	origin string
	client *http.Client
}

// signIn signs a member in through the JSON API.
func signIn(origin, username, password string) (*member, error) {
	jar, _ := cookiejar.New(nil)
	m := &member{origin: origin, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	resp, err := m.client.Post(origin+"/api/ruche/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("sign in as %s: status %d: %s", username, resp.StatusCode, b)
	}
	return m, nil
}

// setDisplayName changes the member's display name with the settings form, as
// a browser does; the node tells the member's followers (Update of the actor).
func (m *member) setDisplayName(name string) error {
	resp, err := m.client.Get(m.origin + "/settings")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	u, _ := url.Parse(m.origin)
	csrf := ""
	for _, c := range m.client.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "ruche_csrf") {
			csrf = c.Value
		}
	}
	form := url.Values{"csrf": {csrf}, "display_name": {name}}
	client := *m.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = client.PostForm(m.origin+"/settings", form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("save profile: status %d: %.300s", resp.StatusCode, b)
	}
	return nil
}
