package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFederationAdminCommands: keys, domain blocks, queue status and retry,
// and account deletion from the command line, with their exit codes.
func TestFederationAdminCommands(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "r.db")
	run := func(stdin string, args ...string) (string, string, int) {
		return ruche(t, dir, stdin, append(args, "--database-url", dbURL)...)
	}
	if _, errOut, code := run("correct horse battery\n", "admin", "user", "create", "--username", "alice", "--email", "a@example.org", "--password-stdin"); code != 0 {
		t.Fatalf("create alice: %d %s", code, errOut)
	}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"admin", "domain", "block", "spam.example", "--reason", "spam"}, 0, "spam.example is blocked"},
		{[]string{"admin", "domain", "block", "SPAM.example"}, 1, ""},
		{[]string{"admin", "domain", "block", "https://x.example/path"}, 1, ""},
		{[]string{"admin", "domain", "list"}, 0, "spam.example"},
		{[]string{"admin", "domain", "unblock", "spam.example"}, 0, "no longer blocked"},
		{[]string{"admin", "domain", "unblock", "spam.example"}, 1, ""},
		{[]string{"admin", "domain", "block"}, 2, ""},
		{[]string{"admin", "federation", "status"}, 0, "FAILING HOSTS"},
		{[]string{"admin", "federation", "retry", "peer.example"}, 0, "0 deliveries to peer.example"},
		{[]string{"admin", "federation", "retry"}, 2, ""},
		{[]string{"admin", "keys", "rotate", "alice"}, 0, "new key for alice"},
		{[]string{"admin", "keys", "rotate"}, 0, "new key for actor"},
		{[]string{"admin", "keys", "rotate", "nobody"}, 1, ""},
		{[]string{"admin", "user", "delete", "alice"}, 0, "alice is deleted"},
		{[]string{"admin", "user", "delete", "alice"}, 1, ""},
	}
	for _, s := range steps {
		out, errOut, code := run("", s.args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Errorf("ruche %s: exit %d (want %d), out %q, err %q", strings.Join(s.args, " "), code, s.code, out, errOut)
		}
	}
}
