package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/internal/backup"
	"github.com/ruche-social/ruche/internal/buildinfo"
)

// backupCmd writes a backup of the configured node, which may keep serving.
func backupCmd(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin backup", c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := exactArgs(fs, 1, "one PATH, a directory that does not exist yet"); err != nil {
		return err
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Create(ctx, backupNode(cfg), fs.Arg(0), buildinfo.Version())
	if err != nil {
		return backupErr(err)
	}
	for _, p := range m.MissingMedia {
		fmt.Fprintf(c.stderr, "warning: media file %s, which the database points to, was not in media.dir (deleted while the backup ran, or lost before)\n", p)
	}
	fmt.Fprintf(c.stdout, "backed up the %s database (%d rows in %d tables) and %d media files (%s) to %s in %s\n",
		m.Engine, m.Rows(), len(m.Tables), len(m.Media), mib(m.MediaBytes()), fs.Arg(0), time.Since(start).Round(time.Millisecond))
	return nil
}

// restoreCmd restores a backup into the configured node, which must be new:
// its database without rows and its media.dir empty.
func restoreCmd(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin restore", c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := exactArgs(fs, 1, "one PATH, a directory made by ruche admin backup"); err != nil {
		return err
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Restore(ctx, backupNode(cfg), fs.Arg(0))
	if err != nil {
		return backupErr(err)
	}
	if m.PublicURL != cfg.Origin() {
		fmt.Fprintf(c.stderr, "warning: the backup is of %s and public_url is %s: every id is built from public_url, "+
			"so serve the restored node as %s or it will not federate\n", m.PublicURL, cfg.Origin(), m.PublicURL)
	}
	fmt.Fprintf(c.stdout, "restored the backup of %s made %s by ruche %s: %d rows in %d tables and %d media files (%s) in %s; start the node with ruche serve\n",
		m.PublicURL, m.CreatedAt.Format(time.RFC3339), m.RucheVersion, m.Rows(), len(m.Tables), len(m.Media), mib(m.MediaBytes()),
		time.Since(start).Round(time.Millisecond))
	return nil
}

func backupNode(cfg config.Config) backup.Node {
	return backup.Node{DatabaseURL: cfg.Database.URL, MediaDir: cfg.Media.Dir, PublicURL: cfg.Origin()}
}

// backupErr makes a refusal (nothing was written: the destination exists,
// the target is not empty, the backup is for another engine) a usage error,
// exit code 2; anything else, a damaged backup included, fails with 1.
func backupErr(err error) error {
	if errors.Is(err, backup.ErrRefused) {
		return usagef("%v", err)
	}
	return err
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
