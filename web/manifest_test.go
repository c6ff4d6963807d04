package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// manifest is the web app manifest as a browser reads it.
type manifest struct {
	ID, Name, Description, Lang, Dir, Display, Scope string
	ShortName                                        string `json:"short_name"`
	StartURL                                         string `json:"start_url"`
	ThemeColor                                       string `json:"theme_color"`
	BackgroundColor                                  string `json:"background_color"`
	Icons                                            []struct{ Src, Sizes, Type, Purpose string }
}

func fetchManifest(t *testing.T, b *browser) (*page, manifest) {
	t.Helper()
	p := b.get("/manifest.webmanifest")
	want(t, p, http.StatusOK)
	var m manifest
	if err := json.Unmarshal([]byte(p.body), &m); err != nil {
		t.Fatalf("the manifest is not JSON: %v\n%s", err, p.body)
	}
	return p, m
}

func TestManifest(t *testing.T) {
	n := nodetest.New(t, db.SQLite)
	ctx := context.Background()
	b := newBrowser(t, n, "en")

	// Every page links the manifest, the home-screen icon of iOS and the
	// colours of the system bar, and its policy lets the browser fetch them.
	home := b.get("/")
	want(t, home, http.StatusOK, `<link rel="manifest" href="/manifest.webmanifest">`,
		`<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">`,
		`<meta name="theme-color" content="#191d23" media="(prefers-color-scheme: dark)">`)
	if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "manifest-src 'self'") {
		t.Errorf("the pages' policy forbids the manifest: %s", csp)
	}
	touch := regexp.MustCompile(`<link rel="apple-touch-icon" href="([^"]+)">`).FindStringSubmatch(home.body)
	if touch == nil {
		t.Fatal("no apple-touch-icon on the home page")
	}
	wantPNG(t, b, touch[1], 180)

	// The manifest: the node's name, an app of its own window over the
	// whole site, the colours of app.css.
	before, err := n.Spaces.NodeSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, m := fetchManifest(t, b)
	if ct := p.header.Get("Content-Type"); ct != "application/manifest+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if p.header.Get("ETag") == "" || p.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("the manifest is cached without asking: ETag %q, Cache-Control %q", p.header.Get("ETag"), p.header.Get("Cache-Control"))
	}
	if m.Name != before.Name || m.ShortName == "" || m.StartURL != "/" || m.Scope != "/" || m.ID != "/" || m.Display != "standalone" || m.Lang != "fr" || m.Dir != "ltr" {
		t.Errorf("manifest = %+v", m)
	}
	css := b.get(regexp.MustCompile(`href="(/static/app\.[0-9a-f]+\.css)"`).FindStringSubmatch(home.body)[1]).body
	for _, c := range []string{m.ThemeColor, m.BackgroundColor} {
		if !strings.HasPrefix(c, "#") || !strings.Contains(css, ": "+c+";") {
			t.Errorf("colour %q is not one of app.css", c)
		}
	}

	// Its icons are served: the drawing, PNGs of both sizes a launcher asks
	// for, and a maskable one.
	seen := map[string]bool{}
	for _, ic := range m.Icons {
		seen[ic.Sizes+" "+ic.Type+" "+ic.Purpose] = true
		if ic.Type == "image/png" {
			var size, height int
			if _, err := fmt.Sscanf(ic.Sizes, "%dx%d", &size, &height); err != nil || size != height {
				t.Errorf("icon %s: sizes %q", ic.Src, ic.Sizes)
				continue
			}
			wantPNG(t, b, ic.Src, size)
			continue
		}
		r := b.get(ic.Src)
		want(t, r, http.StatusOK, "<svg")
		if r.header.Get("Content-Type") != ic.Type {
			t.Errorf("icon %s: Content-Type %q, the manifest says %q", ic.Src, r.header.Get("Content-Type"), ic.Type)
		}
	}
	for _, s := range []string{"any image/svg+xml any", "192x192 image/png any", "512x512 image/png any", "512x512 image/png maskable"} {
		if !seen[s] {
			t.Errorf("no icon %q in %+v", s, m.Icons)
		}
	}

	// Its ETag spares the body when nothing changed.
	req, _ := http.NewRequest(http.MethodGet, n.URL+"/manifest.webmanifest", nil)
	req.Header.Set("If-None-Match", p.header.Get("ETag"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", res.StatusCode)
	}

	// The admins' settings are the app's: a new name (cut at a word for the
	// home screen), description and language.
	boss := member(t, n, "boss", spaces.RoleAdmin)
	if _, err := n.Spaces.UpdateNodeSettings(ctx, boss, spaces.NodeSettings{Name: "Réseau des agents de Lyon",
		Description: "Le réseau des agents", Registrations: spaces.RegistrationsInvite, DefaultLocale: "de"}); err != nil {
		t.Fatal(err)
	}
	p2, m := fetchManifest(t, b)
	if m.Name != "Réseau des agents de Lyon" || m.ShortName != "Réseau des" || m.Description != "Le réseau des agents" || m.Lang != "de" {
		t.Errorf("after the settings changed: %+v", m)
	}
	if p2.header.Get("ETag") == p.header.Get("ETag") {
		t.Error("the ETag did not change with the manifest")
	}
	want(t, b.get("/"), http.StatusOK, "Réseau des agents de Lyon")

	// Only GET and HEAD.
	want(t, b.do(http.MethodPut, "/manifest.webmanifest", nil, ""), http.StatusMethodNotAllowed)
}

// wantPNG fetches a PNG icon and checks that it is the square it says.
func wantPNG(t *testing.T, b *browser, src string, size int) {
	t.Helper()
	r := b.get(src)
	want(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("icon %s: Content-Type %q", src, ct)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Errorf("icon %s: %v", src, err)
		return
	}
	if cfg.Width != size || cfg.Height != size {
		t.Errorf("icon %s is %d×%d, not %d×%d", src, cfg.Width, cfg.Height, size, size)
	}
}
