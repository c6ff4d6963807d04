// Command bench is Ruche's benchmark harness (`make bench`, `make bench-full`).
// It measures what matters for a network of nodes — signing, fan-out, inbox
// ingest, feeds at scale, footprint, crash safety — and reports each figure
// beside a baseline measured in the same run, as a ratio: the machines this
// runs on are noisy, ratios much less so. Results go to bench/results/.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// section is one part of the harness.
type section struct {
	name string
	run  func(ctx context.Context, env *env, r *Report) error
}

// env is what every section may use.
type env struct {
	profile string // quick or full
	ruche   string // path of the ruche binary under test
	work    string // a scratch directory, removed at the end
	pgDSN   string // a PostgreSQL server to create databases on, or ""

	signRate float64 // RSA-2048 signatures per second, measured first
	goBench  string  // raw output of the Go benchmarks, for benchstat

	engineSel string // all, sqlite or postgres

	// feedsDB maps an engine's name to a database seeded by an earlier run,
	// which the feeds section measures again instead of seeding a new one.
	feedsDB map[string]string
	// feedQueries selects the feeds section's queries by name (nil: all).
	feedQueries *regexp.Regexp
}

func (e *env) full() bool { return e.profile == "full" }

func main() {
	profile := flag.String("profile", "quick", "quick (minutes) or full (the 1M-post scale)")
	ruche := flag.String("ruche", "bin/ruche", "the ruche binary to measure")
	out := flag.String("out", "bench/results", "where to write <date>.json and latest.md")
	only := flag.String("only", "", "run only the sections whose name matches this regular expression")
	engines := flag.String("engines", "all", "databases to measure: all (SQLite, and PostgreSQL when RUCHE_TEST_POSTGRES is set), sqlite or postgres")
	feedsSQLite := flag.String("feeds-sqlite", "", "measure the feeds on this seeded SQLite database (sqlite:PATH; seeded first if empty) and keep it")
	feedsPG := flag.String("feeds-postgres", "", "measure the feeds on this seeded PostgreSQL database (postgres://…; seeded first if empty) and keep it")
	feedQueries := flag.String("feed-queries", "", "measure only the feeds queries whose name matches this regular expression, e.g. '^search'")
	flag.Parse()
	if *profile != "quick" && *profile != "full" {
		fmt.Fprintln(os.Stderr, "bench: -profile must be quick or full")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "ruche-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(work)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	e := &env{profile: *profile, ruche: *ruche, work: work, pgDSN: os.Getenv("RUCHE_TEST_POSTGRES"), engineSel: *engines, feedsDB: map[string]string{}}
	if *feedsSQLite != "" {
		e.feedsDB["SQLite"] = *feedsSQLite
	}
	if *feedsPG != "" {
		e.feedsDB["PostgreSQL"] = *feedsPG
	}
	if *feedQueries != "" {
		re, err := regexp.Compile(*feedQueries)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -feed-queries:", err)
			os.Exit(2)
		}
		e.feedQueries = re
	}
	if *engines == "postgres" && e.pgDSN == "" {
		fmt.Fprintln(os.Stderr, "bench: -engines postgres needs RUCHE_TEST_POSTGRES")
		os.Exit(2)
	}
	r := &Report{Started: time.Now(), Profile: *profile, Machine: machine(), GoVer: runtime.Version()}
	for _, s := range sections() {
		if *only != "" && !regexp.MustCompile(*only).MatchString(s.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", s.name)
		if err := s.run(ctx, e, r); err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: %v", s.name, err))
			fmt.Fprintf(os.Stderr, "  FAILED: %v\n", err)
		}
	}
	path, err := r.Save(*out, e.goBench)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: save:", err)
		os.Exit(1)
	}
	r.Markdown(os.Stdout)
	fmt.Fprintf(os.Stderr, "\nwritten %s and the JSON beside it\n", path)
	if len(r.Failures) > 0 {
		os.Exit(1)
	}
}

func sections() []section {
	return []section{
		{"signing", signing},
		{"fanout", fanout},
		{"ingest", ingest},
		{"feeds", feeds},
		{"gobench", goBenchmarks},
		{"footprint", footprint},
	}
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%d CPU (%s), %s/%s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH)
}
