package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ruche-social/ruche/internal/buildinfo"
	"github.com/ruche-social/ruche/node"
)

func serveCmd(ctx context.Context, c cli, args []string) error {
	fs := newFlags("serve", c)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	role := fs.String("role", node.RoleAll, "what this process does: all, web (HTTP only) or worker (background jobs only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := exactArgs(fs, 0, "no arguments"); err != nil {
		return err
	}
	switch *role {
	case node.RoleAll, node.RoleWeb, node.RoleWorker:
	default:
		return usagef("--role %q is invalid: want all, web or worker", *role)
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	log := node.NewLogger(cfg.Log, c.stderr)
	slog.SetDefault(log)
	log.Info("starting ruche", "version", buildinfo.Version(), "public_url", cfg.PublicURL, "role", *role)

	n, err := node.New(ctx, cfg, node.Options{Role: *role, NoMigrate: *noMigrate, Logger: log})
	if err != nil {
		return err
	}
	defer n.Close()

	if hasAdmin, err := n.Spaces.HasAdmin(ctx); err == nil && !hasAdmin {
		log.Warn("this node has no admin yet; create one with: " + createAdminHint(fs))
		if *role != node.RoleWorker {
			logSetupLink(ctx, log, n)
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "public_url", n.Config.PublicURL)
	if err := n.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// createAdminHint is the exact command that creates the first admin of this
// node: the same binary, pointed at the same configuration. Settings from
// ruche.yaml carry over by themselves, and from the environment when the
// command runs in the same one; flags must be repeated, the public_url too,
// or the command is refused.
func createAdminHint(fs *pflag.FlagSet) string {
	parts := []string{os.Args[0], "admin", "user", "create"}
	for _, name := range []string{"config", "database-url", "public-url"} {
		if fs.Changed(name) {
			v, _ := fs.GetString(name)
			parts = append(parts, "--"+name, "'"+v+"'")
		}
	}
	parts = append(parts, "--role", "admin", "--username", "node_admin", "--email", "admin@example.org")
	return strings.Join(parts, " ")
}

// logSetupLink prints the first-run link: whoever reads this log may create
// the first admin in a browser. The token is one-time and expires in a day.
func logSetupLink(ctx context.Context, log *slog.Logger, n *node.Node) {
	token, err := n.Spaces.NewSetupToken(ctx)
	if err != nil {
		log.Error("cannot make a setup link", "err", err)
		return
	}
	log.Warn("or open this one-time link in a browser: " + n.Config.Origin() + "/setup?token=" + token)
}
