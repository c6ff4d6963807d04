package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// ingestSenders is the number of servers posting to the inbox at once.
const ingestSenders = 50

// signedPost is an activity signed by its sender ahead of the measure: the
// senders are other machines, whose signing is not the node's cost.
type signedPost struct {
	body []byte
	hdr  http.Header
}

// ingest measures the inbox: signed activities accepted (202) per second
// from 50 concurrent senders, the latency of each POST, and how soon the
// workers have processed them all — beside a bare net/http handler that
// only reads the body, fed the same requests by the same senders.
//
// The activities are what a node receives most: Likes of local posts, each
// sender liking each post once (so every Like is stored, counted and
// notified, as in real traffic), and every tenth an Update of the sender's
// profile (stored through the domain).
func ingest(ctx context.Context, e *env, r *Report) error {
	per := 200
	if e.full() {
		per = 600
	}
	p, err := startPeers(ingestSenders, 1, true)
	if err != nil {
		return err
	}
	defer p.close()
	base, err := buildBaseline(e.work)
	if err != nil {
		return err
	}
	for _, eng := range e.engines() {
		if err := ingestOn(ctx, e, r, p, eng, base, per); err != nil {
			return fmt.Errorf("%s: %w", eng.name, err)
		}
	}
	return nil
}

func ingestOn(ctx context.Context, e *env, r *Report, p *peers, eng engine, base string, per int) error {
	dbURL, cleanup, err := e.database(ctx, eng, "ingest")
	if err != nil {
		return err
	}
	defer cleanup()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	dir := filepath.Join(e.work, "ingest-"+strings.ToLower(eng.name))
	os.MkdirAll(dir, 0o755)
	cfg := nodeConfig(dbURL, addr, dir)
	posts, err := seedIngest(ctx, cfg, per+1)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	node, _, err := e.serve(ctx, dir, cfg)
	if err != nil {
		return err
	}
	defer node.stop()
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	inbox := cfg.PublicURL + "/inbox"

	// Warm up: each sender's first activity makes the node fetch its key.
	warm, err := signActivities(p, inbox, posts[per:], "warm", 1)
	if err != nil {
		return err
	}
	if _, err := postAll(ctx, inbox, warm); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, err := drained(ctx, d, time.Now(), time.Minute); err != nil {
		return err
	}

	acts, err := signActivities(p, inbox, posts[:per], "run", per)
	if err != nil {
		return err
	}
	total := ingestSenders * per
	var peak atomic.Int64
	stopRSS := sampleRSS(node, &peak)
	start := time.Now()
	res, err := postAll(ctx, inbox, acts)
	if err != nil {
		stopRSS()
		return err
	}
	processedIn, err := drained(ctx, d, start, 5*time.Minute)
	stopRSS()
	if err != nil {
		return err
	}
	states, _ := queue(ctx, d, "inbox_items")

	bp, _, err := start2(ctx, dir, base)
	if err != nil {
		return err
	}
	bres, err := postAll(ctx, "http://"+bp.addr+"/inbox", acts)
	bp.kill()
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}

	const sec = "Inbox ingest: signed activities from 50 concurrent senders"
	rate := float64(res.accepted) / res.took.Seconds()
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: accepted (202) per second", eng.name),
		Value: rate, Unit: "/s", Baseline: "bare net/http handler reading the body", BaseVal: float64(bres.accepted) / bres.took.Seconds(), BaseUnit: "/s",
		Target: "≥ 2,000/s on 2 cores", Met: met(rate >= 2000 && res.accepted == total),
		Note: fmt.Sprintf("%d of %d accepted", res.accepted, total)})
	prate := float64(total) / processedIn.Seconds()
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: accepted and processed per second", eng.name),
		Value: prate, Unit: "/s", Baseline: "bare net/http handler reading the body", BaseVal: float64(bres.accepted) / bres.took.Seconds(), BaseUnit: "/s",
		Target: "≥ 2,000/s on 2 cores", Met: met(prate >= 2000), Note: "inbox rows by state: " + fmtStates(states)})
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50", 0.5}, {"p99", 0.99}} {
		r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: POST latency %s", eng.name, q.name),
			Value: ms(quantile(res.latencies, q.at)), Unit: "ms", Baseline: "bare net/http handler",
			BaseVal: ms(quantile(bres.latencies, q.at)), BaseUnit: "ms"})
	}
	r.add(Figure{Section: "Footprint", Name: fmt.Sprintf("peak RSS under the ingest load (%s)", eng.name),
		Value: float64(peak.Load()) / (1 << 20), Unit: "MB", Baseline: "idle RSS target", BaseVal: 40, BaseUnit: "MB"})
	return nil
}

// start2 starts the bare net/http server.
func start2(ctx context.Context, dir, base string) (*proc, time.Duration, error) {
	return start(ctx, dir, base, nil, "-listen", "{addr}")
}

func fmtStates(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// seedIngest creates the member whose posts the senders like, and n posts.
func seedIngest(ctx context.Context, cfg config.Config, n int) ([]string, error) {
	nd, err := setupNode(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer nd.Close()
	alice, err := nd.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{Username: "alice",
		Email: "alice@bench.example", Password: fanoutPassword, Role: spaces.RoleMember})
	if err != nil {
		return nil, err
	}
	iris := make([]string, n)
	for i := range iris {
		post, err := nd.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: fmt.Sprintf("Bonjour à tous : note *%d*.", i)})
		if err != nil {
			return nil, err
		}
		iris[i] = cfg.PublicURL + "/posts/" + post.ID
	}
	return iris, nil
}

// signActivities makes per activities for each sender, signed: the i-th
// likes posts[i].
func signActivities(p *peers, inbox string, posts []string, run string, per int) ([][]signedPost, error) {
	out := make([][]signedPost, len(p.hosts))
	errs := make([]error, len(p.hosts))
	var wg sync.WaitGroup
	now := time.Now()
	for k, h := range p.hosts {
		wg.Go(func() {
			a := h.actors["a0"]
			for i := range per {
				id := fmt.Sprintf("%s/activities/%s-%d-%d", h.origin, run, now.UnixNano(), i)
				doc := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Like",
					"actor": a.id, "object": posts[i]}
				if i%10 == 9 {
					var actor map[string]any
					json.Unmarshal(a.doc, &actor)
					actor["summary"] = fmt.Sprintf("profile %d", i)
					doc["type"], doc["object"] = "Update", actor
					doc["to"] = []string{"https://www.w3.org/ns/activitystreams#Public"}
				}
				body, _ := json.Marshal(doc)
				hdr, err := a.sign(inbox, body, now)
				if err != nil {
					errs[k] = err
					return
				}
				out[k] = append(out[k], signedPost{body: body, hdr: hdr})
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

type postResult struct {
	accepted  int
	took      time.Duration
	latencies []time.Duration
}

// postAll has each sender post its activities, one after the other, all
// senders at once, over kept-alive connections.
func postAll(ctx context.Context, url string, acts [][]signedPost) (*postResult, error) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: len(acts)}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	res := &postResult{}
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for _, list := range acts {
		wg.Go(func() {
			lat := make([]time.Duration, 0, len(list))
			ok := 0
			for _, a := range list {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(a.body))
				req.Header = a.hdr.Clone()
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t))
				if resp.StatusCode == http.StatusAccepted {
					ok++
				} else if firstErr == nil {
					mu.Lock()
					firstErr = fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
					mu.Unlock()
				}
			}
			mu.Lock()
			res.accepted += ok
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res, firstErr
}

// drained waits until the node's inbox has no pending row and returns the
// time since start.
func drained(ctx context.Context, d *db.DB, start time.Time, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		states, err := queue(ctx, d, "inbox_items")
		if err != nil {
			return 0, err
		}
		if states[db.JobPending] == 0 {
			return time.Since(start), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("the inbox still had pending activities after %s", timeout)
}

// sampleRSS records the peak resident memory of p until the returned
// function is called.
func sampleRSS(p *proc, peak *atomic.Int64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if mb, err := p.rssMB(); err == nil && int64(mb*(1<<20)) > peak.Load() {
				peak.Store(int64(mb * (1 << 20)))
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// quantile returns the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}
