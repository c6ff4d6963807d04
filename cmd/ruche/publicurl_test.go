package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/testlog"
)

// TestPublicURLIsPinned is the reported scenario: a node runs under its
// public_url, and `admin user create` run without the server's environment
// (so with the default public_url) is refused with exit 2 and one message
// naming both values, and creates no account. With the node's public_url,
// spelled with a trailing slash, the same command works and the member's
// keyId is the node's. Serving or migrating with another public_url is
// refused too; config print and version, which need no database, are not.
func TestPublicURLIsPinned(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			const nodeURL, defaultURL = "https://ville-a.example", "http://localhost:8080"
			dir := t.TempDir()
			addr := freePort(t)
			dbURL := dbtest.URL(t, dialect)
			serve := exec.Command(binary, "serve", "--listen", addr, "--public-url", nodeURL, "--database-url", dbURL)
			serve.Dir = dir
			serve.Env = cleanEnv()
			var logs testlog.Buffer
			serve.Stdout, serve.Stderr = &logs, &logs
			if err := serve.Start(); err != nil {
				t.Fatal(err)
			}
			defer serve.Process.Kill()
			waitReady(t, "http://"+addr, &logs)

			create := func(extra ...string) (string, int) {
				args := append([]string{"admin", "user", "create", "--database-url", dbURL,
					"--username", "alice", "--email", "alice@example.org", "--password-stdin"}, extra...)
				_, errOut, code := ruche(t, dir, "correct horse battery\n", args...)
				return errOut, code
			}
			errOut, code := create()
			wantRefused(t, "admin user create", errOut, code, defaultURL, nodeURL)
			// Had the refused command created alice, this one would fail
			// with username_taken (exit 1).
			if errOut, code := create("--public-url", nodeURL+"/"); code != 0 {
				t.Fatalf("admin user create with the node's public_url: exit %d: %s", code, errOut)
			}
			if keyID := keyIDOf(t, dbURL, "alice"); keyID != nodeURL+"/users/alice#main-key" {
				t.Fatalf("alice's keyId is %s", keyID)
			}

			serve.Process.Signal(syscall.SIGTERM)
			if err := serve.Wait(); err != nil {
				t.Fatalf("serve did not stop cleanly: %v\n%s", err, logs.String())
			}
			errOut, code = runBounded(t, dir, "serve", "--listen", freePort(t), "--database-url", dbURL)
			wantRefused(t, "serve", errOut, code, defaultURL, nodeURL)
			errOut, code = runBounded(t, dir, "serve", "--listen", freePort(t), "--database-url", dbURL, "--public-url", "https://ville-b.example")
			wantRefused(t, "serve", errOut, code, "https://ville-b.example", nodeURL)
			_, errOut, code = ruche(t, dir, "", "migrate", "up", "--database-url", dbURL)
			wantRefused(t, "migrate up", errOut, code, defaultURL, nodeURL)
			if out, errOut, code := ruche(t, dir, "", "migrate", "status", "--database-url", dbURL, "--public-url", nodeURL); code != 0 || strings.Contains(out, "pending") {
				t.Fatalf("migrate status with the node's public_url: exit %d: %s %s", code, out, errOut)
			}
			if _, errOut, code := ruche(t, dir, "", "config", "print", "--database-url", dbURL); code != 0 {
				t.Fatalf("config print needs no database: exit %d: %s", code, errOut)
			}
			if _, errOut, code := ruche(t, dir, "", "version"); code != 0 {
				t.Fatalf("version: exit %d: %s", code, errOut)
			}
		})
	}
}

// TestMigrateRecordsNoPublicURL follows the README's production steps:
// `ruche migrate up` with only the database set records nothing, so the
// first command with the node's own configuration records its public_url.
func TestMigrateRecordsNoPublicURL(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "r.db")
	if out, errOut, code := ruche(t, dir, "", "migrate", "up", "--database-url", dbURL); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate up: exit %d: %s %s", code, out, errOut)
	}
	if _, errOut, code := ruche(t, dir, "correct horse battery\n", "admin", "user", "create", "--database-url", dbURL,
		"--public-url", "https://ville-b.example", "--username", "chief", "--email", "chief@example.org", "--password-stdin"); code != 0 {
		t.Fatalf("the first command with the node's public_url: exit %d: %s", code, errOut)
	}
	_, errOut, code := ruche(t, dir, "", "admin", "user", "list", "--database-url", dbURL)
	wantRefused(t, "admin user list", errOut, code, "http://localhost:8080", "https://ville-b.example")
}

// wantRefused checks a command's refusal of configured on a node of stored:
// exit 2, and a last line (serve logs its start before) that is one message
// naming both and the setting to use.
func wantRefused(t *testing.T, what, errOut string, code int, configured, stored string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	msg := lines[len(lines)-1]
	if code != 2 || !strings.HasPrefix(msg, "ruche: ") || !strings.Contains(msg, configured) || !strings.Contains(msg, "RUCHE_PUBLIC_URL="+stored) {
		t.Fatalf("%s with public_url %s on a node of %s: exit %d (want 2): %s", what, configured, stored, code, errOut)
	}
}

// runBounded runs the binary as ruche does, but kills it after a minute: a
// serve that is not refused would run until the test timed out.
func runBounded(t *testing.T, dir string, args ...string) (stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var errb testlog.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ruche %s was not refused: it ran for a minute\n%s", strings.Join(args, " "), errb.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return errb.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return errb.String(), 0
}

// keyIDOf reads the keyId of a local member's key from the database.
func keyIDOf(t *testing.T, dbURL, username string) string {
	t.Helper()
	d, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var keyID string
	err = d.Bun().QueryRowContext(context.Background(),
		`SELECT k.key_id FROM keys k JOIN accounts a ON a.id = k.account_id WHERE a.username = ? AND a.domain = ''`, username).Scan(&keyID)
	if err != nil {
		t.Fatalf("key of %s: %v", username, err)
	}
	return keyID
}
