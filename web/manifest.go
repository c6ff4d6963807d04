package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruche-social/ruche/internal/httpx"
)

// The colours of the installed app, from app.css: the light theme's header
// (--surface) colours the system bar, and its page background (--bg) the
// splash screen. The layout's theme-color meta tags follow the dark theme too;
// a manifest has one colour of each.
const (
	themeColor      = "#ffffff"
	themeColorDark  = "#191d23"
	backgroundColor = "#f5f6f8"
)

// manifestPath is the address of the web app manifest, which every page links.
const manifestPath = "/manifest.webmanifest"

// maxShortName is the length of the name under an icon on a phone's home
// screen that launchers show without cutting it.
const maxShortName = 12

// webManifest is a Web App Manifest (W3C): what a phone needs to install the
// web interface on its home screen and open it in a window of its own.
type webManifest struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ShortName       string         `json:"short_name"`
	Description     string         `json:"description,omitempty"`
	Lang            string         `json:"lang"`
	Dir             string         `json:"dir"`
	StartURL        string         `json:"start_url"`
	Scope           string         `json:"scope"`
	Display         string         `json:"display"`
	ThemeColor      string         `json:"theme_color"`
	BackgroundColor string         `json:"background_color"`
	Categories      []string       `json:"categories"`
	Icons           []manifestIcon `json:"icons"`
}

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
}

// manifestIcons are the static files of the manifest's icons: the drawing
// itself, PNGs for launchers that take no SVG, and one with a margin and an
// opaque background that a launcher may cut to its own shape (maskable).
// web/icons/generate.sh renders the PNGs.
//
//go:generate bash icons/generate.sh
var manifestIcons = []struct{ file, sizes, typ, purpose string }{
	{"icon.svg", "any", "image/svg+xml", "any"},
	{"icon-192.png", "192x192", "image/png", "any"},
	{"icon-512.png", "512x512", "image/png", "any"},
	{"icon-maskable-512.png", "512x512", "image/png", "maskable"},
}

// manifest serves the web app manifest. It is made for each request, as the
// node's name, description and language are settings its admins change; the
// browser asks again whenever it checks for an update, so it is not cached
// without asking (the ETag spares the body).
func (w *Web) manifest(rw http.ResponseWriter, r *http.Request) {
	rq := &request{}
	var err error
	if rq.node, err = w.spaces.NodeSettings(r.Context()); err != nil {
		// the configured settings stand in, as for the pages
		httpx.Logger(r.Context()).Error("web: node settings", "err", err)
	}
	m := webManifest{
		ID: "/", Name: rq.node.Name, ShortName: shortName(rq.node.Name), Description: rq.node.Description,
		Lang: w.defaultLocale(rq), Dir: "ltr", StartURL: "/", Scope: "/", Display: "standalone",
		ThemeColor: themeColor, BackgroundColor: backgroundColor, Categories: []string{"social"},
	}
	for _, ic := range manifestIcons {
		u, err := w.assets.url(ic.file)
		if err != nil {
			httpx.Logger(r.Context()).Error("web: manifest icon", "err", err)
			http.Error(rw, "internal error", http.StatusInternalServerError)
			return
		}
		m.Icons = append(m.Icons, manifestIcon{Src: u, Sizes: ic.sizes, Type: ic.typ, Purpose: ic.purpose})
	}
	body, err := json.Marshal(m)
	if err != nil {
		httpx.Logger(r.Context()).Error("web: manifest", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	h := rw.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(rw, r, "", time.Time{}, bytes.NewReader(body))
}

// shortName is the name under the icon: the node's name when it is short
// enough, else its first words that are; a first word longer than that stays
// whole, for the launcher to shorten as it does.
func shortName(name string) string {
	if utf8.RuneCountInString(name) <= maxShortName {
		return name
	}
	short := ""
	for _, word := range strings.Fields(name) {
		next := strings.TrimSpace(short + " " + word)
		if utf8.RuneCountInString(next) > maxShortName {
			break
		}
		short = next
	}
	if short == "" {
		return name
	}
	return strings.TrimSpace(strings.TrimRight(short, ",;:–—-·"))
}

// installView is what the layout links for a phone to install the web
// interface: the manifest, and the colours of the system bar in each theme.
type installView struct{ Manifest, Theme, ThemeDark string }

func install() installView {
	return installView{Manifest: manifestPath, Theme: themeColor, ThemeDark: themeColorDark}
}
