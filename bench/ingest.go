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
	"github.com/ruche-social/ruche/spaces"
)

// ingestSenders is the number of servers posting to the inbox at once.
const ingestSenders = 50

// traffic is a kind of activity the senders post to the shared inbox.
type traffic struct {
	section string // the table's section
	likes   bool   // Likes of the member's posts; else posts mentioning the member
}

// ingestTraffic is what a node receives most: reactions to its members'
// posts, and posts of the people its members follow.
var ingestTraffic = []traffic{
	{section: "Inbox ingest: Likes of local posts, 50 concurrent senders", likes: true},
	{section: "Inbox ingest: followed authors' posts mentioning a member, 50 concurrent senders"},
}

// ingestNode is what the senders address on the node under test.
type ingestNode struct {
	inbox   string   // the shared inbox
	metrics string   // the node's /metrics
	member  string   // actor IRI of the member who follows every sender
	handle  string   // the member's @name@host
	posts   []string // the member's posts, for the Likes
}

// outgoing is one POST of a sender: the body, and the signature headers
// when it was signed ahead of the measure (nil: signed just before it is
// sent).
type outgoing struct {
	id   string // the activity's id
	body []byte
	hdr  http.Header
	by   *peerActor
}

// ingest measures the inbox: signed activities accepted (202) per second
// from 50 concurrent senders, the latency of each POST, and how many the
// workers stored while the senders were posting and in all — beside a bare
// net/http handler that only reads the body, fed the same requests by the
// same senders.
//
// Each kind of traffic is posted twice: signed ahead of the measure (the
// senders are other machines, whose signing is not the node's cost), then
// signed by each sender just before each POST, on this machine — the
// realistic case on a small server, where receiving competes with the
// senders' signing for the cores.
func ingest(ctx context.Context, e *env, r *Report) error {
	// A load of Creates takes the node longer than one of Likes; 5,000 of
	// each keeps the quick profile within minutes.
	per := 100
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

// ingestOn runs every load on one engine: one node, seeded once, drained
// between loads, and a bare server beside it.
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
	metricsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	dir := filepath.Join(e.work, "ingest-"+strings.ToLower(eng.name))
	os.MkdirAll(dir, 0o755)
	cfg := nodeConfig(dbURL, addr, dir)
	cfg.Metrics.Listen = metricsAddr
	// Each traffic is posted pre-signed, then signed on the fly. Each load
	// of Likes likes posts of its own (and the warm-up one more): a second
	// Like of a post by the same sender would be a read only.
	signedOnTheFly := []bool{false, true}
	// The posts: per for each load of Likes, per for the crash, one for
	// the warm-up.
	n, err := seedIngest(ctx, cfg, p, (len(signedOnTheFly)+1)*per+1)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	node, _, err := e.serve(ctx, dir, cfg)
	if err != nil {
		return err
	}
	defer func() { node.stop() }() // the node restarted after the crash, too
	bp, _, err := start2(ctx, dir, base)
	if err != nil {
		return err
	}
	defer bp.kill()

	if err := warmUp(ctx, p, n); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	var peak, basePeak atomic.Int64
	stopRSS := sampleRSS(node, &peak)
	defer stopRSS()
	posts := n.posts
	for k, t := range ingestTraffic {
		for _, onTheFly := range signedOnTheFly {
			var liked []string
			if t.likes {
				liked, posts = posts[:per], posts[per:]
			}
			acts, err := prepare(p, n, t, liked, fmt.Sprintf("load%d-%t", k, onTheFly), per, !onTheFly)
			if err != nil {
				return err
			}
			res, err := measureNode(ctx, n, acts)
			if err != nil {
				return err
			}
			stopBase := sampleRSS(bp, &basePeak)
			bres, err := postAll(ctx, "http://"+bp.addr+"/inbox", acts, nil)
			stopBase()
			if err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			reportLoad(r, eng, t, onTheFly, ingestSenders*per, res, bres)
		}
	}
	stopRSS()
	rss := float64(peak.Load()) / (1 << 20)
	r.add(Figure{Section: "Footprint", Name: fmt.Sprintf("peak RSS under the ingest loads (%s)", eng.name),
		Value: rss, Unit: "MB", Baseline: "bare net/http handler under the same loads",
		BaseVal: float64(basePeak.Load()) / (1 << 20), BaseUnit: "MB",
		Target: "< 150 MB", Met: met(rss < 150)})
	return ingestCrash(ctx, e, r, p, eng, n, &node, dir, cfg, posts[:per])
}

// ingestCrash posts one more load of Likes, pre-signed, kills the node
// (SIGKILL) once a third of them are accepted, restarts it on the same
// database, and counts the Likes it accepted (202) but never stored once its
// inbox has drained: a 202 is a promise, which a crash must not break.
func ingestCrash(ctx context.Context, e *env, r *Report, p *peers, eng engine, n *ingestNode, node **proc, dir string, cfg config.Config, posts []string) error {
	acts, err := prepare(p, n, ingestTraffic[0], posts, "crash", len(posts), true)
	if err != nil {
		return err
	}
	total := int64(len(p.hosts) * len(posts))
	var accepted atomic.Int64
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for accepted.Load() < total/3 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		(*node).kill()
	}()
	res, _ := postAll(ctx, n.inbox, acts, &accepted) // the POSTs under way when it dies fail
	<-killed
	restarted, _, err := e.serve(ctx, dir, cfg)
	if err != nil {
		return fmt.Errorf("restart after kill: %w", err)
	}
	*node = restarted
	if err := n.waitNone(ctx, `ruche_inbox_jobs{state="pending"}`, 5*time.Minute); err != nil {
		return fmt.Errorf("after the restart: %w", err)
	}
	nd, err := setupNode(ctx, cfg)
	if err != nil {
		return err
	}
	defer nd.Close()
	isLike := map[string]bool{} // a load mixes in profile Updates
	for _, list := range acts {
		for _, a := range list {
			isLike[a.id] = bytes.Contains(a.body, []byte(`"type":"Like"`))
		}
	}
	likes, lost := 0, 0
	for _, id := range res.ids {
		if !isLike[id] {
			continue
		}
		likes++
		if _, err := nd.Spaces.Rows().LikeByURI(ctx, id); err != nil {
			lost++
		}
	}
	const sec = "Crash safety: SIGKILL during the inbox ingest, restart"
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: Likes accepted (202) but not stored (killed after %d of %d accepted)", eng.name, res.accepted, total),
		Value: float64(lost), Unit: "", Baseline: "Likes accepted", BaseVal: float64(likes), BaseUnit: "",
		Target: "0 lost", Met: met(lost == 0 && likes > 0)})
	return nil
}

// reportLoad adds the figures of one load: rates beside the bare handler's
// accepted rate, latencies beside its latencies.
func reportLoad(r *Report, eng engine, t traffic, onTheFly bool, total int, res *loadResult, bres *postResult) {
	signing := "pre-signed"
	if onTheFly {
		signing = "signed on the fly"
	}
	name := func(figure string) string { return fmt.Sprintf("%s, %s: %s", eng.name, signing, figure) }
	const bare = "bare net/http handler reading the body"
	bareRate := float64(bres.accepted) / bres.took.Seconds()
	accepted := float64(res.accepted) / res.took.Seconds()
	r.add(Figure{Section: t.section, Name: name("accepted (202) per second"),
		Value: accepted, Unit: "/s", Baseline: bare, BaseVal: bareRate, BaseUnit: "/s",
		Note: fmt.Sprintf("%d of %d accepted in %.1f s", res.accepted, total, res.took.Seconds())})

	during := res.storedDuring / res.took.Seconds()
	r.add(Figure{Section: t.section, Name: name("stored per second during the load"),
		Value: during, Unit: "/s", Baseline: bare, BaseVal: bareRate, BaseUnit: "/s",
		Target: "≥ 50 % of accepted", Met: met(during >= accepted/2),
		Note: fmt.Sprintf("%.0f stored while posting, %.1f %% of the accepted rate", res.storedDuring, 100*during/accepted)})

	overall := res.stored / res.drained.Seconds()
	f := Figure{Section: t.section, Name: name("stored per second overall (load and drain)"),
		Value: overall, Unit: "/s", Baseline: bare, BaseVal: bareRate, BaseUnit: "/s",
		Note: fmt.Sprintf("all processed %.1f s after the first POST; %s", res.drained.Seconds(), fmtOutcomes(res.outcomes))}
	// The target is for the node's own cost: with the senders on the same
	// cores, their signing takes a share the node would otherwise have.
	if !onTheFly {
		f.Target, f.Met = "≥ 2,000/s on 2 cores", met(overall >= 2000)
	}
	r.add(f)

	for _, q := range []struct {
		name string
		at   float64
	}{{"p50", 0.5}, {"p99", 0.99}} {
		f := Figure{Section: t.section, Name: name("accept latency " + q.name),
			Value: ms(quantile(res.latencies, q.at)), Unit: "ms", Baseline: "bare net/http handler",
			BaseVal: ms(quantile(bres.latencies, q.at)), BaseUnit: "ms"}
		// With the senders signing on the same cores, the bare handler's
		// p99 is tens of ms too: the senders wait for a core, not the node.
		if q.name == "p99" && !onTheFly {
			f.Target, f.Met = "< 50 ms", met(f.Value < 50)
		}
		r.add(f)
	}
}

// start2 starts the bare net/http server.
func start2(ctx context.Context, dir, base string) (*proc, time.Duration, error) {
	return start(ctx, dir, base, nil, "-listen", "{addr}")
}

// fmtOutcomes lists the processed activities by outcome.
func fmtOutcomes(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		if v != 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// seedIngest creates the member the senders address, n posts of theirs,
// and their follows of every sender.
func seedIngest(ctx context.Context, cfg config.Config, p *peers, n int) (*ingestNode, error) {
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
	out := &ingestNode{inbox: cfg.PublicURL + "/inbox", metrics: "http://" + cfg.Metrics.Listen + "/metrics",
		member: nd.Federation.ActorIRI(alice), handle: "@alice@" + strings.TrimPrefix(cfg.PublicURL, "http://")}
	for i := range n {
		post, err := nd.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: fmt.Sprintf("Bonjour à tous : note *%d*.", i)})
		if err != nil {
			return nil, err
		}
		out.posts = append(out.posts, cfg.PublicURL+"/posts/"+post.ID)
	}
	// The member follows each sender as from its profile: the node fetches
	// the actor and queues a Follow (delivered once `ruche serve` runs).
	// The peers send no activity of their own, so their Accept is recorded
	// as the federation layer records a received one.
	for _, h := range p.hosts {
		author, err := nd.Federation.ResolveActor(ctx, h.actors["a0"].id)
		if err != nil {
			return nil, err
		}
		if _, err := nd.Spaces.FollowAccount(ctx, alice, author, ""); err != nil {
			return nil, err
		}
		if _, err := nd.Spaces.AcceptFollow(ctx, author, alice); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// warmUp has each sender post a first Like, which makes the node fetch its
// key, and waits until the node has processed them and delivered the
// member's Follows.
func warmUp(ctx context.Context, p *peers, n *ingestNode) error {
	warm, err := prepare(p, n, ingestTraffic[0], n.posts[len(n.posts)-1:], "warm", 1, true)
	if err != nil {
		return err
	}
	if _, err := measureNode(ctx, n, warm); err != nil {
		return err
	}
	if err := n.waitNone(ctx, `ruche_delivery_jobs{state="pending"}`, time.Minute); err != nil {
		return fmt.Errorf("the Follows were still being delivered: %w", err)
	}
	return nil
}

// waitNone polls the node's metrics every 100 ms until gauge is 0.
func (n *ingestNode) waitNone(ctx context.Context, gauge string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for ctx.Err() == nil {
		m, err := scrape(ctx, n.metrics)
		if err != nil {
			return err
		}
		if m[gauge] == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still %.0f after %s", gauge, m[gauge], within)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ctx.Err()
}

// prepare makes per activities for each sender; when presign is set, each
// is signed now for the node's inbox.
func prepare(p *peers, n *ingestNode, t traffic, posts []string, run string, per int, presign bool) ([][]outgoing, error) {
	out := make([][]outgoing, len(p.hosts))
	errs := make([]error, len(p.hosts))
	var wg sync.WaitGroup
	now := time.Now()
	for k, h := range p.hosts {
		wg.Go(func() {
			a := h.actors["a0"]
			for i := range per {
				id := fmt.Sprintf("%s-%d-%d", run, now.UnixNano(), i)
				doc := t.activity(a, n, posts, id, i, now)
				body, _ := json.Marshal(doc)
				o := outgoing{id: doc["id"].(string), body: body, by: a}
				if presign {
					if o.hdr, errs[k] = a.sign(n.inbox, body, now); errs[k] != nil {
						return
					}
				}
				out[k] = append(out[k], o)
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

// activity is the i-th activity of sender a: a Like of posts[i], or a
// Create of a public Note mentioning the member, addressed as Mastodon
// addresses one (the public in to; the author's followers and the member
// in cc; a Mention tag). Every tenth is an Update of the sender's profile
// instead, stored through the domain.
func (t traffic) activity(a *peerActor, n *ingestNode, posts []string, id string, i int, now time.Time) map[string]any {
	doc := map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": a.id + "/activities/" + id, "actor": a.id}
	switch {
	case i%10 == 9:
		var actor map[string]any
		json.Unmarshal(a.doc, &actor)
		actor["summary"] = fmt.Sprintf("profile %s", id)
		doc["type"], doc["object"] = "Update", actor
		doc["to"] = []string{"https://www.w3.org/ns/activitystreams#Public"}
	case t.likes:
		doc["type"], doc["object"] = "Like", posts[i]
	default:
		to := []string{"https://www.w3.org/ns/activitystreams#Public"}
		cc := []string{a.id + "/followers", n.member}
		published := now.UTC().Format(time.RFC3339)
		note := map[string]any{"id": a.id + "/statuses/" + id, "type": "Note", "attributedTo": a.id,
			"published": published, "to": to, "cc": cc,
			"content": fmt.Sprintf(`<p><span class="h-card"><a href="%s" class="u-url mention">@<span>alice</span></a></span> `+
				`Bonjour, voici la note %d, avec un <a href="https://example.org/page">lien</a>.</p>`, n.member, i),
			"tag": []map[string]any{{"type": "Mention", "href": n.member, "name": n.handle}}}
		doc["type"], doc["object"], doc["published"] = "Create", note, published
		doc["to"], doc["cc"] = to, cc
	}
	return doc
}

type postResult struct {
	accepted  int
	took      time.Duration
	latencies []time.Duration
	ids       []string // of the activities accepted
}

// postAll has each sender post its activities, one after the other, all
// senders at once, over kept-alive connections. An activity not signed
// yet is signed just before its POST, outside the latency measured. Each
// activity accepted adds one to counter, when there is one.
func postAll(ctx context.Context, url string, acts [][]outgoing, counter *atomic.Int64) (*postResult, error) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: len(acts)}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	res := &postResult{}
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, list := range acts {
		wg.Go(func() {
			lat := make([]time.Duration, 0, len(list))
			var ids []string
			defer func() {
				mu.Lock()
				res.accepted += len(ids)
				res.ids = append(res.ids, ids...)
				res.latencies = append(res.latencies, lat...)
				mu.Unlock()
			}()
			for _, a := range list {
				hdr := a.hdr
				if hdr == nil {
					var err error
					if hdr, err = a.by.sign(url, a.body, time.Now()); err != nil {
						fail(err)
						return
					}
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(a.body))
				req.Header = hdr.Clone()
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					fail(err)
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t))
				if resp.StatusCode == http.StatusAccepted {
					ids = append(ids, a.id)
					if counter != nil {
						counter.Add(1)
					}
				} else {
					fail(fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg))))
				}
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res, firstErr
}

// loadResult is one load as the senders and the node's metrics saw it.
type loadResult struct {
	*postResult
	storedDuring float64            // stored by the time the last sender was done
	stored       float64            // stored in all
	drained      time.Duration      // from the first POST until all were processed
	outcomes     map[string]float64 // processed activities by outcome
}

// finalOutcomes are the outcomes after which a received activity is not
// processed again; "retry" is not one.
var finalOutcomes = []string{"done", "ignored", "failed", "dead"}

// measureNode posts acts to the node and waits until its workers have
// processed every activity accepted. The counts come from the node's own
// counters (ruche_inbox_accepted_total, ruche_inbox_processed_total), read
// before, when the last sender is done, and until all are processed: an
// activity is stored when its outcome is done.
func measureNode(ctx context.Context, n *ingestNode, acts [][]outgoing) (*loadResult, error) {
	before, err := scrape(ctx, n.metrics)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := postAll(ctx, n.inbox, acts, nil)
	if err != nil {
		return nil, err
	}
	atEnd, err := scrape(ctx, n.metrics)
	if err != nil {
		return nil, err
	}
	out := &loadResult{postResult: res, storedDuring: atEnd.processed("done") - before.processed("done")}
	// Each scrape reads the queues from the database (the ruche_*_jobs
	// gauges): polled every 100 ms, it costs the node little and measures a
	// drain of seconds to within a few per cent.
	deadline := time.Now().Add(5 * time.Minute)
	for ctx.Err() == nil {
		now, err := scrape(ctx, n.metrics)
		if err != nil {
			return nil, err
		}
		accepted := now.accepted() - before.accepted()
		out.outcomes = map[string]float64{}
		finished := 0.0
		for _, o := range append(finalOutcomes, "retry") {
			out.outcomes[o] = now.processed(o) - before.processed(o)
			if o != "retry" {
				finished += out.outcomes[o]
			}
		}
		if finished >= accepted {
			out.drained, out.stored = time.Since(start), out.outcomes["done"]
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%.0f of %.0f accepted activities processed after 5 minutes", finished, accepted)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, ctx.Err()
}

// sampleRSS records the peak resident memory of p until the returned
// function is called (once; later calls do nothing).
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
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// quantile returns the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}
