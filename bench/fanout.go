package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// The network of the fan-out: 1,000 followers spread over 250 receiving
// nodes. Each peer node has 8 actors: a0–a3 follow alice and have no shared
// inbox (one delivery per follower: 1,000 signed POSTs), a4–a7 follow bob
// from nodes whose shared inbox takes them all at once (250 POSTs).
const (
	fanoutHosts     = 250
	followersByHost = 4
	fanoutPassword  = "bench-password-123"
)

// fanNode is a node under test with its followers on the peers.
type fanNode struct {
	cfg  config.Config
	dir  string
	proc *proc
}

// fanout measures what one member's activity costs to reach 1,000 followers
// on 250 nodes, on each engine, and then kills the node with SIGKILL in the
// middle of the same fan-out to count what is lost or sent twice.
//
// Until spaces federate as Groups, the activity is the member's profile
// Update (sent when they save their profile): it takes the path every
// outgoing activity takes — the change and its activity written in one
// transaction (outbox), one delivery job per inbox, workers that claim jobs,
// sign and POST them. A post announced by its space will take the same path.
func fanout(ctx context.Context, e *env, r *Report) error {
	p, err := startPeers(fanoutHosts, 2*followersByHost, false)
	if err != nil {
		return err
	}
	defer p.close()
	for _, eng := range e.engines() {
		if err := fanoutOn(ctx, e, r, p, eng); err != nil {
			return fmt.Errorf("%s: %w", eng.name, err)
		}
	}
	return nil
}

func fanoutOn(ctx context.Context, e *env, r *Report, p *peers, eng engine) error {
	dbURL, cleanup, err := e.database(ctx, eng, "fanout")
	if err != nil {
		return err
	}
	defer cleanup()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	n := &fanNode{dir: filepath.Join(e.work, "fanout-"+strings.ToLower(eng.name))}
	os.MkdirAll(n.dir, 0o755)
	n.cfg = nodeConfig(dbURL, addr, n.dir)
	if err := seedFollowers(ctx, n.cfg, p); err != nil {
		return fmt.Errorf("seed followers: %w", err)
	}
	if n.proc, _, err = e.serve(ctx, n.dir, n.cfg); err != nil {
		return err
	}
	defer func() { n.proc.stop() }()

	const sec = "Fan-out: one activity to 1,000 followers on 250 nodes"
	for _, c := range []struct {
		who, what string
		inboxes   int
	}{
		{"alice", "personal inboxes, 1,000 deliveries", fanoutHosts * followersByHost},
		{"bob", "shared inboxes, 250 deliveries", fanoutHosts},
	} {
		// The median of three: one fan-out lasts about a second, and a
		// second of a shared machine is noisy.
		var times []time.Duration
		for range 3 {
			took, err := n.fanOnce(ctx, p, c.who, c.inboxes)
			if err != nil {
				return err
			}
			times = append(times, took)
		}
		took := quantile(times, 0.5)
		rate := float64(c.inboxes) / took.Seconds()
		r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: time until every inbox has it (%s), median of 3", eng.name, c.what),
			Value: ms(took), Unit: "ms", Baseline: "the same deliveries at the signing limit",
			BaseVal: ms(time.Duration(float64(c.inboxes) / e.signRate * float64(time.Second))), BaseUnit: "ms"})
		fig := Figure{Section: sec, Name: fmt.Sprintf("%s: deliveries/s (%s)", eng.name, c.what),
			Value: rate, Unit: "/s", Baseline: "RSA-2048 signatures/s, one core", BaseVal: e.signRate, BaseUnit: "sig/s"}
		if c.who == "alice" {
			fig.Target, fig.Met = "≥ 0.8 of the signing limit", met(rate >= 0.8*e.signRate)
		}
		r.add(fig)
	}
	if p.bad.Load() > 0 {
		return fmt.Errorf("%d deliveries did not verify", p.bad.Load())
	}
	return n.crash(ctx, e, r, p, eng)
}

// fanOnce makes who save their profile and waits until inboxes peers'
// inboxes have the Update it sends; it returns the time that took.
func (n *fanNode) fanOnce(ctx context.Context, p *peers, who string, inboxes int) (time.Duration, error) {
	m, err := signIn(n.cfg.PublicURL, who, fanoutPassword)
	if err != nil {
		return 0, err
	}
	before := p.activities()
	isNew := func(id string) bool { return !before[id] }
	start := time.Now()
	if err := m.setDisplayName(fmt.Sprintf("%s %d", who, start.UnixNano())); err != nil {
		return 0, err
	}
	if got := p.waitReached(ctx, inboxes, isNew, 2*time.Minute); got < inboxes {
		return 0, fmt.Errorf("%s's update reached %d inboxes of %d", who, got, inboxes)
	}
	return time.Since(start), nil
}

// crash starts the 1,000-delivery fan-out again, kills the node (SIGKILL)
// once a quarter of the inboxes have it, restarts it on the same database,
// and counts the inboxes never reached (lost) and the copies received more
// than once (duplicates: at-least-once delivery allows them, receivers
// dedupe by activity id).
func (n *fanNode) crash(ctx context.Context, e *env, r *Report, p *peers, eng engine) error {
	const total = fanoutHosts * followersByHost
	m, err := signIn(n.cfg.PublicURL, "alice", fanoutPassword)
	if err != nil {
		return err
	}
	before := p.activities()
	isNew := func(id string) bool { return !before[id] }
	if err := m.setDisplayName(fmt.Sprintf("alice crash %d", time.Now().UnixNano())); err != nil {
		return err
	}
	p.waitReached(ctx, total/4, isNew, time.Minute)
	n.proc.kill()
	atKill, _ := p.reached(isNew)
	restarted := time.Now()
	if n.proc, _, err = e.serve(ctx, n.dir, n.cfg); err != nil {
		return fmt.Errorf("restart after kill: %w", err)
	}
	got := p.waitReached(ctx, total, isNew, 2*time.Minute)
	took := time.Since(restarted)
	_, dups := p.reached(isNew)
	const sec = "Crash safety: SIGKILL during the fan-out, restart"
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: deliveries lost (killed after %d of %d)", eng.name, atKill, total),
		Value: float64(total - got), Unit: "", Baseline: "deliveries", BaseVal: total, BaseUnit: "",
		Target: "0 lost", Met: met(got == total)})
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: deliveries received twice", eng.name),
		Value: float64(dups), Unit: "", Baseline: "deliveries", BaseVal: total, BaseUnit: "",
		Note: "at least once: receivers dedupe by activity id"})
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: restart until every inbox has it", eng.name),
		Value: ms(took), Unit: "ms", Baseline: "the remaining deliveries at the signing limit",
		BaseVal: ms(time.Duration(float64(total-atKill) / e.signRate * float64(time.Second))), BaseUnit: "ms"})
	return nil
}

// seedFollowers creates alice and bob through the domain (keys and all) and
// writes their remote followers as the node would have stored them after
// accepting their Follows.
func seedFollowers(ctx context.Context, cfg config.Config, p *peers) error {
	nd, err := setupNode(ctx, cfg)
	if err != nil {
		return err
	}
	defer nd.Close()
	local := map[string]*spaces.Account{}
	for _, name := range []string{"alice", "bob"} {
		a, err := nd.Spaces.CreateMember(ctx, spaces.Console, spaces.NewMember{Username: name,
			Email: name + "@bench.example", Password: fanoutPassword, Role: spaces.RoleMember})
		if err != nil {
			return err
		}
		local[name] = a
	}
	now := db.Now()
	var accounts []*db.Account
	var follows []*db.Follow
	for _, h := range p.hosts {
		host := strings.TrimPrefix(h.origin, "http://")
		for i := range 2 * followersByHost {
			a := h.actors[fmt.Sprintf("a%d", i)]
			target, shared := local["alice"], ""
			if i >= followersByHost {
				target, shared = local["bob"], h.origin+"/inbox"
			}
			acc := &db.Account{ID: ulid.Make().String(), Type: spaces.TypePerson, Username: fmt.Sprintf("a%d", i),
				Domain: host, Status: spaces.StatusActive, URI: a.id, InboxURI: a.id + "/inbox", SharedInboxURI: shared,
				OutboxURI: a.id + "/outbox", FollowersURI: a.id + "/followers", FollowingURI: a.id + "/following",
				FetchedAt: now, CreatedAt: now, UpdatedAt: now}
			accounts = append(accounts, acc)
			follows = append(follows, &db.Follow{ID: ulid.Make().String(), FollowerID: acc.ID, TargetID: target.ID,
				State: spaces.FollowStateAccepted, URI: a.id + "/follows/1", CreatedAt: now, UpdatedAt: now})
		}
	}
	return nd.DB.InTx(ctx, func(tx *db.DB) error {
		if err := insertChunks(ctx, tx, accounts, 500); err != nil {
			return err
		}
		return insertChunks(ctx, tx, follows, 500)
	})
}

// insertChunks inserts rows n at a time (SQLite bounds the parameters of
// one statement).
func insertChunks[T any](ctx context.Context, tx *db.DB, rows []T, n int) error {
	for start := 0; start < len(rows); start += n {
		chunk := rows[start:min(start+n, len(rows))]
		if _, err := tx.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
