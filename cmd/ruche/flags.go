package main

import (
	"errors"
	"github.com/spf13/pflag"

	"github.com/ruche-social/ruche/config"
)

// newFlags returns a flag set for a subcommand that reads the configuration:
// --config plus one flag per configuration key.
func newFlags(name string, c cli) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.String("config", "", "path of ruche.yaml (default: $RUCHE_CONFIG, else none)")
	config.RegisterFlags(fs)
	fs.SortFlags = true
	return fs
}

// parse parses args, turning flag errors into usage errors (exit 2).
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return usagef("help requested")
		}
		return usagef("%v", err)
	}
	return nil
}

// loadConfig loads and validates the configuration for fs's command. Any
// problem is a usage error: the command stops before touching the database.
func loadConfig(fs *pflag.FlagSet) (config.Config, error) {
	file, _ := fs.GetString("config")
	cfg, err := config.Load(config.LoadOptions{File: file, Env: true, Flags: fs})
	if err != nil {
		return cfg, usagef("%v", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}

func exactArgs(fs *pflag.FlagSet, n int, what string) error {
	if fs.NArg() != n {
		return usagef("want %s, got %d arguments", what, fs.NArg())
	}
	return nil
}

// exactly is exactArgs as a check for onNode.
func exactly(fs *pflag.FlagSet, n int, what string) func() error {
	return func() error { return exactArgs(fs, n, what) }
}
