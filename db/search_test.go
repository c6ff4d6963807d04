package db

import (
	"context"
	"crypto/rand"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/db/migrations"
)

// searchFixture is a node whose posts crowd a few milliseconds: 50 posts in
// each of 6, most with the word "budget", in three audiences — public, a
// members-only space the reader belongs to, one they do not — and some
// deleted. Their documents are indexed in a shuffled order, so that on SQLite
// the order of the ids within a millisecond is not the order of the posts.
type searchFixture struct {
	d       *DB
	reader  string
	posts   []string        // every post id, oldest first
	match   map[string]bool // has the word
	members map[string]bool // in the space the reader belongs to
	hidden  map[string]bool // in the space the reader does not belong to
	deleted map[string]bool
}

func newSearchFixture(t *testing.T, dialect Dialect) *searchFixture {
	t.Helper()
	ctx := context.Background()
	d := openTest(t, dialect)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &searchFixture{d: d, reader: "reader", match: map[string]bool{}, members: map[string]bool{}, hidden: map[string]bool{}, deleted: map[string]bool{}}
	now := "2026-01-01T00:00:00Z"
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.idb.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, a := range [][2]string{{"author", "Person"}, {"reader", "Person"}, {"mine", "Group"}, {"theirs", "Group"}} {
		exec(`INSERT INTO accounts (id, type, username, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, a[0], a[1], a[0], now, now)
	}
	exec(`INSERT INTO space_members (id, space_id, account_id, role, state, created_at, updated_at) VALUES ('m', 'mine', 'reader', 'member', 'active', ?, ?)`, now, now)
	entropy := ulid.Monotonic(rand.Reader, 0)
	start := uint64(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	for ms := range uint64(6) {
		for range 50 {
			f.posts = append(f.posts, ulid.MustNew(start+ms*7, entropy).String())
		}
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i, id := range f.posts {
		vis, space := "public", any(nil)
		switch i % 6 {
		case 1:
			vis, space = "members", "mine"
			f.members[id] = true
		case 2:
			vis, space = "members", "theirs"
			f.hidden[id] = true
		}
		exec(`INSERT INTO posts (id, kind, account_id, space_id, thread_id, local, visibility, language, created_at) VALUES (?, 'note', 'author', ?, ?, TRUE, ?, 'fr', ?)`,
			id, space, id, vis, now)
		if i%11 == 3 {
			exec(`UPDATE posts SET deleted_at = ? WHERE id = ?`, now, id)
			f.deleted[id] = true
		}
		f.match[id] = rng.IntN(5) > 0
	}
	for _, i := range rng.Perm(len(f.posts)) {
		f.index(t, f.posts[i])
	}
	// a space's document, which post searches never list
	if err := d.PutSearchDoc(ctx, "mine", SearchSpace, []SearchText{{Language: "fr", Text: "budget de l'espace"}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// index (re)writes a post's document.
func (f *searchFixture) index(t *testing.T, id string) {
	t.Helper()
	text := "un compte rendu"
	if f.match[id] {
		text = "le budget de la semaine"
	}
	if err := f.d.PutSearchDoc(context.Background(), id, SearchPost, []SearchText{{Language: "fr", Text: text}}); err != nil {
		t.Fatal(err)
	}
}

// want is what a search for "budget" lists, newest first, below before.
func (f *searchFixture) want(r Reader, before string) []string {
	var out []string
	for _, id := range slices.Backward(f.posts) {
		visible := !f.hidden[id] && (!f.members[id] || r.AccountID == f.reader)
		if f.match[id] && visible && !f.deleted[id] && (before == "" || id < before) {
			out = append(out, id)
		}
	}
	return out
}

// walk pages through a search for "budget", limit posts at a time.
func (f *searchFixture) walk(t *testing.T, r Reader, before string, limit int) []string {
	t.Helper()
	var got []string
	for {
		page, err := f.d.SearchPosts(context.Background(), SearchQuery{Reader: r, Terms: []string{"budget"}, Language: "fr", Before: before, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.ID)
		}
		if len(page) < limit {
			return got
		}
		before = page[len(page)-1].ID
	}
}

// TestSearchPagesAcrossMilliseconds: walking a search page by page, from the
// top or from any cursor, lists exactly the matching posts the reader may
// see, newest first, each once — when the posts of one millisecond were
// indexed in another order than theirs, when a page ends inside a
// millisecond, when the reader may not see many of the matches, when posts
// are indexed again (edited) on the way, and when the cursor's post is gone.
func TestSearchPagesAcrossMilliseconds(t *testing.T) {
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			f := newSearchFixture(t, dialect)
			member, anonymous := Reader{AccountID: f.reader, Network: true}, Reader{}
			if len(f.want(member, "")) < 3*searchRound/2 {
				t.Fatalf("%d matches: too few for several rounds", len(f.want(member, "")))
			}
			for _, r := range []Reader{member, anonymous} {
				for _, limit := range []int{1, 7, 20, 40} {
					if got, want := f.walk(t, r, "", limit), f.want(r, ""); !slices.Equal(got, want) {
						t.Fatalf("reader %q, %d a page: %d posts\n%v\nwant %d\n%v", r.AccountID, limit, len(got), got, len(want), want)
					}
				}
				// From any cursor: a post, a post without the word, the
				// first id of a millisecond, ids that are no post, and
				// strings that are no ULID at all.
				cursors := []string{f.posts[0], f.posts[len(f.posts)-1], f.posts[77], f.posts[150], f.posts[151], "0", "zzz", "", "01", strings.ToLower(f.posts[100])}
				var first ulid.ULID
				_ = first.SetTime(ulid.MustParse(f.posts[100]).Time())
				cursors = append(cursors, first.String())
				for _, c := range cursors {
					if got, want := f.walk(t, r, c, 7), f.want(r, c); !slices.Equal(got, want) {
						t.Fatalf("reader %q, below %q: %d posts, want %d", r.AccountID, c, len(got), len(want))
					}
				}
			}

			// Edits index posts again, on the way down: the walk is the same.
			var got []string
			before := ""
			for {
				page, err := f.d.SearchPosts(context.Background(), SearchQuery{Reader: member, Terms: []string{"budget"}, Before: before, Limit: 9})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page {
					got = append(got, p.ID)
					f.index(t, p.ID)
				}
				if len(page) < 9 {
					break
				}
				before = page[len(page)-1].ID
				f.index(t, f.posts[mrand.IntN(len(f.posts))])
			}
			if want := f.want(member, ""); !slices.Equal(got, want) {
				t.Fatalf("with edits on the way: %d posts, want %d", len(got), len(want))
			}

			// The cursor's post is deleted, document and all.
			cursor := f.want(member, "")[40]
			if err := f.d.DeleteSearchDoc(context.Background(), cursor); err != nil {
				t.Fatal(err)
			}
			f.deleted[cursor] = true
			if got, want := f.walk(t, member, cursor, 7), f.want(member, cursor); !slices.Equal(got, want) || len(want) == 0 {
				t.Fatalf("below a deleted post: %d posts, want %d", len(got), len(want))
			}
		})
	}
}

// TestSearchDocIDs: on SQLite a post's document takes an id in its post's
// millisecond, a space's a negative one; indexing a document again keeps its
// id; SearchIDs gives the ids PutSearchDoc gives; and the cursor's bound
// covers every ULID below the cursor.
func TestSearchDocIDs(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t, SQLite)
	ids := map[string]int64{}
	rows, err := f.d.idb.QueryContext(ctx, `SELECT d.ref, d.id FROM search_docs AS d JOIN search_fts AS f ON f.rowid = d.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		var id int64
		if err := rows.Scan(&ref, &id); err != nil {
			t.Fatal(err)
		}
		ids[ref] = id
	}
	rows.Close()
	if len(ids) != len(f.posts)+1 || ids["mine"] >= 0 {
		t.Fatalf("%d documents, the space's id %d", len(ids), ids["mine"])
	}
	for _, p := range f.posts {
		if ms := int64(ulid.MustParse(p).Time()); ids[p]>>SearchIDBits != ms {
			t.Fatalf("post %s of millisecond %d: document id %d", p, ms, ids[p])
		}
	}
	again := f.posts[10]
	f.index(t, again)
	var id int64
	if err := f.d.idb.QueryRowContext(ctx, `SELECT id FROM search_docs WHERE ref = ?`, again).Scan(&id); err != nil || id != ids[again] {
		t.Fatalf("indexed again: id %d, was %d (%v)", id, ids[again], err)
	}

	// SearchIDs continues where the documents are.
	alloc, err := f.d.NewSearchIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entropy := ulid.Monotonic(rand.Reader, 0)
	next := ulid.MustNew(ulid.MustParse(f.posts[len(f.posts)-1]).Time(), entropy).String()
	for _, doc := range [][2]string{{next, SearchPost}, {"other", SearchSpace}, {"not-a-ulid", SearchPost}} {
		got, err := alloc.Next(doc[0], doc[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := f.d.PutSearchDoc(ctx, doc[0], doc[1], []SearchText{{Text: "x"}}); err != nil {
			t.Fatal(err)
		}
		if err := f.d.idb.QueryRowContext(ctx, `SELECT id FROM search_docs WHERE ref = ?`, doc[0]).Scan(&id); err != nil || id != got {
			t.Fatalf("%s: SearchIDs gave %d, PutSearchDoc %d (%v)", doc[0], got, id, err)
		}
	}

	// The bound of a cursor: every ULID below it has an id at most the
	// bound, and the bound is that of the cursor's millisecond.
	for range 2000 {
		a := ulid.MustNew(mrand.Uint64N(1<<48), rand.Reader).String()
		b := ulid.MustNew(mrand.Uint64N(1<<48), rand.Reader).String()
		if a > b {
			a, b = b, a
		}
		top, ok := searchTop(b)
		if !ok || SearchMillisecond(a)<<SearchIDBits > top || top>>SearchIDBits != SearchMillisecond(b) {
			t.Fatalf("below %s: %s has millisecond %d, bound %d (%v)", b, a, SearchMillisecond(a), top, ok)
		}
	}
	for cursor, want := range map[string]int64{"": math.MaxInt64, "zzz": math.MaxInt64, "0": -1, "00000000000000000000000000": -1} {
		if top, ok := searchTop(cursor); (want < 0 && ok) || (want >= 0 && top != want) {
			t.Fatalf("below %q: %d %v", cursor, top, ok)
		}
	}
}

// TestSearchDocIDsMigration: the migration gives the documents of a SQLite
// database indexed before it the ids PutSearchDoc gives now, each with its
// text; searches then page as they should, and new documents are indexed
// after it. PostgreSQL's index is left as it was.
func TestSearchDocIDsMigration(t *testing.T) {
	const name = "20261207090000_search_doc_ids"
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			d := openTest(t, dialect)
			if err := d.ensureMigrationTable(ctx); err != nil {
				t.Fatal(err)
			}
			var mine migrations.Migration
			for _, m := range migrations.All() {
				if m.Name == name {
					mine = m
					break
				}
				if _, err := d.apply(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			// Documents as the code before the migration wrote them: ids
			// counted up in the order of indexing, here not the posts' order.
			entropy := ulid.Monotonic(rand.Reader, 0)
			start := uint64(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
			var refs []string
			for i := range 40 {
				refs = append(refs, ulid.MustNew(start+uint64(i/4), entropy).String())
			}
			refs = append(refs, "not-a-ulid")
			order := mrand.New(mrand.NewPCG(3, 4)).Perm(len(refs))
			text := func(ref string) string { return "budget " + strings.ToLower(ref) }
			for _, i := range order {
				if dialect == Postgres {
					if err := d.PutSearchDoc(ctx, refs[i], SearchPost, []SearchText{{Language: "fr", Text: text(refs[i])}}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				var id int64
				if err := d.idb.QueryRowContext(ctx, `INSERT INTO search_docs (ref, kind) VALUES (?, 'post') RETURNING id`, refs[i]).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if _, err := d.idb.ExecContext(ctx, `INSERT INTO search_fts (rowid, body) VALUES (?, ?)`, id, text(refs[i])); err != nil {
					t.Fatal(err)
				}
			}
			if dialect == SQLite {
				if _, err := d.idb.ExecContext(ctx, `INSERT INTO search_docs (ref, kind) VALUES ('space', 'space')`); err != nil {
					t.Fatal(err)
				}
				if _, err := d.idb.ExecContext(ctx, `INSERT INTO search_fts (rowid, body) SELECT id, 'budget space' FROM search_docs WHERE ref = 'space'`); err != nil {
					t.Fatal(err)
				}
			} else if err := d.PutSearchDoc(ctx, "space", SearchSpace, []SearchText{{Language: "fr", Text: "budget space"}}); err != nil {
				t.Fatal(err)
			}
			if ran, err := d.apply(ctx, mine); err != nil || !ran {
				t.Fatalf("apply: %v %v", ran, err)
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}

			if dialect == SQLite {
				// The ids PutSearchDoc gives documents indexed in the order
				// of their refs, with their texts.
				fresh := openTest(t, SQLite)
				if _, err := fresh.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				sorted := slices.Sorted(slices.Values(refs))
				for _, ref := range sorted {
					if err := fresh.PutSearchDoc(ctx, ref, SearchPost, []SearchText{{Text: text(ref)}}); err != nil {
						t.Fatal(err)
					}
				}
				if err := fresh.PutSearchDoc(ctx, "space", SearchSpace, []SearchText{{Text: "budget space"}}); err != nil {
					t.Fatal(err)
				}
				docs := func(d *DB) string {
					var out []string
					err := d.idb.NewRaw(`SELECT d.id || ' ' || d.ref || ' ' || d.kind || ' ' || f.body FROM search_docs AS d JOIN search_fts AS f ON f.rowid = d.id ORDER BY d.id`).Scan(ctx, &out)
					if err != nil {
						t.Fatal(err)
					}
					return strings.Join(out, "\n")
				}
				if got, want := docs(d), docs(fresh); got != want {
					t.Fatalf("documents after the migration:\n%s\nwant\n%s", got, want)
				}
			}
			// The index answers, and takes new documents.
			late := ulid.MustNew(start+1000, entropy).String()
			if err := d.PutSearchDoc(ctx, late, SearchPost, []SearchText{{Language: "fr", Text: "budget"}}); err != nil {
				t.Fatal(err)
			}
			var found []string
			cond, args := d.matching("ref", SearchPost, SearchQuery{Terms: []string{"budget"}, Language: "fr"})
			if err := d.idb.NewSelect().Table("search_docs").Column("ref").Where(cond, args...).Scan(ctx, &found); err != nil {
				t.Fatal(err)
			}
			if len(found) != len(refs)+1 {
				t.Fatalf("%d documents found, want %d", len(found), len(refs)+1)
			}
		})
	}
}
