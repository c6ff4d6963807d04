// Package seed fills a node's database with a network-sized corpus for
// benchmarks: members, spaces, memberships, follows, posts, comments,
// best-practice articles with translations and themes, and the search index.
//
// It writes rows in bulk (multi-row inserts in large transactions) instead of
// calling the domain once per post — a million posts through spaces.CreatePost
// would take hours of Markdown rendering — but the rows have exactly the shape
// the domain gives them: the same columns filled, the same visibility rules
// (a space's posts take its visibility), the same search documents (folded
// text per language, built as db.PutSearchDoc builds them; a test compares
// the two). Members get key rows as the federation side gives them, sharing
// one key pair: generating 25,000 RSA keys would take twenty minutes.
package seed

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// Scale is the size of the corpus.
type Scale struct {
	Members int
	Spaces  int
	Posts   int // top-level posts, comments and articles together
	// Joined is how many spaces each member joined, Follows how many members
	// each member follows.
	Joined, Follows int
}

// Network is the scale of the largest deployment Ruche serves: 25,000
// members, 2,000 spaces, 1,000,000 posts.
var Network = Scale{Members: 25_000, Spaces: 2_000, Posts: 1_000_000, Joined: 8, Follows: 20}

// Corpus is what was seeded, for benchmarks to pick readers and cursors.
type Corpus struct {
	Members []*spaces.Account   // with User
	Spaces  []string            // slugs
	Joined  map[string][]string // member id → slugs of the spaces they joined
	Posts   []string            // ids of top-level posts, oldest first
	Words   []string            // words the posts are made of (for searches)
}

// Themes are the themes of articles and spaces.
var Themes = []string{"catering", "health", "housing", "culture", "it", "safety", "education", "mobility"}

// Words are the vocabulary of the seeded posts: French and English words,
// some with accents, so that searches fold them as real text.
var Words = []string{
	"école", "cantine", "allergies", "sécurité", "mairie", "département", "numérique", "collège",
	"réunion", "budget", "logement", "culture", "santé", "écologie", "transport", "élus",
	"school", "canteen", "safety", "housing", "council", "network", "meeting", "practice",
	"projet", "retour", "expérience", "guide", "formation", "agents", "territoire", "données",
}

// Seed writes the corpus into d, whose schema is current, for a node whose
// public_url is origin. now is the time of the newest post.
func Seed(ctx context.Context, d *db.DB, sc Scale, origin string, now time.Time) (*Corpus, error) {
	s := &seeder{d: d, sc: sc, origin: origin, now: now.UTC().Truncate(time.Microsecond),
		rng: mrand.New(mrand.NewPCG(1, 2)), c: &Corpus{Joined: map[string][]string{}, Words: Words}}
	steps := []func(context.Context) error{s.accounts, s.spaces, s.relations, s.posts}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return s.c, analyze(ctx, d)
}

// analyze refreshes the planner's statistics. On PostgreSQL it also
// vacuums, as autovacuum does to a database in service some time after a
// bulk load: until then no page is marked all-visible, and every index-only
// scan of the feeds fetches its rows from the table (the home feed's
// candidates at 1M posts: 58 ms and 713 table reads unvacuumed, 4 ms and
// none vacuumed). It goes table by table, so that no one statement runs
// for long.
func analyze(ctx context.Context, d *db.DB) error {
	if d.Dialect() != db.Postgres {
		_, err := d.Bun().ExecContext(ctx, "ANALYZE")
		return err
	}
	var tables []string
	if err := d.Bun().NewRaw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").Scan(ctx, &tables); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := d.Bun().ExecContext(ctx, "VACUUM (ANALYZE) ?", bun.Ident(t)); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}

type seeder struct {
	d      *db.DB
	sc     Scale
	origin string
	now    time.Time
	rng    *mrand.Rand
	c      *Corpus

	people    []*db.Account
	groups    []*db.Space
	joined    [][]int       // member index → space indexes
	docIDs    *db.SearchIDs // search document ids (SQLite)
	pub, priv string        // the key pair every seeded actor shares
}

// accounts creates the members: account, user, key.
func (s *seeder) accounts(ctx context.Context) error {
	var err error
	if s.priv, s.pub, err = transport.GenerateKeyPEM(); err != nil {
		return err
	}
	created := s.now.Add(-365 * 24 * time.Hour)
	var accounts []*db.Account
	var users []*db.User
	var keys []*db.Key
	for i := range s.sc.Members {
		name := "m" + strconv.Itoa(i)
		a := &db.Account{ID: ulid.Make().String(), Type: spaces.TypePerson, Username: name, DisplayName: "Member " + strconv.Itoa(i),
			Status: spaces.StatusActive, CreatedAt: created, UpdatedAt: created}
		locale := "fr"
		if i%4 == 3 {
			locale = "en"
		}
		accounts = append(accounts, a)
		users = append(users, &db.User{AccountID: a.ID, Email: name + "@seed.example", PasswordHash: "seeded: no password",
			Role: spaces.RoleMember, Locale: locale, CreatedAt: created, UpdatedAt: created})
		keys = append(keys, &db.Key{ID: ulid.Make().String(), KeyID: s.origin + "/users/" + name + "#main-key", AccountID: a.ID,
			PublicKeyPEM: s.pub, PrivateKeyPEM: s.priv, CreatedAt: created})
		s.c.Members = append(s.c.Members, &spaces.Account{ID: a.ID, Type: a.Type, Username: name, DisplayName: a.DisplayName,
			Status: a.Status, CreatedAt: created, UpdatedAt: created, User: users[i]})
	}
	s.people = accounts
	return s.d.InTx(ctx, func(tx *db.DB) error {
		return firstErr(insert(ctx, tx, accounts), insert(ctx, tx, users), insert(ctx, tx, keys))
	})
}

// spaces creates the spaces (a Group account with its settings, themes, key
// and search document), each created by a member who owns it.
func (s *seeder) spaces(ctx context.Context) error {
	created := s.now.Add(-300 * 24 * time.Hour)
	var accounts []*db.Account
	var themes []*spaceTheme
	var owners []*db.Membership
	var docs []doc
	var keys []*db.Key
	for i := range s.sc.Spaces {
		vis := spaces.VisibilityPublic
		switch i % 7 {
		case 5:
			vis = spaces.VisibilityNetwork
		case 6:
			vis = spaces.VisibilityMembers
		}
		slug := "s" + strconv.Itoa(i)
		a := &db.Account{ID: ulid.Make().String(), Type: spaces.TypeGroup, Username: slug, DisplayName: "Espace " + s.words(2),
			Bio: s.sentence(12), Status: spaces.StatusActive, CreatedAt: created, UpdatedAt: created}
		owner := s.people[s.rng.IntN(len(s.people))]
		sp := &db.Space{AccountID: a.ID, Rules: s.sentence(8), Languages: "fr en", Visibility: vis, JoinPolicy: spaces.JoinOpen,
			Posting: spaces.PostingMembers, CreatedByID: owner.ID, CreatedAt: created, UpdatedAt: created, Account: a,
			Themes: []string{Themes[i%len(Themes)], Themes[(i+3)%len(Themes)]}}
		accounts = append(accounts, a)
		s.groups = append(s.groups, sp)
		for _, t := range sp.Themes {
			themes = append(themes, &spaceTheme{SpaceID: a.ID, Theme: t})
		}
		owners = append(owners, &db.Membership{ID: ulid.Make().String(), SpaceID: a.ID, AccountID: owner.ID,
			Role: spaces.SpaceRoleOwner, State: spaces.StateActive, CreatedAt: created, UpdatedAt: created})
		text := spaces.Fold(strings.Join([]string{slug, a.DisplayName, a.Bio, sp.Rules, strings.Join(sp.Themes, " ")}, " "))
		docs = append(docs, doc{ref: a.ID, kind: db.SearchSpace, parts: []db.SearchText{{Language: "fr", Text: text}}})
		keys = append(keys, &db.Key{ID: ulid.Make().String(), KeyID: s.origin + "/spaces/" + slug + "#main-key", AccountID: a.ID,
			PublicKeyPEM: s.pub, PrivateKeyPEM: s.priv, CreatedAt: created})
		s.c.Spaces = append(s.c.Spaces, slug)
	}
	return s.d.InTx(ctx, func(tx *db.DB) error {
		return firstErr(insert(ctx, tx, accounts), insert(ctx, tx, s.groups), insert(ctx, tx, themes),
			insert(ctx, tx, owners), insert(ctx, tx, keys), s.index(ctx, tx, docs))
	})
}

type spaceTheme struct {
	bun.BaseModel `bun:"table:space_themes"`
	SpaceID       string
	Theme         string
}

// relations: each member joins Joined spaces (the owner's membership is
// there already) and follows Follows members; one member in ten also
// follows two spaces without joining them.
func (s *seeder) relations(ctx context.Context) error {
	created := s.now.Add(-200 * 24 * time.Hour)
	owned := map[[2]string]bool{}
	for _, sp := range s.groups {
		owned[[2]string{sp.AccountID, sp.CreatedByID}] = true
	}
	var ms []*db.Membership
	var fs []*db.Follow
	s.joined = make([][]int, len(s.people))
	for i, m := range s.people {
		for _, j := range s.rng.Perm(len(s.groups))[:min(s.sc.Joined, len(s.groups))] {
			s.joined[i] = append(s.joined[i], j)
			s.c.Joined[m.ID] = append(s.c.Joined[m.ID], s.c.Spaces[j])
			if owned[[2]string{s.groups[j].AccountID, m.ID}] {
				continue
			}
			ms = append(ms, &db.Membership{ID: ulid.Make().String(), SpaceID: s.groups[j].AccountID, AccountID: m.ID,
				Role: spaces.SpaceRoleMember, State: spaces.StateActive, CreatedAt: created, UpdatedAt: created})
		}
		seen := map[int]bool{i: true}
		for range min(s.sc.Follows, len(s.people)-1) {
			j := s.rng.IntN(len(s.people))
			if seen[j] {
				continue
			}
			seen[j] = true
			fs = append(fs, &db.Follow{ID: ulid.Make().String(), FollowerID: m.ID, TargetID: s.people[j].ID,
				State: spaces.FollowStateAccepted, CreatedAt: created, UpdatedAt: created})
		}
		if i%10 == 0 {
			for _, j := range s.rng.Perm(len(s.groups))[:min(2, len(s.groups))] {
				if s.groups[j].Visibility == spaces.VisibilityPublic {
					fs = append(fs, &db.Follow{ID: ulid.Make().String(), FollowerID: m.ID, TargetID: s.groups[j].AccountID,
						State: spaces.FollowStateAccepted, CreatedAt: created, UpdatedAt: created})
				}
			}
		}
	}
	return s.d.InTx(ctx, func(tx *db.DB) error { return firstErr(insert(ctx, tx, ms), insert(ctx, tx, fs)) })
}

// posts writes the posts in transactions of postBatch: of every 20, 3 are
// best-practice articles (French with an English translation, two themes,
// an audience), 5 are comments on a recent post of the same space, the rest
// short notes, one in four with a hashtag. Times run from a year ago to now.
func (s *seeder) posts(ctx context.Context) error {
	const postBatch = 5000
	span := 365 * 24 * time.Hour
	entropy := ulid.Monotonic(rand.Reader, 0)
	recent := map[string][]*db.Post{} // space id → its last top-level posts
	for start := 0; start < s.sc.Posts; start += postBatch {
		var ps []*db.Post
		var trs []*db.Translation
		var tags []*db.Tag
		var docs []doc
		comments := map[string]int{}
		for i := start; i < min(start+postBatch, s.sc.Posts); i++ {
			at := s.now.Add(-span + time.Duration(float64(span)*float64(i+1)/float64(s.sc.Posts)))
			mi := s.rng.IntN(len(s.people))
			author := s.people[mi]
			sp := s.groups[s.joined[mi][s.rng.IntN(len(s.joined[mi]))]]
			id := ulid.MustNew(ulid.Timestamp(at), entropy).String()
			p := &db.Post{ID: id, Kind: spaces.KindNote, AccountID: author.ID, SpaceID: sp.AccountID, ThreadID: id,
				Local: true, Visibility: sp.Visibility, Language: "fr", CreatedAt: at}
			body := s.sentence(8 + s.rng.IntN(30))
			kind := i % 20
			switch {
			case kind < 3:
				p.Kind, p.Title, p.Summary = spaces.KindArticle, capitalize(s.words(5)), s.sentence(15)
				p.AppliesTo = []string{"communes", "départements", "collèges"}[i%3]
				body = s.paragraphs(3)
				p.Tags = []*db.Tag{{Kind: "theme", Tag: Themes[i%len(Themes)]}, {Kind: "theme", Tag: Themes[(i+1)%len(Themes)]}}
			case kind < 8 && len(recent[sp.AccountID]) > 0:
				root := recent[sp.AccountID][s.rng.IntN(len(recent[sp.AccountID]))]
				p.InReplyToID, p.ThreadID = root.ID, root.ThreadID
				comments[root.ID]++
			case kind%4 == 0:
				tag := Themes[s.rng.IntN(len(Themes))]
				body += " #" + tag
				p.Tags = []*db.Tag{{Kind: "hashtag", Tag: tag}}
			}
			p.Source, p.Content = body, render(body)
			p.Translations = []*db.Translation{{PostID: id, Language: "fr", Title: p.Title, Summary: p.Summary, Source: p.Source, Content: p.Content}}
			if p.Kind == spaces.KindArticle {
				en := s.paragraphs(2)
				p.Translations = append(p.Translations, &db.Translation{PostID: id, Language: "en", Title: "Practice: " + s.words(4),
					Summary: s.sentence(10), Source: en, Content: render(en)})
			}
			for _, t := range p.Tags {
				t.PostID = id
			}
			trs = append(trs, p.Translations...)
			tags = append(tags, p.Tags...)
			docs = append(docs, postDoc(p))
			ps = append(ps, p)
			if p.InReplyToID == "" {
				s.c.Posts = append(s.c.Posts, id)
				r := append(recent[sp.AccountID], p)
				recent[sp.AccountID] = r[max(0, len(r)-5):]
			}
		}
		err := s.d.InTx(ctx, func(tx *db.DB) error {
			if err := firstErr(insert(ctx, tx, ps), insert(ctx, tx, trs), insert(ctx, tx, tags), s.index(ctx, tx, docs)); err != nil {
				return err
			}
			for root, n := range comments {
				if _, err := tx.Bun().NewUpdate().Table("posts").Set("comment_count = comment_count + ?", n).
					Where("id = ?", root).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("posts %d–%d: %w", start, start+postBatch, err)
		}
	}
	return nil
}

// postDoc is a post's search document, as spaces indexes it: each
// translation's folded text under its language, then the audience and tags
// under the post's language.
func postDoc(p *db.Post) doc {
	var parts []db.SearchText
	for _, t := range p.Translations {
		parts = append(parts, db.SearchText{Language: t.Language, Text: spaces.Fold(t.Title + " " + t.Summary + " " + spaces.PlainText(t.Content))})
	}
	extra := []string{p.AppliesTo}
	for _, t := range p.Tags {
		extra = append(extra, t.Tag)
	}
	parts = append(parts, db.SearchText{Language: p.Language, Text: spaces.Fold(strings.Join(extra, " "))})
	return doc{ref: p.ID, kind: db.SearchPost, parts: parts}
}

// render turns the seeded Markdown (plain paragraphs and hashtags) into the
// HTML the domain would store for it.
func render(body string) string {
	var b strings.Builder
	for _, para := range strings.Split(body, "\n\n") {
		b.WriteString("<p>")
		b.WriteString(para)
		b.WriteString("</p>\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// filler is the rest of the vocabulary: pronounceable made-up words, drawn
// with a skewed distribution (a few frequent, most rare), as words are in
// real text. One word in forty is a Words word, so that a search for one
// finds a few percent of the posts, not all of them.
var filler = func() []string {
	syllables := []string{"ba", "lo", "mi", "tré", "sé", "ra", "ton", "vi", "pa", "leu", "cor", "ni", "du", "fè", "gan", "sol"}
	rng := mrand.New(mrand.NewPCG(7, 8))
	out := make([]string, 3000)
	for i := range out {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		out[i] = b.String()
	}
	return out
}()

func (s *seeder) words(n int) string {
	w := make([]string, n)
	for i := range w {
		if s.rng.IntN(40) == 0 {
			w[i] = Words[s.rng.IntN(len(Words))]
		} else {
			r := s.rng.Float64()
			w[i] = filler[int(r*r*float64(len(filler)))]
		}
	}
	return strings.Join(w, " ")
}

func (s *seeder) sentence(n int) string { return capitalize(s.words(n)) + "." }

func capitalize(w string) string {
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}

func (s *seeder) paragraphs(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = s.sentence(20 + s.rng.IntN(20))
	}
	return strings.Join(p, "\n\n")
}

// insert writes rows in statements of a few hundred (SQLite bounds the
// parameters of one statement, PostgreSQL at 65,535).
func insert[T any](ctx context.Context, tx *db.DB, rows []*T) error {
	const n = 400
	for start := 0; start < len(rows); start += n {
		chunk := rows[start:min(start+n, len(rows))]
		if _, err := tx.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// doc is a search document to write.
type doc struct {
	ref, kind string
	parts     []db.SearchText
}

// maxParts is the most parts a seeded document has (an article: two
// languages and its tags).
const maxParts = 3

// index writes search documents in bulk, as db.PutSearchDoc writes them one
// by one: on PostgreSQL a tsvector of each part in its language's
// configuration, then of all the text with 'simple'; on SQLite a row of
// search_docs and the FTS5 row of the same id holding all the text, with the
// id PutSearchDoc would give it.
func (s *seeder) index(ctx context.Context, tx *db.DB, docs []doc) error {
	if tx.Dialect() == db.Postgres {
		return indexPostgres(ctx, tx, docs)
	}
	if s.docIDs == nil {
		var err error
		if s.docIDs, err = tx.NewSearchIDs(ctx); err != nil {
			return err
		}
	}
	const n = 300
	for start := 0; start < len(docs); start += n {
		chunk := docs[start:min(start+n, len(docs))]
		var rows, fts []string
		var rowArgs, ftsArgs []any
		for _, d := range chunk {
			id, err := s.docIDs.Next(d.ref, d.kind)
			if err != nil {
				return err
			}
			rows = append(rows, "(?, ?, ?)")
			rowArgs = append(rowArgs, id, d.ref, d.kind)
			fts = append(fts, "(?, ?)")
			ftsArgs = append(ftsArgs, id, allText(d.parts))
		}
		if _, err := tx.Bun().ExecContext(ctx, "INSERT INTO search_docs (id, ref, kind) VALUES "+strings.Join(rows, ", "), rowArgs...); err != nil {
			return err
		}
		if _, err := tx.Bun().ExecContext(ctx, "INSERT INTO search_fts (rowid, body) VALUES "+strings.Join(fts, ", "), ftsArgs...); err != nil {
			return err
		}
	}
	return nil
}

func indexPostgres(ctx context.Context, tx *db.DB, docs []doc) error {
	const n = 1000
	for start := 0; start < len(docs); start += n {
		chunk := docs[start:min(start+n, len(docs))]
		cols := make([][]string, 3+2*maxParts)
		for _, d := range chunk {
			if len(d.parts) > maxParts {
				return fmt.Errorf("search document %s has %d parts, at most %d", d.ref, len(d.parts), maxParts)
			}
			row := []string{d.ref, d.kind, allText(d.parts)}
			for i := range maxParts {
				// A missing part is an empty 'simple' vector: concatenated, it
				// adds no word and shifts no position.
				cfg, text := "simple", ""
				if i < len(d.parts) {
					cfg, text = db.TSConfig(d.parts[i].Language), d.parts[i].Text
				}
				row = append(row, cfg, text)
			}
			for i, v := range row {
				cols[i] = append(cols[i], v)
			}
		}
		args := make([]any, len(cols))
		for i, c := range cols {
			args[i] = pgdialect.Array(c)
		}
		_, err := tx.Bun().ExecContext(ctx, `INSERT INTO search_docs (ref, kind, doc)
SELECT ref, kind, to_tsvector(c1::regconfig, t1) || to_tsvector(c2::regconfig, t2) || to_tsvector(c3::regconfig, t3) || to_tsvector('simple', t_all)
FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
	AS u(ref, kind, t_all, c1, t1, c2, t2, c3, t3)`, args...)
		if err != nil {
			return err
		}
	}
	return nil
}

func allText(parts []db.SearchText) string {
	all := make([]string, len(parts))
	for i, p := range parts {
		all[i] = p.Text
	}
	return strings.Join(all, " ")
}
