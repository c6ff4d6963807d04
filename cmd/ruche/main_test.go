package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
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

// binary is the ruche command built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ruche-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ruche")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ruche: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ruche runs the binary in dir with a clean RUCHE_* environment.
func ruche(t *testing.T, dir, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUCHE_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeEndToEnd is what a new admin does: start the node, create the admin
// with the command the log prints, sign in over HTTP, stop with SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			dir := t.TempDir()
			addr := freePort(t)
			dbURL := dbtest.URL(t, dialect)
			serve := exec.Command(binary, "serve", "--listen", addr, "--public-url", "http://"+addr, "--database-url", dbURL)
			serve.Dir = dir
			serve.Env = cleanEnv()
			var logs testlog.Buffer
			serve.Stdout, serve.Stderr = &logs, &logs
			if err := serve.Start(); err != nil {
				t.Fatal(err)
			}
			defer serve.Process.Kill()

			base := "http://" + addr
			waitReady(t, base, &logs)
			hint := logLine(t, &logs, "admin user create")
			if !strings.Contains(hint, "--database-url") || !strings.Contains(hint, "--public-url '"+base+"'") || !strings.Contains(hint, "--role admin") {
				t.Fatalf("the hint must be a runnable command for this node: %s", hint)
			}

			out, errOut, code := ruche(t, dir, "correct horse battery\n", "admin", "user", "create", "--public-url", base,
				"--database-url", dbURL, "--role", "admin", "--username", "node_admin", "--email", "admin@example.org", "--password-stdin")
			if code != 0 {
				t.Fatalf("admin user create: exit %d: %s %s", code, out, errOut)
			}
			_, errOut, code = ruche(t, dir, "correct horse battery\n", "admin", "user", "create", "--public-url", base,
				"--database-url", dbURL, "--username", "node_admin", "--email", "other@example.org", "--password-stdin")
			if code != 1 || !strings.Contains(errOut, "username_taken") {
				t.Fatalf("duplicate username: exit %d: %s", code, errOut)
			}

			res, err := http.Post(base+"/api/ruche/v1/auth/login", "application/json",
				strings.NewReader(`{"username":"node_admin","password":"correct horse battery"}`))
			if err != nil {
				t.Fatal(err)
			}
			var me map[string]any
			json.NewDecoder(res.Body).Decode(&me)
			res.Body.Close()
			if res.StatusCode != 200 || me["role"] != "admin" {
				t.Fatalf("login: %d %v", res.StatusCode, me)
			}

			serve.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- serve.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve did not exit 0 on SIGTERM: %v\n%s", err, logs.String())
				}
			case <-time.After(20 * time.Second): // the graceful-shutdown bound plus slack, not a speed check
				t.Fatalf("serve did not stop within the shutdown bound\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), "stopped") {
				t.Fatalf("no clean stop in the log:\n%s", logs.String())
			}
		})
	}
}

func waitReady(t *testing.T, base string, logs *testlog.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node never became ready:\n%s", logs.String())
}

func logLine(t *testing.T, logs *testlog.Buffer, substr string) string {
	t.Helper()
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, substr) {
			return line
		}
	}
	t.Fatalf("no log line with %q:\n%s", substr, logs.String())
	return ""
}

func TestBadConfigExitsTwoWithoutTouchingTheDatabase(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"serve", "--registrations", "maybe"},
		{"serve", "--public-url", "not a url"},
		{"serve", "--log-level", "loud"},
		{"serve", "--listen", "nowhere"},
		{"serve", "--database-url", "mysql://x"},
		{"serve", "--no-such-flag"},
		{"serve", "--role", "boss"},
		{"serve", "--config", filepath.Join(dir, "missing.yaml")},
		{"migrate", "sideways"},
		{"admin", "user", "frobnicate"},
		{"nope"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, errOut, code := ruche(t, dir, "", args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, errOut)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 1 {
				t.Fatalf("want a short error, got:\n%s", errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
				t.Fatal("the database was created despite the bad configuration")
			}
		})
	}
	_, errOut, _ := ruche(t, dir, "", "serve", "--registrations", "maybe")
	if !strings.Contains(errOut, "registrations") || !strings.Contains(errOut, "maybe") || !strings.Contains(errOut, "closed, invite, open") {
		t.Fatalf("the error must name the key, the value and what is allowed: %s", errOut)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	_, errOut, code := ruche(t, t.TempDir(), "", "serve", "--database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	if code != 1 || !strings.Contains(errOut, "connect to postgres") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "r.db")
	run := func(stdin string, args ...string) (string, string, int) {
		return ruche(t, dir, stdin, append(args, "--database-url", dbURL)...)
	}
	mustRun := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := run(stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	mustRun("correct horse battery\n", "admin", "user", "create", "--username", "chief", "--email", "chief@example.org", "--role", "admin", "--password-stdin")
	mustRun("correct horse battery\n", "admin", "user", "create", "--username", "bob", "--email", "bob@example.org", "--password-stdin")

	if _, errOut, code := run("", "admin", "user", "create", "--username", "carol", "--email", "c@example.org"); code != 2 || !strings.Contains(errOut, "--password-stdin") {
		t.Fatalf("no terminal and no --password-stdin: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("short\n", "admin", "user", "create", "--username", "carol", "--email", "c@example.org", "--password-stdin"); code != 2 || !strings.Contains(errOut, "password_too_short") {
		t.Fatalf("weak password: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("correct horse battery\n", "admin", "user", "create", "--username", "api", "--email", "c@example.org", "--password-stdin"); code != 2 || !strings.Contains(errOut, "username_reserved") {
		t.Fatalf("reserved name: exit %d: %s", code, errOut)
	}
	if out := mustRun("", "admin", "user", "promote", "bob", "--role", "moderator"); !strings.Contains(out, "bob is now moderator") {
		t.Fatal(out)
	}
	if out := mustRun("", "admin", "user", "suspend", "bob"); !strings.Contains(out, "suspended") {
		t.Fatal(out)
	}
	out := mustRun("", "admin", "user", "list", "--status", "suspended")
	if !strings.Contains(out, "bob") || strings.Contains(out, "chief") {
		t.Fatalf("list of suspended members:\n%s", out)
	}
	mustRun("", "admin", "user", "unsuspend", "bob")
	if _, errOut, code := run("", "admin", "user", "demote", "chief"); code != 1 || !strings.Contains(errOut, "last_admin") {
		t.Fatalf("demoting the last admin: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("", "admin", "user", "suspend", "ghost"); code != 1 || !strings.Contains(errOut, "member_not_found") {
		t.Fatalf("unknown member: exit %d: %s", code, errOut)
	}
	mustRun("another good passphrase\n", "admin", "user", "reset-password", "bob", "--password-stdin")
	out = mustRun("", "admin", "invite", "create", "--uses", "3", "--note", "for the schools")
	if !strings.Contains(out, "/register?invite=") || !strings.Contains(out, "uses: 3") {
		t.Fatalf("invite create:\n%s", out)
	}
	if out := mustRun("", "migrate", "status"); !strings.Contains(out, "_accounts") || strings.Contains(out, "pending") {
		t.Fatalf("migrate status:\n%s", out)
	}
	if out := mustRun("", "migrate", "up"); !strings.Contains(out, "nothing to apply") {
		t.Fatalf("migrate up on a current schema:\n%s", out)
	}
}

func TestConfigPrintRedacts(t *testing.T) {
	out, errOut, code := ruche(t, t.TempDir(), "", "config", "print", "--database-url", "postgres://ruche:hunter2@db.example/ruche")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "database.url = postgres://ruche:REDACTED@db.example/ruche") {
		t.Fatalf("config print:\n%s", out)
	}
	if !strings.Contains(out, "registrations = invite") {
		t.Fatalf("config print lacks defaults:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := ruche(t, t.TempDir(), "", "version")
	if code != 0 || !strings.HasPrefix(out, "ruche ") {
		t.Fatalf("version: %d %q", code, out)
	}
}
