package federation_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// pdf is a small file that sniffs as a PDF.
// png is the smallest file the node takes for an image: its type is sniffed.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// joinRemote makes member of n ask to join the space slug of other, which n
// resolves as a search for @slug@other would.
func joinRemote(t testing.TB, n, other *nodetest.Node, member *spaces.Account, slug string) *spaces.Membership {
	t.Helper()
	resolve(t, n, other, slug)
	m, err := n.Spaces.JoinSpace(ctx, member, slug+"@"+host(other), "", "")
	if err != nil {
		t.Fatalf("%s joins %s@%s: %v", member.Username, slug, host(other), err)
	}
	return m
}

// membershipState is the state of a's membership of the space handle on n, or "none".
func membershipState(t testing.TB, n *nodetest.Node, a *spaces.Account, handle string) string {
	t.Helper()
	sp, err := n.Spaces.Space(ctx, spaces.Console, handle)
	if err != nil {
		t.Fatalf("%s: space %s: %v", n.URL, handle, err)
	}
	m, err := n.Spaces.Membership(ctx, a, sp)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		return "none"
	}
	return m.State
}

// copyOf loads n's copy of a post by its IRI (deleted or not).
func copyOf(t testing.TB, n *nodetest.Node, iri string) *spaces.Post {
	t.Helper()
	p, err := n.DB.PostByURI(ctx, iri)
	if err != nil {
		if id, ok := strings.CutPrefix(iri, n.URL+"/posts/"); ok {
			if p, err = n.DB.PostByID(ctx, id); err == nil {
				return p
			}
		}
		t.Fatalf("%s has no copy of %s: %v", n.URL, iri, err)
	}
	return p
}

func languages(p *spaces.Post) string {
	var out []string
	for _, tr := range p.Translations {
		out = append(out, tr.Language)
	}
	return strings.Join(out, " ")
}

// TestSpaceAcrossThreeNodes is the scenario of a best practice travelling:
// a space on A; members on B and C join (open, then with approval); a B
// member posts an article in French and English with a PDF; A announces it;
// C's member sees it in her home feed in both languages and comments; A's
// member likes it; B edits it; A's moderator removes the comment; B deletes
// the post — and every node ends with the same state. A non-member on C who
// tries to post into the space is refused, and nothing is stored.
func TestSpaceAcrossThreeNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		c := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		olga := a.Member(t, "olga", spaces.RoleMember)
		anna := a.Member(t, "anna", spaces.RoleMember)
		bea := b.Member(t, "bea", spaces.RoleMember)
		chloe := c.Member(t, "chloe", spaces.RoleMember)
		dan := c.Member(t, "dan", spaces.RoleMember)
		name := "Restauration scolaire"
		sp, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cantines", SpaceSettings: spaces.SpaceSettings{
			Name: &name, Languages: []string{"fr", "en"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.JoinSpace(ctx, anna, "cantines", "", ""); err != nil {
			t.Fatal(err)
		}
		handle := "cantines@" + host(a)
		group := a.URL + "/spaces/cantines"

		// B's member finds the space by its handle (WebFinger, through the
		// search), and joins: an open space takes her at once (Follow, Accept).
		found, err := b.Spaces.Search(ctx, bea, "@cantines@"+host(a), spaces.SearchAccounts, spaces.Page{})
		if err != nil || len(found.Accounts) != 1 || found.Accounts[0].URI != group || found.Accounts[0].Type != spaces.TypeGroup {
			t.Fatalf("B searches @cantines@%s: %+v %v", host(a), found, err)
		}
		joinRemote(t, b, a, bea, "cantines")
		nodetest.Drain(t, a, b, c)
		if got := membershipState(t, b, bea, handle); got != spaces.StateActive {
			t.Fatalf("on B, bea's membership is %s", got)
		}
		if got := membershipState(t, a, remote(t, a, b.URL+"/users/bea"), "cantines"); got != spaces.StateActive {
			t.Fatalf("on A, bea's membership is %s", got)
		}

		// The space now takes members with approval: B learns it from the
		// Group's Update; C's member waits for the moderator.
		approval := spaces.JoinApproval
		if _, err := a.Spaces.UpdateSpace(ctx, olga, "cantines", spaces.SpaceSettings{JoinPolicy: &approval}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if mirror, _ := b.Spaces.Space(ctx, bea, handle); mirror.JoinPolicy != spaces.JoinApproval || !mirror.Account.Locked {
			t.Fatalf("B's copy of the space: %+v", mirror)
		}
		joinRemote(t, c, a, chloe, "cantines")
		nodetest.Drain(t, a, b, c)
		chloeOnA := remote(t, a, c.URL+"/users/chloe")
		if got := membershipState(t, a, chloeOnA, "cantines"); got != spaces.StatePending {
			t.Fatalf("on A, chloe's request is %s", got)
		}
		if _, err := a.Spaces.AnswerJoinRequest(ctx, olga, "cantines", "chloe@"+host(c), true); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := membershipState(t, c, chloe, handle); got != spaces.StateActive {
			t.Fatalf("on C, chloe's membership is %s after the moderator accepted", got)
		}

		// B's member posts a best practice, in French and English, with a PDF.
		file, err := b.Spaces.UploadMedia(ctx, bea, bytes.NewReader(pdf), "checklist.pdf", "Liste des allergènes")
		if err != nil {
			t.Fatal(err)
		}
		article, err := b.Spaces.CreatePost(ctx, bea, handle, spaces.PostInput{Kind: spaces.KindArticle, Language: "fr",
			Title: "Allergies à la cantine", Summary: "Une méthode en cinq étapes", Body: "Commencez par **la liste**.",
			Themes: []string{"catering", "health"}, Attachments: []string{file.ID},
			Translations: []spaces.TranslationInput{{Language: "en", Title: "Allergies in the canteen",
				Summary: "A method in five steps", Body: "Start with **the list**."}}})
		if err != nil {
			t.Fatal(err)
		}
		iri := b.URL + "/posts/" + article.ID
		nodetest.Drain(t, a, b, c)
		if _, info := getAS(t, b.URL+"/nodeinfo/2.1"); info["usage"].(map[string]any)["localPosts"] != float64(1) {
			t.Fatalf("B's NodeInfo: %v", info["usage"])
		}

		// A announced it in both forms: Announce(Create) and Announce(object).
		announces := announcesOf(t, a, iri)
		if !announces["Create"] || !announces["object"] {
			t.Fatalf("A's announces of the article: %v", announces)
		}
		onA := copyOf(t, a, iri)
		if onA.SpaceID != sp.AccountID || onA.Kind != spaces.KindArticle || languages(onA) != "en fr" {
			t.Fatalf("A's copy: %+v (%s)", onA, languages(onA))
		}
		// C's member sees it in her home feed, in both languages, with the PDF.
		home, err := c.Spaces.HomeFeed(ctx, chloe, spaces.Page{})
		if err != nil || len(home) != 1 || home[0].URI != iri {
			t.Fatalf("chloe's home feed: %v %v", home, err)
		}
		onC := home[0]
		if languages(onC) != "en fr" || onC.Title != "Allergies à la cantine" || onC.Language != "fr" ||
			!strings.Contains(onC.Translations[0].Content, "the list") || len(onC.Attachments) != 1 {
			t.Fatalf("C's copy: %+v", onC)
		}
		// Title and summary apart, every language; the body without the lead
		// that opens it for other software.
		for _, tr := range onC.Translations {
			want := map[string][2]string{"fr": {"Une méthode en cinq étapes", "<p>Commencez"}, "en": {"A method in five steps", "<p>Start"}}[tr.Language]
			if tr.Summary != want[0] || !strings.HasPrefix(tr.Content, want[1]) {
				t.Fatalf("C's copy in %s: summary %q, body %q", tr.Language, tr.Summary, tr.Content)
			}
		}
		if themes := tagsOf(onC, "theme"); themes != "catering health" {
			t.Fatalf("C's copy has themes %q", themes)
		}
		assertCachedPDF(t, c, onC.Attachments[0])
		assertCachedPDF(t, a, copyOf(t, a, iri).Attachments[0])

		// C's member comments; the comment reaches A (the Group) and B.
		comment, err := c.Spaces.CreateComment(ctx, chloe, onC.ID, spaces.PostInput{Language: "en", Body: "Thank you, very useful."})
		if err != nil {
			t.Fatal(err)
		}
		commentIRI := c.URL + "/posts/" + comment.ID
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, b} {
			got := copyOf(t, n, commentIRI)
			if got.InReplyToID != copyOf(t, n, iri).ID || got.IsDeleted() {
				t.Fatalf("%s's copy of the comment: %+v", n.URL, got)
			}
			if root := copyOf(t, n, iri); root.CommentCount != 1 {
				t.Fatalf("%s counts %d comments", n.URL, root.CommentCount)
			}
		}

		// A's member likes the post: the author's node and C count it.
		if _, err := a.Spaces.LikePost(ctx, anna, onA.ID, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, b, c} {
			if got := copyOf(t, n, iri); got.LikeCount != 1 {
				t.Fatalf("%s counts %d likes", n.URL, got.LikeCount)
			}
		}

		// B edits it.
		clock.Advance(time.Minute)
		if _, err := b.Spaces.EditPost(ctx, bea, article.ID, spaces.PostInput{Language: "fr", Title: "Allergies à la cantine (v2)",
			Summary: "Une méthode en cinq étapes", Body: "Commencez par **la liste** à jour.", Themes: []string{"catering", "health"},
			Translations: []spaces.TranslationInput{{Language: "en", Title: "Allergies in the canteen (v2)",
				Summary: "A method in five steps", Body: "Start with **the updated list**."}}}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, c} {
			got := copyOf(t, n, iri)
			if got.Title != "Allergies à la cantine (v2)" || got.EditedAt.IsZero() || !strings.Contains(got.Translations[0].Content, "updated list") {
				t.Fatalf("%s's copy after the edit: %+v", n.URL, got)
			}
		}

		// A's moderator removes the comment: the Group's Delete, everywhere.
		if err := a.Spaces.DeletePost(ctx, olga, copyOf(t, a, commentIRI).ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, b, c} {
			if got := copyOf(t, n, commentIRI); !got.IsDeleted() {
				t.Fatalf("%s still shows the removed comment", n.URL)
			}
			if root := copyOf(t, n, iri); root.CommentCount != 0 {
				t.Fatalf("%s counts %d comments after the removal", n.URL, root.CommentCount)
			}
		}

		// A's moderator pins the article: the featured collection, mirrored.
		if _, err := a.Spaces.PinPost(ctx, olga, onA.ID, true); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := copyOf(t, c, iri); got.PinnedAt.IsZero() {
			t.Fatal("C did not mirror the pin")
		}
		if _, featured := getAS(t, group+"/featured"); featured["totalItems"] != float64(1) ||
			featured["orderedItems"].([]any)[0].(map[string]any)["id"] != iri {
			t.Fatalf("the featured collection: %v", featured)
		}

		// A non-member on C tries to post into the space: C refuses, and a
		// Create sent straight to the Group's inbox is refused by A.
		postsOnA, postsOnC := count(t, a, "posts"), count(t, c, "posts")
		_, err = c.Spaces.CreatePost(ctx, dan, handle, spaces.PostInput{Body: "Buy my stuff"})
		if !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a non-member posts on C: %v", err)
		}
		deliveriesOfA := count(t, a, "deliveries")
		forged := activitystreams.Activity{ID: c.URL + "/activities/spam", Type: "Create", Actor: c.URL + "/users/dan",
			Object: map[string]any{"id": c.URL + "/posts/spam", "type": "Note", "attributedTo": c.URL + "/users/dan",
				"audience": group, "to": []any{group}, "content": "<p>Buy my stuff</p>"}, To: []string{group}}
		body, _ := forged.Document()
		raw, _ := json.Marshal(body)
		if status := senderOf(t, c, "dan").post(t, group+"/inbox", raw, time.Now(), nil); status != http.StatusAccepted {
			t.Fatalf("dan's signed Create: %d", status)
		}
		nodetest.Drain(t, a, b, c)
		if count(t, a, "posts") != postsOnA || count(t, c, "posts") != postsOnC || count(t, a, "deliveries") != deliveriesOfA {
			t.Fatal("a non-member's post was stored or announced")
		}
		if st := inboxState(t, a, c.URL+"/activities/spam"); st != db.JobFailed {
			t.Fatalf("A's verdict on dan's Create: %s", st)
		}

		// B deletes the post: gone on every node.
		if err := b.Spaces.DeletePost(ctx, bea, article.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{a, b, c} {
			if got := copyOf(t, n, iri); !got.IsDeleted() {
				t.Fatalf("%s still shows the deleted post", n.URL)
			}
		}
		if home, _ := c.Spaces.HomeFeed(ctx, chloe, spaces.Page{}); len(home) != 0 {
			t.Fatalf("chloe's home feed after the deletion: %d posts", len(home))
		}
		if status, doc := getAS(t, iri); status != http.StatusGone || doc["type"] != "Tombstone" {
			t.Fatalf("the deleted post's id answers %d %v", status, doc)
		}

		// C's member leaves (Undo of her Follow); A's moderator bans B's.
		if err := c.Spaces.LeaveSpace(ctx, chloe, handle); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.BanMember(ctx, olga, "cantines", "bea@"+host(b)); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := membershipState(t, a, chloeOnA, "cantines"); got != "none" {
			t.Fatalf("on A, chloe who left is %s", got)
		}
		if got := membershipState(t, b, bea, handle); got != spaces.StateBanned {
			t.Fatalf("on B, bea banned by the Group is %s", got)
		}
		if _, err := b.Spaces.CreatePost(ctx, bea, handle, spaces.PostInput{Body: "still here?"}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a banned member posts on B: %v", err)
		}
		assertSettled(t, []*nodetest.Node{a, b, c}, c.URL+"/activities/spam")
	})
}

// assertSettled fails if a node gave up a delivery, left a received
// activity pending, or failed one other than those expected to fail.
func assertSettled(t testing.TB, nodes []*nodetest.Node, refused ...string) {
	t.Helper()
	for _, n := range nodes {
		st, err := n.Federation.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range st.DeadDelivered {
			t.Errorf("%s: dead delivery to %s: %s", n.URL, d.Inbox, d.LastError)
		}
		for _, c := range st.Inbox {
			if c.State == db.JobPending {
				t.Errorf("%s: %d received activities pending", n.URL, c.N)
			}
		}
		failed := failedItems(t, n)
		for _, id := range refused {
			delete(failed, id)
		}
		for id, why := range failed {
			t.Errorf("%s: %s failed: %s", n.URL, id, why)
		}
	}
}

// announcesOf tells which Announces A's Group sent about a post: of its
// Create ("Create") and of the object itself ("object").
func announcesOf(t testing.TB, n *nodetest.Node, iri string) map[string]bool {
	t.Helper()
	var rows []*db.Activity
	if err := n.DB.Bun().NewSelect().Model(&rows).Where("type = 'Announce'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		switch {
		case r.ObjectURI == iri:
			out["object"] = true
		case strings.Contains(r.Body, `"type":"Create"`) && strings.Contains(r.Body, iri):
			out["Create"] = true
		}
	}
	return out
}

func tagsOf(p *spaces.Post, kind string) string {
	var out []string
	for _, t := range p.Tags {
		if t.Kind == kind {
			out = append(out, t.Tag)
		}
	}
	return strings.Join(out, " ")
}

// assertCachedPDF checks that n keeps its own copy of a remote PDF.
func assertCachedPDF(t testing.TB, n *nodetest.Node, m *spaces.Media) {
	t.Helper()
	if m.Path == "" || m.MediaType != "application/pdf" || m.URI == "" {
		t.Fatalf("%s did not cache the PDF: %+v", n.URL, m)
	}
	got, err := os.ReadFile(filepath.Join(n.Config.Media.Dir, filepath.FromSlash(m.Path)))
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("%s's copy of the PDF: %v", n.URL, err)
	}
}

// inboxState is the state of a received activity on n.
func inboxState(t testing.TB, n *nodetest.Node, id string) string {
	t.Helper()
	var it db.InboxItem
	if err := n.DB.Bun().NewSelect().Model(&it).Where("activity_uri = ?", id).Scan(ctx); err != nil {
		t.Fatalf("%s has not received %s: %v", n.URL, id, err)
	}
	return it.State
}

// get fetches url as an ActivityStreams client, signed by s unless s is the
// zero sender, and returns the status and body.
func (s sender) get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", activitystreams.MediaType)
	if s.key != nil {
		if err := transport.SignRequest(req, s.keyID, s.key, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// failedItems lists the received activities of n that ended failed or dead,
// with their errors.
func failedItems(t testing.TB, n *nodetest.Node) map[string]string {
	t.Helper()
	var items []*db.InboxItem
	if err := n.DB.Bun().NewSelect().Model(&items).Where("state IN (?, ?)", db.JobFailed, db.JobDead).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, it := range items {
		out[it.ActivityURI] = it.Type + ": " + it.LastError
	}
	return out
}
