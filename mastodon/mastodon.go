// Package mastodon is the Mastodon client API of the node, so that every
// Mastodon app (Tusky, Ivory, Elk, Phanpy, the official apps) is Ruche's
// mobile app: /api/v1 and /api/v2 with Mastodon's paths, parameters, JSON
// shapes, status codes and Link pagination, and the OAuth 2 endpoints the
// apps sign in with. Handlers translate; every rule lives in the spaces
// package, which the web pages and Ruche's own API call too.
//
// Requests are authenticated by bearer tokens only, never by the web
// session's cookie: a page of another site cannot act through it, which is
// why these paths are open to cross-origin requests (web apps such as Elk
// call them from their own origin).
package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// Options configure the API.
type Options struct {
	Spaces         *spaces.Service
	Origin         string // the node's public address, https://example.org
	TrustedProxies []netip.Prefix
	Version        string // Ruche's version, shown in /api/v1/instance
	// StaticURL gives the path of one of the web door's static files.
	StaticURL func(name string) (string, error)
}

// API serves the Mastodon client API.
type API struct {
	spaces  *spaces.Service
	origin  string
	domain  string
	proxies []netip.Prefix
	version string
	hub     *hub
	// The images shown for accounts without their own.
	defaultAvatar, defaultHeader string
}

// New returns the API.
func New(o Options) (*API, error) {
	u, err := url.Parse(o.Origin)
	if err != nil || u.Host == "" {
		return nil, errors.New("mastodon: the node's public address is needed")
	}
	m := &API{spaces: o.Spaces, origin: strings.TrimRight(o.Origin, "/"), domain: u.Host, proxies: o.TrustedProxies, version: o.Version}
	if m.defaultAvatar, err = o.StaticURL("avatar.png"); err != nil {
		return nil, err
	}
	if m.defaultHeader, err = o.StaticURL("header.png"); err != nil {
		return nil, err
	}
	m.defaultAvatar, m.defaultHeader = m.origin+m.defaultAvatar, m.origin+m.defaultHeader
	m.hub = newHub(o.Spaces)
	o.Spaces.Listen(m.hub) // the streaming API's changes
	return m, nil
}

// CloseStreams ends the streaming connections, for the node to stop (an
// http.Server's Shutdown waits for them otherwise, and forgets WebSockets).
func (m *API) CloseStreams() { m.hub.closeAll() }

// Prefixes are the paths the API claims, open to cross-origin requests.
var Prefixes = []string{"/api/v1/", "/api/v2/", "/oauth/token", "/oauth/revoke", "/.well-known/oauth-authorization-server"}

// Mount adds the API's routes to r. Unknown paths under /api/v1 and /api/v2
// answer Mastodon's JSON 404.
func (m *API) Mount(r *mux.Router) {
	m.mountOAuth(r)
	r.Methods(http.MethodOptions).MatcherFunc(ownPath).HandlerFunc(preflight)
	m.mountInstance(r)
	m.mountAccounts(r)
	m.mountStatuses(r)
	m.mountTimelines(r)
	m.mountNotifications(r)
	m.mountStreaming(r)
	for _, p := range []string{"/api/v1/", "/api/v2/"} {
		defer r.PathPrefix(p).Handler(m.handle(public, func(w http.ResponseWriter, r *http.Request) error {
			return errStatus(http.StatusNotFound, "Record not found")
		}))
	}
}

func ownPath(r *http.Request, _ *mux.RouteMatch) bool {
	for _, p := range Prefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return true
		}
	}
	return false
}

// preflight answers CORS preflight requests: any origin may call the API with
// a bearer token (no cookie is ever read).
func preflight(w http.ResponseWriter, r *http.Request) {
	cors(w)
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
	w.Header().Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key")
}

// need is what an endpoint asks of the request's token.
type need struct {
	scopes []string // one of them (empty: none)
	member bool     // a member's token, not an app's own
	token  bool     // a valid token, a member's or an app's own
}

var public = need{}

// anyToken is a valid token of any scope, a member's or an app's own.
var anyToken = need{token: true}

// scope is a member's token with one of the scopes given.
func scope(s ...string) need { return need{scopes: s, member: true} }

// handlerFunc is an API handler: it writes a success, or returns an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route serves method and path with h, after checking the token against n.
func (m *API) route(r *mux.Router, method, path string, n need, h handlerFunc) {
	r.Handle(path, m.handle(n, h)).Methods(method)
}

// handle authenticates the bearer token (if any), checks it meets n, runs h
// and writes its error.
func (m *API) handle(n need, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		err := func() error {
			c, err := m.authenticate(r)
			if err != nil {
				return err
			}
			if err := c.meets(n); err != nil {
				return err
			}
			return h(w, r.WithContext(context.WithValue(r.Context(), keyCaller, c)))
		}()
		if err != nil {
			writeError(w, r, err)
		}
	})
}

type ctxKey int

const keyCaller ctxKey = iota

// caller is who calls: a member through an app, an app alone, or nobody.
type caller struct {
	account *spaces.Account
	grant   *spaces.AccessGrant
}

// authenticate reads the bearer token, from the Authorization header or, for
// the streaming API whose WebSocket cannot send headers, access_token or the
// WebSocket's protocol (see token).
func (m *API) authenticate(r *http.Request) (*caller, error) {
	tok := token(r)
	if tok == "" {
		return &caller{}, nil
	}
	acct, grant, err := m.spaces.AuthenticateToken(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	return &caller{account: acct, grant: grant}, nil
}

var (
	errNoToken  = errStatus(http.StatusUnauthorized, "The access token is invalid")
	errNoMember = errStatus(http.StatusUnprocessableEntity, "This method requires an authenticated user")
	errScope    = errStatus(http.StatusForbidden, "This action is outside the authorized scopes")
)

func (c *caller) meets(n need) error {
	if len(n.scopes) == 0 && !n.member && !n.token {
		return nil
	}
	if c.grant == nil {
		return errNoToken
	}
	if n.member && c.account == nil {
		return errNoMember
	}
	for _, s := range n.scopes {
		if c.grant.Scopes.Allow(s) {
			return nil
		}
	}
	if len(n.scopes) == 0 {
		return nil
	}
	return errScope
}

// callerOf returns the request's caller (set by handle).
func callerOf(r *http.Request) *caller {
	c, _ := r.Context().Value(keyCaller).(*caller)
	if c == nil {
		return &caller{}
	}
	return c
}

// viewer is the member calling, nil for anonymous requests and apps alone.
func viewer(r *http.Request) *spaces.Account { return callerOf(r).account }

// statusError is an error of the request itself, with Mastodon's status and
// message.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string { return e.message }

func errStatus(status int, message string) error {
	return &statusError{status: status, message: message}
}

// statusOfKind maps domain errors to Mastodon's statuses: it answers 422 to
// invalid input and 404 to what the caller may not see.
var statusOfKind = map[spaces.Kind]int{
	spaces.KindInternal:     http.StatusInternalServerError,
	spaces.KindInvalid:      http.StatusUnprocessableEntity,
	spaces.KindUnauthorized: http.StatusUnauthorized,
	spaces.KindForbidden:    http.StatusForbidden,
	spaces.KindNotFound:     http.StatusNotFound,
	spaces.KindConflict:     http.StatusUnprocessableEntity,
	spaces.KindRateLimited:  http.StatusTooManyRequests,
	spaces.KindGone:         http.StatusNotFound,
	spaces.KindUnavailable:  http.StatusServiceUnavailable,
}

// errorBody is Mastodon's error: a message in "error"; Ruche adds its stable
// code in "error_code" (apps ignore it, scripts may rely on it).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Code        string `json:"error_code,omitempty"`
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *statusError
	if errors.As(err, &se) {
		httpx.WriteJSON(w, se.status, errorBody{Error: se.message})
		return
	}
	de := spaces.AsError(err)
	status := statusOfKind[de.Kind]
	if status >= 500 {
		httpx.Logger(r.Context()).Error("mastodon api error", "err", err)
	}
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter.Seconds())+1))
	}
	msg := de.Message
	if de.Kind == spaces.KindInvalid {
		msg = "Validation failed: " + msg
	}
	httpx.WriteJSON(w, status, errorBody{Error: msg, Code: de.Code})
}

// writeJSON writes a success.
func writeJSON(w http.ResponseWriter, v any) { httpx.WriteJSON(w, http.StatusOK, v) }
