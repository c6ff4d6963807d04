package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ruche-social/ruche/node"
)

func keysCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"rotate", "give USERNAME (or, without one, the node's actor) a new key pair and tell followers", keysRotate},
	}, "ruche admin keys")
}

func keysRotate(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin keys rotate", c)
	atMostOne := func() error {
		if fs.NArg() > 1 {
			return usagef("want at most one USERNAME, got %d arguments", fs.NArg())
		}
		return nil
	}
	return onNode(ctx, c, fs, args, atMostOne, func(n *node.Node) error {
		a, err := n.Federation.RotateKey(ctx, fs.Arg(0))
		if err != nil {
			return domainErr(err)
		}
		fmt.Fprintf(c.stdout, "new key for %s; its followers are told by the running node's workers\n", a.Username)
		return nil
	})
}

func federationCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"status", "queue depth, failing hosts and what was given up", federationStatus},
		{"retry", "retry now every delivery to HOST and forget its failures", federationRetry},
	}, "ruche admin federation")
}

func federationStatus(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin federation status", c)
	return onNode(ctx, c, fs, args, exactly(fs, 0, "no arguments"), func(n *node.Node) error {
		st, err := n.Federation.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECEIVED ACTIVITIES\tSTATE\tCOUNT")
		for _, q := range st.Inbox {
			fmt.Fprintf(tw, "\t%s\t%d\n", q.State, q.N)
		}
		fmt.Fprintln(tw, "\nDELIVERIES (not done)\tSTATE\tCOUNT")
		for _, q := range st.Deliveries {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", q.Host, q.State, q.N)
		}
		fmt.Fprintln(tw, "\nFAILING HOSTS\tFAILURES\tUNREACHABLE SINCE\tLAST ERROR")
		for _, h := range st.FailingHosts {
			since := "-"
			if !h.UnreachableSince.IsZero() {
				since = h.UnreachableSince.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", h.Host, h.Failures, since, h.LastError)
		}
		fmt.Fprintln(tw, "\nGIVEN UP\tWHAT\tWHEN\tERROR")
		for _, d := range st.DeadDelivered {
			fmt.Fprintf(tw, "delivery to %s\t%s %s\t%s\t%s\n", d.Inbox, d.Activity.Type, d.Activity.URI, d.DoneAt.Format(time.RFC3339), d.LastError)
		}
		for _, it := range st.DeadInbox {
			fmt.Fprintf(tw, "received from %s\t%s %s\t%s\t%s\n", it.Host, it.Type, it.ActivityURI, it.DoneAt.Format(time.RFC3339), it.LastError)
		}
		return tw.Flush()
	})
}

func federationRetry(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin federation retry", c)
	return onNode(ctx, c, fs, args, exactly(fs, 1, "one HOST"), func(n *node.Node) error {
		count, err := n.Federation.RetryHost(ctx, fs.Arg(0))
		if err != nil {
			return usagef("%v", err)
		}
		fmt.Fprintf(c.stdout, "%d deliveries to %s are due now\n", count, fs.Arg(0))
		return nil
	})
}

func domainCmd(ctx context.Context, c cli, args []string) error {
	return dispatch(ctx, c, args, []command{
		{"block", "refuse all traffic with HOST (and its subdomains): [--reason TEXT]", domainBlock},
		{"unblock", "lift the block of HOST", domainUnblock},
		{"list", "list the blocked domains", domainList},
	}, "ruche admin domain")
}

func domainBlock(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin domain block", c)
	reason := fs.String("reason", "", "why, for the other admins")
	return onNode(ctx, c, fs, args, exactly(fs, 1, "one HOST"), func(n *node.Node) error {
		if err := n.Federation.BlockDomain(ctx, fs.Arg(0), *reason); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s is blocked: nothing is accepted from it or delivered to it\n", fs.Arg(0))
		return nil
	})
}

func domainUnblock(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin domain unblock", c)
	return onNode(ctx, c, fs, args, exactly(fs, 1, "one HOST"), func(n *node.Node) error {
		if err := n.Federation.UnblockDomain(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s is no longer blocked\n", fs.Arg(0))
		return nil
	})
}

func domainList(ctx context.Context, c cli, args []string) error {
	fs := newFlags("admin domain list", c)
	return onNode(ctx, c, fs, args, exactly(fs, 0, "no arguments"), func(n *node.Node) error {
		blocks, err := n.Federation.DomainBlocks(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tSINCE\tREASON")
		for _, b := range blocks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Domain, b.CreatedAt.Format(time.DateOnly), b.Reason)
		}
		return tw.Flush()
	})
}
