package backup

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadManifestRefusesPathsOutside: a manifest is input; one doctored to
// name files outside the backup (to read them into media.dir) or outside
// media/ is refused as damaged before anything is read or written.
func TestReadManifestRefusesPathsOutside(t *testing.T) {
	good := func() Manifest {
		return Manifest{Format: Format, Engine: "sqlite", Database: File{Path: SQLiteFile},
			Media: []File{{Path: "media/ab/x.png"}}}
	}
	cases := map[string]func(m *Manifest){
		"parent":         func(m *Manifest) { m.Media[0].Path = "../secret" },
		"inner parent":   func(m *Manifest) { m.Media[0].Path = "media/../../secret" },
		"absolute":       func(m *Manifest) { m.Media[0].Path = "/etc/passwd" },
		"not clean":      func(m *Manifest) { m.Media[0].Path = "media//ab/x.png" },
		"outside media":  func(m *Manifest) { m.Media[0].Path = "manifest.json" },
		"twice":          func(m *Manifest) { m.Media = append(m.Media, m.Media[0]) },
		"database moved": func(m *Manifest) { m.Database.Path = "../ruche.db" },
		"engine unknown": func(m *Manifest) { m.Engine = "mysql" },
		"engine swapped": func(m *Manifest) { m.Engine = "postgres" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			m := good()
			change(&m)
			_, err := ReadManifest(writeTestManifest(t, m))
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("got %v, want ErrDamaged", err)
			}
		})
	}
	m := good()
	if _, err := ReadManifest(writeTestManifest(t, m)); err != nil {
		t.Fatalf("a good manifest: %v", err)
	}
}

// TestReadManifestRefusesNewer: a backup of a later format, or with a
// migration this version does not know, is refused (exit code 2), not
// half-read.
func TestReadManifestRefusesNewer(t *testing.T) {
	m := Manifest{Format: Format + 1, Engine: "sqlite", Database: File{Path: SQLiteFile}, RucheVersion: "v9"}
	if _, err := ReadManifest(writeTestManifest(t, m)); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "v9") {
		t.Fatalf("later format: %v", err)
	}
	m.Format, m.Migrations = Format, []string{"29991231000000_future"}
	if _, err := ReadManifest(writeTestManifest(t, m)); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "29991231000000_future") {
		t.Fatalf("unknown migration: %v", err)
	}
	if _, err := ReadManifest(t.TempDir()); !errors.Is(err, ErrRefused) {
		t.Fatalf("no manifest: %v", err)
	}
}

func writeTestManifest(t *testing.T, m Manifest) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPGEnv: pg_dump and pg_restore connect where the node does, with the
// password in the environment rather than in the process list, and without
// the driver's own parameters, which libpq would refuse.
func TestPGEnv(t *testing.T) {
	t.Setenv("PGPASSWORD", "stale")
	t.Setenv("PGHOST", "elsewhere.example")
	env, err := pgEnv("postgres://ruche:s%3Acret@db.example:6432/ruche_a?sslmode=require&application_name=bk&read_timeout=5m&connect_timeout=15s&search_path=app")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PGHOST=db.example", "PGPORT=6432", "PGUSER=ruche", "PGPASSWORD=s:cret", "PGDATABASE=ruche_a",
		"PGSSLMODE=require", "PGAPPNAME=bk", "PGCONNECT_TIMEOUT=15", "PGOPTIONS=-c search_path=app"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s", want)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "PGPASSWORD=stale") || strings.HasPrefix(kv, "PGHOST=elsewhere") || strings.Contains(kv, "read_timeout") {
			t.Errorf("env keeps %s", kv)
		}
	}
	if envDatabase(env) != "ruche_a" {
		t.Errorf("database %q", envDatabase(env))
	}

	// Parts the URL leaves out fall back as in the node's driver.
	t.Setenv("PGUSER", "")
	env, _ = pgEnv("postgres://db.example/x")
	if !slices.Contains(env, "PGUSER=postgres") || !slices.Contains(env, "PGPORT=5432") || !slices.Contains(env, "PGDATABASE=x") {
		t.Errorf("defaults: %v", env)
	}
}
