package spaces_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/testfs"
	"github.com/ruche-social/ruche/spaces"
)

// TestUploadStorageFaults: when the media directory is full or read-only, an
// upload is refused with an error that says so (the node's fault, to retry
// later, not the member's file), no file or partial file stays behind and
// no media row is written; once there is room again, uploads work without a
// restart.
func TestUploadStorageFaults(t *testing.T) {
	ctx := context.Background()
	png := pngOf(200 << 10) // larger than the full directory's room

	t.Run("full", func(t *testing.T) {
		dir := testfs.Full(t, "64k")
		s, _ := newService(t, dbtest.Open(t, db.SQLite), spaces.Options{MediaDir: dir})
		olga := mustMember(t, s, "olga", spaces.RoleMember)

		_, err := s.UploadMedia(ctx, olga, bytes.NewReader(png), "plan.png", "")
		wantCode(t, err, "storage_full")
		if k := spaces.KindOf(err); k != spaces.KindUnavailable {
			t.Fatalf("kind %v, want unavailable", k)
		}
		wantNothingStored(t, s, olga, dir)

		// Room again: the same node stores the next file.
		m, err := s.UploadMedia(ctx, olga, bytes.NewReader(pngOf(4<<10)), "small.png", "")
		if err != nil {
			t.Fatalf("upload once there is room: %v", err)
		}
		if got := filesIn(t, dir); len(got) != 1 || !strings.HasSuffix(got[0], ".png") {
			t.Fatalf("files after a good upload: %v", got)
		}
		if _, f, err := s.OpenMedia(ctx, olga, m.ID); err != nil {
			t.Fatalf("open the stored file: %v", err)
		} else {
			f.Close()
		}
	})

	t.Run("read-only", func(t *testing.T) {
		dir := testfs.ReadOnly(t)
		s, _ := newService(t, dbtest.Open(t, db.SQLite), spaces.Options{MediaDir: dir})
		olga := mustMember(t, s, "olga", spaces.RoleMember)
		_, err := s.UploadMedia(ctx, olga, bytes.NewReader(pngOf(4<<10)), "plan.png", "")
		wantCode(t, err, "storage_unavailable")
		wantNothingStored(t, s, olga, dir)
	})

	t.Run("media directory cannot be made", func(t *testing.T) {
		dir := filepath.Join(testfs.ReadOnly(t), "media")
		s, _ := newService(t, dbtest.Open(t, db.SQLite), spaces.Options{MediaDir: dir})
		olga := mustMember(t, s, "olga", spaces.RoleMember)
		_, err := s.UploadMedia(ctx, olga, bytes.NewReader(pngOf(4<<10)), "plan.png", "")
		wantCode(t, err, "storage_unavailable")
	})

	t.Run("a broken upload is the sender's", func(t *testing.T) {
		s, _ := newService(t, dbtest.Open(t, db.SQLite), spaces.Options{MediaDir: t.TempDir()})
		olga := mustMember(t, s, "olga", spaces.RoleMember)
		_, err := s.UploadMedia(ctx, olga, &failingReader{data: png[:1024]}, "plan.png", "")
		wantCode(t, err, "upload_failed")
	})
}

// wantNothingStored fails if a refused upload left a file, a temporary file
// or a media row behind.
func wantNothingStored(t *testing.T, s *spaces.Service, by *spaces.Account, dir string) {
	t.Helper()
	if got := filesIn(t, dir); len(got) != 0 {
		t.Fatalf("a refused upload left files behind: %v", got)
	}
	if n, err := s.DB().Bun().NewSelect().Table("media").Where("account_id = ?", by.ID).Count(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d media rows after a refused upload (%v)", n, err)
	}
}

// filesIn lists the regular files under dir, hidden ones included.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// pngOf returns n bytes that sniff as a PNG image.
func pngOf(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	for i := 8; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// failingReader gives its data, then fails as a dropped connection would.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
