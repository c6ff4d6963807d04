// Package testfs gives tests directories that fail as real disks do: full,
// or read-only. It mounts a small tmpfs, which needs root: CI runs as root
// and must run these tests; elsewhere they are skipped, since neither fault
// can be made for one directory otherwise (a read-only mode bit does not
// stop root, and a full disk cannot be faked without faking the writes).
package testfs

import (
	"os"
	"os/exec"
	"testing"
)

// Full returns an empty directory on a filesystem that holds at most size
// (e.g. "64k").
func Full(t testing.TB, size string) string { return mount(t, "size="+size) }

// ReadOnly returns an empty directory on a read-only filesystem.
func ReadOnly(t testing.TB) string { return mount(t, "ro") }

func mount(t testing.TB, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("storage faults need root to mount a small filesystem, and CI must run them")
		}
		t.Skip("storage faults need root to mount a small filesystem")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs (%s): %v: %s", opts, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
