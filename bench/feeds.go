package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/seed"
	"github.com/ruche-social/ruche/spaces"
)

// feedScale is the corpus of the feeds section: the network's full size in
// the full profile, a tenth of its posts in the quick one.
func (e *env) feedScale() seed.Scale {
	if e.full() {
		return seed.Network
	}
	return seed.Scale{Members: 2_500, Spaces: 200, Posts: 100_000, Joined: 8, Follows: 20}
}

// feeds seeds a database at the network's scale and measures what members
// read most — home, space and best-practice feeds, search — through the
// domain (visibility rule, translations, tags, spaces and all), first pages
// and pages deep in the past, beside a primary-key lookup of one post on the
// same database.
func feeds(ctx context.Context, e *env, r *Report) error {
	for _, eng := range e.engines() {
		if err := feedsOn(ctx, e, r, eng); err != nil {
			return fmt.Errorf("%s: %w", eng.name, err)
		}
	}
	return nil
}

func feedsOn(ctx context.Context, e *env, r *Report, eng engine) error {
	dbURL, reuse := e.feedsDB[eng.name]
	if !reuse {
		var cleanup func()
		var err error
		if dbURL, cleanup, err = e.database(ctx, eng, "feeds"); err != nil {
			return err
		}
		defer cleanup()
	}
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	sc := e.feedScale()
	var c *seed.Corpus
	seeded := time.Duration(0)
	if reuse {
		c, err = seed.Load(ctx, d)
	}
	if reuse && err == nil {
		total, err := d.Bun().NewSelect().Table("posts").Count(ctx)
		if err != nil {
			return err
		}
		sc = seed.Scale{Members: len(c.Members), Spaces: len(c.Spaces), Posts: int(total)}
		fmt.Fprintf(os.Stderr, "  %s: reusing %d members, %d spaces, %d posts\n", eng.name, sc.Members, sc.Spaces, sc.Posts)
	} else {
		reuse = false // an empty database: seed it, and keep it
		began := time.Now()
		if c, err = seed.Seed(ctx, d, sc, "http://feeds.bench.example", time.Now()); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		seeded = time.Since(began)
		fmt.Fprintf(os.Stderr, "  %s: seeded %d members, %d spaces, %d posts in %s\n", eng.name, sc.Members, sc.Spaces, sc.Posts, seeded.Round(time.Second))
	}

	s := spaces.New(d, spaces.Options{PublicURL: "http://feeds.bench.example", DefaultLocale: "fr"})
	rng := rand.New(rand.NewPCG(5, 6))
	member := func() *spaces.Account { return c.Members[rng.IntN(len(c.Members))] }
	// A deep page starts below a post from the older half of the corpus.
	deep := func() string { return c.Posts[rng.IntN(len(c.Posts)/2)] }
	word := func() string { return c.Words[rng.IntN(len(c.Words))] }
	theme := func() string { return seed.Themes[rng.IntN(len(seed.Themes))] }
	type query struct {
		name string
		run  func(before string) (int, error)
		// target is the p99 a page must stay under at 1M posts (20 ms if
		// zero).
		target time.Duration
	}
	n := func(ps []*spaces.Post, err error) (int, error) { return len(ps), err }
	apps, err := newAppClients(ctx, s, c.Members, 50)
	if err != nil {
		return fmt.Errorf("app clients: %w", err)
	}
	queries := []query{
		{"home feed", func(b string) (int, error) { return n(s.HomeFeed(ctx, member(), spaces.Page{Before: b})) }, 0},
		// What a Mastodon app waits for: the same page, through the client
		// API, mapped to statuses and encoded as JSON.
		{"home timeline in a Mastodon app (JSON)", func(b string) (int, error) { return apps.home(b) }, 0},
		{"space feed", func(b string) (int, error) {
			m := member()
			joined := c.Joined[m.ID]
			return n(s.SpaceFeed(ctx, m, joined[rng.IntN(len(joined))], spaces.Page{Before: b}))
		}, 0},
		{"best-practice feed (theme and language)", func(b string) (int, error) {
			return n(s.ArticlesFeed(ctx, member(), theme(), []string{"fr", "en"}[rng.IntN(2)], spaces.Page{Before: b}))
		}, 0},
		{"search (one word, posts)", func(b string) (int, error) {
			res, err := s.Search(ctx, member(), word(), spaces.SearchPosts, spaces.Page{Before: b})
			if err != nil {
				return 0, err
			}
			return len(res.Posts), nil
		}, 50 * time.Millisecond},
		// What the search page and the client API ask by default: posts,
		// spaces and people on the first page, posts only below a cursor.
		{"search (one word, all kinds)", func(b string) (int, error) {
			res, err := s.Search(ctx, member(), word(), spaces.SearchAll, spaces.Page{Before: b})
			if err != nil {
				return 0, err
			}
			return len(res.Posts) + len(res.Spaces) + len(res.Accounts), nil
		}, 50 * time.Millisecond},
	}
	samples := 200
	if e.full() {
		samples = 400
	}
	pk := func() (time.Duration, error) {
		p := new(db.Post)
		start := time.Now()
		err := d.Bun().NewSelect().Model(p).Where("id = ?", c.Posts[rng.IntN(len(c.Posts))]).Scan(ctx)
		return time.Since(start), err
	}
	var pkTimes []time.Duration
	for range samples * 2 {
		t, err := pk()
		if err != nil {
			return fmt.Errorf("primary key lookup: %w", err)
		}
		pkTimes = append(pkTimes, t)
	}
	pk50, pk99 := quantile(pkTimes, 0.5), quantile(pkTimes, 0.99)

	sec := fmt.Sprintf("Feeds at scale: %d members, %d spaces, %d posts", sc.Members, sc.Spaces, sc.Posts)
	for _, q := range queries {
		if e.feedQueries != nil && !e.feedQueries.MatchString(q.name) {
			continue
		}
		for _, page := range []string{"first page", "deep page"} {
			var times []time.Duration
			empty := 0
			for range samples {
				before := ""
				if page == "deep page" {
					before = deep()
				}
				start := time.Now()
				got, err := q.run(before)
				if err != nil {
					return fmt.Errorf("%s: %w", q.name, err)
				}
				times = append(times, time.Since(start))
				if got == 0 {
					empty++
				}
			}
			p50, p99 := quantile(times, 0.5), quantile(times, 0.99)
			note := ""
			if empty > 0 {
				note = fmt.Sprintf("%d of %d pages empty", empty, samples)
			}
			r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: %s, %s p50", eng.name, q.name, page), Value: ms(p50), Unit: "ms",
				Baseline: "primary-key lookup p50", BaseVal: ms(pk50), BaseUnit: "ms", Note: note})
			target := cmp.Or(q.target, 20*time.Millisecond)
			f := Figure{Section: sec, Name: fmt.Sprintf("%s: %s, %s p99", eng.name, q.name, page), Value: ms(p99), Unit: "ms",
				Baseline: "primary-key lookup p99", BaseVal: ms(pk99), BaseUnit: "ms", Target: fmt.Sprintf("< %d ms at 1M posts", target.Milliseconds())}
			if sc.Posts >= 1_000_000 {
				f.Met = met(p99 < target)
			}
			r.add(f)
		}
	}
	if reuse {
		return nil
	}
	r.add(Figure{Section: sec, Name: fmt.Sprintf("%s: seeding time", eng.name), Value: seeded.Seconds(), Unit: "s",
		Baseline: "posts", BaseVal: float64(sc.Posts), BaseUnit: "", RatioNote: "posts/s", Ratio: float64(sc.Posts) / seeded.Seconds()})
	return nil
}
