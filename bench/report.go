package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Figure is one measured number, reported beside a baseline measured in the
// same run: the machines are noisy, so the ratio is what carries meaning.
type Figure struct {
	Section  string  `json:"section"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline string  `json:"baseline"`
	BaseVal  float64 `json:"baseline_value"`
	BaseUnit string  `json:"baseline_unit"`
	// Ratio is Value/BaseVal unless the section defines it otherwise (then
	// RatioNote says how).
	Ratio     float64 `json:"ratio"`
	RatioNote string  `json:"ratio_note,omitempty"`
	Target    string  `json:"target,omitempty"`
	Met       *bool   `json:"met,omitempty"`
	Note      string  `json:"note,omitempty"`
}

// Report is one run of the harness.
type Report struct {
	Started time.Time `json:"started"`
	Profile string    `json:"profile"`
	Machine string    `json:"machine"`
	GoVer   string    `json:"go"`
	Figures []Figure  `json:"figures"`
	// GoBench is the file with the raw output of the Go benchmarks.
	GoBench  string   `json:"go_bench_file,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

func (r *Report) add(f Figure) {
	if f.Ratio == 0 && f.BaseVal != 0 {
		f.Ratio = f.Value / f.BaseVal
	}
	r.Figures = append(r.Figures, f)
	fmt.Fprintf(os.Stderr, "  %-52s %12s %-8s | %-34s %12s %-6s | ×%.3g\n",
		f.Name, num(f.Value), f.Unit, f.Baseline, num(f.BaseVal), f.BaseUnit, f.Ratio)
}

func met(ok bool) *bool { return &ok }

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// Markdown renders the report as the table printed and kept in latest.md.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "# Ruche benchmarks — %s (%s profile)\n\n", r.Started.Format("2006-01-02 15:04 MST"), r.Profile)
	fmt.Fprintf(w, "Machine: %s; %s. Every figure sits beside a baseline measured in the same run; the ratio is what to compare between runs.\n", r.Machine, r.GoVer)
	if r.GoBench != "" && r.GoBench != "." {
		fmt.Fprintf(w, "Raw Go benchmark output: `%s` (compare two runs with benchstat, see bench/README.md).\n", r.GoBench)
	}
	// Figures of one section are shown together, sections in the order they
	// first appear (a section may add a figure to another: RSS under load).
	var order []string
	bySection := map[string][]Figure{}
	for _, f := range r.Figures {
		if _, ok := bySection[f.Section]; !ok {
			order = append(order, f.Section)
		}
		bySection[f.Section] = append(bySection[f.Section], f)
	}
	for _, section := range order {
		fmt.Fprintf(w, "\n## %s\n\n| figure | value | baseline | baseline value | ratio | target |\n|---|---|---|---|---|---|\n", section)
		for _, f := range bySection[section] {
			r.row(w, f)
		}
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\n## Failures\n\n")
		for _, s := range r.Failures {
			fmt.Fprintf(w, "- %s\n", s)
		}
	}
}

// row writes one figure as a table row.
func (r *Report) row(w io.Writer, f Figure) {
	{
		target := f.Target
		if f.Met != nil {
			if *f.Met {
				target += " ✅"
			} else {
				target += " ❌"
			}
		}
		ratio := fmt.Sprintf("%.3g", f.Ratio)
		if f.RatioNote != "" {
			ratio += " (" + f.RatioNote + ")"
		}
		name := f.Name
		if f.Note != "" {
			name += " — " + f.Note
		}
		fmt.Fprintf(w, "| %s | %s %s | %s | %s %s | %s | %s |\n", name, num(f.Value), f.Unit, f.Baseline, num(f.BaseVal), f.BaseUnit, ratio, target)
	}
}

// Save writes results/<date>.json, results/latest.md and, when the Go
// benchmarks ran, their raw output as results/<date>-go.txt under dir.
func (r *Report) Save(dir, goBench string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stamp := r.Started.UTC().Format("2006-01-02T150405Z")
	raw, err := saveGoBench(dir, stamp, goBench)
	if err != nil {
		return "", err
	}
	r.GoBench = filepath.Base(raw)
	js, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, stamp+".json"), js, 0o644); err != nil {
		return "", err
	}
	var md strings.Builder
	r.Markdown(&md)
	latest := filepath.Join(dir, "latest.md")
	return latest, os.WriteFile(latest, []byte(md.String()), 0o644)
}
