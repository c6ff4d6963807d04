package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// maxForm bounds a form's body: no page of this door takes more.
const maxForm = 64 << 10

// Cookies of the web door besides the session (internal/httpx).
const (
	langCookie  = "ruche_lang"  // an anonymous visitor's choice of language
	flashCookie = "ruche_flash" // a message key shown once after a redirect
	csrfCookie  = "ruche_csrf"  // the secret the forms' CSRF token must match
	csrfField   = "csrf"
)

// contentSecurityPolicy allows nothing but the node's own scripts, styles,
// images and web app manifest: no inline script or style, no framing, forms
// post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// request is what every page handler knows about the request being served.
type request struct {
	viewer  *spaces.Account // nil for an anonymous visitor
	session *spaces.Session
	expired bool // the visitor's session ended (expired, revoked): tell them
	cat     *catalogue
	csrf    string
	flash   string // a message key left by the previous request
	node    spaces.NodeSettings
}

// locale is the language the page is shown in.
func (rq *request) locale() string { return rq.cat.locale }

// bodyLimit says how much a page's form may post, and whether it may be a
// multipart form with files.
type bodyLimit struct {
	max       int64
	multipart bool
}

// formBody is the limit of most forms; the composer's and the uploads' are
// set where they are routed.
var formBody = bodyLimit{max: maxForm}

// multipartMemory is how much of a multipart form is kept in memory; files
// beyond it wait in temporary files until the request ends.
const multipartMemory = 1 << 20

// page wraps a handler with what every page needs: security headers, the
// session, the language, the CSRF check on posts, and error pages.
func (w *Web) page(h handler) http.Handler { return w.pageWith(formBody, h) }

// pageWith is page for a form of another size or kind.
func (w *Web) pageWith(lim bodyLimit, h handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hd := rw.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		hd.Add("Vary", "Cookie, Accept-Language")

		rq := &request{}
		var err error
		if rq.node, err = w.spaces.NodeSettings(r.Context()); err != nil {
			// the configured settings stand in: the page can still be served
			httpx.Logger(r.Context()).Error("web: node settings", "err", err)
		}
		if err := w.authenticate(rw, r, rq); err != nil {
			rq.cat = w.cats[w.defaultLocale(rq)]
			w.fail(rw, r, rq, err)
			return
		}
		rq.cat = w.cats[w.negotiate(r, rq)]
		rq.csrf = w.csrfSecret(rw, r)
		rq.flash = w.takeFlash(rw, r, rq)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(rw, r.Body, lim.max)
			var err error
			if lim.multipart && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				err = r.ParseMultipartForm(multipartMemory)
				if r.MultipartForm != nil {
					defer r.MultipartForm.RemoveAll()
				}
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				w.fail(rw, r, rq, errFormTooLarge(err))
				return
			}
			if !validCSRF(r.PostForm.Get(csrfField), rq.csrf) {
				w.fail(rw, r, rq, errCSRF)
				return
			}
		}
		if err := h(rw, r, rq); err != nil {
			w.fail(rw, r, rq, err)
		}
	})
}

// authenticate resolves the session cookie. A session that ended makes the
// request anonymous and is remembered so the sign-in page can say why.
func (w *Web) authenticate(rw http.ResponseWriter, r *http.Request, rq *request) error {
	token := httpx.SessionToken(r)
	if token == "" {
		return nil
	}
	acct, sess, err := w.spaces.Authenticate(r.Context(), token)
	switch {
	case err == nil:
		rq.viewer, rq.session = acct, sess
		return nil
	case spaces.KindOf(err) == spaces.KindUnauthorized:
		httpx.ClearSession(rw, w.secure)
		rq.expired = true
		return nil
	}
	return err
}

// negotiate picks the page's language: the member's own setting, else the
// visitor's choice in the switcher, else what the browser asks for, else the
// node's default.
func (w *Web) negotiate(r *http.Request, rq *request) string {
	viewer := rq.viewer
	if viewer != nil && viewer.User != nil && slices.Contains(Locales, viewer.User.Locale) {
		return viewer.User.Locale
	}
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(Locales, c.Value) {
		return c.Value
	}
	if loc := matchAcceptLanguage(r.Header.Get("Accept-Language")); loc != "" {
		return loc
	}
	return w.defaultLocale(rq)
}

// defaultLocale is the node's default language, as its admins set it.
func (w *Web) defaultLocale(rq *request) string {
	if slices.Contains(Locales, rq.node.DefaultLocale) {
		return rq.node.DefaultLocale
	}
	return Locales[0]
}

// csrfSecret returns the visitor's CSRF secret, setting the cookie that holds
// it on the first visit. Forms carry it back in a hidden field; another site
// can make a browser post, but cannot read the cookie to fill the field. This
// adds to the node-wide http.CrossOriginProtection, for browsers that send
// neither Sec-Fetch-Site nor Origin.
func (w *Web) csrfSecret(rw http.ResponseWriter, r *http.Request) string {
	name := w.csrfCookieName()
	if c, err := r.Cookie(name); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(rw, &http.Cookie{
		Name: name, Value: secret, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode,
	})
	return secret
}

// csrfCookieName uses the __Host- prefix on HTTPS, which browsers only accept
// from the host itself: a sibling subdomain cannot plant a known secret.
func (w *Web) csrfCookieName() string {
	if w.secure {
		return "__Host-" + csrfCookie
	}
	return csrfCookie
}

func validCSRF(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setFlash leaves a message (a catalogue key) for the next page the visitor sees.
func (w *Web) setFlash(rw http.ResponseWriter, key string) {
	http.SetCookie(rw, &http.Cookie{
		Name: flashCookie, Value: key, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode,
	})
}

// takeFlash reads and clears the flash message. Only keys of the catalogue's
// flash namespace are shown: the cookie cannot make a page say anything else.
func (w *Web) takeFlash(rw http.ResponseWriter, r *http.Request, rq *request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(rw, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
	if !strings.HasPrefix(c.Value, "flash.") || !rq.cat.has(c.Value) {
		return ""
	}
	return c.Value
}

// redirect answers a form with 303 See Other, so reloading the next page does
// not post the form again.
func redirect(rw http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(rw, r, to, http.StatusSeeOther)
	return nil
}

// localPath returns next if it is a path on this node, else fallback: a link
// to the sign-in page must not send the member off to another site.
func localPath(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return next
}

// requireViewer returns the signed-in member, or sends the visitor to the
// sign-in page (which brings them back here afterwards).
func requireViewer(rw http.ResponseWriter, r *http.Request, rq *request) (*spaces.Account, bool) {
	if rq.viewer != nil {
		return rq.viewer, true
	}
	q := url.Values{"next": {r.URL.RequestURI()}}
	if r.Method != http.MethodGet {
		q.Set("next", refererPath(r))
	}
	if rq.expired {
		q.Set("expired", "1")
	}
	http.Redirect(rw, r, "/login?"+q.Encode(), http.StatusSeeOther)
	return nil, false
}

// refererPath is the path of the page a form was posted from, when it is ours.
func refererPath(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host {
		return "/"
	}
	return localPath(u.RequestURI(), "/")
}

// credentials describes who signs in from where, for throttling and the
// member's list of sessions.
func (w *Web) credentials(r *http.Request, login, password string) spaces.Credentials {
	return spaces.Credentials{
		Login: login, Password: password,
		IP: httpx.ClientIP(r, w.opts.TrustedProxies), UserAgent: r.UserAgent(),
	}
}

// signIn sets the session cookie of a member who just proved who they are.
func (w *Web) signIn(rw http.ResponseWriter, token string, expires time.Time) {
	httpx.SetSession(rw, token, expires, w.secure)
}
