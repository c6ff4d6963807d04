// Package backup copies a node — its database and every file of its media
// directory — into a backup directory, and restores such a directory into an
// empty node.
//
// A backup is a directory, not an archive: uploaded files are mostly images
// and PDFs that compression does not shrink, and backup tools that keep many
// days (restic, borg, rsync --link-dest) store a file that did not change
// once, which they cannot do inside a new archive each day. It holds:
//
//	manifest.json        what the backup holds: engine, public_url, rows per
//	                     table, applied migrations, every file with its size
//	                     and SHA-256
//	database/ruche.db    SQLite: a consistent copy (VACUUM INTO)
//	database/ruche.dump  PostgreSQL: pg_dump's custom format
//	media/…              the media directory, file for file
//
// The database is copied as one moment even while the node serves; the
// files are copied after it, so that an upload made meanwhile is at worst an
// unused extra file, never a row without its file (a file deleted meanwhile is
// reported). The backup is written under a hidden temporary name beside its
// destination and renamed when whole, so an interrupted backup never looks
// like a finished one.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/dburl"
)

// Format is the layout version of the backups this code writes and reads.
const Format = 1

// Names inside a backup directory (with slashes, as in the manifest).
const (
	ManifestName = "manifest.json"
	SQLiteFile   = "database/ruche.db"
	DumpFile     = "database/ruche.dump"
	mediaPrefix  = "media/"
)

// Manifest describes a backup; a restore checks everything against it.
type Manifest struct {
	Format       int              `json:"format"`
	RucheVersion string           `json:"ruche_version"`
	CreatedAt    time.Time        `json:"created_at"`
	Engine       string           `json:"engine"` // sqlite or postgres
	PublicURL    string           `json:"public_url"`
	Database     File             `json:"database"`
	Tables       map[string]int64 `json:"tables"`
	Migrations   []string         `json:"migrations"`
	Media        []File           `json:"media"`
	// MissingMedia are files the database points to that were not in the
	// media directory (deleted between the database copy and the file copy,
	// or lost before the backup).
	MissingMedia []string `json:"missing_media,omitempty"`
}

// File is one file of a backup.
type File struct {
	Path   string `json:"path"` // relative to the backup directory, with slashes
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// MediaBytes is the size of all the media files.
func (m *Manifest) MediaBytes() int64 {
	var n int64
	for _, f := range m.Media {
		n += f.Size
	}
	return n
}

// Rows is the number of rows of all tables.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, rows := range m.Tables {
		n += rows
	}
	return n
}

// ErrRefused marks a backup or restore that was refused before anything was
// written: a destination that exists, a target that is not empty, a backup
// made for another engine or by a newer version.
var ErrRefused = errors.New("refused")

// ErrDamaged marks a backup whose files do not match its manifest.
var ErrDamaged = errors.New("the backup is damaged")

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Node is what a backup is made of, or restored into.
type Node struct {
	DatabaseURL string
	MediaDir    string
	PublicURL   string
}

// Create writes a backup of node to dest, a directory that must not exist.
// version is the running ruche's, recorded in the manifest.
func Create(ctx context.Context, node Node, dest, version string) (*Manifest, error) {
	kind, err := dburl.Parse(node.DatabaseURL)
	if err != nil {
		return nil, refused("database.url %q: %v", dburl.Redact(node.DatabaseURL), err)
	}
	if kind == dburl.Postgres {
		if err := needTool("pg_dump", pgDumpHelp(node)); err != nil {
			return nil, err
		}
	}
	dest = filepath.Clean(dest)
	if err := checkDest(dest, node.MediaDir); err != nil {
		return nil, err
	}
	if kind == dburl.SQLite {
		if _, err := os.Stat(dburl.SQLitePath(node.DatabaseURL)); err != nil {
			return nil, fmt.Errorf("no database to back up: %w", err)
		}
	}
	d, err := db.Open(ctx, node.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer d.Close()

	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, err
	}
	// Hidden and marked partial: what a crash leaves behind is never taken
	// for a backup, and os.MkdirTemp makes it readable by its owner only (it
	// holds password hashes and private keys).
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()

	m, err := fill(ctx, d, node, kind, tmp, version)
	if err != nil {
		return nil, err
	}
	// rename(2) fails on a directory that is not empty: a backup made at the
	// same path meanwhile is never replaced.
	if err := os.Rename(tmp, dest); err != nil {
		return nil, fmt.Errorf("move the finished backup to %s: %w", dest, err)
	}
	done = true
	return m, syncDir(parent)
}

// fill writes the backup into dir: the database first, as one moment, then
// the files, then the manifest.
func fill(ctx context.Context, d *db.DB, node Node, kind dburl.Kind, dir, version string) (*Manifest, error) {
	m := &Manifest{Format: Format, RucheVersion: version, CreatedAt: time.Now().UTC(),
		Engine: string(kind), PublicURL: node.PublicURL}
	var (
		contents db.Contents
		err      error
	)
	if kind == dburl.SQLite {
		contents, err = copySQLite(ctx, d, dir, m)
	} else {
		contents, err = dumpPostgres(ctx, d, node, dir, m)
	}
	if err != nil {
		return nil, err
	}
	m.Tables, m.Migrations = contents.Tables, contents.Migrations
	if m.Media, err = copyMedia(ctx, node.MediaDir, filepath.Join(dir, "media")); err != nil {
		return nil, err
	}
	m.MissingMedia = missing(contents.MediaFiles, m.Media)
	return m, writeManifest(dir, m)
}

// checkDest refuses a destination that exists, or that lies inside the media
// directory (the backup would copy itself).
func checkDest(dest, mediaDir string) error {
	if _, err := os.Lstat(dest); err == nil {
		return refused("%s exists: a backup never overwrites anything; give a new path", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	absDest, err1 := filepath.Abs(dest)
	absMedia, err2 := filepath.Abs(mediaDir)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(absMedia, absDest); err == nil && filepath.IsLocal(rel) {
		return refused("%s is inside media.dir (%s): put backups elsewhere", dest, mediaDir)
	}
	return nil
}

// copySQLite copies the database into the backup as one moment, and reads
// the copy's contents (the live database moves on meanwhile).
func copySQLite(ctx context.Context, d *db.DB, dir string, m *Manifest) (db.Contents, error) {
	path := filepath.Join(dir, filepath.FromSlash(SQLiteFile))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return db.Contents{}, err
	}
	if err := d.VacuumInto(ctx, path); err != nil {
		return db.Contents{}, err
	}
	cp, err := db.OpenSQLiteCopy(ctx, path)
	if err != nil {
		return db.Contents{}, err
	}
	contents, err := cp.Contents(ctx)
	cp.Close()
	if err != nil {
		return db.Contents{}, err
	}
	m.Database, err = describe(dir, SQLiteFile)
	return contents, err
}

// describe checksums a file the backup wrote, and flushes it to disk:
// SQLite does not sync what VACUUM INTO writes, nor pg_dump its output.
func describe(dir, rel string) (File, error) {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.Chmod(path, 0o600); err != nil { // both made it per the umask
		return File{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	size, sum, err := hashReader(f)
	if err != nil {
		return File{}, err
	}
	if err := f.Sync(); err != nil {
		return File{}, err
	}
	return File{Path: rel, Size: size, SHA256: sum}, syncDir(filepath.Dir(f.Name()))
}

// missing lists the files rows point to that the backup has not.
func missing(referenced []string, copied []File) []string {
	have := make(map[string]bool, len(copied))
	for _, f := range copied {
		have[strings.TrimPrefix(f.Path, mediaPrefix)] = true
	}
	var out []string
	for _, p := range referenced {
		if !have[p] {
			out = append(out, p)
		}
	}
	return out
}

func writeManifest(dir string, m *Manifest) error {
	slices.SortFunc(m.Media, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(dir)
}
