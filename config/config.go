// Package config holds the node's configuration: one Config struct, loaded from
// defaults, then an optional ruche.yaml, then RUCHE_* environment variables, then
// command-line flags, each layer overriding the one before.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/ruche-social/ruche/internal/dburl"
	"github.com/ruche-social/ruche/internal/mail"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Config is the effective configuration of a node.
type Config struct {
	// PublicURL is the node's origin as the world sees it, e.g. https://ville-a.example.
	// Every actor and object id is built from it.
	PublicURL     string `mapstructure:"public_url"`
	Listen        string `mapstructure:"listen"`
	Registrations string `mapstructure:"registrations"`
	// TrustedProxies are the addresses (CIDR) of reverse proxies whose
	// X-Forwarded-For header the node believes, to know a client's address.
	TrustedProxies []string `mapstructure:"trusted_proxies"`

	Node       Node       `mapstructure:"node"`
	Database   Database   `mapstructure:"database"`
	Media      Media      `mapstructure:"media"`
	Documents  Documents  `mapstructure:"documents"`
	Invites    Invites    `mapstructure:"invites"`
	Sessions   Sessions   `mapstructure:"sessions"`
	Log        Log        `mapstructure:"log"`
	Federation Federation `mapstructure:"federation"`
	Spaces     Spaces     `mapstructure:"spaces"`
	Mail       Mail       `mapstructure:"mail"`
	Metrics    Metrics    `mapstructure:"metrics"`
}

// Metrics serves /metrics (Prometheus text format) on an address of its
// own, never on the public one.
type Metrics struct {
	// Listen is host:port; empty: no metrics.
	Listen string `mapstructure:"listen"`
}

// Mail lets the node send mail: the links of members who forgot their
// password. Without an SMTP server the node sends none, and admins hand out
// reset links themselves.
type Mail struct {
	// SMTPURL is smtp://[user:password@]host[:port] (STARTTLS when offered,
	// port 587 by default) or smtps://… (TLS from the start, port 465).
	SMTPURL string `mapstructure:"smtp_url"`
	// From is the sender, e.g. "Ruche de Lyon <ruche@ville-a.example>".
	From string `mapstructure:"from"`
}

// Spaces holds the node's policies for spaces.
type Spaces struct {
	// Creation says who may create spaces: members (any member) or admins.
	Creation string `mapstructure:"creation"`
}

// Node describes the node to its visitors.
type Node struct {
	Name          string `mapstructure:"name"`
	Description   string `mapstructure:"description"`
	DefaultLocale string `mapstructure:"default_locale"`
}

// Database says where the node keeps its state.
type Database struct {
	// URL is sqlite:PATH (or file:PATH) for the embedded database, or
	// postgres://user:password@host/dbname for PostgreSQL.
	URL string `mapstructure:"url"`
}

// Media says where uploaded files live.
type Media struct {
	Dir string `mapstructure:"dir"`
	// MaxUploadMB bounds one uploaded file, in MiB.
	MaxUploadMB int `mapstructure:"max_upload_mb"`
}

// Documents bounds the files added to the documents of spaces.
type Documents struct {
	// MaxUploadMB bounds one file, in MiB; 0 takes media.max_upload_mb.
	MaxUploadMB int `mapstructure:"max_upload_mb"`
	// Types are the media types accepted, among DocumentTypes; empty: all.
	Types []string `mapstructure:"types"`
}

// DocumentTypes are the media types a node may accept in documents: those
// it recognises by content (spaces.sniff), whatever a file's name says.
var DocumentTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
}

// Invites says who may invite people to the node.
type Invites struct {
	// MembersCanInvite lets every active member create invitations, not only admins.
	MembersCanInvite bool          `mapstructure:"members_can_invite"`
	TTL              time.Duration `mapstructure:"ttl"`
}

// Sessions sets how long a sign-in lasts.
type Sessions struct {
	TTL time.Duration `mapstructure:"ttl"`
}

// Log sets the verbosity and format of the structured log.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Federation holds the settings of the node's exchanges with other servers.
type Federation struct {
	// AllowPrivateAddresses lets the node fetch from and deliver to loopback and
	// private addresses. Off in production: it is what stops SSRF.
	AllowPrivateAddresses bool `mapstructure:"allow_private_addresses"`
	// Mode is open (federate with any server not blocked) or allowlist
	// (only with the hosts in Allowlist).
	Mode      string   `mapstructure:"mode"`
	Allowlist []string `mapstructure:"allowlist"`
	// AuthorizedFetch demands a signature from a server that is not blocked
	// on every ActivityStreams GET (the instance actor's document excepted).
	AuthorizedFetch bool `mapstructure:"authorized_fetch"`
	// SignatureMaxSkew is how far the Date of a signed request may be from now.
	SignatureMaxSkew time.Duration `mapstructure:"signature_max_skew"`
	// DeliveryWorkers is how many deliveries one process makes at once, and
	// DeliveryPerHost how many of them may go to the same host.
	DeliveryWorkers int `mapstructure:"delivery_workers"`
	DeliveryPerHost int `mapstructure:"delivery_per_host"`
	// InboxWorkers is how many received activities one process handles at once.
	InboxWorkers int `mapstructure:"inbox_workers"`
	// DeliveryTimeout bounds one delivery (connect, send, answer).
	DeliveryTimeout time.Duration `mapstructure:"delivery_timeout"`
	// DeliveryMaxAge is how long a delivery is retried before it is given up.
	DeliveryMaxAge time.Duration `mapstructure:"delivery_max_age"`
}

// Federation modes.
const (
	FederationOpen      = "open"
	FederationAllowlist = "allowlist"
)

// The values an enumerated key may take.
var (
	RegistrationModes = []string{"closed", "invite", "open"}
	Locales           = []string{"fr", "en", "de"}
	LogLevels         = []string{"debug", "info", "warn", "error"}
	LogFormats        = []string{"text", "json"}
	FederationModes   = []string{FederationOpen, FederationAllowlist}
	SpaceCreators     = []string{"members", "admins"}
)

// defaults lists every key with its default value. Every key must be here: viper
// only maps RUCHE_* environment variables onto keys it already knows.
var defaults = map[string]any{
	"public_url":                         "http://localhost:8080",
	"listen":                             "127.0.0.1:8080",
	"registrations":                      "invite",
	"trusted_proxies":                    []string{"127.0.0.0/8", "::1/128"},
	"node.name":                          "Ruche",
	"node.description":                   "",
	"node.default_locale":                "fr",
	"database.url":                       "sqlite:data/ruche.db",
	"media.dir":                          "data/media",
	"media.max_upload_mb":                20,
	"documents.max_upload_mb":            0,
	"documents.types":                    []string{},
	"spaces.creation":                    "members",
	"invites.members_can_invite":         false,
	"invites.ttl":                        7 * 24 * time.Hour,
	"sessions.ttl":                       30 * 24 * time.Hour,
	"log.level":                          "info",
	"log.format":                         "text",
	"federation.allow_private_addresses": false,
	"federation.mode":                    FederationOpen,
	"federation.allowlist":               []string{},
	"federation.authorized_fetch":        false,
	"federation.signature_max_skew":      time.Hour,
	"federation.delivery_workers":        8,
	"federation.delivery_per_host":       2,
	"federation.inbox_workers":           2,
	"federation.delivery_timeout":        15 * time.Second,
	"federation.delivery_max_age":        7 * 24 * time.Hour,
	"mail.smtp_url":                      "",
	"mail.from":                          "",
	"metrics.listen":                     "",
}

// Keys returns every configuration key, sorted.
func Keys() []string {
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Default returns the configuration used when nothing else is given.
func Default() Config {
	c, err := Load(LoadOptions{})
	if err != nil {
		panic(err) // the defaults are constants; a failure is a programming error
	}
	return c
}

// LoadOptions says where Load looks beyond the defaults.
type LoadOptions struct {
	// File is the path of a YAML file; empty means RUCHE_CONFIG, then no file.
	File string
	// Env reads RUCHE_* variables; tests leave it off to stay hermetic.
	Env bool
	// Flags are command-line flags whose names are config keys with "." and "_"
	// written as "-" (database.url → --database-url). Only flags the user set count.
	Flags *pflag.FlagSet
}

// Load builds the configuration from its layers. It does not validate it.
func Load(opts LoadOptions) (Config, error) {
	v := viper.New()
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	file := opts.File
	if file == "" && opts.Env {
		file = os.Getenv("RUCHE_CONFIG")
	}
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", file, err)
		}
		if err := checkFileKeys(v); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	if opts.Env {
		v.SetEnvPrefix("RUCHE")
		v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
		v.AutomaticEnv()
	}
	if opts.Flags != nil {
		for _, key := range Keys() {
			if f := opts.Flags.Lookup(FlagName(key)); f != nil && f.Changed {
				if err := v.BindPFlag(key, f); err != nil {
					return Config{}, err
				}
			}
		}
	}
	var c Config
	if err := v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = false
		dc.WeaklyTypedInput = true
	}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// checkFileKeys rejects keys in the file that the node does not know: a typo in
// ruche.yaml must not silently fall back to a default.
func checkFileKeys(v *viper.Viper) error {
	for _, k := range v.AllKeys() {
		if _, ok := defaults[k]; !ok {
			return fmt.Errorf("unknown key %q (known keys: %s)", k, strings.Join(Keys(), ", "))
		}
	}
	return nil
}

// FlagName is the command-line flag that sets a key.
func FlagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

// Validate checks every value and returns the first problem as one line naming
// the key, the value and what is allowed.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("config: %s = %q is invalid: %s", key, fmt.Sprint(value), allowed))
	}
	if err := checkPublicURL(c.PublicURL); err != nil {
		bad("public_url", c.PublicURL, err.Error())
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen", c.Listen, "want host:port, e.g. 127.0.0.1:8080 or :8080")
	}
	if c.Metrics.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Metrics.Listen); err != nil || port == "" || c.Metrics.Listen == c.Listen {
			bad("metrics.listen", c.Metrics.Listen, "want host:port other than listen's, e.g. 127.0.0.1:9090, or nothing for no metrics")
		}
	}
	if !slices.Contains(RegistrationModes, c.Registrations) {
		bad("registrations", c.Registrations, "want one of "+strings.Join(RegistrationModes, ", "))
	}
	if _, err := c.ProxyPrefixes(); err != nil {
		bad("trusted_proxies", strings.Join(c.TrustedProxies, ","), "want a list of CIDR prefixes, e.g. 127.0.0.0/8,10.0.0.0/8")
	}
	if strings.TrimSpace(c.Node.Name) == "" || len(c.Node.Name) > 100 {
		bad("node.name", c.Node.Name, "want a name of 1 to 100 characters")
	}
	if !slices.Contains(Locales, c.Node.DefaultLocale) {
		bad("node.default_locale", c.Node.DefaultLocale, "want one of "+strings.Join(Locales, ", "))
	}
	if c.Mail.SMTPURL != "" {
		if _, err := mail.ParseURL(c.Mail.SMTPURL); err != nil {
			bad("mail.smtp_url", dburl.Redact(c.Mail.SMTPURL), err.Error())
		}
		if _, err := mail.ParseFrom(c.Mail.From); err != nil {
			bad("mail.from", c.Mail.From, "want the sender's address when mail.smtp_url is set, e.g. Ruche <ruche@ville-a.example>")
		}
	}
	if _, err := dburl.Parse(c.Database.URL); err != nil {
		bad("database.url", dburl.Redact(c.Database.URL), err.Error())
	}
	if strings.TrimSpace(c.Media.Dir) == "" {
		bad("media.dir", c.Media.Dir, "want a directory path")
	}
	if c.Media.MaxUploadMB < 1 || c.Media.MaxUploadMB > 1024 {
		bad("media.max_upload_mb", c.Media.MaxUploadMB, "want a number of MiB between 1 and 1024")
	}
	if c.Documents.MaxUploadMB < 0 || c.Documents.MaxUploadMB > 1024 {
		bad("documents.max_upload_mb", c.Documents.MaxUploadMB, "want 0 (as media.max_upload_mb) or a number of MiB up to 1024")
	}
	for _, t := range c.Documents.Types {
		if !slices.Contains(DocumentTypes, t) {
			bad("documents.types", t, "want media types among "+strings.Join(DocumentTypes, ", "))
			break
		}
	}
	if !slices.Contains(SpaceCreators, c.Spaces.Creation) {
		bad("spaces.creation", c.Spaces.Creation, "want one of "+strings.Join(SpaceCreators, ", "))
	}
	if c.Invites.TTL < time.Minute {
		bad("invites.ttl", c.Invites.TTL, "want a duration of at least 1m, e.g. 168h")
	}
	if c.Sessions.TTL < time.Minute {
		bad("sessions.ttl", c.Sessions.TTL, "want a duration of at least 1m, e.g. 720h")
	}
	if !slices.Contains(LogLevels, c.Log.Level) {
		bad("log.level", c.Log.Level, "want one of "+strings.Join(LogLevels, ", "))
	}
	if !slices.Contains(LogFormats, c.Log.Format) {
		bad("log.format", c.Log.Format, "want one of "+strings.Join(LogFormats, ", "))
	}
	c.validateFederation(bad)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (c Config) validateFederation(bad func(key string, value any, allowed string)) {
	f := c.Federation
	if !slices.Contains(FederationModes, f.Mode) {
		bad("federation.mode", f.Mode, "want one of "+strings.Join(FederationModes, ", "))
	}
	for _, h := range f.Allowlist {
		if _, err := NormalizeHost(h); err != nil {
			bad("federation.allowlist", strings.Join(f.Allowlist, ","), "want a list of host names, e.g. ville-b.example,dept.example ("+err.Error()+")")
			break
		}
	}
	if f.Mode == FederationAllowlist && len(f.Allowlist) == 0 {
		bad("federation.allowlist", "", "want at least one host when federation.mode is allowlist")
	}
	if f.SignatureMaxSkew < time.Minute || f.SignatureMaxSkew > 24*time.Hour {
		bad("federation.signature_max_skew", f.SignatureMaxSkew, "want a duration between 1m and 24h, e.g. 1h")
	}
	if f.DeliveryWorkers < 1 || f.DeliveryWorkers > 256 {
		bad("federation.delivery_workers", f.DeliveryWorkers, "want a number from 1 to 256")
	}
	if f.DeliveryPerHost < 1 || f.DeliveryPerHost > f.DeliveryWorkers {
		bad("federation.delivery_per_host", f.DeliveryPerHost, "want a number from 1 to federation.delivery_workers")
	}
	if f.InboxWorkers < 1 || f.InboxWorkers > 64 {
		bad("federation.inbox_workers", f.InboxWorkers, "want a number from 1 to 64")
	}
	if f.DeliveryTimeout < time.Second || f.DeliveryTimeout > 5*time.Minute {
		bad("federation.delivery_timeout", f.DeliveryTimeout, "want a duration between 1s and 5m, e.g. 15s")
	}
	if f.DeliveryMaxAge < time.Hour || f.DeliveryMaxAge > 30*24*time.Hour {
		bad("federation.delivery_max_age", f.DeliveryMaxAge, "want a duration between 1h and 720h, e.g. 168h")
	}
}

// NormalizeHost lowercases a host name (with an optional port) and checks
// it is one: no scheme, path or credentials.
func NormalizeHost(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	if h == "" {
		return "", errors.New("empty host")
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.Hostname() == "" || strings.ContainsAny(h, "/@?#") {
		return "", fmt.Errorf("%q is not a host name", s)
	}
	return h, nil
}

func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http or https URL, e.g. https://ville-a.example")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("want an origin only (scheme and host, no path, query or credentials)")
	}
	return nil
}

// NormalizeOrigin returns the canonical spelling of an origin such as
// public_url: scheme and host in lower case, the scheme's default port
// dropped, no trailing slash. Two spellings with the same canonical form are
// the same node.
func NormalizeOrigin(s string) (string, error) {
	if err := checkPublicURL(s); err != nil {
		return "", err
	}
	u, _ := url.Parse(s) // checkPublicURL parsed it already
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // an IPv6 address keeps its brackets without a port too
	}
	return scheme + "://" + host, nil
}

// ProxyPrefixes parses TrustedProxies.
func (c Config) ProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Origin is PublicURL without a trailing slash.
func (c Config) Origin() string { return strings.TrimSuffix(c.PublicURL, "/") }

// Host is the host (and port, if any) of PublicURL: the domain part of @name@host.
func (c Config) Host() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// Secure tells whether the node is served over HTTPS, so cookies must be Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// Redacted returns a copy of c that is safe to print or log.
func (c Config) Redacted() Config {
	c.Database.URL = dburl.Redact(c.Database.URL)
	c.Mail.SMTPURL = dburl.Redact(c.Mail.SMTPURL)
	return c
}

// Flat returns the effective configuration as key → value, for `ruche config print`.
func (c Config) Flat() map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			key := prefix + v.Type().Field(i).Tag.Get("mapstructure")
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.Struct:
				walk(key+".", f)
			case f.Type() == reflect.TypeOf(time.Duration(0)):
				out[key] = f.Interface().(time.Duration).String()
			default:
				out[key] = f.Interface()
			}
		}
	}
	walk("", reflect.ValueOf(c))
	return out
}

// RegisterFlags adds a flag for every key to fs, named by FlagName, so that any
// setting can be given on the command line. Load counts only flags the user set.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, key := range Keys() {
		name, usage := FlagName(key), "sets "+key
		switch def := defaults[key].(type) {
		case bool:
			fs.Bool(name, def, usage)
		case time.Duration:
			fs.Duration(name, def, usage)
		case []string:
			fs.StringSlice(name, def, usage)
		case int:
			fs.Int(name, def, usage)
		default:
			fs.String(name, fmt.Sprint(def), usage)
		}
	}
}
