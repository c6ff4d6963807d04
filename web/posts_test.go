package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

var postLink = regexp.MustCompile(`^/posts/([0-9A-Z]{26})`)

// TestComposeArticle: a bilingual article with a PDF, from the composer;
// each reader sees their language first and can switch.
func TestComposeArticle(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := speaks(t, n, member(t, n, "owner", spaces.RoleMember), "en")
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		newSpace(t, n, owner, "cantines", spaces.SpaceSettings{Name: str("Cantines"), Languages: []string{"fr", "en"}, Visibility: str("network")})
		joined(t, n, alice, owner, "cantines")

		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		p := b.get("/compose?kind=article&space=cantines")
		want(t, p, http.StatusOK, "New best-practice article", `name="title_fr"`, `name="body_en"`, `name="body_de"`,
			"Only people of this node and of partner nodes can read it.", `value="cantines" data-note=`)
		key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(p.body)[1]

		form := url.Values{"kind": {"article"}, "space": {"cantines"}, "key": {key}, "language": {"fr"},
			"title_fr": {"Allergies à la cantine"}, "summary_fr": {"Une méthode"}, "body_fr": {"Le **texte** français"},
			"title_en": {"Allergies in the canteen"}, "summary_en": {"A method"}, "body_en": {"The English text"},
			"title_de": {""}, "summary_de": {""}, "body_de": {""}, "themes": {"catering, health"}, "applies_to": {"secondary schools"}}

		// Preview without script: the text rendered, nothing published.
		prev := cloneValues(form)
		prev.Set("action", "preview")
		want(t, b.postMultipart("/compose", prev), http.StatusOK, "Le <strong>texte</strong> français", "The English text", `value="Allergies à la cantine"`)
		if len(feedOf(t, n, "cantines")) != 0 {
			t.Fatal("a preview published")
		}
		// The live preview's fragment.
		frag := b.post("/preview", url.Values{"body": {"**bold** <script>x</script>"}})
		if frag.status != http.StatusOK || frag.body != "<p><strong>bold</strong> </p>" && !strings.HasPrefix(frag.body, "<p><strong>bold</strong>") || strings.Contains(frag.body, "<script") {
			t.Fatalf("preview fragment: %d %q", frag.status, frag.body)
		}

		// A file of a refused kind: the form comes back, nothing published.
		p = b.postMultipart("/compose", form, upload{"files", "run.exe", []byte("MZ\x90\x00binary")})
		want(t, p, http.StatusUnprocessableEntity, "This kind of file is not accepted", `value="Allergies à la cantine"`, `href="#f-files"`)
		// Publish with the PDF.
		p = b.postMultipart("/compose", form, upload{"files", "checklist.pdf", pdf})
		if !postLink.MatchString(p.location) {
			t.Fatalf("publish: %d %s %s", p.status, p.location, excerpt(p.body))
		}
		id := postLink.FindStringSubmatch(p.location)[1]
		art, err := n.Spaces.GetPost(context.Background(), spaces.Console, id)
		if err != nil || art.Kind != "article" || len(art.Translations) != 2 || len(art.Attachments) != 1 || art.Attachments[0].Name != "checklist.pdf" {
			t.Fatalf("article: %+v %v", art, err)
		}
		// The same form again (a double click): one article, the author led to it.
		wantRedirect(t, b.postMultipart("/compose", form, upload{"files", "checklist.pdf", pdf}), "/posts/"+id)
		want(t, b.open("/posts/"+id), http.StatusOK, "This form had been sent already")
		if got := len(feedOf(t, n, "cantines")); got != 1 {
			t.Fatalf("%d posts after a double submit", got)
		}

		// Alice reads English first; a French reader French; anyone can switch.
		p = b.get("/posts/" + id)
		want(t, p, http.StatusOK, "<h1 id=\"post-title\" class=\"post__title post__title--full\" lang=\"en\">Allergies in the canteen</h1>",
			"The English text", "Read in", `href="/posts/`+id+`?lang=fr"`, "checklist.pdf", "secondary schools", "#catering")
		p = b.get("/posts/" + id + "?lang=fr")
		want(t, p, http.StatusOK, "Allergies à la cantine", "Le <strong>texte</strong> français", `aria-current="true">French`)
		fr := newBrowser(t, n, "fr")
		fr.signIn("owner", nodetest.Password) // owner reads English: the setting wins
		want(t, fr.get("/posts/"+id), http.StatusOK, "Allergies in the canteen")
		// The attachment, to those who may see the post.
		file := regexp.MustCompile(`/media/[0-9A-Z]{26}`).FindString(p.body)
		f := b.get(file)
		if f.status != http.StatusOK || f.body != string(pdf) || !strings.HasPrefix(f.header.Get("Content-Disposition"), "attachment") ||
			f.header.Get("Content-Type") != "application/pdf" || !strings.Contains(f.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("file: %d %v", f.status, f.header)
		}
		// A network article: visitors see neither the article nor its file.
		anon := newBrowser(t, n, "en")
		want(t, anon.get("/posts/"+id), http.StatusNotFound)
		want(t, anon.get(file), http.StatusNotFound)
	})
}

func TestComposeNoteBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := member(t, n, "owner", spaces.RoleMember)
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "de")
		member(t, n, "bob", spaces.RoleMember)
		newSpace(t, n, owner, "club", spaces.SpaceSettings{})
		newSpace(t, n, owner, "news", spaces.SpaceSettings{Posting: str("moderators")})
		joined(t, n, alice, owner, "club")
		joined(t, n, alice, owner, "news")

		b := newBrowser(t, n, "de")
		b.signIn("alice", nodetest.Password)
		// The home composer offers the spaces alice may post in, and her profile.
		home := b.get("/")
		want(t, home, http.StatusOK, `action="/compose"`, `<option value="club"`, "Mein Profil")
		if strings.Contains(home.body, `<option value="news"`) {
			t.Fatal("the composer offers a space where alice may not post")
		}
		for name, c := range map[string]struct {
			form   url.Values
			status int
			text   string
		}{
			"empty":       {url.Values{"space": {"club"}, "body": {"  "}}, http.StatusUnprocessableEntity, "Schreiben Sie einen Text"},
			"too long":    {url.Values{"space": {"club"}, "body": {strings.Repeat("x", 5001)}}, http.StatusUnprocessableEntity, "Der Text ist zu lang"},
			"moderators":  {url.Values{"space": {"news"}, "body": {"hello"}}, http.StatusForbidden, "Moderation"},
			"not member":  {url.Values{"space": {"nowhere"}, "body": {"hello"}}, http.StatusNotFound, ""},
			"bad key":     {url.Values{"space": {"club"}, "body": {"hello"}, "key": {"<script>"}}, http.StatusUnprocessableEntity, "Formular ist beschädigt"},
			"bad kind":    {url.Values{"space": {"club"}, "body": {"hello"}, "kind": {"poll"}, "language": {"xx1"}}, http.StatusUnprocessableEntity, ""},
			"no csrf":     {url.Values{"space": {"club"}, "body": {"hello"}, "csrf": {""}}, http.StatusForbidden, "Formular ist abgelaufen"},
			"big file":    {url.Values{"space": {"club"}, "body": {"hello"}}, http.StatusUnprocessableEntity, "Die Datei ist zu groß"},
			"empty title": {url.Values{"space": {"club"}, "kind": {"article"}, "language": {"fr"}, "body_fr": {"x"}}, http.StatusUnprocessableEntity, "Titel"},
		} {
			var files []upload
			if name == "big file" {
				files = append(files, upload{"files", "big.txt", []byte(strings.Repeat("a", 21<<20))})
			}
			p := b.postMultipart("/compose", c.form, files...)
			if p.status != c.status || !strings.Contains(p.body, c.text) {
				t.Fatalf("%s: %d, want %d with %q: %s", name, p.status, c.status, c.text, excerpt(p.body))
			}
		}
		if len(feedOf(t, n, "club")) != 0 || len(feedOf(t, n, "news")) != 0 {
			t.Fatal("refused posts were published")
		}

		// Script in the text is shown as text; a note goes back where it was written.
		script := `<script>alert("x")</script><img src=x onerror=alert(1)>`
		wantRedirect(t, b.postMultipart("/compose", url.Values{"space": {"club"}, "body": {"Hallo " + script}, "next": {"/spaces/club"}}), "/spaces/club")
		p := b.open("/spaces/club")
		want(t, p, http.StatusOK, "Veröffentlicht", "Hallo")
		if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "onerror=") {
			t.Fatal("a script from a post reaches the page")
		}
		// A profile post (no space), for followers to read at home.
		wantRedirect(t, b.postMultipart("/compose", url.Values{"space": {""}, "body": {"Auf meinem Profil"}, "next": {"/"}}), "/")
		want(t, b.open("/@alice"), http.StatusOK, "Auf meinem Profil")
	})
}

func TestPostPageActions(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		owner := speaks(t, n, member(t, n, "owner", spaces.RoleMember), "en")
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "outsider", spaces.RoleMember), "en")
		newSpace(t, n, owner, "club", spaces.SpaceSettings{})
		joined(t, n, alice, owner, "club")
		joined(t, n, bob, owner, "club")
		p := posted(t, n, alice, "club", "Alice's post")

		// Bob comments, likes; the counts and alice's notifications follow.
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		page := b.get("/posts/" + p.ID)
		want(t, page, http.StatusOK, "Alice&#39;s post", "No comment yet", `action="/posts/`+p.ID+`/comments"`, "Share", "/posts/"+p.ID)
		if page.has(`/posts/`+p.ID+`/edit`) || page.has(">Pin to the space<") {
			t.Fatal("bob is offered to edit or pin alice's post")
		}
		key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page.body)[1]
		want(t, b.post("/posts/"+p.ID+"/comments", url.Values{"body": {""}, "key": {key}}), http.StatusUnprocessableEntity, "Write some text")
		r := b.post("/posts/"+p.ID+"/comments", url.Values{"body": {"Bob's <b>comment</b>"}, "key": {key}})
		wantRedirect(t, r, "/posts/"+p.ID+"#comment-")
		wantRedirect(t, b.post("/posts/"+p.ID+"/comments", url.Values{"body": {"Bob's <b>comment</b>"}, "key": {key}}), "/posts/"+p.ID+"#comment-")
		wantRedirect(t, b.post("/posts/"+p.ID+"/like", url.Values{"like": {"1"}, "next": {"/spaces/club#post-" + p.ID}}), "/spaces/club#post-"+p.ID)
		wantRedirect(t, b.post("/posts/"+p.ID+"/like", url.Values{"like": {"1"}}), "/posts/"+p.ID) // twice: still one like
		page = b.get("/posts/" + p.ID)
		want(t, page, http.StatusOK, "1 comment", "Bob&#39;s comment", `aria-pressed="true"`)
		if page.has("<b>comment") {
			t.Fatal("HTML typed in a comment is rendered")
		}
		got, _ := n.Spaces.GetPost(ctx, spaces.Console, p.ID)
		if got.LikeCount != 1 || got.CommentCount != 1 {
			t.Fatalf("counts: %d likes, %d comments", got.LikeCount, got.CommentCount)
		}
		// A comment's address shows its thread.
		comments, _ := n.Spaces.Comments(ctx, spaces.Console, p.ID, "", 10)
		wantRedirect(t, b.get("/posts/"+comments[0].ID), "/posts/"+p.ID+"#comment-"+comments[0].ID)

		// Another member's edit URL: refused, nothing changed.
		want(t, b.get("/posts/"+p.ID+"/edit"), http.StatusForbidden, "Only the author may edit a post")
		want(t, b.post("/posts/"+p.ID+"/edit", url.Values{"body": {"Hacked"}}), http.StatusForbidden)
		want(t, b.post("/posts/"+p.ID+"/delete", nil), http.StatusForbidden)
		want(t, b.post("/posts/"+p.ID+"/pin", url.Values{"pin": {"1"}}), http.StatusForbidden)
		if got, _ := n.Spaces.GetPost(ctx, spaces.Console, p.ID); got.Source != "Alice's post" || !got.PinnedAt.IsZero() {
			t.Fatal("another member changed the post")
		}
		// Someone outside the space reads a public post but may not comment.
		o := newBrowser(t, n, "en")
		o.signIn("outsider", nodetest.Password)
		want(t, o.get("/posts/"+p.ID), http.StatusOK, "Join the space to comment")
		want(t, o.post("/posts/"+p.ID+"/comments", url.Values{"body": {"hi"}}), http.StatusForbidden)

		// The author edits: the form is filled, a bad edit is refused, a good one saved.
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/posts/"+p.ID+"/edit"), http.StatusOK, "Alice&#39;s post", `action="/posts/`+p.ID+`/edit"`)
		want(t, a.post("/posts/"+p.ID+"/edit", url.Values{"body": {""}, "language": {"fr"}}), http.StatusUnprocessableEntity, "Write some text")
		wantRedirect(t, a.post("/posts/"+p.ID+"/edit", url.Values{"body": {"Alice's *edited* post"}, "language": {"fr"}}), "/posts/"+p.ID)
		want(t, a.open("/posts/"+p.ID), http.StatusOK, "<em>edited</em>", "edited</span>")

		// The owner (a moderator) pins, then removes the post.
		m := newBrowser(t, n, "en")
		m.signIn("owner", nodetest.Password)
		want(t, m.get("/posts/"+p.ID), http.StatusOK, ">Pin to the space<", ">Remove<")
		wantRedirect(t, m.post("/posts/"+p.ID+"/pin", url.Values{"pin": {"1"}}), "/posts/"+p.ID)
		want(t, m.open("/spaces/club"), http.StatusOK, "Pinned")
		wantRedirect(t, m.post("/posts/"+p.ID+"/delete", nil), "/spaces/club")
		want(t, b.get("/posts/"+p.ID), http.StatusGone, "This post was deleted")
		want(t, b.post("/posts/"+p.ID+"/like", url.Values{"like": {"1"}}), http.StatusGone)
	})
}

// TestExpiredSessionComposer: a post sent after the session ended is not
// published; the author is asked to sign in again.
func TestExpiredSessionComposer(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := member(t, n, "owner", spaces.RoleMember)
		newSpace(t, n, owner, "club", spaces.SpaceSettings{})
		b := newBrowser(t, n, "fr")
		b.signIn("owner", nodetest.Password)
		token := b.csrf()
		clk.advance(31 * 24 * time.Hour)
		defer clk.advance(-31 * 24 * time.Hour)
		p := b.postMultipart("/compose", url.Values{"csrf": {token}, "space": {"club"}, "body": {"Too late"}})
		wantRedirect(t, p, "/login?")
		want(t, b.open(p.location), http.StatusOK, "Votre session a pris fin")
		if len(feedOf(t, n, "club")) != 0 {
			t.Fatal("a post was published with an expired session")
		}
	}, withClock(clk))
}

// TestProfilePin: a member pins her own profile post from its page; it shows
// first on her profile, marked pinned. Another member is offered no pin and
// is refused one.
func TestProfilePin(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		p, err := n.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "My introduction"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "A later post"}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		if b.get("/posts/" + p.ID).has(">Pin to my profile<") {
			t.Fatal("bob is offered to pin alice's post")
		}
		want(t, b.post("/posts/"+p.ID+"/pin", url.Values{"pin": {"1"}}), http.StatusForbidden)

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/posts/"+p.ID), http.StatusOK, ">Pin to my profile<")
		wantRedirect(t, a.post("/posts/"+p.ID+"/pin", url.Values{"pin": {"1"}}), "/posts/"+p.ID)
		profile := b.open("/@alice")
		want(t, profile, http.StatusOK, `id="pinned-title"`, "My introduction")
		pinned, later := strings.Index(profile.body, "My introduction"), strings.Index(profile.body, "A later post")
		if pinned > later {
			t.Fatal("the pinned post does not come first on the profile")
		}
		wantRedirect(t, a.post("/posts/"+p.ID+"/pin", url.Values{"pin": {"0"}}), "/posts/"+p.ID)
		if b.open("/@alice").has(`id="pinned-title"`) {
			t.Fatal("the profile still shows a pinned post")
		}
	})
}

// TestDirectPostPage: a direct note of another server's member to alice
// shows to her, marked direct and for the people it mentions alone; bob
// gets a 404 for its address.
func TestDirectPostPage(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		zed, err := n.Spaces.SaveRemoteAccount(ctx, spaces.RemoteProfile{URI: "https://elsewhere.example/users/zed", Type: "Person", Username: "zed"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := n.Spaces.CreatePost(ctx, zed, "", spaces.PostInput{Body: "<p>A word for alice</p>", HTML: true,
			URI: "https://elsewhere.example/notes/1", Visibility: spaces.VisibilityDirect, Mentioned: []*spaces.Account{alice}})
		if err != nil {
			t.Fatal(err)
		}
		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/posts/"+p.ID), http.StatusOK, "A word for alice", ">Direct<", "Only the people it mentions can read it.")
		b := newBrowser(t, n, "en")
		b.signIn("bob", nodetest.Password)
		want(t, b.get("/posts/"+p.ID), http.StatusNotFound)
	})
}
