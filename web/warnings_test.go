package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// hiddenBehind tells whether text is on the page inside a content warning's
// details element that opens with warning (closed until the reader opens it).
func hiddenBehind(body, warning, text string) bool {
	for _, block := range strings.Split(body, `<details class="cw`)[1:] {
		block, _, _ = strings.Cut(block, "</details>")
		summary, rest, ok := strings.Cut(block, "</summary>")
		if ok && !strings.Contains(block[:strings.Index(block, ">")], "open") &&
			strings.Contains(summary, warning) && strings.Contains(rest, text) {
			return true
		}
	}
	return false
}

// TestContentWarningPages: a member writes a note behind a content warning
// from the home composer and a comment marked sensitive; feeds, the space and
// the post's page show them collapsed, without script; the author's edit
// keeps the warning, changes it or takes it off.
func TestContentWarningPages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		owner := speaks(t, n, member(t, n, "owner", spaces.RoleMember), "fr")
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "fr")
		newSpace(t, n, owner, "cine", spaces.SpaceSettings{Name: str("Ciné-club")})
		joined(t, n, alice, owner, "cine")

		b := newBrowser(t, n, "fr")
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/"), http.StatusOK, "Avertissement de contenu", `name="sensitive"`, `name="content_warning"`)
		want(t, b.get("/compose"), http.StatusOK, `id="f-content_warning"`, `id="f-sensitive"`)
		if p := b.get("/compose?kind=article"); p.has(`name="content_warning"`) {
			t.Fatal("the article composer offers a content warning")
		}

		// Too long: refused, on its field, with what was typed.
		long := strings.Repeat("a", 501)
		p := b.postMultipart("/compose", url.Values{"space": {"cine"}, "body": {"La fin"}, "content_warning": {long}})
		want(t, p, http.StatusUnprocessableEntity, "L’avertissement de contenu est trop long", `href="#f-content_warning"`, `<details class="cw-field" open>`)

		body := "Le majordome est le **coupable**."
		warning := `Divulgâchage <fin> & "film"`
		wantRedirect(t, b.postMultipart("/compose", url.Values{"space": {"cine"}, "body": {body}, "content_warning": {warning}, "next": {"/"}}), "/")
		posts := feedOf(t, n, "cine")
		if len(posts) != 1 || !posts[0].Sensitive || posts[0].Warning != warning {
			t.Fatalf("published: %+v", posts)
		}
		id := posts[0].ID
		shown := "Le majordome est le <strong>coupable</strong>."
		escaped := "Divulgâchage &lt;fin&gt; &amp; &#34;film&#34;"
		for _, path := range []string{"/", "/spaces/cine", "/posts/" + id} {
			p := b.get(path)
			if p.status != http.StatusOK || !hiddenBehind(p.body, escaped, shown) {
				t.Fatalf("%s: the note is not behind its warning: %s", path, excerpt(p.body))
			}
		}

		// A comment marked sensitive, without a text: a generic label.
		page := b.get("/posts/" + id)
		key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page.body)[1]
		wantRedirect(t, b.post("/posts/"+id+"/comments", url.Values{"body": {"Quelle horreur"}, "sensitive": {"1"}, "key": {key}}), "/posts/"+id+"#comment-")
		page = b.get("/posts/" + id)
		if !hiddenBehind(page.body, "Contenu sensible", "Quelle horreur") {
			t.Fatalf("the sensitive comment: %s", excerpt(page.body))
		}

		// The edit form carries the warning; saving keeps it, another text
		// changes it, empty fields take it off.
		edit := b.get("/posts/" + id + "/edit")
		want(t, edit, http.StatusOK, `<details class="cw-field" open>`, `value="`+escaped+`"`, `value="1" aria-describedby="f-sensitive-hint" checked`)
		stored := func() *spaces.Post {
			got, err := n.Spaces.GetPost(context.Background(), spaces.Console, id)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		for _, c := range []struct {
			form      url.Values
			sensitive bool
			warning   string
		}{
			{url.Values{"sensitive": {"1"}, "content_warning": {warning}}, true, warning},
			{url.Values{"sensitive": {"1"}, "content_warning": {"Fin du film"}}, true, "Fin du film"},
			{url.Values{"content_warning": {""}}, false, ""},
		} {
			c.form.Set("body", "Le majordome.")
			c.form.Set("language", "fr")
			wantRedirect(t, b.post("/posts/"+id+"/edit", c.form), "/posts/"+id)
			if got := stored(); got.Sensitive != c.sensitive || got.Warning != c.warning {
				t.Fatalf("after the edit %v: %v %q", c.form, got.Sensitive, got.Warning)
			}
		}
		p = b.get("/spaces/cine")
		if !p.has("Le majordome.") || strings.Contains(p.body, `<details class="cw"`) {
			t.Fatalf("the note is still hidden: %s", excerpt(p.body))
		}
	})
}
