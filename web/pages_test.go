package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestLanguages: the same pages in French, English and German, chosen by the
// browser, then by the switcher, then by the member's setting.
func TestLanguages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		pages := map[string][3]string{ // path → what it says in fr, en, de
			"/":                {"Se connecter", "Sign in", "Anmelden"},
			"/login":           {"Mot de passe oublié", "Forgot your password?", "Passwort vergessen?"},
			"/password/forgot": {"Ce nœud n’envoie pas d’e-mails", "This node does not send emails", "Dieser Knoten versendet keine E-Mails"},
			"/register":        {"lien d’invitation", "invitation link", "Einladungslink"},
			"/no/such/page":    {"Page introuvable", "Page not found", "Seite nicht gefunden"},
			"/@alice":          {"Membre depuis le", "Member since", "Mitglied seit"},
			"/spaces":          {"Communautés de pratique", "Communities of practice", "Praxisgemeinschaften"},
			"/search":          {"Que cherchez-vous", "What are you looking for", "Was suchen Sie"},
		}
		for path, texts := range pages {
			for i, lang := range []string{"fr-FR,fr;q=0.9", "en-GB,en;q=0.8", "de-AT,de;q=0.9,en;q=0.5"} {
				p := newBrowser(t, n, lang).get(path)
				code := []string{"fr", "en", "de"}[i]
				if !p.has(`<html lang="`+code+`">`) || !p.has(texts[i]) {
					t.Fatalf("%s in %s: lacks %q: %s", path, lang, texts[i], excerpt(p.body))
				}
				if p.header.Get("Content-Language") != code {
					t.Fatalf("%s: Content-Language %q", path, p.header.Get("Content-Language"))
				}
			}
		}
		// A language we do not have: the node's default (fr).
		want(t, newBrowser(t, n, "es-ES,es;q=0.9").get("/login"), http.StatusOK, `<html lang="fr">`)
		// The switcher beats the browser for visitors, and comes back to the page.
		b := newBrowser(t, n, "fr")
		wantRedirect(t, b.post("/language", url.Values{"lang": {"de"}, "next": {"/login?next=%2Fsettings"}}), "/login?next=%2Fsettings")
		want(t, b.get("/login"), http.StatusOK, `<html lang="de">`)
		want(t, b.post("/language", url.Values{"lang": {"xx"}}), http.StatusUnprocessableEntity, "Wählen Sie Französisch, Englisch oder Deutsch")
		// A member's setting beats both; the switcher changes it.
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/"), http.StatusOK, `<html lang="fr">`, "Vos espaces")
		b.post("/language", url.Values{"lang": {"en"}, "next": {"/"}})
		if account(t, n, "alice").User.Locale != "en" {
			t.Fatal("the switcher did not change the member's language")
		}
		want(t, b.get("/"), http.StatusOK, `<html lang="en">`, "Your spaces")
	})
}

// TestLocalisedDates: dates and numbers as each language writes them.
func TestLocalisedDates(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		a := member(t, n, "alice", spaces.RoleMember)
		day, month, year := a.CreatedAt.UTC().Day(), a.CreatedAt.UTC().Month(), a.CreatedAt.UTC().Year()
		months := map[string][]string{
			"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
			"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
			"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		}
		m := func(l string) string { return months[l][month-1] }
		y := strconv.Itoa(year)
		wantDate := map[string]string{
			"fr": strconv.Itoa(day) + " " + m("fr") + " " + y,
			"en": m("en") + " " + strconv.Itoa(day) + ", " + y,
			"de": strconv.Itoa(day) + ". " + m("de") + " " + y,
		}
		for lang, date := range wantDate {
			want(t, newBrowser(t, n, lang).get("/@alice"), http.StatusOK, date)
		}
	})
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	inlineStyle  = regexp.MustCompile(`(?i)\sstyle=|<style`)
	inlineEvent  = regexp.MustCompile(`(?i)\son[a-z]+=`)
)

// TestSecurityHeaders: every page forbids framing and inline code, and holds
// no inline script, style or event handler that the policy would block.
func TestSecurityHeaders(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "boss", spaces.RoleAdmin)
		anon := newBrowser(t, n, "en")
		admin := newBrowser(t, n, "en")
		admin.signIn("boss", nodetest.Password)
		check := func(b *browser, path string) {
			t.Helper()
			p := b.get(path)
			csp := p.header.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, d) {
					t.Fatalf("%s: CSP %q lacks %q", path, csp, d)
				}
			}
			if p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s: headers %v", path, p.header)
			}
			for _, s := range inlineScript.FindAllString(p.body, -1) {
				if !strings.Contains(s, "src=") {
					t.Fatalf("%s: inline script %s", path, s)
				}
			}
			if inlineStyle.MatchString(p.body) || inlineEvent.MatchString(p.body) {
				t.Fatalf("%s: inline style or event handler", path)
			}
			if len(p.body) > 100_000 {
				t.Fatalf("%s: %d bytes of HTML", path, len(p.body))
			}
		}
		for _, path := range []string{"/", "/login", "/register", "/password/forgot", "/setup", "/nope", "/@boss"} {
			check(anon, path)
		}
		for _, path := range []string{"/", "/settings", "/settings/password", "/settings/sessions", "/onboarding/profile",
			"/onboarding/language", "/onboarding/follow", "/admin/members", "/admin/members/boss", "/admin/invitations"} {
			check(admin, path)
		}
		// The pages of spaces and posts, full: a page of long posts stays small.
		boss := account(t, n, "boss")
		newSpace(t, n, boss, "club", spaces.SpaceSettings{Description: str(strings.Repeat("A long description. ", 90))})
		var last *spaces.Post
		for i := 0; i < 25; i++ {
			last = posted(t, n, boss, "club", strings.Repeat("A rather long post, with **words** and #tags. ", 100))
		}
		for i := 0; i < 50; i++ {
			if _, err := n.Spaces.CreateComment(context.Background(), boss, last.ID, spaces.PostInput{Body: strings.Repeat("A long comment, with [a link](https://example.org). ", 90)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, path := range []string{"/spaces", "/spaces/new", "/spaces/club", "/spaces/club/articles", "/spaces/club/people",
			"/spaces/club/about", "/spaces/club/settings", "/spaces/club/settings/requests", "/spaces/club/settings/members",
			"/spaces/club/settings/invitations", "/spaces/club/settings/archive", "/posts/" + last.ID, "/posts/" + last.ID + "/edit",
			"/compose", "/compose?kind=article", "/notifications", "/search", "/search?q=words", "/settings/notifications",
			"/settings/followers", "/settings/data", "/admin/spaces", "/onboarding/spaces", "/@boss/followers", "/@boss/following"} {
			check(admin, path)
			if p := admin.get(path); p.status != http.StatusOK {
				t.Fatalf("%s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/spaces", "/spaces/club", "/posts/" + last.ID, "/search?q=words"} {
			check(anon, path)
		}
		// The session and CSRF cookies are HttpOnly and SameSite.
		res, err := http.Get(n.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == "ruche_csrf" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
				t.Fatalf("csrf cookie %+v", c)
			}
		}
	})
}

// TestCSRF: a form posted without the visitor's token, with another token, or
// from another site is refused with a translated page, and changes nothing.
func TestCSRF(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "boss", spaces.RoleAdmin)
		member(t, n, "alice", spaces.RoleMember)
		admin := newBrowser(t, n, "fr")
		admin.signIn("boss", nodetest.Password)
		attempts := map[string]url.Values{
			"no token":      {"csrf": {""}},
			"another token": {"csrf": {newBrowser(t, n, "fr").csrf()}},
		}
		for name, form := range attempts {
			p := admin.post("/admin/members/alice/suspend", form)
			want(t, p, http.StatusForbidden, "Ce formulaire a expiré ou a été envoyé depuis un autre site")
			if account(t, n, "alice").Status != spaces.StatusActive {
				t.Fatalf("%s: the suspension went through", name)
			}
		}
		// A cross-site post is stopped by the node's cross-origin protection.
		admin.header.Set("Origin", "https://evil.example")
		admin.header.Set("Sec-Fetch-Site", "cross-site")
		p := admin.post("/admin/members/alice/suspend", nil)
		if p.status != http.StatusForbidden || account(t, n, "alice").Status != spaces.StatusActive {
			t.Fatalf("cross-site post: %d", p.status)
		}
		admin.header = http.Header{}
		// Sign-in forms are protected too (login CSRF).
		anon := newBrowser(t, n, "en")
		want(t, anon.post("/login", url.Values{"csrf": {""}, "login": {"alice"}, "password": {nodetest.Password}}), http.StatusForbidden, "This form has expired")
		if anon.cookie("ruche_session") != "" {
			t.Fatal("signed in without a CSRF token")
		}
		// With the token, it works.
		wantRedirect(t, admin.post("/admin/members/alice/suspend", nil), "/admin/members/alice")
	})
}

// maxFormTest is more than a form's text may weigh.
const maxFormTest = 128 << 10

func TestOversizedForm(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		a := member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "de")
		b.signIn("alice", nodetest.Password)
		p := b.post("/settings/notifications", url.Values{"on": {"like", strings.Repeat("x", 70<<10)}})
		want(t, p, http.StatusRequestEntityTooLarge, "Ce que vous avez envoyé est trop long") // alice reads French
		if got := account(t, n, "alice"); len(got.User.NotificationsOff) != len(a.User.NotificationsOff) {
			t.Fatal("an oversized form changed the notification choices")
		}
		// The profile form takes a picture, so its limit is the upload's.
		big := bytes.Repeat([]byte{0}, int(n.Spaces.Options().MaxUpload)+maxFormTest)
		want(t, b.postMultipart("/settings", url.Values{"bio": {"short"}}, upload{"avatar", "huge.png", big}), http.StatusRequestEntityTooLarge)
		if account(t, n, "alice").Bio != a.Bio {
			t.Fatal("an oversized form changed the profile")
		}
	})
}

func TestStaticAssets(t *testing.T) {
	n := nodetest.New(t, "sqlite")
	b := newBrowser(t, n, "en")
	home := b.get("/")
	css := regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.css`).FindString(home.body)
	js := regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.js`).FindString(home.body)
	if css == "" || js == "" {
		t.Fatal("the page does not link fingerprinted assets")
	}
	p := b.get(css)
	want(t, p, http.StatusOK, "prefers-color-scheme: dark")
	if !strings.Contains(p.header.Get("Cache-Control"), "immutable") || p.header.Get("ETag") == "" || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Fatalf("css headers: %v", p.header)
	}
	b.header.Set("If-None-Match", p.header.Get("ETag"))
	if p := b.get(css); p.status != http.StatusNotModified {
		t.Fatalf("revalidation: %d", p.status)
	}
	b.header = http.Header{}
	if p := b.get("/static/app.000000000000.css"); p.status != http.StatusNotFound {
		t.Fatalf("old fingerprint: %d", p.status)
	}
	want(t, b.get(js), http.StatusOK, "use strict")
}

func TestNotFoundAndAPI(t *testing.T) {
	n := nodetest.New(t, "sqlite")
	b := newBrowser(t, n, "de")
	p := b.get("/some/page")
	want(t, p, http.StatusNotFound, "Seite nicht gefunden", "Zurück zur Startseite")
	if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatal("404 is not a page")
	}
	// The API keeps its JSON 404, health checks their own answers.
	p = b.get("/api/ruche/v1/nope")
	if p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Fatalf("api 404: %d %s", p.status, p.header.Get("Content-Type"))
	}
	if p := b.get("/healthz"); p.status != http.StatusOK || !p.has(`"ok"`) {
		t.Fatalf("healthz: %d %s", p.status, p.body)
	}
}

func TestProfilePages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		member(t, n, "alice", spaces.RoleMember)
		if _, err := n.Spaces.UpdateProfile(ctx, account(t, n, "alice"), spaces.ProfileUpdate{Bio: ptr(`<b>Hi</b> & "bye"`)}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, n, "en")
		want(t, b.get("/@alice"), http.StatusOK, "@alice@"+strings.TrimPrefix(n.URL, "http://"), "&lt;b&gt;Hi&lt;/b&gt; &amp; &#34;bye&#34;")
		wantRedirect(t, b.get("/@ALICE"), "/@alice")
		want(t, b.get("/@nobody"), http.StatusNotFound, "There is no such member")
		// A browser opening the ActivityPub id lands on the page; an
		// ActivityPub client is not answered by the web door.
		wantRedirect(t, b.get("/users/alice"), "/@alice")
		b.header.Set("Accept", "application/activity+json")
		if p := b.get("/users/alice"); p.location != "" {
			t.Fatalf("an ActivityPub request was redirected to %s", p.location)
		}
		b.header = http.Header{}
		// Suspended members have no page.
		if _, err := n.Spaces.Suspend(ctx, spaces.Console, "alice"); err != nil {
			t.Fatal(err)
		}
		want(t, b.get("/@alice"), http.StatusNotFound)
	})
}

func ptr[T any](v T) *T { return &v }

// TestIDsServeBothKinds: a member's, a space's and a post's ActivityPub id
// give browsers the page and ActivityStreams clients the document, through
// the node's real router.
func TestIDsServeBothKinds(t *testing.T) {
	n := nodetest.New(t, "sqlite")
	alice := member(t, n, "alice", spaces.RoleMember)
	newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Le club")})
	p := posted(t, n, alice, "club", "Bonjour le club")
	b := newBrowser(t, n, "en")
	if page := b.get("/users/Alice"); page.status != http.StatusFound || page.location != "/@alice" || !strings.Contains(page.header.Get("Vary"), "Accept") {
		t.Fatalf("a browser at /users/Alice: %d %q", page.status, page.location)
	}
	want(t, b.open("/users/Alice"), http.StatusOK, "Bonjour le club")
	want(t, b.get("/spaces/club"), http.StatusOK, "Le club", "Bonjour le club")
	want(t, b.get("/posts/"+p.ID), http.StatusOK, "Bonjour le club")
	want(t, b.get("/posts/nope"), http.StatusNotFound)
	b.header.Set("Accept", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	for path, typ := range map[string]string{"/users/alice": `"Person"`, "/spaces/club": `"Group"`, "/posts/" + p.ID: `"Note"`} {
		doc := b.get(path)
		if doc.status != http.StatusOK || doc.has("<html") || !doc.has(typ) || !strings.Contains(doc.header.Get("Vary"), "Accept") {
			t.Fatalf("an ActivityStreams client at %s: %d %q %s", path, doc.status, doc.header.Get("Vary"), excerpt(doc.body))
		}
	}
}

// germanNode makes German the node's default language.
func germanNode(t *testing.T, n *nodetest.Node) {
	t.Helper()
	_, err := n.Spaces.UpdateNodeSettings(context.Background(), spaces.Console, spaces.NodeSettings{
		Name: "Test", Registrations: spaces.RegistrationsInvite, DefaultLocale: "de"})
	if err != nil {
		t.Fatal(err)
	}
}
