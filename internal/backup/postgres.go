package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/dburl"
)

// ErrNoTool marks a PostgreSQL backup or restore on a machine without
// PostgreSQL's client tools.
var ErrNoTool = errors.New("missing tool")

// needTool checks that a PostgreSQL client tool is on PATH; help says what to
// do by hand without it.
func needTool(name, help string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%w: %s is not on PATH; install PostgreSQL's client tools, of the server's major version or a later one "+
			"(Debian: apt-get install postgresql-client), or by hand: %s", ErrNoTool, name, help)
	}
	return nil
}

func pgDumpHelp(node Node) string {
	return fmt.Sprintf("pg_dump --format=custom --file=ruche.dump '%s', then copy media.dir (%s) beside it, e.g. cp -a %s media",
		dburl.Redact(node.DatabaseURL), node.MediaDir, node.MediaDir)
}

func pgRestoreHelp(node Node, src string) string {
	return fmt.Sprintf("pg_restore --no-owner --no-acl --single-transaction --dbname='%s' %s, then copy %s to media.dir (%s)",
		dburl.Redact(node.DatabaseURL), filepath.Join(src, filepath.FromSlash(DumpFile)),
		filepath.Join(src, "media"), node.MediaDir)
}

// dumpPostgres runs pg_dump on the snapshot the node's contents are counted
// in, so the dump holds exactly the rows the manifest counts.
func dumpPostgres(ctx context.Context, d *db.DB, node Node, dir string, m *Manifest) (db.Contents, error) {
	path := filepath.Join(dir, filepath.FromSlash(DumpFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return db.Contents{}, err
	}
	env, err := pgEnv(node.DatabaseURL)
	if err != nil {
		return db.Contents{}, err
	}
	var contents db.Contents
	err = d.ExportSnapshot(ctx, func(id string, c db.Contents) error {
		contents = c
		return runTool(ctx, env, "pg_dump", "--format=custom", "--snapshot="+id, "--file="+path)
	})
	if err != nil {
		return db.Contents{}, err
	}
	m.Database, err = describe(dir, DumpFile)
	return contents, err
}

// restorePostgres loads the dump into the target database as one
// transaction: it fails whole or succeeds whole. The target holds no user
// rows (checked before), so --clean drops at most an empty schema that
// `ruche migrate up` made. Objects get the connecting role as owner, whatever
// role owned them on the backed-up node.
func restorePostgres(ctx context.Context, node Node, dump string) error {
	env, err := pgEnv(node.DatabaseURL)
	if err != nil {
		return err
	}
	return runTool(ctx, env, "pg_restore", "--single-transaction", "--exit-on-error",
		"--clean", "--if-exists", "--no-owner", "--no-acl", "--dbname="+envDatabase(env), dump)
}

// runTool runs a PostgreSQL client tool; its error output becomes the error.
func runTool(ctx context.Context, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// pgEnv is the environment that makes libpq's tools connect where the node's
// database.url points, the way the node's own driver reads it. The password
// goes in PGPASSWORD, not on the command line, where any user of the machine
// would read it in the process list.
func pgEnv(dbURL string) ([]string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	// Unset parts fall back as in the node's driver: PG* variables, then
	// these defaults (libpq's would be the system user's name).
	set := map[string]string{
		"PGHOST": envOr("PGHOST", "localhost"), "PGPORT": envOr("PGPORT", "5432"),
		"PGUSER": envOr("PGUSER", "postgres"), "PGDATABASE": envOr("PGDATABASE", "postgres"),
	}
	if h := u.Hostname(); h != "" {
		set["PGHOST"] = h
	}
	if p := u.Port(); p != "" {
		set["PGPORT"] = p
	}
	if u.User != nil {
		set["PGUSER"] = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			set["PGPASSWORD"] = pw
		}
	}
	if len(u.Path) > 1 {
		set["PGDATABASE"] = u.Path[1:]
	}
	var options []string
	q := u.Query()
	for _, key := range sortedKeys(q) {
		v := q.Get(key)
		switch key {
		case "host":
			set["PGHOST"] = v
		case "sslmode":
			set["PGSSLMODE"] = v
		case "sslrootcert":
			set["PGSSLROOTCERT"] = v
		case "sslcert":
			set["PGSSLCERT"] = v
		case "sslkey":
			set["PGSSLKEY"] = v
		case "application_name":
			set["PGAPPNAME"] = v
		case "connect_timeout", "dial_timeout":
			set["PGCONNECT_TIMEOUT"] = seconds(v)
		case "timeout", "read_timeout", "write_timeout":
			// the node's driver's own timeouts; libpq has none of these
		default:
			// The node's driver sends other parameters as run-time settings.
			options = append(options, "-c "+key+"="+v)
		}
	}
	if len(options) > 0 {
		set["PGOPTIONS"] = strings.Join(options, " ")
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); set[k] == "" {
			env = append(env, kv)
		}
	}
	for _, k := range sortedKeys(set) {
		if set[k] != "" {
			env = append(env, k+"="+set[k])
		}
	}
	return env, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// envDatabase is the database pgEnv chose, which pg_restore must be named
// explicitly (without --dbname it prints the SQL instead of running it).
func envDatabase(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PGDATABASE="); ok {
			return v
		}
	}
	return ""
}

// seconds turns the driver's timeout (seconds, or a Go duration) into
// libpq's whole seconds.
func seconds(v string) string {
	if d, err := time.ParseDuration(v); err == nil {
		return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
