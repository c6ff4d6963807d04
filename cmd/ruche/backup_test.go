package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/backup"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// Files members upload; their type is sniffed from their first bytes.
var (
	pngFile = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	pdfFile = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
)

// TestBackupRestore backs a node up while a member keeps posting, restores
// the backup into a new node, and compares both: every row of every table
// the backup holds, every file byte for byte. The new node then serves the
// files and signs its members in. A restore into a node that holds anything,
// and of a backup damaged by one byte, is refused and changes nothing.
func TestBackupRestore(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			if dialect == db.Postgres {
				for _, tool := range []string{"pg_dump", "pg_restore"} {
					if _, err := exec.LookPath(tool); err != nil {
						t.Skipf("%s is not on PATH (TestPostgresWithoutTools checks what the node says then)", tool)
					}
				}
			}
			ctx := context.Background()
			src := nodetest.New(t, dialect)
			s := seed(t, src)
			dir := t.TempDir()
			bk := filepath.Join(dir, "backup")

			// The writer keeps posting while the backup runs. Should no post
			// complete during one backup (a post may take longer than a
			// backup under the race detector), the backup is made again: a
			// writer that never gets through means the backup blocks writes.
			w := startWriter(t, src, s.bob, "ecoles")
			w.waitFor(t, 3)
			var before, after int64
			for attempt := 1; ; attempt++ {
				before = w.count()
				out, errOut, code := ruche(t, dir, "", append([]string{"admin", "backup", bk}, nodeFlags(src)...)...)
				after = w.count()
				if code != 0 || errOut != "" {
					w.stop(t)
					t.Fatalf("backup: exit %d: %s %s", code, out, errOut)
				}
				t.Logf("%s (the writer posted %d times meanwhile)", strings.TrimSpace(out), after-before)
				if after > before {
					break
				}
				if attempt == 3 {
					w.stop(t)
					t.Fatal("the writer posted nothing during three backups: the backup blocks writes")
				}
				os.RemoveAll(bk)
			}
			w.stop(t)

			m, err := backup.ReadManifest(bk)
			if err != nil {
				t.Fatal(err)
			}
			// The snapshot holds every post finished before the backup
			// started, and none begun after it ended (one may have been in
			// flight when the count was read).
			if got, low, high := m.Tables["posts"], s.posts+before, s.posts+after+1; got < low || got > high {
				t.Fatalf("the backup holds %d posts, want %d to %d", got, low, high)
			}
			if m.Engine != string(dialect) || m.PublicURL != src.URL || len(m.Media) != 2 || len(m.MissingMedia) != 0 {
				t.Fatalf("manifest: engine %s, public_url %s, media %v, missing %v", m.Engine, m.PublicURL, m.Media, m.MissingMedia)
			}
			for _, f := range []*spaces.Media{s.png, s.pdf} {
				want := sum(map[string][]byte{"": fileOf(t, src.Spaces, f)})[""]
				if i := slices.IndexFunc(m.Media, func(mf backup.File) bool { return mf.Path == "media/"+f.Path }); i < 0 || m.Media[i].SHA256 != want {
					t.Fatalf("the manifest lacks %s with its checksum: %v", f.Path, m.Media)
				}
			}

			// A new node: restored, it holds what the backup holds.
			target := newTarget(t, dialect)
			out, errOut, code := ruche(t, dir, "", append([]string{"admin", "restore", bk}, target.flags(src.URL)...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("restore: exit %d: %s %s", code, out, errOut)
			}
			t.Log(strings.TrimSpace(out))
			restored := target.open(t)
			got := tableRows(t, restored)
			if dialect == db.SQLite {
				copyDB, err := db.OpenSQLiteCopy(ctx, filepath.Join(bk, filepath.FromSlash(backup.SQLiteFile)))
				if err != nil {
					t.Fatal(err)
				}
				inBackup := tableRows(t, copyDB)
				copyDB.Close()
				for table, rows := range inBackup {
					if !slices.Equal(got[table], rows) {
						t.Errorf("table %s: %d rows restored, the backup has %d; first differences: %v",
							table, len(got[table]), len(rows), firstMissing(rows, got[table]))
					}
				}
			}
			for table, n := range m.Tables {
				if int64(len(got[table])) != n {
					t.Errorf("table %s: %d rows restored, the manifest counts %d", table, len(got[table]), n)
				}
			}
			// One moment: every post came with its search document, written in
			// the same transaction.
			for _, q := range []string{
				"SELECT count(*) FROM posts WHERE id NOT IN (SELECT ref FROM search_docs WHERE kind = ?)",
				"SELECT count(*) FROM search_docs WHERE kind = ? AND ref NOT IN (SELECT id FROM posts)",
			} {
				var n int
				if err := restored.Bun().QueryRowContext(ctx, q, db.SearchPost).Scan(&n); err != nil || n != 0 {
					t.Fatalf("%s: %d (%v)", q, n, err)
				}
			}
			// Every restored row is one the node had: the writer only adds.
			live := tableRows(t, src.DB)
			for table, rows := range got {
				if extra := firstMissing(rows, live[table]); len(extra) > 0 {
					t.Errorf("table %s: restored rows the node never had: %v", table, extra)
				}
			}
			restored.Close() // an open connection would change the WAL index the state below reads
			files := tree(t, target.media)
			if want := manifestFiles(m); !slices.Equal(sortedNames(files), want) {
				t.Fatalf("restored media files %v, the manifest lists %v", sortedNames(files), want)
			}
			for name, data := range files {
				if !bytes.Equal(data, readFile(t, filepath.Join(src.Config.Media.Dir, name))) {
					t.Errorf("restored %s differs from the node's file", name)
				}
			}

			// The restored node serves the files and signs its members in.
			n2 := target.node(t, src.URL)
			for _, f := range []*spaces.Media{s.png, s.pdf} {
				if got := fileOf(t, n2.Spaces, f); !bytes.Equal(got, fileOf(t, src.Spaces, f)) {
					t.Errorf("the restored node serves %d bytes for %s", len(got), f.Name)
				}
			}
			if _, _, _, err := n2.Spaces.Login(ctx, spaces.Credentials{Login: "alice", Password: nodetest.Password, IP: "192.0.2.1"}); err != nil {
				t.Fatalf("alice signs in on the restored node: %v", err)
			}
			n2.Close()

			t.Run("refuses a target that holds anything", func(t *testing.T) {
				state := target.state(t)
				_, errOut, code := ruche(t, dir, "", append([]string{"admin", "restore", bk}, target.flags(src.URL)...)...)
				if code != 2 || !strings.Contains(errOut, "media.dir") || !strings.Contains(errOut, "holds") || !strings.Contains(errOut, "restore only into a new node") {
					t.Fatalf("restore over a restored node: exit %d: %s", code, errOut)
				}
				if target.state(t) != state {
					t.Fatal("the refused restore changed the target")
				}

				other := newTarget(t, dialect)
				if err := os.MkdirAll(other.media, 0o750); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(other.media, "stray.txt"), []byte("x"), 0o600)
				state = other.state(t)
				_, errOut, code = ruche(t, dir, "", append([]string{"admin", "restore", bk}, other.flags(src.URL)...)...)
				if code != 2 || !strings.Contains(errOut, "media.dir") || !strings.Contains(errOut, "not empty") {
					t.Fatalf("restore into a non-empty media.dir: exit %d: %s", code, errOut)
				}
				if other.state(t) != state {
					t.Fatal("the refused restore changed the target")
				}
			})

			t.Run("a migrated database without rows is empty enough", func(t *testing.T) {
				other := newTarget(t, dialect)
				if _, errOut, code := ruche(t, dir, "", "migrate", "up", "--database-url", other.dbURL); code != 0 {
					t.Fatalf("migrate up: %d %s", code, errOut)
				}
				if _, errOut, code := ruche(t, dir, "", append([]string{"admin", "restore", bk}, other.flags(src.URL)...)...); code != 0 {
					t.Fatalf("restore into a migrated, empty database: exit %d: %s", code, errOut)
				}
				d := other.open(t)
				if rows := tableRows(t, d); !slices.Equal(rows["posts"], got["posts"]) {
					t.Fatalf("restored %d posts, want %d", len(rows["posts"]), len(got["posts"]))
				}
			})

			t.Run("refuses a damaged backup", func(t *testing.T) {
				for _, f := range []string{m.Database.Path, m.Media[0].Path} {
					damaged := filepath.Join(t.TempDir(), "backup")
					if err := os.CopyFS(damaged, os.DirFS(bk)); err != nil {
						t.Fatal(err)
					}
					flipByte(t, filepath.Join(damaged, filepath.FromSlash(f)))
					other := newTarget(t, dialect)
					state := other.state(t)
					_, errOut, code := ruche(t, dir, "", append([]string{"admin", "restore", damaged}, other.flags(src.URL)...)...)
					if code != 1 || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, f) {
						t.Fatalf("restore with a byte of %s flipped: exit %d: %s", f, code, errOut)
					}
					if other.state(t) != state {
						t.Fatalf("the refused restore changed the target")
					}
				}
			})
		})
	}
}

// TestBackupRefusals: a backup never overwrites anything, never goes inside
// media.dir, and one that fails half-way leaves nothing behind.
func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "r.db")
	media := filepath.Join(dir, "media")
	run := func(args ...string) (string, string, int) {
		return ruche(t, dir, "", append(args, "--database-url", dbURL, "--media-dir", media)...)
	}
	if _, errOut, code := run("admin", "backup", filepath.Join(dir, "b")); code != 1 || !strings.Contains(errOut, "no database") {
		t.Fatalf("backup of a node without a database: exit %d: %s", code, errOut)
	}
	if _, errOut, code := run("migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	os.MkdirAll(filepath.Join(dir, "taken"), 0o750)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"admin", "backup", filepath.Join(dir, "taken")}, "never overwrites"},
		{[]string{"admin", "backup", filepath.Join(media, "b")}, "inside media.dir"},
		{[]string{"admin", "backup"}, "one PATH"},
		{[]string{"admin", "restore", filepath.Join(dir, "taken")}, "no manifest.json"},
	} {
		if _, errOut, code := run(c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q: %s", c.args, code, c.want, errOut)
		}
	}

	// A link in media.dir stops the backup after the database was copied:
	// no backup, and no partial one, is left.
	os.MkdirAll(filepath.Join(media, "ab"), 0o750)
	os.WriteFile(filepath.Join(media, "ab", "f.txt"), []byte("x"), 0o600)
	os.Symlink("/etc/hostname", filepath.Join(media, "ab", "link.txt"))
	if _, errOut, code := run("admin", "backup", filepath.Join(dir, "b")); code != 1 || !strings.Contains(errOut, "not a regular file") {
		t.Fatalf("backup with a link in media.dir: exit %d: %s", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "b" || strings.Contains(e.Name(), "partial") {
			t.Fatalf("a failed backup left %s behind", e.Name())
		}
	}
}

// TestPostgresWithoutTools: without pg_dump or pg_restore, the commands fail
// saying what to install and how to do it by hand, before touching anything.
func TestPostgresWithoutTools(t *testing.T) {
	dir := t.TempDir()
	dbURL := "postgres://ruche:hunter2@127.0.0.1:1/ruche?sslmode=disable"
	bk := filepath.Join(dir, "backup")
	os.MkdirAll(filepath.Join(bk, "database"), 0o700)
	os.WriteFile(filepath.Join(bk, backup.ManifestName), []byte(`{"format":1,"engine":"postgres","database":{"path":"database/ruche.dump"}}`), 0o600)
	for _, c := range []struct {
		args []string
		tool string
	}{
		{[]string{"admin", "backup", filepath.Join(dir, "new")}, "pg_dump"},
		{[]string{"admin", "restore", bk}, "pg_restore"},
	} {
		cmd := exec.Command(binary, append(c.args, "--database-url", dbURL, "--media-dir", filepath.Join(dir, "media"))...)
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(), "PATH="+t.TempDir())
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("%v: %v, want exit 1: %s", c.args, err, errOut.String())
		}
		msg := errOut.String()
		for _, want := range []string{c.tool + " is not on PATH", "postgresql-client", c.tool + " --", "media.dir"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the message lacks %q: %s", c.tool, want, msg)
			}
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("the message shows the password: %s", msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Fatal("a backup directory was made without pg_dump")
	}
	if _, err := os.Stat(filepath.Join(dir, "media")); err == nil {
		t.Fatal("media.dir was made without pg_restore")
	}
}

// seeded is what seed made.
type seeded struct {
	alice, bob *spaces.Account
	png, pdf   *spaces.Media
	posts      int64 // rows in posts, comments included
}

// seed gives a node what a backup must carry: members, spaces with
// members, posts with files, a comment and a like.
func seed(t *testing.T, n *nodetest.Node) seeded {
	t.Helper()
	ctx := context.Background()
	s := seeded{alice: n.Member(t, "alice", spaces.RoleAdmin), bob: n.Member(t, "bob", spaces.RoleMember)}
	open := spaces.JoinOpen
	for _, slug := range []string{"ecoles", "voirie"} {
		name := "Espace " + slug
		if _, err := n.Spaces.CreateSpace(ctx, s.alice, spaces.NewSpace{Slug: slug, SpaceSettings: spaces.SpaceSettings{Name: &name, JoinPolicy: &open}}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.JoinSpace(ctx, s.bob, slug, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if s.png, err = n.Spaces.UploadMedia(ctx, s.alice, bytes.NewReader(pngFile), "plan.png", "le plan"); err != nil {
		t.Fatal(err)
	}
	if s.pdf, err = n.Spaces.UploadMedia(ctx, s.bob, bytes.NewReader(pdfFile), "menu.pdf", ""); err != nil {
		t.Fatal(err)
	}
	first, err := n.Spaces.CreatePost(ctx, s.alice, "ecoles", spaces.PostInput{Body: "Le plan de la cour, **à relire**.", Attachments: []string{s.png.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spaces.CreatePost(ctx, s.bob, "voirie", spaces.PostInput{Body: "Le menu de la cantine.", Attachments: []string{s.pdf.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spaces.CreateComment(ctx, s.bob, first.ID, spaces.PostInput{Body: "Merci @alice !"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spaces.LikePost(ctx, s.bob, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	s.posts = 3
	return s
}

// writer posts in a space, one post after the other, until stopped.
type writer struct {
	n      atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
	err    error
}

func startWriter(t *testing.T, n *nodetest.Node, by *spaces.Account, slug string) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{cancel: cancel}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := n.Spaces.CreatePost(ctx, by, slug, spaces.PostInput{Body: fmt.Sprintf("Post %d pendant la sauvegarde", i)}); err != nil {
				if ctx.Err() == nil {
					w.err = err
				}
				return
			}
			w.n.Add(1)
		}
	}()
	t.Cleanup(cancel)
	return w
}

func (w *writer) count() int64 { return w.n.Load() }

// waitFor waits until the writer has posted n times: it is up and running.
func (w *writer) waitFor(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for w.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.count() < n {
		w.stop(t)
		t.Fatalf("the writer posted %d times in 30 s", w.count())
	}
}

func (w *writer) stop(t *testing.T) {
	t.Helper()
	w.cancel()
	w.wg.Wait()
	if w.err != nil {
		t.Fatalf("the writer failed while the backup ran: %v", w.err)
	}
}

func nodeFlags(n *nodetest.Node) []string {
	return []string{"--database-url", n.Config.Database.URL, "--media-dir", n.Config.Media.Dir, "--public-url", n.URL}
}

// target is a node to restore into: a new database and a media.dir to be.
type target struct {
	dialect db.Dialect
	dbURL   string
	media   string
}

func newTarget(t *testing.T, dialect db.Dialect) target {
	return target{dialect: dialect, dbURL: dbtest.URL(t, dialect), media: filepath.Join(t.TempDir(), "data", "media")}
}

func (tg target) flags(publicURL string) []string {
	return []string{"--database-url", tg.dbURL, "--media-dir", tg.media, "--public-url", publicURL}
}

func (tg target) open(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), tg.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// node starts the target as a node, as ruche serve would.
func (tg target) node(t *testing.T, publicURL string) *node.Node {
	t.Helper()
	cfg := config.Default()
	cfg.PublicURL, cfg.Database.URL, cfg.Media.Dir = publicURL, tg.dbURL, tg.media
	n, err := node.New(context.Background(), cfg, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// state sums up everything a restore could change in the target: the
// files beside the database and under the media directory's parent, and
// the rows of the database.
func (tg target) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	dirs := []string{filepath.Dir(tg.media)}
	if tg.dialect == db.SQLite {
		dirs = append(dirs, filepath.Dir(strings.TrimPrefix(tg.dbURL, "sqlite:")))
	} else {
		d := tg.open(t)
		rows := tableRows(t, d)
		for _, table := range sortedNames(rows) {
			fmt.Fprintf(&b, "%s %x\n", table, sha256.Sum256([]byte(strings.Join(rows[table], "\n"))))
		}
		d.Close()
	}
	for _, dir := range dirs {
		files := tree(t, dir)
		sums := sum(files)
		for _, name := range sortedNames(files) {
			fmt.Fprintf(&b, "%s %s\n", filepath.Join(dir, name), sums[name])
		}
	}
	return b.String()
}

// tableRows reads every row of every table of d, each rendered as one line
// of text, sorted.
func tableRows(t *testing.T, d *db.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	c, err := d.Contents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for table := range c.Tables {
		rows, err := d.Bun().QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fields := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case nil:
					fields[i] = "NULL"
				case []byte:
					fields[i] = "x'" + hex.EncodeToString(v) + "'"
				case time.Time:
					fields[i] = v.UTC().Format(time.RFC3339Nano)
				default:
					fields[i] = fmt.Sprint(v)
				}
			}
			lines = append(lines, strings.Join(fields, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		out[table] = lines
	}
	return out
}

// firstMissing returns up to three lines of a that b lacks (as multisets).
func firstMissing(a, b []string) []string {
	have := map[string]int{}
	for _, l := range b {
		have[l]++
	}
	var out []string
	for _, l := range a {
		if have[l] == 0 {
			out = append(out, l)
			if len(out) == 3 {
				break
			}
			continue
		}
		have[l]--
	}
	return out
}

// tree reads every file under dir, by path relative to dir (slashes).
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = readFile(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sum(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for name, data := range files {
		s := sha256.Sum256(data)
		out[name] = hex.EncodeToString(s[:])
	}
	return out
}

func manifestFiles(m *backup.Manifest) []string {
	var names []string
	for _, f := range m.Media {
		names = append(names, strings.TrimPrefix(f.Path, "media/"))
	}
	slices.Sort(names)
	return names
}

func sortedNames[V any](m map[string]V) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fileOf reads an uploaded file as the node serves it.
func fileOf(t *testing.T, svc *spaces.Service, m *spaces.Media) []byte {
	t.Helper()
	_, f, err := svc.OpenMedia(context.Background(), spaces.Console, m.ID)
	if err != nil {
		t.Fatalf("open %s: %v", m.Name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	data := readFile(t, path)
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
