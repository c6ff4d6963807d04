package spaces_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/seed"
	"github.com/ruche-social/ruche/spaces"
)

// BenchmarkFeeds measures feed and search queries through the domain (the
// visibility rule, translations, tags, spaces) on a node seeded with
// internal/seed — 100,000 posts by default, RUCHE_BENCH_POSTS changes it —
// on both engines, and reports p50 and p99 per query in ms:
//
//	RUCHE_TEST_POSTGRES=… go test ./spaces -run '^$' -bench BenchmarkFeeds -benchtime 1x
//
// Each sub-benchmark runs 200 queries per iteration, half of them first
// pages and half pages deep in the past. bench/ measures the same at the
// network's scale (make bench-full).
func BenchmarkFeeds(b *testing.B) {
	nPosts := 100_000
	if v, err := strconv.Atoi(os.Getenv("RUCHE_BENCH_POSTS")); err == nil && v > 0 {
		nPosts = v
	}
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.Open(b, dialect)
			ctx := context.Background()
			c, err := seed.Seed(ctx, d, seed.Scale{Members: max(nPosts/40, 50), Spaces: max(nPosts/500, 10), Posts: nPosts, Joined: 5, Follows: 20},
				"http://node.example", time.Now())
			if err != nil {
				b.Fatal(err)
			}
			s := spaces.New(d, spaces.Options{Password: cheap, DefaultLocale: "fr"})
			rng := rand.New(rand.NewPCG(3, 4))
			member := func() *spaces.Account { return c.Members[rng.IntN(len(c.Members))] }
			n := func(ps []*spaces.Post, err error) error { return err }
			feeds := []struct {
				name string
				run  func(before string) error
			}{
				{"home", func(before string) error { return n(s.HomeFeed(ctx, member(), spaces.Page{Before: before})) }},
				{"space", func(before string) error {
					m := member()
					return n(s.SpaceFeed(ctx, m, c.Joined[m.ID][rng.IntN(len(c.Joined[m.ID]))], spaces.Page{Before: before}))
				}},
				{"profile", func(before string) error {
					return n(s.ProfileFeed(ctx, nil, member().Username, spaces.Page{Before: before}))
				}},
				{"public", func(before string) error { return n(s.PublicFeed(ctx, nil, false, spaces.Page{Before: before})) }},
				{"articles-theme-lang", func(before string) error {
					return n(s.ArticlesFeed(ctx, member(), seed.Themes[rng.IntN(len(seed.Themes))], "en", spaces.Page{Before: before}))
				}},
				{"search", func(before string) error {
					_, err := s.Search(ctx, member(), c.Words[rng.IntN(len(c.Words))], spaces.SearchPosts, spaces.Page{Before: before})
					return err
				}},
			}
			for _, f := range feeds {
				b.Run(f.name, func(b *testing.B) {
					for b.Loop() {
						var times []time.Duration
						for i := range 200 {
							before := ""
							if i%2 == 1 {
								before = c.Posts[rng.IntN(len(c.Posts)/2)] // a page deep in the past
							}
							start := time.Now()
							if err := f.run(before); err != nil {
								b.Fatal(err)
							}
							times = append(times, time.Since(start))
						}
						slices.Sort(times)
						ms := func(q float64) float64 {
							return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000
						}
						b.ReportMetric(ms(0.5), "p50-ms")
						b.ReportMetric(ms(0.99), "p99-ms")
					}
				})
			}
		})
	}
}

// BenchmarkSanitizeHTML: HTML from any source cleaned to the node's allowlist.
func BenchmarkSanitizeHTML(b *testing.B) {
	in := ""
	for range 6 {
		in += `<p>Retour d’expérience : <strong>allergies</strong> <a href="https://x.example/g" onclick="x()">guide</a><script>alert(1)</script><img src=x onerror=alert(2)></p>`
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		spaces.SanitizeHTML(in)
	}
}
