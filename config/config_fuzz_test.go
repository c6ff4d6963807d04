package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// FuzzLoad: whatever ruche.yaml holds, loading and validating it never
// panics and ends in one of three ways: the file is not YAML; an error that
// names a key (unknown, of the wrong type, or invalid); or a Config that
// Validate accepts, which reads the same once printed (`ruche config
// print`) and loaded again.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		// the README's example, and every key set
		"public_url: https://ville-a.example\nlisten: 127.0.0.1:8080\ndatabase:\n  url: postgres://ruche:secret@127.0.0.1:5432/ruche?sslmode=disable\nregistrations: invite\nnode:\n  name: Ville A\n  default_locale: fr\nlog:\n  format: json\n",
		"public_url: https://ville-b.example/\nlisten: :8080\nregistrations: open\ntrusted_proxies: [10.0.0.0/8, \"::1/128\"]\nnode: {name: \"Ville B\", description: \"# not a comment\", default_locale: de}\n" +
			"database: {url: \"sqlite:/var/lib/ruche/ruche.db\"}\nmedia: {dir: /var/lib/ruche/media, max_upload_mb: 1024}\nspaces: {creation: admins}\n" +
			"invites: {members_can_invite: yes, ttl: 48h}\nsessions: {ttl: 720h}\nlog: {level: debug, format: text}\n" +
			"federation: {allow_private_addresses: false, mode: allowlist, allowlist: [ville-a.example, \"dept.example:8443\"], authorized_fetch: true, signature_max_skew: 5m, delivery_workers: 16, delivery_per_host: 16, inbox_workers: 64, delivery_timeout: 1s, delivery_max_age: 720h}\n" +
			"mail: {smtp_url: \"smtps://u:p@mail.example:465\", from: \"Ruche <ruche@ville-b.example>\"}\n",
		"", "---\n", "# only a comment\n", "node:\n", "node: ~\n", "{}",
		// typos, wrong types and values off limits
		"lisen: 127.0.0.1:1\n", "node: Ville A\n", "node:\n  name:\n    - a\n", "trusted_proxies: 10.0.0.0/8\n",
		"media:\n  max_upload_mb: \"20\"\n", "media:\n  max_upload_mb: 2.5\n", "media:\n  max_upload_mb: 99999999999999999999\n",
		"invites:\n  ttl: 7d\n", "sessions:\n  ttl: 1000000000\n", "federation:\n  delivery_per_host: 300\n  delivery_workers: 256\n",
		"federation:\n  mode: allowlist\n", "federation:\n  allowlist: https://ville-b.example/\n", "federation: {allowlist: [{a: b}]}\n",
		"public_url: \"javascript:alert(1)\"\n", "Public_URL: https://X.example\n", "listen: 8080\n", "mail: {smtp_url: \"smtp://mail.example\"}\n",
		// YAML that is not a map, is malformed, or expands
		"- a\n- b\n", "listen: [\n", "\t- x", "a: &a [*a]\n", "x: &x {a: 1}\nnode: *x\n", "? [a, b]\n: c\n", "1: 2\n", "!!binary aGk=: x\n",
		"node: {name: !!int x}\n", "\xff\xfe", "node:\n  name: \"\\u0000\"\n",
	} {
		f.Add([]byte(s))
	}
	file := filepath.Join(f.TempDir(), "ruche.yaml")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(file, content, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(LoadOptions{File: file})
		if err != nil {
			var parse viper.ConfigParseError
			if !errors.As(err, &parse) && !strings.Contains(err.Error(), "unknown key") && !namesKey(err) {
				t.Fatalf("%q: the error names no key: %v", content, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			if !slices.ContainsFunc(Keys(), func(k string) bool { return strings.HasPrefix(err.Error(), "config: "+k+" = ") }) {
				t.Fatalf("%q: the error does not start with the key: %v", content, err)
			}
			return
		}
		again := reload(t, c)
		for k, v := range c.Flat() {
			if !sameValue(v, again.Flat()[k]) {
				t.Fatalf("%q: %s = %#v, printed and loaded again %#v", content, k, v, again.Flat()[k])
			}
		}
	})
}

// namesKey tells whether err names one of the keys.
func namesKey(err error) bool {
	return slices.ContainsFunc(Keys(), func(k string) bool { return strings.Contains(err.Error(), k) })
}

// reload prints c as `ruche config print` does, key by key, writes that as
// a file (JSON, which is YAML) and loads it.
func reload(t *testing.T, c Config) Config {
	t.Helper()
	tree := map[string]any{}
	for k, v := range c.Flat() {
		m := tree
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			if _, ok := m[p]; !ok {
				m[p] = map[string]any{}
			}
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "printed.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Load(LoadOptions{File: file})
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v\n%s", err, b)
	}
	if err := again.Validate(); err != nil {
		t.Fatalf("the printed configuration is not valid: %v\n%s", err, b)
	}
	return again
}

// sameValue compares two values of Flat; an empty list and no list are the
// same setting.
func sameValue(a, b any) bool {
	la, okA := a.([]string)
	lb, okB := b.([]string)
	if okA && okB {
		return slices.Equal(la, lb)
	}
	return a == b
}
