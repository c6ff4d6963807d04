package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// eachDB runs fn on a node over SQLite and over PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, n *nodetest.Node), opts ...nodetest.Option) {
	t.Helper()
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(d), func(t *testing.T) { fn(t, nodetest.New(t, d, opts...)) })
	}
}

// clock is a settable clock for nodes whose sessions and links must expire.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// withClock makes the node's domain use c.
func withClock(c *clock) nodetest.Option {
	return func(_ *config.Config, o *node.Options) {
		o.Spaces = func(so *spaces.Options) {
			so.Password = nodetest.CheapPasswords
			so.Now = c.now
		}
	}
}

// browser is a visitor with a cookie jar and a language, who does not follow
// redirects by itself so that tests see them.
type browser struct {
	t      *testing.T
	n      *nodetest.Node
	c      *http.Client
	lang   string // Accept-Language
	header http.Header
}

func newBrowser(t *testing.T, n *nodetest.Node, lang string) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, n: n, c: c, lang: lang, header: http.Header{}}
}

// page is a response as a test reads it.
type page struct {
	status   int
	body     string
	header   http.Header
	location string
}

func (p *page) has(s string) bool { return strings.Contains(p.body, s) }

func (b *browser) do(method, path string, body io.Reader, contentType string) *page {
	b.t.Helper()
	req, err := http.NewRequest(method, b.n.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return &page{status: res.StatusCode, body: string(raw), header: res.Header, location: res.Header.Get("Location")}
}

// get fetches path without following redirects.
func (b *browser) get(path string) *page {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, "")
}

// open fetches path and follows redirects, as a browser shows a page.
func (b *browser) open(path string) *page {
	b.t.Helper()
	p := b.get(path)
	for i := 0; i < 5 && p.location != ""; i++ {
		p = b.get(p.location)
	}
	return p
}

// csrf returns the visitor's CSRF token, visiting the home page first if needed.
func (b *browser) csrf() string {
	b.t.Helper()
	u, _ := url.Parse(b.n.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "ruche_csrf" {
			return c.Value
		}
	}
	b.get("/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "ruche_csrf" {
			return c.Value
		}
	}
	b.t.Fatal("no CSRF cookie")
	return ""
}

// post submits a form with the visitor's CSRF token (unless form has one).
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	form = cloneValues(form)
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// signIn signs the visitor in and fails the test if that does not work.
func (b *browser) signIn(username, password string) {
	b.t.Helper()
	p := b.post("/login", url.Values{"login": {username}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign in %s: %d %s", username, p.status, excerpt(p.body))
	}
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.n.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// member creates a member who has been through the onboarding.
func member(t *testing.T, n *nodetest.Node, username, role string) *spaces.Account {
	t.Helper()
	a := n.Member(t, username, role)
	a, err := n.Spaces.CompleteOnboarding(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// want fails unless the page has the status and contains every string.
func want(t *testing.T, p *page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d: %s", p.status, status, excerpt(p.body))
	}
	for _, s := range contains {
		if !p.has(s) {
			t.Fatalf("page (status %d) lacks %q: %s", p.status, s, excerpt(p.body))
		}
	}
}

func wantRedirect(t *testing.T, p *page, to string) {
	t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound && p.status != http.StatusMovedPermanently {
		t.Fatalf("status %d, want a redirect to %s: %s", p.status, to, excerpt(p.body))
	}
	if !strings.HasPrefix(p.location, to) {
		t.Fatalf("redirect to %q, want %q", p.location, to)
	}
}

var mainRe = regexp.MustCompile(`(?s)<main.*</main>`)

// excerpt is the main part of a page, for failure messages.
func excerpt(body string) string {
	if m := mainRe.FindString(body); m != "" {
		body = m
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

func account(t *testing.T, n *nodetest.Node, username string) *spaces.Account {
	t.Helper()
	a, err := n.Spaces.LocalAccount(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// upload is a file a form sends.
type upload struct {
	field, name string
	body        []byte
}

// postMultipart submits a multipart form with files, with the visitor's CSRF
// token (unless form has one).
func (b *browser) postMultipart(path string, form url.Values, files ...upload) *page {
	b.t.Helper()
	form = cloneValues(form)
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write(f.body)
	}
	mw.Close()
	return b.do(http.MethodPost, path, &buf, mw.FormDataContentType())
}

// tinyPNG is a real one-pixel PNG image.
var tinyPNG = func() []byte {
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff})
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()

// pdf is a small file that sniffs as a PDF.
var pdf = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")

func str(s string) *string { return &s }

// newSpace creates a space owned by owner.
func newSpace(t *testing.T, n *nodetest.Node, owner *spaces.Account, slug string, set spaces.SpaceSettings) *spaces.Space {
	t.Helper()
	if set.Name == nil {
		set.Name = str("Space " + slug)
	}
	sp, err := n.Spaces.CreateSpace(context.Background(), owner, spaces.NewSpace{Slug: slug, SpaceSettings: set})
	if err != nil {
		t.Fatalf("create space %s: %v", slug, err)
	}
	return sp
}

// joined makes a join a space, as an active member (approved if need be).
func joined(t *testing.T, n *nodetest.Node, a, owner *spaces.Account, slug string) {
	t.Helper()
	ctx := context.Background()
	m, err := n.Spaces.JoinSpace(ctx, a, slug, "", "")
	if err != nil {
		t.Fatalf("%s joins %s: %v", a.Username, slug, err)
	}
	if m.State == spaces.StatePending {
		if _, err := n.Spaces.AnswerJoinRequest(ctx, owner, slug, a.Username, true); err != nil {
			t.Fatal(err)
		}
	}
}

// posted publishes a note.
func posted(t *testing.T, n *nodetest.Node, a *spaces.Account, slug, body string) *spaces.Post {
	t.Helper()
	p, err := n.Spaces.CreatePost(context.Background(), a, slug, spaces.PostInput{Body: body})
	if err != nil {
		t.Fatalf("%s posts: %v", a.Username, err)
	}
	return p
}

// feedOf lists a space's posts as the console sees them.
func feedOf(t *testing.T, n *nodetest.Node, slug string) []*spaces.Post {
	t.Helper()
	posts, err := n.Spaces.SpaceFeed(context.Background(), spaces.Console, slug, spaces.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return posts
}

// speaks sets a member's language: signed-in pages are in it, whatever the
// browser asks for.
func speaks(t *testing.T, n *nodetest.Node, a *spaces.Account, locale string) *spaces.Account {
	t.Helper()
	a, err := n.Spaces.UpdateProfile(context.Background(), a, spaces.ProfileUpdate{Locale: &locale})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
