package spaces_test

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// corpus is a seeded node: members, spaces of every visibility, memberships,
// follows, and posts (a fifth of them articles with themes and a translation).
type corpus struct {
	members []*spaces.Account
	spaces  []string            // slugs
	posts   []string            // ids, oldest first
	joined  map[string][]string // member id → slugs of the spaces they joined
}

// seed fills d directly through the stores, in bulk: going through the
// domain would measure Markdown rendering a hundred thousand times.
func seed(tb testing.TB, d *db.DB, nPosts int) *corpus {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := &corpus{joined: map[string][]string{}}
	nMembers, nSpaces := 1000, 200
	var accounts []*db.Account
	var users []*db.User
	for i := range nMembers {
		a := &db.Account{ID: ulid.Make().String(), Type: spaces.TypePerson, Username: "m" + strconv.Itoa(i),
			Status: spaces.StatusActive, CreatedAt: now, UpdatedAt: now}
		accounts = append(accounts, a)
		users = append(users, &db.User{AccountID: a.ID, Email: a.Username + "@example.org", PasswordHash: "x",
			Role: spaces.RoleMember, Locale: "fr", CreatedAt: now, UpdatedAt: now})
	}
	var sps []*db.Space
	for i := range nSpaces {
		vis := spaces.VisibilityPublic
		switch i % 7 {
		case 5:
			vis = spaces.VisibilityNetwork
		case 6:
			vis = spaces.VisibilityMembers
		}
		a := &db.Account{ID: ulid.Make().String(), Type: spaces.TypeGroup, Username: "s" + strconv.Itoa(i),
			DisplayName: "Space " + strconv.Itoa(i), Status: spaces.StatusActive, CreatedAt: now, UpdatedAt: now}
		accounts = append(accounts, a)
		sps = append(sps, &db.Space{AccountID: a.ID, Languages: "fr en", Visibility: vis, JoinPolicy: spaces.JoinOpen,
			Posting: spaces.PostingMembers, CreatedAt: now, UpdatedAt: now, Account: a})
		c.spaces = append(c.spaces, a.Username)
	}
	bulk(tb, ctx, d, accounts, 500)
	bulk(tb, ctx, d, users, 500)
	bulk(tb, ctx, d, sps, 500)
	for i := range nMembers {
		c.members = append(c.members, &spaces.Account{ID: accounts[i].ID, Type: spaces.TypePerson, Username: accounts[i].Username,
			Status: spaces.StatusActive, User: users[i]})
	}
	// Each member joins 5 spaces and follows 20 members.
	var ms []*db.Membership
	var fs []*db.Follow
	joined := map[string][]int{}
	for i, m := range c.members {
		for _, j := range rng.Perm(nSpaces)[:5] {
			ms = append(ms, &db.Membership{ID: ulid.Make().String(), SpaceID: sps[j].AccountID, AccountID: m.ID,
				Role: spaces.SpaceRoleMember, State: spaces.StateActive, CreatedAt: now, UpdatedAt: now})
			joined[m.ID] = append(joined[m.ID], j)
			c.joined[m.ID] = append(c.joined[m.ID], c.spaces[j])
		}
		for _, j := range rng.Perm(nMembers)[:20] {
			if j != i {
				fs = append(fs, &db.Follow{ID: ulid.Make().String(), FollowerID: m.ID, TargetID: c.members[j].ID,
					State: spaces.FollowStateAccepted, CreatedAt: now, UpdatedAt: now})
			}
		}
	}
	bulk(tb, ctx, d, ms, 1000)
	bulk(tb, ctx, d, fs, 1000)
	entropy := ulid.Monotonic(crand.Reader, 0)
	themes := []string{"health", "catering", "housing", "culture", "it", "safety"}
	const batch = 1000
	for start := 0; start < nPosts; start += batch {
		var ps []*db.Post
		var trs []*db.Translation
		var tags []*db.Tag
		for i := start; i < min(start+batch, nPosts); i++ {
			author := c.members[rng.IntN(nMembers)]
			sp := sps[joined[author.ID][rng.IntN(5)]]
			at := now.Add(time.Duration(i) * time.Second)
			id := ulid.MustNew(ulid.Timestamp(at), entropy).String()
			p := &db.Post{ID: id, Kind: spaces.KindNote, AccountID: author.ID, SpaceID: sp.AccountID, ThreadID: id,
				Local: true, Visibility: sp.Visibility, Language: "fr", Source: "post " + strconv.Itoa(i),
				Content: "<p>post " + strconv.Itoa(i) + "</p>", CreatedAt: at}
			trs = append(trs, &db.Translation{PostID: id, Language: "fr", Source: p.Source, Content: p.Content})
			if i%5 == 0 {
				p.Kind, p.Title = spaces.KindArticle, "Article "+strconv.Itoa(i)
				trs = append(trs, &db.Translation{PostID: id, Language: "en", Title: p.Title, Content: p.Content})
				tags = append(tags, &db.Tag{PostID: id, Kind: "theme", Tag: themes[i%len(themes)]})
			}
			ps = append(ps, p)
			c.posts = append(c.posts, id)
		}
		bulk(tb, ctx, d, ps, batch)
		bulk(tb, ctx, d, trs, 2*batch)
		bulk(tb, ctx, d, tags, batch)
	}
	if d.Dialect() == db.Postgres {
		if _, err := d.Bun().ExecContext(ctx, "ANALYZE"); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := d.Bun().ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	return c
}

// bulk inserts rows n at a time, in one transaction.
func bulk[T any](tb testing.TB, ctx context.Context, d *db.DB, rows []T, n int) {
	tb.Helper()
	err := d.InTx(ctx, func(tx *db.DB) error {
		for start := 0; start < len(rows); start += n {
			chunk := rows[start:min(start+n, len(rows))]
			if _, err := tx.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// BenchmarkFeeds measures feed queries through the domain (the visibility
// rule, relations, spaces) on a node with 100,000 posts (RUCHE_BENCH_POSTS
// changes it), on both engines, and reports p50 and p99 per feed in ms:
//
//	RUCHE_TEST_POSTGRES=… go test ./spaces -run '^$' -bench BenchmarkFeeds -benchtime 1x
func BenchmarkFeeds(b *testing.B) {
	nPosts := 100_000
	if v, err := strconv.Atoi(os.Getenv("RUCHE_BENCH_POSTS")); err == nil && v > 0 {
		nPosts = v
	}
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.Open(b, dialect)
			c := seed(b, d, nPosts)
			s := spaces.New(d, spaces.Options{Password: cheap})
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(3, 4))
			mid := func() string { return c.posts[len(c.posts)/2+rng.IntN(len(c.posts)/4)] }
			feeds := []struct {
				name string
				run  func(before string) ([]*spaces.Post, error)
			}{
				{"home", func(before string) ([]*spaces.Post, error) {
					return s.HomeFeed(ctx, c.members[rng.IntN(len(c.members))], spaces.Page{Before: before})
				}},
				{"space", func(before string) ([]*spaces.Post, error) {
					m := c.members[rng.IntN(len(c.members))]
					return s.SpaceFeed(ctx, m, c.joined[m.ID][rng.IntN(5)], spaces.Page{Before: before})
				}},
				{"profile", func(before string) ([]*spaces.Post, error) {
					return s.ProfileFeed(ctx, nil, c.members[rng.IntN(len(c.members))].Username, spaces.Page{Before: before})
				}},
				{"public", func(before string) ([]*spaces.Post, error) {
					return s.PublicFeed(ctx, nil, false, spaces.Page{Before: before})
				}},
				{"articles-theme-lang", func(before string) ([]*spaces.Post, error) {
					return s.ArticlesFeed(ctx, c.members[rng.IntN(len(c.members))], "health", "en", spaces.Page{Before: before})
				}},
			}
			for _, f := range feeds {
				b.Run(f.name, func(b *testing.B) {
					for b.Loop() {
						var times []time.Duration
						for i := range 200 {
							before := ""
							if i%2 == 1 {
								before = mid() // a page deep in the past
							}
							start := time.Now()
							if _, err := f.run(before); err != nil {
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
						fmt.Fprintf(os.Stderr, "feeds %s %s posts=%d p50=%.2fms p99=%.2fms\n", dialect, f.name, nPosts, ms(0.5), ms(0.99))
					}
				})
			}
		})
	}
}
