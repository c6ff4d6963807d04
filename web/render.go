package web

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// view is the data of every page: what the layout needs, and the page's own
// Data and Form.
type view struct {
	Lang    string
	Title   string // the page's title, translated
	Viewer  *spaces.Account
	Admin   bool // the viewer is an admin: the layout shows admin links
	Staff   bool // the viewer is an admin or a moderator
	Unread  int  // the viewer's unread notifications
	CSRF    string
	Flash   string // a message left by the previous request, translated
	Path    string // the page's path, to mark the current link
	URI     string // the page's path and query, to come back to it
	Node    nodeView
	Locales []localeChoice
	Form    *form
	Data    any
}

type nodeView struct {
	Name, Description, Host, URL string
}

type localeChoice struct {
	Code, Name string
	Current    bool
}

// pageSet holds the pages of templates/ in every language. A page is
// templates/<name>.html defining "content"; the layout and the partials in
// templates/shared/ are shared. Each language has its own layout and
// partials, whose t function speaks it, so a page is escaped once per
// language. A (language, page) template, which holds its own escaped copy of
// the layout and partials, is made when first asked for: most of the 105
// would otherwise sit in memory unused.
type pageSet struct {
	fsys  fs.FS
	files map[string]string             // page → file
	base  map[string]*template.Template // language → layout and partials, never executed
	mu    sync.Mutex
	made  map[[2]string]*template.Template // (language, page) → template
}

// parsePages parses the layout and partials in every language and checks
// that every page parses, so that a broken template stops the node at start.
func (w *Web) parsePages(fsys fs.FS) (*pageSet, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{fsys: fsys, files: map[string]string{}, base: map[string]*template.Template{}, made: map[[2]string]*template.Template{}}
	for _, loc := range Locales {
		if ps.base[loc], err = template.New("").Funcs(w.funcs(w.cats[loc])).ParseFS(fsys, "templates/shared/*.html"); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if _, err := template.New(page).Funcs(w.funcs(w.cats[Locales[0]])).ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		ps.files[page] = name
	}
	return ps, nil
}

// page returns the template of page in language loc, or nil if there is no
// such page.
func (ps *pageSet) page(loc, page string) (*template.Template, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if t := ps.made[[2]string{loc, page}]; t != nil {
		return t, nil
	}
	file, base := ps.files[page], ps.base[loc]
	if file == "" || base == nil {
		return nil, nil
	}
	t, err := base.Clone()
	if err == nil {
		t, err = t.ParseFS(ps.fsys, file)
	}
	if err != nil {
		return nil, fmt.Errorf("web: template %s: %w", file, err)
	}
	ps.made[[2]string{loc, page}] = t
	return t, nil
}

// funcs are the functions templates call. t and tn translate; date, datetime
// and num format for the language.
func (w *Web) funcs(c *catalogue) template.FuncMap {
	return template.FuncMap{
		"t":        c.T,
		"tn":       c.TN,
		"date":     c.Date,
		"datetime": c.DateTime,
		"num":      c.Number,
		"when":     c.EventWhen,
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"asset":    w.assets.url,
		"install":  install,
		"profile":  ProfilePath,
		"handle":   func(username string) string { return "@" + username + "@" + w.host },
		"dict":     dict,
		"seq":      seq,
		"initial":  initial,
		"tone":     tone,
		"avatar":   avatarSrc,
		"device":   device,
		"inc":      func(i int) int { return i + 1 },
		"dec":      func(i int) int { return i - 1 },
		"spaceURL": spaceURL,
		"userURL":  accountURL,
		"handleOf": accountHandle,
		"postURL":  postURL,
		// at is an account's full address, @user@host, as other servers know it.
		"at": func(a *spaces.Account) string {
			if a.IsLocal() {
				return "@" + a.Username + "@" + w.host
			}
			return "@" + a.Username + "@" + a.Domain
		},
		"langName": func(code string) string {
			if c.has("lang." + code) {
				return c.T("lang." + code)
			}
			return strings.ToUpper(code)
		},
		"has":       func(list []string, v string) bool { return slices.Contains(list, v) },
		"hasPrefix": strings.HasPrefix,
		"size":      c.Size,
		"join":      strings.Join,
		"excerpt": func(html string, n int) string {
			text := []rune(spaces.PlainText(html))
			if len(text) <= n {
				return string(text)
			}
			return strings.TrimSpace(string(text[:n])) + "…"
		},
	}
}

// initial is the first letter of a name, for an avatar placeholder.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return ""
}

// avatarSrc is the address of the image a member or a space chose as avatar,
// or "" for the placeholder. A remote actor's picture is this node's copy
// (the page's Content-Security-Policy loads no other server's file): until
// it is copied, the placeholder shows.
func avatarSrc(of any) string {
	id := ""
	switch v := of.(type) {
	case *spaces.Account:
		if v != nil {
			id = v.AvatarID
		}
	case *spaces.Space:
		if v != nil {
			id = v.AvatarID
		}
	}
	if id == "" {
		return ""
	}
	return "/media/" + url.PathEscape(id)
}

// tone picks one of six avatar colours from a name, always the same for the
// same name.
func tone(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return "tone-" + strconv.Itoa(int(h.Sum32()%6))
}

// dict builds a map from name, value pairs, to pass several values to a partial.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// render writes page name with data, in the request's language, with status.
// The page is rendered to a buffer first, so that a template error becomes a
// clean error page rather than half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, data any) {
	w.renderForm(rw, r, rq, status, name, title, nil, data)
}

func (w *Web) renderForm(rw http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, f *form, data any) {
	t, err := w.pages.page(rq.locale(), name)
	if t == nil || err != nil {
		httpx.Logger(r.Context()).Error("web: no such page template", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	if f == nil {
		f = newForm(nil)
	}
	v := view{
		Lang: rq.locale(), Title: title, Viewer: rq.viewer, CSRF: rq.csrf,
		Admin: spaces.IsAdmin(rq.viewer), Staff: spaces.IsStaff(rq.viewer),
		Path: r.URL.Path, URI: r.URL.RequestURI(), Form: f, Data: data,
		Node: nodeView{Name: rq.node.Name, Description: rq.node.Description, Host: w.host, URL: w.opts.PublicURL},
	}
	if rq.viewer != nil {
		// a count that fails to load is not worth failing the page for
		v.Unread, _ = w.spaces.UnreadCount(r.Context(), rq.viewer)
	}
	if rq.flash != "" {
		v.Flash = rq.cat.T(rq.flash)
	}
	for _, loc := range Locales {
		v.Locales = append(v.Locales, localeChoice{Code: loc, Name: w.cats[loc].T("language.self"), Current: loc == rq.locale()})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		httpx.Logger(r.Context()).Error("web: render", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Content-Language", rq.locale())
	rw.WriteHeader(status)
	if r.Method != http.MethodHead {
		rw.Write(buf.Bytes())
	}
}

// deviceView names a session's browser and system from its User-Agent, for
// the list of sessions: "Firefox, Windows" reads better than the raw header.
type deviceView struct{ Browser, OS string }

var (
	browsers = []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	}
	systems = []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	}
)

// device returns the browser and system of a User-Agent, or nil when it names
// neither (a script, a client app): the page then shows the header as it is.
func device(ua string) *deviceView {
	var d deviceView
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			d.Browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			d.OS = s.name
			break
		}
	}
	if d.Browser == "" || d.OS == "" {
		return nil
	}
	return &d
}

// seq is 1 to n, for a form's numbered fields.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}
