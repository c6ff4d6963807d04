package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/ruche-social/ruche/node"
)

func migrateCmd(ctx context.Context, c cli, args []string) error {
	fs := newFlags("migrate", c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := exactArgs(fs, 1, "up or status"); err != nil {
		return err
	}
	action := fs.Arg(0)
	if action != "up" && action != "status" {
		return usagef("migrate %q: want up or status", action)
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	d, err := node.OpenDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()

	if action == "up" {
		applied, err := d.Migrate(ctx)
		for _, name := range applied {
			fmt.Fprintln(c.stdout, "applied", name)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(c.stdout, "nothing to apply: the schema is current")
		}
		return nil
	}
	status, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIGRATION\tAPPLIED")
	for _, s := range status {
		at := "pending"
		if s.AppliedAt != nil {
			at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, at)
	}
	return tw.Flush()
}
