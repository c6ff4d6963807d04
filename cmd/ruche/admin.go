package main

import (
	"context"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/spaces"
)

func adminCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"user", "create, list, promote, demote, suspend, unsuspend, reset-password, delete", userCmd},
		{"invite", "create an invitation link", inviteCmd},
		{"keys", "rotate an actor's key pair (admin keys rotate [USERNAME])", keysCmd},
		{"federation", "queues and failing hosts (status), retry a host (retry HOST)", federationCmd},
		{"domain", "block, unblock or list blocked domains", domainCmd},
		{"backup", "copy the database and media.dir to a new directory, while the node serves (admin backup PATH)", backupCmd},
		{"restore", "restore a backup into a new, empty node (admin restore PATH)", restoreCmd},
	}, "ruche admin")
}

// openNode opens the configured node for an admin command, migrating its
// database if needed (so the first admin can be created before the first start).
func openNode(ctx context.Context, c cli, fs *pflag.FlagSet) (*node.Node, error) {
	cfg, err := loadConfig(fs)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return node.New(ctx, cfg, node.Options{Role: node.RoleWeb, Logger: log})
}

// onNode runs a command on the node's database: it parses args into fs, runs
// check (arguments, required flags, a password prompt: usage errors come
// before the database is touched), opens the node, hands it to run, and
// closes it.
func onNode(ctx context.Context, c cli, fs *pflag.FlagSet, args []string, check func() error, run func(n *node.Node) error) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	n, err := openNode(ctx, c, fs)
	if err != nil {
		return err
	}
	defer n.Close()
	return run(n)
}

func userCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"create", "create a member: --username --email [--role] [--display-name] [--locale]", userCreate},
		{"list", "list members [--role] [--status]", userList},
		{"promote", "promote USERNAME to admin (or --role moderator)", userSetRole(spaces.RoleAdmin)},
		{"demote", "demote USERNAME to member (or --role moderator)", userSetRole(spaces.RoleMember)},
		{"suspend", "suspend USERNAME and end their sessions", userStatus(true)},
		{"unsuspend", "lift the suspension of USERNAME", userStatus(false)},
		{"reset-password", "set a new password for USERNAME and end their sessions", userResetPassword},
		{"delete", "delete USERNAME's account (their followers' servers are told)", userDelete},
	}, "ruche admin user")
}

func userCreate(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin user create", c)
	username := fs.String("username", "", "the member's username (a-z, 0-9, _)")
	email := fs.String("email", "", "the member's email address")
	display := fs.String("display-name", "", "the name shown to others (default: the username)")
	role := fs.String("role", spaces.RoleMember, "admin, moderator or member")
	locale := fs.String("locale", "", "fr, en or de (default: the node's)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	var password string
	check := func() (err error) {
		if err := exactArgs(fs, 0, "no arguments (use --username and --email)"); err != nil {
			return err
		}
		if *username == "" || *email == "" {
			return usagef("--username and --email are required")
		}
		password, err = readPassword(c, *fromStdin, "Password for "+*username)
		return err
	}
	return onNode(ctx, c, fs, args, check, func(n *node.Node) error {
		a, err := n.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{
			Username: *username, Email: *email, Password: password,
			DisplayName: *display, Role: *role, Locale: *locale,
		})
		if err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(c.stdout, "created %s %s (%s); sign in at %s\n", a.User.Role, a.Username, a.User.Email, n.Config.Origin())
		return nil
	})
}

func userList(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin user list", c)
	role := fs.String("role", "", "only this role")
	status := fs.String("status", "", "only this status: active or suspended")
	return onNode(ctx, c, fs, args, exactly(fs, 0, "no arguments"), func(n *node.Node) error {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tEMAIL\tCREATED")
		filter := spaces.MemberFilter{Role: *role, Status: *status}
		for {
			page, err := n.Spaces.ListMembers(ctx, spaces.Console, filter)
			if err != nil {
				return domainErr(err)
			}
			for _, a := range page {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, a.User.Role, a.Status, a.User.Email, a.CreatedAt.Format(time.DateOnly))
			}
			if len(page) < 500 {
				break
			}
			filter.After = page[len(page)-1].ID
		}
		return tw.Flush()
	})
}

func userSetRole(defaultRole string) func(context.Context, cli, []string) error {
	return func(ctx context.Context, c cli, args []string) error {
		fs := newFlags("admin user promote/demote", c)
		role := fs.String("role", defaultRole, "the new role: admin, moderator or member")
		return onNode(ctx, c, fs, args, exactly(fs, 1, "one USERNAME"), func(n *node.Node) error {
			a, err := n.Spaces.SetRole(ctx, spaces.Console, fs.Arg(0), *role)
			if err != nil {
				return domainErr(err)
			}
			fmt.Fprintf(c.stdout, "%s is now %s\n", a.Username, a.User.Role)
			return nil
		})
	}
}

func userStatus(suspend bool) func(context.Context, cli, []string) error {
	return func(ctx context.Context, c cli, args []string) error {
		fs := newFlags("admin user suspend/unsuspend", c)
		return onNode(ctx, c, fs, args, exactly(fs, 1, "one USERNAME"), func(n *node.Node) error {
			op := n.Spaces.Unsuspend
			if suspend {
				op = n.Spaces.Suspend
			}
			a, err := op(ctx, spaces.Console, fs.Arg(0))
			if err != nil {
				return domainErr(err)
			}
			fmt.Fprintf(c.stdout, "%s is now %s\n", a.Username, a.Status)
			return nil
		})
	}
}

func userResetPassword(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin user reset-password", c)
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	var password string
	check := func() (err error) {
		if err := exactArgs(fs, 1, "one USERNAME"); err != nil {
			return err
		}
		password, err = readPassword(c, *fromStdin, "New password for "+fs.Arg(0))
		return err
	}
	return onNode(ctx, c, fs, args, check, func(n *node.Node) error {
		if err := n.Spaces.ResetPassword(ctx, spaces.Console, fs.Arg(0), password); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(c.stdout, "password of %s changed; their sessions are ended\n", fs.Arg(0))
		return nil
	})
}

func userDelete(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin user delete", c)
	return onNode(ctx, c, fs, args, exactly(fs, 1, "one USERNAME"), func(n *node.Node) error {
		if err := n.Spaces.DeleteMember(ctx, spaces.Console, fs.Arg(0)); err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(c.stdout, "%s is deleted; the running node's workers tell the other servers\n", fs.Arg(0))
		return nil
	})
}

func inviteCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"create", "create an invitation: [--uses N] [--ttl 168h] [--note TEXT]", inviteCreate},
	}, "ruche admin invite")
}

func inviteCreate(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin invite create", c)
	uses := fs.Int("uses", 1, "how many people may register with it; 0 for unlimited")
	ttl := fs.Duration("ttl", 0, "how long it stays valid (default: invites.ttl)")
	note := fs.String("note", "", "a reminder of whom it is for")
	return onNode(ctx, c, fs, args, exactly(fs, 0, "no arguments"), func(n *node.Node) error {
		inv, token, err := n.Spaces.CreateInvitation(ctx, spaces.Console, spaces.NewInvitation{MaxUses: *uses, TTL: *ttl, Note: *note})
		if err != nil {
			return domainErr(err)
		}
		usesText := fmt.Sprint(inv.MaxUses)
		if inv.MaxUses == 0 {
			usesText = "unlimited"
		}
		fmt.Fprintf(c.stdout, "invitation token: %s\nregistration link: %s/register?invite=%s\nuses: %s, valid until %s\n",
			token, n.Config.Origin(), token, usesText, inv.ExpiresAt.Format(time.RFC3339))
		return nil
	})
}

// domainErr turns a domain error into the message the operator reads; invalid
// input is a usage error (exit 2), everything else a failed operation (exit 1).
func domainErr(err error) error {
	de := spaces.AsError(err)
	msg := de.Message
	if de.Kind == spaces.KindInternal {
		msg = err.Error()
	}
	if de.Kind == spaces.KindInvalid {
		return usagef("%s (%s)", msg, de.Code)
	}
	return fmt.Errorf("%s (%s)", msg, de.Code)
}
