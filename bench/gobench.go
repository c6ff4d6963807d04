package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// goBenchRun is one `go test -bench` invocation.
type goBenchRun struct {
	pkgs []string
	args []string
	env  []string
}

// goBenchmarks runs the Go micro-benchmarks (signing, verification, JSON-LD
// conversion, sanitising, inbox and delivery, feed queries), keeps their raw
// output beside the results for benchstat, and reports each one against one
// RSA-2048 signature measured by BenchmarkRSASign in the same run.
func goBenchmarks(ctx context.Context, e *env, r *Report) error {
	count, posts := "1", "10000"
	if e.full() {
		count, posts = "5", "100000"
	}
	runs := []goBenchRun{
		{pkgs: []string{"./federation", "./activitystreams"}, args: []string{"-benchmem", "-count", count}},
		// BenchmarkFeeds seeds its corpus per run and times 200 queries per
		// iteration: one iteration is enough.
		{pkgs: []string{"./spaces"}, args: []string{"-benchmem", "-benchtime", "1x", "-count", count}, env: []string{"RUCHE_BENCH_POSTS=" + posts}},
	}
	var raw bytes.Buffer
	for _, run := range runs {
		args := append([]string{"test", "-run", "^$", "-bench", "."}, run.args...)
		args = append(args, run.pkgs...)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Env = append(os.Environ(), run.env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		raw.Write(out.Bytes())
		if err != nil {
			e.goBench = raw.String()
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, lastLines(out.String(), 20))
		}
	}
	e.goBench = raw.String()

	results := parseBench(raw.String())
	rsa := 0.0
	for _, b := range results {
		if b.name == "RSASign" {
			rsa = b.metrics["ns/op"]
		}
	}
	const sec = "Go micro-benchmarks (go test -bench; raw output kept for benchstat)"
	for _, b := range results {
		if p99, ok := b.metrics["p99-ms"]; ok {
			r.add(Figure{Section: sec, Name: b.name + " p99 (p50 " + num(b.metrics["p50-ms"]) + " ms)", Value: p99, Unit: "ms",
				Baseline: "one RSA-2048 signature", BaseVal: rsa / 1e6, BaseUnit: "ms"})
			continue
		}
		f := Figure{Section: sec, Name: b.name, Value: b.metrics["ns/op"] / 1000, Unit: "µs/op",
			Baseline: "one RSA-2048 signature", BaseVal: rsa / 1000, BaseUnit: "µs"}
		if ops, ok := b.metrics["ops/s"]; ok {
			f.Note = fmt.Sprintf("%s ops/s, %.2f× the RSA signing rate", num(ops), b.metrics["x_rsa_sign"])
		}
		r.add(f)
	}
	return nil
}

// benchResult is one benchmark's line; with -count > 1 the metrics are the
// mean of its lines.
type benchResult struct {
	name    string
	metrics map[string]float64
}

// parseBench reads `go test -bench` output.
func parseBench(out string) []*benchResult {
	var order []*benchResult
	byName := map[string]*benchResult{}
	counts := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		b, ok := byName[name]
		if !ok {
			b = &benchResult{name: name, metrics: map[string]float64{}}
			byName[name] = b
			order = append(order, b)
		}
		counts[name]++
		n := float64(counts[name])
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			unit := fields[i+1]
			b.metrics[unit] += (v - b.metrics[unit]) / n // running mean
		}
	}
	return order
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// saveGoBench writes the raw benchmark output beside the results.
func saveGoBench(dir, stamp, out string) (string, error) {
	if out == "" {
		return "", nil
	}
	path := filepath.Join(dir, stamp+"-go.txt")
	return path, os.WriteFile(path, []byte(out), 0o644)
}
