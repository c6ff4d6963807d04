package interop

// The second independent implementation: activitypub-bot, an ActivityPub
// server whose bots run inside it (apbot-peer.mjs). Its bot joins spaces,
// reads what their Groups announce, replies, likes, is followed by members
// and posts to them; every assertion about the bot is made from the
// server's side — what it stored in the bot's inbox and how its own
// ActivityStreams library reads it.
//
// Its server keeps its state in PostgreSQL: each test gives it a database of
// its own on the server RUCHE_TEST_POSTGRES names (by default the local one
// that .ci/run starts), dropped when the test ends.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// defaultPostgres is the server the peer's database is made on when
// RUCHE_TEST_POSTGRES does not name one.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// apbot is the running activitypub-bot peer. Its server has one bot,
// "bot", a Person.
type apbot struct {
	*peer
	bot  string // the actor IRI of "bot"
	host string // host:port of the peer, as in @bot@host
}

// startApbot starts the peer on a fresh database. Under RUCHE_INTEROP a
// missing package, an unreachable PostgreSQL or a peer that does not start
// fails the test.
func startApbot(t *testing.T) *apbot {
	t.Helper()
	if os.Getenv("RUCHE_INTEROP") == "" {
		t.Skip("RUCHE_INTEROP is not set: run `make test` (npm ci in test/interop, then this suite)")
	}
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Setenv(dbtest.EnvPostgres, defaultPostgres)
	}
	t.Setenv("APBOT_DATABASE_URL", dbtest.URL(t, db.Postgres))
	stdin, stdout := startScript(t, "apbot-peer.mjs", "@evanp/activitypub-bot", "activitypub-bot peer")
	p := &peer{stdin: stdin, replies: make(chan map[string]any, 16), events: make(chan map[string]any, 256)}
	ready := make(chan map[string]any, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["apbot"] != true {
				// the server's own log (APBOT_LOG_LEVEL) shares stdout
				fmt.Fprintf(os.Stderr, "apbot: %s\n", sc.Bytes())
				continue
			}
			delete(m, "apbot")
			switch {
			case m["ready"] != nil:
				ready <- m
			case m["event"] != nil:
				p.events <- m
			default:
				p.replies <- m
			}
		}
	}()
	b := &apbot{peer: p}
	select {
	case m := <-ready:
		bots, _ := m["bots"].(map[string]any)
		p.origin, b.bot = fmt.Sprint(m["ready"]), fmt.Sprint(bots["bot"])
	case <-exited:
		t.Fatal("the activitypub-bot peer stopped before it was ready (its messages are above)")
	case <-time.After(90 * time.Second):
		t.Fatal("the activitypub-bot peer did not start")
	}
	b.host = strings.TrimPrefix(p.origin, "http://")
	return b
}

// do sends a command and checks that the bot's server delivered all it
// sent. Each command answers once that server is idle.
func (b *apbot) do(t *testing.T, cmd string, args map[string]any) map[string]any {
	t.Helper()
	r := b.call(t, cmd, args)
	if u, _ := r["undelivered"].([]any); len(u) > 0 {
		t.Fatalf("peer %s: the bot's server could not deliver: %v", cmd, u)
	}
	return r
}

// exchange lets the node and the bot's server answer each other, twice: the
// node delivers, the bot's server handles what it received (reporting its
// inbox events) and delivers its answers, which the node handles in turn —
// a Follow, its Accept, and the Accept's own consequences.
func (b *apbot) exchange(t *testing.T, n *nodetest.Node) {
	t.Helper()
	for range 2 {
		drain(t, n)
		b.do(t, "idle", map[string]any{})
	}
}

// received returns the event of an activity the bot's server stored in an
// inbox, that match accepts. Call it after exchange or another command:
// every activity received before is reported by then, so an event that is
// not there will not come.
func (b *apbot) received(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for drained := false; !drained; {
		select {
		case e := <-b.events:
			b.backlog = append(b.backlog, e)
		default:
			drained = true
		}
	}
	var got []string
	for _, e := range b.backlog {
		if e["event"] == "NotStored" || e["event"] == "ReportFailed" {
			t.Fatalf("the peer could not report an activity it received: %v", e)
		}
		got = append(got, fmt.Sprintf("%v", e))
	}
	for i, e := range b.backlog {
		if match(e) {
			b.backlog = append(b.backlog[:i], b.backlog[i+1:]...)
			return e
		}
	}
	t.Fatalf("the bot's server stored no %s; it stored:\n%s", what, strings.Join(got, "\n"))
	return nil
}

// activity returns the event of an activity of type typ by actor about
// object (its IRI) stored in the inbox of bot ("bot").
func (b *apbot) activity(t *testing.T, bot, typ, actor, object string) map[string]any {
	t.Helper()
	return b.received(t, fmt.Sprintf("%s by %s of %s", typ, actor, object), func(e map[string]any) bool {
		return e["bot"] == bot && e["event"] == typ && e["actor"] == actor && e["object"] == object
	})
}

// inboxState says what the node did with an activity it received.
func inboxState(n *nodetest.Node, activity string) string {
	it, err := n.DB.InboxItemByActivity(context.Background(), activity)
	if err != nil {
		return "the node has not received it (" + err.Error() + ")"
	}
	return fmt.Sprintf("the node received it: %s %q", it.State, it.LastError)
}

// strs turns a JSON list into strings.
func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, s := range l {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// hasMention tells whether an event's post has a Mention tag pointing to href.
func hasMention(e map[string]any, href string) bool {
	tags, _ := e["tags"].([]any)
	for _, tg := range tags {
		m, _ := tg.(map[string]any)
		if m["type"] == "Mention" && m["href"] == href {
			return true
		}
	}
	return false
}

// createSpace creates a public space owned by owner and returns its Group's IRI.
func createSpace(t *testing.T, n *nodetest.Node, owner *spaces.Account, slug string) string {
	t.Helper()
	name := "Forum " + slug
	if _, err := n.Spaces.CreateSpace(context.Background(), owner, spaces.NewSpace{Slug: slug, SpaceSettings: spaces.SpaceSettings{
		Name: &name, Languages: []string{"fr", "en"}}}); err != nil {
		t.Fatal(err)
	}
	return n.URL + "/spaces/" + slug
}

// followGroup has bot ("bot") follow a space's Group: the
// Group's Accept reaches it, and its server then counts the Group among
// those the bot follows.
func followGroup(t *testing.T, n *nodetest.Node, b *apbot, bot, group string) {
	t.Helper()
	sent := b.do(t, "follow", map[string]any{"url": group, "as": bot})
	if sent["targetType"] != "Group" {
		t.Fatalf("the bot's server reads the space as %v", sent["targetType"])
	}
	b.exchange(t, n)
	answer := b.received(t, "the Group's answer to the Follow", func(e map[string]any) bool {
		return e["bot"] == bot && (e["event"] == "Accept" || e["event"] == "Reject") && e["object"] == sent["sent"]
	})
	if answer["event"] != "Accept" || answer["actor"] != group || answer["storedInCache"] != true {
		t.Fatalf("the Group's answer to the Follow of @%s, as its server keeps it: %v", bot, answer)
	}
	if st := b.do(t, "state", map[string]any{"url": group, "as": bot}); st["following"] != true || st["pendingFollowing"] != false {
		t.Fatalf("after the Accept, the bot's server says of the Group: %v", st)
	}
}

// joinSpace has the bot join a space by following its Group; the space
// then counts one more member.
func joinSpace(t *testing.T, n *nodetest.Node, b *apbot, slug string) {
	t.Helper()
	ctx := context.Background()
	before, err := n.Spaces.MemberCount(ctx, mustSpace(t, n, slug))
	if err != nil {
		t.Fatal(err)
	}
	followGroup(t, n, b, "bot", n.URL+"/spaces/"+slug)
	if members, err := n.Spaces.MemberCount(ctx, mustSpace(t, n, slug)); err != nil || members != before+1 {
		t.Fatalf("the space has %d members (%v) after the bot joined, %d before", members, err, before)
	}
}

// remoteAccount is the account a node keeps for a remote actor.
func remoteAccount(t *testing.T, n *nodetest.Node, iri string) *spaces.Account {
	t.Helper()
	a, err := n.Spaces.RemoteAccountByURI(context.Background(), iri)
	if err != nil {
		t.Fatalf("the node does not know %s: %v", iri, err)
	}
	return a
}

// TestApbotInSpace: the bot reads a space's Group with a signed GET (which
// Ruche verifies with the bot's standalone key document), joins the space
// and gets the Group's Accept; a new post reaches it as the Group's
// Announce of the Create and as a boost of the post, both read by its
// server in both languages; the bot's reply becomes a comment on the post,
// its like a like by the bot, and its Undo of the Follow leaves the space.
func TestApbotInSpace(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	olgaIRI := n.URL + "/users/olga"

	group := createSpace(t, n, olga, "forum")
	got := b.do(t, "lookup", map[string]any{"url": group})
	if got["id"] != group || got["type"] != "Group" || got["preferredUsername"] != "forum" || got["inbox"] != group+"/inbox" ||
		got["sharedInbox"] != n.URL+"/inbox" || got["followers"] != group+"/followers" || got["keyId"] != group+"#main-key" {
		t.Fatalf("the Group as the bot's server reads it: %v", got)
	}
	if _, err := n.DB.KeyByKeyID(ctx, b.bot+"/publickey"); err != nil {
		t.Fatalf("Ruche did not verify the bot's signed GET (its key document is unknown to it): %v", err)
	}
	joinSpace(t, n, b, "forum")

	// A new post: Announce(Create) and Announce(post IRI).
	post, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Language: "fr", Body: "Bienvenue au forum",
		Translations: []spaces.TranslationInput{{Language: "en", Body: "Welcome to the forum"}}})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + post.ID
	b.exchange(t, n)
	ofCreate := b.received(t, "the Group's Announce(Create)", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["objectType"] == "Create" && e["innerObject"] == iri
	})
	contentMap, _ := ofCreate["contentMap"].(map[string]any)
	if ofCreate["actor"] != group || ofCreate["innerActor"] != olgaIRI || ofCreate["postType"] != "Note" ||
		ofCreate["attributedTo"] != olgaIRI || !slices.Contains(strs(ofCreate["audience"]), group) ||
		!strings.Contains(fmt.Sprint(ofCreate["content"]), "Bienvenue au forum") ||
		!strings.Contains(fmt.Sprint(contentMap["en"]), "Welcome to the forum") ||
		!strings.Contains(fmt.Sprint(contentMap["fr"]), "Bienvenue au forum") ||
		!slices.Contains(strs(ofCreate["to"]), "https://www.w3.org/ns/activitystreams#Public") {
		t.Fatalf("the Announce(Create) as the bot's server keeps it: %v", ofCreate)
	}
	boost := b.received(t, "the Group's Announce of the post", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["object"] == iri
	})
	boostMap, _ := boost["contentMap"].(map[string]any)
	if boost["actor"] != group || boost["postSource"] != "fetched" || boost["attributedTo"] != olgaIRI ||
		!strings.Contains(fmt.Sprint(boost["content"]), "Bienvenue au forum") ||
		!strings.Contains(fmt.Sprint(boostMap["en"]), "Welcome to the forum") {
		t.Fatalf("the Announce of the post as the bot's server reads it: %v", boost)
	}
	thread := fmt.Sprint(boost["context"])

	// The bot replies: a comment on the post, by the bot.
	reply := b.do(t, "reply", map[string]any{"url": iri, "text": "Merci pour cet accueil"})
	note, _ := reply["note"].(map[string]any)
	if note["inReplyTo"] != iri || note["context"] != thread || !slices.Contains(strs(note["to"]), olgaIRI) {
		t.Fatalf("the bot's reply as its server made it: %v (the post's context: %s)", note, thread)
	}
	b.exchange(t, n)
	comments, err := n.Spaces.Comments(ctx, olga, post.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != 1 || comments[0].URI != note["id"] || comments[0].Author == nil || comments[0].Author.URI != b.bot ||
		!strings.Contains(comments[0].Content, "Merci pour cet accueil") {
		t.Fatalf("the comments of the post after the bot's reply: %+v", comments)
	}

	// The bot likes the post.
	b.do(t, "like", map[string]any{"url": iri})
	b.exchange(t, n)
	liked, err := n.Spaces.LikedAmong(ctx, remoteAccount(t, n, b.bot), []*spaces.Post{post})
	if err != nil || !liked[post.ID] {
		t.Fatalf("Ruche does not count the bot's like (%v): %v", err, liked)
	}
	if p, err := n.DB.PostByID(ctx, post.ID); err != nil || p.LikeCount != 1 {
		t.Fatalf("the post's likes after the bot's like: %+v (%v)", p, err)
	}

	// The bot unfollows the Group: it leaves the space.
	b.do(t, "unfollow", map[string]any{"url": group})
	b.exchange(t, n)
	if members, err := n.Spaces.MemberCount(ctx, mustSpace(t, n, "forum")); err != nil || members != 1 {
		t.Fatalf("the space has %d members (%v) after the bot unfollowed its Group, want olga alone", members, err)
	}
	if st := b.do(t, "state", map[string]any{"url": group}); st["following"] != false {
		t.Fatalf("after its Undo, the bot's server says of the Group: %v", st)
	}
}

// followBot has member find a bot ("bot") by its handle, as the
// search box does (WebFinger on the bot's server), and follow it; the bot's
// server accepts on its own and counts her among the bot's followers.
func followBot(t *testing.T, n *nodetest.Node, b *apbot, member *spaces.Account, handle, botIRI string) {
	t.Helper()
	ctx := context.Background()
	memberIRI := n.URL + "/users/" + member.Username
	found, err := n.Spaces.Search(ctx, member, "@"+handle+"@"+b.host, spaces.SearchAccounts, spaces.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Accounts) == 0 || found.Accounts[0].URI != botIRI {
		t.Fatalf("searching @%s@%s finds %+v", handle, b.host, found.Accounts)
	}
	bot := found.Accounts[0]
	if _, err := n.Spaces.FollowAccount(ctx, member, bot, ""); err != nil {
		t.Fatalf("%s cannot follow @%s (a %s): %v", member.Username, handle, bot.Type, err)
	}
	b.exchange(t, n)
	b.activity(t, handle, "Follow", memberIRI, botIRI)
	if f, err := n.Spaces.FollowOf(ctx, member, bot); err != nil || f.State != spaces.FollowStateAccepted {
		t.Fatalf("%s's follow of @%s: %+v (%v)", member.Username, handle, f, err)
	}
	if st := b.do(t, "state", map[string]any{"url": memberIRI, "as": handle}); st["follower"] != true {
		t.Fatalf("the bot's server does not count %s among the followers of @%s: %v", member.Username, handle, st)
	}
}

// TestApbotFollowedByMember: the bot reads a member's actor; she finds the
// bot by its handle and follows it; a public note of the bot then reaches
// her home feed.
func TestApbotFollowedByMember(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	alice := n.Member(t, "alice", spaces.RoleMember)
	aliceIRI := n.URL + "/users/alice"
	got := b.do(t, "lookup", map[string]any{"url": aliceIRI})
	if got["id"] != aliceIRI || got["type"] != "Person" || got["preferredUsername"] != "alice" || got["inbox"] != aliceIRI+"/inbox" ||
		got["sharedInbox"] != n.URL+"/inbox" || got["keyId"] != aliceIRI+"#main-key" {
		t.Fatalf("alice's actor as the bot's server reads it: %v", got)
	}
	followBot(t, n, b, alice, "bot", b.bot)

	sent := b.do(t, "note", map[string]any{"text": "Hello, followers"})
	note, _ := sent["note"].(map[string]any)
	b.exchange(t, n)
	feed, err := n.Spaces.HomeFeed(ctx, alice, spaces.Page{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(feed, func(p *spaces.Post) bool { return p.URI == note["id"] })
	if i < 0 {
		t.Fatalf("the bot's note %v is not in alice's home feed: %+v", note["id"], feed)
	}
	if p := feed[i]; p.Author == nil || p.Author.URI != b.bot || !strings.Contains(p.Content, "Hello, followers") ||
		p.Visibility != spaces.VisibilityPublic {
		t.Fatalf("the bot's note in alice's home feed: %+v", p)
	}
}

// TestApbotMentionNotifies: a note of the bot that mentions a member who
// does not follow it (a Mention tag, and the member among the addressees)
// is kept by Ruche and notifies her — whether the Mention links her actor
// or, as the framework's own mentions do, her profile page; a direct note
// too, which nobody else sees.
func TestApbotMentionNotifies(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	carol := n.Member(t, "carol", spaces.RoleMember)
	bob := n.Member(t, "bob", spaces.RoleMember)
	carolIRI := n.URL + "/users/carol"
	handle := "@carol@" + strings.TrimPrefix(n.URL, "http://")

	// kept checks that Ruche kept the note the bot sent (the answer of its
	// "note" command) and notified carol of it.
	kept := func(t *testing.T, sent map[string]any) *spaces.Post {
		t.Helper()
		note, _ := sent["note"].(map[string]any)
		b.exchange(t, n)
		p, err := n.DB.PostByURI(ctx, fmt.Sprint(note["id"]))
		if err != nil {
			t.Fatalf("Ruche did not keep the bot's note (%v); of its Create, %s", err, inboxState(n, fmt.Sprint(sent["sent"])))
		}
		if p.Author == nil || p.Author.URI != b.bot || !strings.Contains(p.Content, "Bonjour") {
			t.Fatalf("the bot's note as Ruche keeps it: %+v", p)
		}
		ns, err := n.Spaces.Notifications(ctx, carol, spaces.NotificationPage{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(ns, func(x *spaces.Notification) bool {
			return x.Kind == spaces.NotifyMention && x.PostID == p.ID && x.Actor != nil && x.Actor.URI == b.bot
		}) {
			t.Fatalf("carol has no notification of the bot's mention; she has %+v", ns)
		}
		return p
	}

	t.Run("public, the Mention linking her actor", func(t *testing.T) {
		kept(t, b.do(t, "note", map[string]any{"text": "Bonjour " + handle + " !", "cc": []string{carolIRI},
			"mentions": []map[string]any{{"actor": carolIRI}}}))
	})
	t.Run("public, the Mention linking her profile page", func(t *testing.T) {
		page := fmt.Sprint(b.do(t, "lookup", map[string]any{"url": carolIRI})["url"])
		if !strings.HasPrefix(page, n.URL+"/") || page == carolIRI {
			t.Fatalf("carol's actor has no profile page apart from its IRI: %v", page)
		}
		sent := b.do(t, "note", map[string]any{"text": "Bonjour encore " + handle + " !", "cc": []string{carolIRI},
			"mentions": []map[string]any{{"actor": carolIRI, "href": "url"}}})
		if note, _ := sent["note"].(map[string]any); !hasMention(note, page) {
			t.Fatalf("the note does not link carol's page %v: %v", page, note)
		}
		kept(t, sent)
	})
	t.Run("direct", func(t *testing.T) {
		p := kept(t, b.do(t, "note", map[string]any{"text": "Bonjour " + handle + ", en privé", "visibility": "direct",
			"to": []string{carolIRI}, "mentions": []map[string]any{{"actor": carolIRI}}}))
		if _, err := n.Spaces.PostByURI(ctx, bob, p.URI); err == nil {
			t.Error("bob sees the bot's direct note to carol")
		}
		if _, err := n.Spaces.PostByURI(ctx, nil, p.URI); err == nil {
			t.Error("a visitor sees the bot's direct note to carol")
		}
	})
}

// TestApbotDirectNoteStaysPrivate: a direct note of the bot to a member
// reaches her, and none of the members who follow the bot.
func TestApbotDirectNoteStaysPrivate(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	alice := n.Member(t, "alice", spaces.RoleMember)
	bob := n.Member(t, "bob", spaces.RoleMember)
	bobIRI := n.URL + "/users/bob"
	followBot(t, n, b, alice, "bot", b.bot)

	sent := b.do(t, "note", map[string]any{"text": "Bonjour @bob@" + strings.TrimPrefix(n.URL, "http://") + ", en privé",
		"visibility": "direct", "to": []string{bobIRI}, "mentions": []map[string]any{{"actor": bobIRI}}})
	note, _ := sent["note"].(map[string]any)
	b.exchange(t, n)
	if _, err := n.Spaces.PostByURI(ctx, bob, fmt.Sprint(note["id"])); err != nil {
		t.Fatalf("bob does not see the bot's direct note to him (%v); of its Create, %s", err, inboxState(n, fmt.Sprint(sent["sent"])))
	}
	feed, err := n.Spaces.HomeFeed(ctx, alice, spaces.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(feed, func(p *spaces.Post) bool { return p.URI == note["id"] }) {
		t.Error("the bot's direct note to bob is in the home feed of alice, who follows the bot")
	}
	if _, err := n.Spaces.PostByURI(ctx, alice, fmt.Sprint(note["id"])); err == nil {
		t.Error("alice, who follows the bot, sees its direct note to bob")
	}
}

// TestApbotMentionedByMember: a member's post that mentions the bot
// (@bot@host in its text, the bot known to her node) reaches the bot's
// inbox from its author, with a Mention tag the bot's server recognises —
// a post in a space as well as one on her profile.
func TestApbotMentionedByMember(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	olgaIRI := n.URL + "/users/olga"
	createSpace(t, n, olga, "forum")
	if found, err := n.Spaces.Search(ctx, olga, "@bot@"+b.host, spaces.SearchAccounts, spaces.Page{}); err != nil ||
		len(found.Accounts) == 0 || found.Accounts[0].URI != b.bot {
		t.Fatalf("searching @bot@%s: %+v (%v)", b.host, found, err)
	}

	reaches := func(t *testing.T, space, text string) {
		t.Helper()
		post, err := n.Spaces.CreatePost(ctx, olga, space, spaces.PostInput{Language: "fr", Body: text + " @bot@" + b.host})
		if err != nil {
			t.Fatal(err)
		}
		if len(post.Mentions) != 1 || post.Mentions[0].AccountID == "" {
			t.Fatalf("Ruche does not link the mention of the bot: %+v", post.Mentions)
		}
		b.exchange(t, n)
		create := b.activity(t, "bot", "Create", olgaIRI, n.URL+"/posts/"+post.ID)
		if !hasMention(create, b.bot) || create["mentionsBot"] != true || !strings.Contains(fmt.Sprint(create["content"]), text) ||
			!slices.Contains(append(strs(create["to"]), strs(create["cc"])...), b.bot) {
			t.Fatalf("olga's Create as the bot's server keeps it: %v", create)
		}
	}
	t.Run("in a space", func(t *testing.T) { reaches(t, "forum", "Bienvenue dans le forum") })
	t.Run("on her profile", func(t *testing.T) { reaches(t, "", "Bonjour depuis mon profil") })
}

// TestApbotSeesEditAndDelete: the author's edit and then deletion of a post
// the bot received reach the bot as her own Update and Delete, as
// Mastodon-family servers need: a post in a space the bot is a member of
// (which it received in the Group's Announce), and a post on her profile
// (the bot follows her).
func TestApbotSeesEditAndDelete(t *testing.T) {
	ctx := context.Background()
	b := startApbot(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	olgaIRI := n.URL + "/users/olga"

	editAndDelete := func(t *testing.T, space string) {
		t.Helper()
		post, err := n.Spaces.CreatePost(ctx, olga, space, spaces.PostInput{Language: "fr", Body: "Première version"})
		if err != nil {
			t.Fatal(err)
		}
		iri := n.URL + "/posts/" + post.ID
		b.exchange(t, n)
		b.received(t, "the post", func(e map[string]any) bool {
			return (e["event"] == "Announce" && e["innerObject"] == iri) || (e["event"] == "Create" && e["object"] == iri)
		})

		if _, err := n.Spaces.EditPost(ctx, olga, post.ID, spaces.PostInput{Language: "fr", Body: "Seconde version"}); err != nil {
			t.Fatal(err)
		}
		b.exchange(t, n)
		update := b.activity(t, "bot", "Update", olgaIRI, iri)
		if !strings.Contains(fmt.Sprint(update["content"]), "Seconde version") {
			t.Fatalf("olga's Update as the bot's server keeps it: %v", update)
		}

		if err := n.Spaces.DeletePost(ctx, olga, post.ID); err != nil {
			t.Fatal(err)
		}
		b.exchange(t, n)
		b.activity(t, "bot", "Delete", olgaIRI, iri)
	}

	t.Run("in a space", func(t *testing.T) {
		createSpace(t, n, olga, "forum")
		joinSpace(t, n, b, "forum")
		editAndDelete(t, "forum")
	})
	t.Run("on her profile", func(t *testing.T) {
		b.do(t, "follow", map[string]any{"url": olgaIRI})
		b.exchange(t, n)
		if st := b.do(t, "state", map[string]any{"url": olgaIRI}); st["following"] != true {
			t.Fatalf("after its Follow of olga, the bot's server says of her: %v", st)
		}
		editAndDelete(t, "")
	})
}
