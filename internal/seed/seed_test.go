package seed_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

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

// TestSearchPagesDeep: walking every page of a search, seven posts at a
// time, gives exactly the posts the reader may see whose text has the word,
// newest first — the deep pages included, which are read from their cursor
// down. The expected list is built apart: each translation's words, folded,
// and the visibility of each post that has the word.
func TestSearchPagesDeep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c, err := seed.Seed(ctx, d, seed.Scale{Members: 40, Spaces: 10, Posts: 3000, Joined: 3, Follows: 5}, "http://node.example", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s := spaces.New(d, spaces.Options{})
		const word = "budget"
		var texts []struct {
			PostID, Title, Summary, Content string
		}
		if err := d.Bun().NewSelect().Table("post_translations").Column("post_id", "title", "summary", "content").Scan(ctx, &texts); err != nil {
			t.Fatal(err)
		}
		has := map[string]bool{}
		for _, tr := range texts {
			words := strings.FieldsFunc(spaces.Fold(tr.Title+" "+tr.Summary+" "+spaces.PlainText(tr.Content)), func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r)
			})
			if slices.Contains(words, word) {
				has[tr.PostID] = true
			}
		}
		for _, m := range c.Members[:3] {
			var want []string
			for id := range has {
				if ok, err := s.CanSee(ctx, m, id); err != nil {
					t.Fatal(err)
				} else if ok {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			slices.Reverse(want)
			if len(want) < 30 {
				t.Fatalf("only %d posts with %q: too few for deep pages", len(want), word)
			}
			var got []string
			page := spaces.Page{Limit: 7}
			for {
				res, err := s.Search(ctx, m, word, spaces.SearchPosts, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range res.Posts {
					got = append(got, p.ID)
				}
				if len(res.Posts) < page.Limit {
					break
				}
				page.Before = res.Posts[len(res.Posts)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: search pages hold %d posts, want %d", m.Username, len(got), len(want))
			}
		}
	})
}
