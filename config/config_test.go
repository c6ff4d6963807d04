package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.PublicURL != "http://localhost:8080" || c.Database.URL != "sqlite:data/ruche.db" || c.Registrations != "invite" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.Secure() || c.Host() != "localhost:8080" {
		t.Fatalf("Secure/Host of the default public URL: %v %q", c.Secure(), c.Host())
	}
}

func TestEveryKeyIsInTheStructAndPrinted(t *testing.T) {
	flat := Default().Flat()
	for _, k := range Keys() {
		if _, ok := flat[k]; !ok {
			t.Errorf("key %s has a default but no field in Config", k)
		}
	}
	if len(flat) != len(Keys()) {
		t.Errorf("Config has %d fields, defaults %d keys: every field needs a default (viper ignores env for unknown keys)", len(flat), len(Keys()))
	}
}

func TestLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ruche.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:9000\nregistrations: open\nlog:\n  level: debug\ninvites:\n  ttl: 48h\n"), 0o600)
	t.Setenv("RUCHE_LISTEN", "127.0.0.1:9100")
	t.Setenv("RUCHE_DATABASE_URL", "postgres://u:secret@db.example/ruche")
	t.Setenv("RUCHE_FEDERATION_ALLOW_PRIVATE_ADDRESSES", "true")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--listen", "127.0.0.1:9200"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(LoadOptions{File: file, Env: true, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.Listen != "127.0.0.1:9200":
		t.Errorf("flag must win over env and file: listen = %s", c.Listen)
	case c.Database.URL != "postgres://u:secret@db.example/ruche":
		t.Errorf("env must win over the default: %s", c.Database.URL)
	case !c.Federation.AllowPrivateAddresses:
		t.Errorf("nested boolean from env not applied")
	case c.Registrations != "open" || c.Log.Level != "debug" || c.Invites.TTL != 48*time.Hour:
		t.Errorf("file values not applied: %+v", c)
	case c.Node.Name != "Ruche":
		t.Errorf("defaults lost: %+v", c.Node)
	}
	if got := c.Redacted().Database.URL; strings.Contains(got, "secret") {
		t.Errorf("redacted URL still has the password: %s", got)
	}
}

func TestConfigFromEnvVariable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.yaml")
	os.WriteFile(file, []byte("node:\n  name: Ville A\n"), 0o600)
	t.Setenv("RUCHE_CONFIG", file)
	c, err := Load(LoadOptions{Env: true})
	if err != nil || c.Node.Name != "Ville A" {
		t.Fatalf("RUCHE_CONFIG not read: %v %+v", err, c.Node)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("lisen: 127.0.0.1:1\n"), 0o600)
	if _, err := Load(LoadOptions{File: unknown}); err == nil || !strings.Contains(err.Error(), `"lisen"`) {
		t.Errorf("a misspelt key must be refused, got %v", err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("listen: [\n"), 0o600)
	if _, err := Load(LoadOptions{File: broken}); err == nil {
		t.Error("malformed YAML must be refused")
	}
	if _, err := Load(LoadOptions{File: filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing config file must be refused")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		key  string
		set  func(*Config)
		want string
	}{
		{"public_url", func(c *Config) { c.PublicURL = "ftp://x" }, `public_url = "ftp://x"`},
		{"public_url path", func(c *Config) { c.PublicURL = "https://x.example/ruche" }, "public_url"},
		{"public_url empty", func(c *Config) { c.PublicURL = "" }, "public_url"},
		{"listen", func(c *Config) { c.Listen = "8080" }, `listen = "8080"`},
		{"registrations", func(c *Config) { c.Registrations = "maybe" }, "closed, invite, open"},
		{"database.url", func(c *Config) { c.Database.URL = "mysql://x" }, "database.url"},
		{"database.url empty sqlite", func(c *Config) { c.Database.URL = "sqlite:" }, "database.url"},
		{"database password redacted", func(c *Config) { c.Database.URL = "postgres://u:hunter2@/x" }, "REDACTED"},
		{"log.level", func(c *Config) { c.Log.Level = "loud" }, "debug, info, warn, error"},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }, "log.format"},
		{"node.default_locale", func(c *Config) { c.Node.DefaultLocale = "es" }, "fr, en, de"},
		{"node.name", func(c *Config) { c.Node.Name = " " }, "node.name"},
		{"sessions.ttl", func(c *Config) { c.Sessions.TTL = time.Second }, "sessions.ttl"},
		{"trusted_proxies", func(c *Config) { c.TrustedProxies = []string{"nope"} }, "trusted_proxies"},
		{"media.dir", func(c *Config) { c.Media.Dir = "" }, "media.dir"},
		{"federation.mode", func(c *Config) { c.Federation.Mode = "closed" }, "open, allowlist"},
		{"federation.allowlist empty", func(c *Config) { c.Federation.Mode = FederationAllowlist }, "federation.allowlist"},
		{"federation.allowlist bad", func(c *Config) { c.Federation.Allowlist = []string{"https://x.example/"} }, "federation.allowlist"},
		{"federation.signature_max_skew", func(c *Config) { c.Federation.SignatureMaxSkew = time.Second }, "federation.signature_max_skew"},
		{"federation.delivery_workers", func(c *Config) { c.Federation.DeliveryWorkers = 0 }, "federation.delivery_workers"},
		{"federation.delivery_per_host", func(c *Config) { c.Federation.DeliveryPerHost = 99 }, "federation.delivery_per_host"},
		{"federation.inbox_workers", func(c *Config) { c.Federation.InboxWorkers = 0 }, "federation.inbox_workers"},
		{"federation.delivery_timeout", func(c *Config) { c.Federation.DeliveryTimeout = 0 }, "federation.delivery_timeout"},
		{"federation.delivery_max_age", func(c *Config) { c.Federation.DeliveryMaxAge = time.Minute }, "federation.delivery_max_age"},
		{"media.max_upload_mb", func(c *Config) { c.Media.MaxUploadMB = 0 }, "media.max_upload_mb = \"0\""},
		{"documents.max_upload_mb", func(c *Config) { c.Documents.MaxUploadMB = 2000 }, "documents.max_upload_mb = \"2000\""},
		{"documents.types", func(c *Config) { c.Documents.Types = []string{"application/pdf", "application/x-msdownload"} }, "documents.types = \"application/x-msdownload\""},
		{"spaces.creation", func(c *Config) { c.Spaces.Creation = "anyone" }, "members, admins"},
		{"mail.smtp_url", func(c *Config) { c.Mail.SMTPURL, c.Mail.From = "http://u:hunter2@mail.example", "a@b.example" }, `mail.smtp_url = "http://u:REDACTED@mail.example"`},
		{"mail.from", func(c *Config) { c.Mail.SMTPURL = "smtp://mail.example" }, "mail.from"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			c := Default()
			tc.set(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("the error leaks the database password")
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatal("the error must be one line")
			}
		})
	}
}

// Spellings of one origin normalise alike, so a configuration that differs
// from the recorded public_url only in form is still the same node.
func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://ville-a.example":       "https://ville-a.example",
		"https://ville-a.example/":      "https://ville-a.example",
		"HTTPS://Ville-A.Example:443/":  "https://ville-a.example",
		"http://localhost:80":           "http://localhost",
		"http://localhost:8080":         "http://localhost:8080",
		"https://ville-a.example:80":    "https://ville-a.example:80",
		"http://[::1]:8080/":            "http://[::1]:8080",
		"http://[::1]:80":               "http://[::1]",
		"https://ville-a.example:8443/": "https://ville-a.example:8443",
		"http://Ville-A.example:8080/":  "http://ville-a.example:8080",
		"https://ville-a.example:443":   "https://ville-a.example",
		"http://ville-a.example:443":    "http://ville-a.example:443",
		"https://ville-a.example/ruche": "",
		"ftp://ville-a.example":         "",
		"ville-a.example":               "",
		"https://user@ville-a.example/": "",
		"https://ville-a.example/?x=1":  "",
		"":                              "",
	} {
		got, err := NormalizeOrigin(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
