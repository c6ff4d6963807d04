package seed_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/internal/seed"
	"github.com/ruche-social/ruche/spaces"
)

// TestSeedLooksLikeRealData: a seeded node reads through the domain as a node
// whose content was written through it — feeds, articles, search with folded
// accents, comment counts — and its search documents are exactly those
// db.PutSearchDoc builds for the same posts.
func TestSeedLooksLikeRealData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, err := seed.Seed(ctx, d, seed.Scale{Members: 40, Spaces: 8, Posts: 600, Joined: 3, Follows: 5}, "http://node.example", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Members) != 40 || len(c.Spaces) != 8 || len(c.Posts) == 0 || len(c.Posts) >= 600 {
			t.Fatalf("corpus: %d members, %d spaces, %d top-level posts", len(c.Members), len(c.Spaces), len(c.Posts))
		}
		s := spaces.New(d, spaces.Options{})
		m := c.Members[0]
		home, err := s.HomeFeed(ctx, m, spaces.Page{})
		if err != nil || len(home) == 0 {
			t.Fatalf("home feed: %d posts, %v", len(home), err)
		}
		feed, err := s.SpaceFeed(ctx, m, c.Joined[m.ID][0], spaces.Page{Limit: 5})
		if err != nil || len(feed) == 0 {
			t.Fatalf("space feed: %d posts, %v", len(feed), err)
		}
		older, err := s.SpaceFeed(ctx, m, c.Joined[m.ID][0], spaces.Page{Before: feed[len(feed)-1].ID, Limit: 5})
		if err != nil || (len(older) > 0 && older[0].ID >= feed[len(feed)-1].ID) {
			t.Fatalf("next page: %v, %v", older, err)
		}
		arts, err := s.ArticlesFeed(ctx, m, seed.Themes[0], "en", spaces.Page{})
		if err != nil || len(arts) == 0 {
			t.Fatalf("articles with theme %s in English: %d, %v", seed.Themes[0], len(arts), err)
		}
		a := arts[0]
		if a.Kind != spaces.KindArticle || a.Title == "" || len(a.Translations) != 2 || len(a.Tags) != 2 {
			t.Fatalf("article: kind %s, title %q, %d translations, %d tags", a.Kind, a.Title, len(a.Translations), len(a.Tags))
		}
		found, err := s.Search(ctx, m, "ecole", spaces.SearchPosts, spaces.Page{})
		if err != nil || len(found.Posts) == 0 {
			t.Fatalf(`search "ecole" (seeded as "école"): %v, %v`, found, err)
		}

		// Comment counts match the comments.
		var roots []struct {
			ID           string
			CommentCount int
			N            int
		}
		err = d.Bun().NewSelect().TableExpr("posts AS p").
			ColumnExpr("p.id, p.comment_count, (SELECT count(*) FROM posts AS c WHERE c.in_reply_to_id = p.id) AS n").
			Where("p.in_reply_to_id IS NULL").Scan(ctx, &roots)
		if err != nil {
			t.Fatal(err)
		}
		comments := 0
		for _, r := range roots {
			if r.CommentCount != r.N {
				t.Fatalf("post %s: comment_count %d, %d comments", r.ID, r.CommentCount, r.N)
			}
			comments += r.N
		}
		if comments == 0 {
			t.Fatal("no comments seeded")
		}

		// The search documents are those PutSearchDoc writes.
		for _, id := range []string{a.ID, c.Posts[0], c.Posts[len(c.Posts)-1]} {
			p, err := s.GetPost(ctx, spaces.Console, id)
			if err != nil {
				t.Fatal(err)
			}
			// The domain indexes the main language first, then the others
			// in the order the author gave them.
			slices.SortStableFunc(p.Translations, func(a, b *db.Translation) int {
				return cmp.Compare(boolInt(a.Language != p.Language), boolInt(b.Language != p.Language))
			})
			var parts []db.SearchText
			for _, tr := range p.Translations {
				parts = append(parts, db.SearchText{Language: tr.Language, Text: spaces.Fold(tr.Title + " " + tr.Summary + " " + spaces.PlainText(tr.Content))})
			}
			extra := p.AppliesTo
			for _, tg := range p.Tags {
				extra += " " + tg.Tag
			}
			parts = append(parts, db.SearchText{Language: p.Language, Text: spaces.Fold(extra)})
			if err := d.PutSearchDoc(ctx, "check-"+id, db.SearchPost, parts); err != nil {
				t.Fatal(err)
			}
			if got, want := searchText(t, d, id), searchText(t, d, "check-"+id); got != want || got == "" {
				t.Fatalf("post %s: seeded document\n%s\nwant\n%s", id, got, want)
			}
		}
	})
}

// searchText is what the index holds for ref, as text.
func searchText(t *testing.T, d *db.DB, ref string) string {
	t.Helper()
	ctx := context.Background()
	var s string
	var err error
	if d.Dialect() == db.Postgres {
		err = d.Bun().NewRaw("SELECT doc::text FROM search_docs WHERE ref = ?", ref).Scan(ctx, &s)
	} else {
		err = d.Bun().NewRaw("SELECT body FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE ref = ?)", ref).Scan(ctx, &s)
	}
	if err != nil {
		t.Fatalf("search document %s: %v", ref, err)
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestLoad: the corpus read back from a seeded database is the one Seed
// returned — members, spaces, top-level posts oldest first, and each
// member's spaces among their memberships — and an empty database has none.
func TestLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := seed.Load(ctx, d); err == nil {
			t.Fatal("an empty database gave a corpus")
		}
		c, err := seed.Seed(ctx, d, seed.Scale{Members: 30, Spaces: 6, Posts: 300, Joined: 2, Follows: 3}, "http://node.example", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got, err := seed.Load(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Posts, c.Posts) {
			t.Fatalf("posts: %d loaded, %d seeded", len(got.Posts), len(c.Posts))
		}
		if len(got.Members) != len(c.Members) || got.Members[0].User == nil || len(got.Spaces) != len(c.Spaces) {
			t.Fatalf("%d members (user %v), %d spaces", len(got.Members), got.Members[0].User, len(got.Spaces))
		}
		for id, slugs := range c.Joined {
			for _, slug := range slugs {
				if !slices.Contains(got.Joined[id], slug) {
					t.Fatalf("member %s joined %s, loaded %v", id, slug, got.Joined[id])
				}
			}
		}
	})
}
