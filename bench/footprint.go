package main

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// idleWait lets a process settle (migrations done, first GC run) before its
// idle memory is read.
const idleWait = 3 * time.Second

// footprint measures what an admin pays to run a node: binary size, time from
// start to ready, and idle memory — each beside a bare net/http server built
// and started the same way in the same run.
func footprint(ctx context.Context, e *env, r *Report) error {
	base, err := buildBaseline(e.work)
	if err != nil {
		return err
	}
	rs, err := os.Stat(e.ruche)
	if err != nil {
		return err
	}
	bs, err := os.Stat(base)
	if err != nil {
		return err
	}
	const sec = "Footprint"
	r.add(Figure{Section: sec, Name: "binary size", Value: mb(rs.Size()), Unit: "MB",
		Baseline: "bare net/http binary", BaseVal: mb(bs.Size()), BaseUnit: "MB"})

	dir := filepath.Join(e.work, "footprint")
	os.MkdirAll(dir, 0o755)
	ruche, _ := filepath.Abs(e.ruche)
	bp, bReady, err := start(ctx, dir, base, nil, "-listen", "{addr}")
	if err != nil {
		return err
	}
	defer bp.kill()
	// The first start creates and migrates the database; a node restarts far
	// more often than it is created, so the second start is the figure.
	first, _, err := start(ctx, dir, ruche, nil, "serve", "--listen", "{addr}")
	if err != nil {
		return err
	}
	first.stop()
	rp, rReady, err := start(ctx, dir, ruche, nil, "serve", "--listen", "{addr}")
	if err != nil {
		return err
	}
	defer rp.stop()
	r.add(Figure{Section: sec, Name: "start to ready (SQLite, existing database)", Value: ms(rReady), Unit: "ms",
		Baseline: "bare net/http server", BaseVal: ms(bReady), BaseUnit: "ms"})

	time.Sleep(idleWait)
	rRSS, err := rp.rssMB()
	if err != nil {
		return err
	}
	bRSS, err := bp.rssMB()
	if err != nil {
		return err
	}
	r.add(Figure{Section: sec, Name: "idle RSS of ruche serve (SQLite)", Value: rRSS, Unit: "MB",
		Baseline: "bare net/http server", BaseVal: bRSS, BaseUnit: "MB",
		Target: "< 40 MB", Met: met(rRSS < 40)})
	return nil
}

func mb(bytes int64) float64     { return float64(bytes) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
