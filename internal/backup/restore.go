package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/migrations"
	"github.com/ruche-social/ruche/internal/dburl"
)

// ReadManifest reads the manifest of the backup in dir and checks that it
// describes a backup this version can restore, and names only files inside
// dir.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, refused("%s has no %s: it is not a backup, or an unfinished one", dir, ManifestName)
	} else if err != nil {
		return nil, err
	}
	m := new(Manifest)
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, ManifestName, err)
	}
	if m.Format != Format {
		return nil, refused("%s is a backup of format %d, this ruche reads format %d: restore it with the version that made it (%s)",
			dir, m.Format, Format, m.RucheVersion)
	}
	want := map[string]string{string(dburl.SQLite): SQLiteFile, string(dburl.Postgres): DumpFile}[m.Engine]
	if want == "" || m.Database.Path != want {
		return nil, fmt.Errorf("%w: the manifest names engine %q and database file %q", ErrDamaged, m.Engine, m.Database.Path)
	}
	seen := map[string]bool{}
	for _, f := range append([]File{m.Database}, m.Media...) {
		if _, err := localPath(dir, f.Path); err != nil {
			return nil, err
		}
		if seen[f.Path] || (f.Path != m.Database.Path && !strings.HasPrefix(f.Path, mediaPrefix)) {
			return nil, fmt.Errorf("%w: the manifest names %q twice or outside media/", ErrDamaged, f.Path)
		}
		seen[f.Path] = true
	}
	known := map[string]bool{}
	for _, mig := range migrations.All() {
		known[mig.Name] = true
	}
	for _, name := range m.Migrations {
		if !known[name] {
			return nil, refused("the backup's database has migration %s, which this ruche does not know: restore it with the version that made it (%s) or a later one",
				name, m.RucheVersion)
		}
	}
	return m, nil
}

// Restore restores the backup in src into node, whose database and media
// directory must hold nothing yet. It reads the manifest and checks every
// file against it before it writes anything. The media files are then
// staged beside media.dir and moved into place at the end: on SQLite just
// before the database file, staged the same way, so that a node started on
// the target finds a database only once everything is there; on PostgreSQL
// once pg_restore, one transaction that fails whole, has succeeded.
func Restore(ctx context.Context, node Node, src string) (*Manifest, error) {
	m, err := ReadManifest(src)
	if err != nil {
		return nil, err
	}
	kind, err := dburl.Parse(node.DatabaseURL)
	if err != nil {
		return nil, refused("database.url %q: %v", dburl.Redact(node.DatabaseURL), err)
	}
	if string(kind) != m.Engine {
		return nil, refused("the backup is of a %s database and database.url names a %s one: a backup restores into the same engine", m.Engine, kind)
	}
	if kind == dburl.Postgres {
		if err := needTool("pg_restore", pgRestoreHelp(node, src)); err != nil {
			return nil, err
		}
	}
	if err := checkEmpty(ctx, node, kind, m); err != nil {
		return nil, err
	}
	if err := verify(ctx, src, m); err != nil {
		return nil, err
	}
	dbFile, _ := localPath(src, m.Database.Path)
	if kind == dburl.SQLite {
		if err := checkSQLiteCopy(ctx, dbFile, m); err != nil {
			return nil, err
		}
	}

	media, err := stageMedia(ctx, src, m, node.MediaDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(media) // a no-op once moved into place
	if kind == dburl.SQLite {
		staged, err := stageSQLite(dbFile, m, dburl.SQLitePath(node.DatabaseURL))
		if err != nil {
			return nil, err
		}
		defer os.Remove(staged)
		if err := commitMedia(media, node.MediaDir); err != nil {
			return nil, err
		}
		return m, commitSQLite(staged, dburl.SQLitePath(node.DatabaseURL))
	}
	if err := restorePostgres(ctx, node, dbFile); err != nil {
		return nil, err
	}
	if err := checkRestored(ctx, node.DatabaseURL, m); err != nil {
		return nil, err
	}
	return m, commitMedia(media, node.MediaDir)
}

// checkEmpty refuses a target that holds anything: a restore never merges
// into, nor replaces, a node's data. It names everything in the way at once.
func checkEmpty(ctx context.Context, node Node, kind dburl.Kind, m *Manifest) error {
	var problems []string
	if empty, err := emptyDir(node.MediaDir); err != nil {
		return err
	} else if !empty {
		problems = append(problems, fmt.Sprintf("media.dir %s is not empty", node.MediaDir))
	}
	p, err := databaseInTheWay(ctx, node, kind, m)
	if err != nil {
		return err
	}
	if p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return refused("%s: restore only into a new node, with an empty media.dir and a new database", strings.Join(problems, "; "))
	}
	return nil
}

// databaseInTheWay says what in the target database a restore would
// overwrite, or "" when it holds nothing.
func databaseInTheWay(ctx context.Context, node Node, kind dburl.Kind, m *Manifest) (string, error) {
	if kind == dburl.SQLite {
		if _, err := os.Stat(dburl.SQLitePath(node.DatabaseURL)); errors.Is(err, os.ErrNotExist) {
			return "", nil
		} else if err != nil {
			return "", err
		}
	}
	d, err := db.Open(ctx, node.DatabaseURL)
	if err != nil {
		return "", err
	}
	defer d.Close()
	c, err := d.Contents(ctx)
	if err != nil {
		return "", err
	}
	name := dburl.Redact(node.DatabaseURL)
	if n := c.UserRows(); n > 0 {
		var full []string
		for _, t := range sortedKeys(c.Tables) {
			if c.Tables[t] > 0 && t != "schema_migrations" {
				full = append(full, t)
			}
		}
		return fmt.Sprintf("the database %s holds %d rows (in %s)", name, n, strings.Join(full, ", ")), nil
	}
	// pg_restore --clean replaces the backup's tables; a table only the
	// target has (made by a newer ruche) would outlive the restore.
	for _, t := range sortedKeys(c.Tables) {
		if _, ok := m.Tables[t]; !ok && kind == dburl.Postgres {
			return fmt.Sprintf("the database %s has table %s, which the backup has not", name, t), nil
		}
	}
	return "", nil
}

// verify checks every file of the backup against its size and checksum.
func verify(ctx context.Context, src string, m *Manifest) error {
	for _, f := range append([]File{m.Database}, m.Media...) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := checkFile(src, f); err != nil {
			return err
		}
	}
	return nil
}

func checkFile(src string, f File) error {
	p, err := localPath(src, f.Path)
	if err != nil {
		return err
	}
	info, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, f.Path, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrDamaged, f.Path)
	}
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	size, sum, err := hashReader(in)
	if err != nil {
		return err
	}
	return matches(f, size, sum)
}

func matches(f File, size int64, sum string) error {
	if size != f.Size || sum != f.SHA256 {
		return fmt.Errorf("%w: %s does not match its checksum in the manifest (%d bytes, sha256 %s; the manifest says %d bytes, %s); nothing was restored",
			ErrDamaged, f.Path, size, sum, f.Size, f.SHA256)
	}
	return nil
}

// checkSQLiteCopy compares the rows of the backup's database with the
// manifest's counts: a manifest doctored or damaged in its counts is caught
// before anything is written.
func checkSQLiteCopy(ctx context.Context, path string, m *Manifest) error {
	cp, err := db.OpenSQLiteCopy(ctx, path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer cp.Close()
	c, err := cp.Contents(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return sameCounts("the backup's database", c.Tables, m.Tables)
}

// checkRestored compares the restored database's rows with the manifest.
func checkRestored(ctx context.Context, dbURL string, m *Manifest) error {
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	c, err := d.Contents(ctx)
	if err != nil {
		return err
	}
	return sameCounts("the restored database", c.Tables, m.Tables)
}

func sameCounts(what string, got, want map[string]int64) error {
	var diffs []string
	for _, t := range sortedKeys(want) {
		if n, ok := got[t]; !ok || n != want[t] {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows, the manifest says %d", t, n, want[t]))
		}
	}
	for _, t := range sortedKeys(got) {
		if _, ok := want[t]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: not in the manifest", t))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("%w: %s differs from the manifest: %s", ErrDamaged, what, strings.Join(diffs, "; "))
	}
	return nil
}

// stageMedia copies the backup's media files into a hidden directory beside
// mediaDir (on the same file system, so that moving it into place is one
// rename), checking each copy against the manifest again.
func stageMedia(ctx context.Context, src string, m *Manifest, mediaDir string) (string, error) {
	parent := filepath.Dir(filepath.Clean(mediaDir))
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return "", err
	}
	staged, err := os.MkdirTemp(parent, "."+filepath.Base(mediaDir)+".restore-")
	if err != nil {
		return "", err
	}
	dirs := map[string]bool{staged: true}
	for _, f := range m.Media {
		if err := ctx.Err(); err != nil {
			os.RemoveAll(staged)
			return "", err
		}
		from, _ := localPath(src, f.Path)
		to, _ := localPath(staged, strings.TrimPrefix(f.Path, mediaPrefix))
		err := os.MkdirAll(filepath.Dir(to), 0o750)
		if err == nil {
			dirs[filepath.Dir(to)] = true
			err = copyChecked(from, to, f)
		}
		if err != nil {
			os.RemoveAll(staged)
			return "", err
		}
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			os.RemoveAll(staged)
			return "", err
		}
	}
	// The node makes its media directory readable by its group (a web
	// server may serve it); MkdirTemp made this one its owner's only.
	return staged, os.Chmod(staged, 0o750)
}

// copyChecked copies a backup file and checks the copy against the
// manifest: the backup may have changed since it was verified.
func copyChecked(from, to string, f File) error {
	size, sum, err := copyFile(from, to)
	if err != nil {
		return err
	}
	return matches(f, size, sum)
}

// stageSQLite copies the backup's database beside the target's path.
func stageSQLite(from string, m *Manifest, target string) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return "", err
	}
	staged := tmp.Name()
	tmp.Close()
	os.Remove(staged) // copyFile creates it anew, refusing to reuse a file
	if err := copyChecked(from, staged, m.Database); err != nil {
		return "", err
	}
	return staged, nil
}

// commitMedia moves the staged media directory to mediaDir, which is missing
// or empty (os.Remove removes only an empty directory).
func commitMedia(staged, mediaDir string) error {
	if err := os.Remove(mediaDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("media.dir %s: %w", mediaDir, err)
	}
	if err := os.Rename(staged, mediaDir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(mediaDir)))
}

// commitSQLite moves the staged database to target. The journal and WAL
// files of the empty database it replaces go first: SQLite would apply a
// leftover WAL to the new file.
func commitSQLite(staged, target string) error {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(staged, target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}
