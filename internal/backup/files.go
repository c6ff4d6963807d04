package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// uploadPrefix starts the names of files an upload is still writing; the
// upload renames its file to its final name once whole, so they are never
// what a row points to.
const uploadPrefix = ".upload-"

// copyMedia copies every regular file under src into dst, keeping the tree,
// and returns them as backup files (paths under media/). A missing src is an
// empty media directory: a node that never stored a file.
func copyMedia(ctx context.Context, src, dst string) ([]File, error) {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(src) // media.dir is often a link to a larger disk
	if errors.Is(err, os.ErrNotExist) {
		return nil, syncDir(filepath.Dir(dst))
	} else if err != nil {
		return nil, err
	}
	var files []File
	dirs := map[string]bool{dst: true}
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p != root {
				return nil // removed while we walk: a deleted post's file
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		switch {
		case e.IsDir():
			return nil
		case strings.HasPrefix(e.Name(), uploadPrefix):
			return nil
		case !e.Type().IsRegular():
			return fmt.Errorf("media.dir holds %s, which is not a regular file: move it out of media.dir and back up again", p)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		dirs[filepath.Dir(target)] = true
		size, sum, err := copyFile(p, target)
		if errors.Is(err, os.ErrNotExist) {
			return nil // deleted between the listing and the copy
		}
		if err != nil {
			return err
		}
		files = append(files, File{Path: mediaPrefix + filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy media.dir %s: %w", src, err)
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	return files, syncDir(filepath.Dir(dst))
}

// copyFile copies src to dst, which must not exist, flushes it to disk and
// returns its size and SHA-256. A backup holds private keys and members'
// files: dst is readable by its owner only.
func copyFile(src, dst string) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, "", err
	}
	size, sum, err := hashReader(io.TeeReader(in, out))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return 0, "", err
	}
	return size, sum, nil
}

// hashReader reads r to its end and returns its size and SHA-256 in hex.
func hashReader(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir flushes a directory's entries, so a file renamed or created in it
// survives a power cut.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// localPath turns a manifest path into a path under dir, refusing any that
// would lead out of it: a manifest is input, and a doctored one must not
// make a restore read or write elsewhere.
func localPath(dir, rel string) (string, error) {
	if rel == "" || path.Clean(rel) != rel || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("%w: the manifest names %q, which is not a plain path inside the backup", ErrDamaged, rel)
	}
	return filepath.Join(dir, filepath.FromSlash(rel)), nil
}

// emptyDir tells whether dir is missing or holds nothing.
func emptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	return len(entries) == 0, err
}
