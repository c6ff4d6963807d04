// Command ruche runs a Ruche node and administers it.
//
//	ruche serve                 start the node
//	ruche migrate up|status     apply or list database migrations
//	ruche config print          show the effective configuration
//	ruche admin …               manage members, invitations, keys and federation
//	ruche version               print the version
//
// Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration
// (a public_url that is not the node's included).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ruche-social/ruche/node"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in how the command was called, or in the
// configuration: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// cli carries the streams of one invocation, so tests can run commands in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name, summary string
	run           func(ctx context.Context, c cli, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "start the node (HTTP and background work)", serveCmd},
		{"migrate", "apply (up) or list (status) database migrations", migrateCmd},
		{"config", "print the effective configuration (config print)", configCmd},
		{"admin", "manage members, invitations, keys and federation (admin user|invite|keys|federation|domain …)", adminCmd},
		{"version", "print the version", versionCmd},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := cli{stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(ctx, c, args, commands(), "ruche")
	var (
		ue usageError
		pe *node.PublicURLError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.As(err, &pe):
		fmt.Fprintln(stderr, "ruche:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "ruche:", err)
		return 1
	}
}

// dispatch runs the subcommand named by args[0].
func dispatch(ctx context.Context, c cli, args []string, cmds []command, prefix string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(c.stdout, "usage: %s <command> [flags]\n\ncommands:\n", prefix)
		for _, cmd := range cmds {
			fmt.Fprintf(c.stdout, "  %-16s %s\n", cmd.name, cmd.summary)
		}
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	for _, cmd := range cmds {
		if cmd.name == args[0] {
			return cmd.run(ctx, c, args[1:])
		}
	}
	var names []string
	for _, cmd := range cmds {
		names = append(names, cmd.name)
	}
	return usagef("unknown command %q for %s (want one of %s)", args[0], prefix, strings.Join(names, ", "))
}
