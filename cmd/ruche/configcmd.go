package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/internal/buildinfo"
)

func configCmd(ctx context.Context, c cli, args []string) error {
	fs := newFlags("config", c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "print" {
		return usagef("want: ruche config print")
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	flat := cfg.Redacted().Flat()
	for _, key := range config.Keys() {
		v := flat[key]
		if list, ok := v.([]string); ok {
			v = strings.Join(list, ",")
		}
		fmt.Fprintf(c.stdout, "%s = %v\n", key, v)
	}
	return nil
}

func versionCmd(ctx context.Context, c cli, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(c.stdout, "ruche", buildinfo.Version())
	return nil
}
