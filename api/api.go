// Package api is the JSON door of the node, under /api/ruche/v1/. Handlers parse the
// request, call one spaces operation and write its result; errors are mapped to
// statuses in one place (writeError). Sessions are the same as the web pages':
// a cookie set at sign-in.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// maxBody bounds a JSON request: no form of the API needs more.
const maxBody = 64 << 10

// API serves the client API.
type API struct {
	spaces  *spaces.Service
	secure  bool // the node is on HTTPS: cookies are Secure
	proxies []netip.Prefix
}

// New returns the API over the domain service.
func New(s *spaces.Service, secure bool, trustedProxies []netip.Prefix) *API {
	return &API{spaces: s, secure: secure, proxies: trustedProxies}
}

// Mount adds the API's routes under /api/ to r. Unknown paths under /api/ answer
// a JSON 404, and wrong methods a JSON 405, like every other API error.
func (a *API) Mount(r *mux.Router) {
	a.route(r, "/api/ruche/v1/auth/login", methods{http.MethodPost: a.login})
	a.route(r, "/api/ruche/v1/auth/logout", methods{http.MethodPost: a.logout})
	a.route(r, "/api/ruche/v1/me", methods{http.MethodGet: a.me, http.MethodPatch: a.updateMe})
	a.route(r, "/api/ruche/v1/accounts", methods{http.MethodPost: a.register})
	a.mountSpaces(r)
	a.mountEvents(r)
	a.mountFAQ(r)
	a.mountDocuments(r)
	a.mountWiki(r)
	r.PathPrefix("/api/ruche/").Handler(a.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errRoute(http.StatusNotFound, "not_found", "no such API endpoint")
	}))
}

// methods maps HTTP methods to the handlers of one path.
type methods map[string]handlerFunc

// route serves path with one handler per method, after resolving the session.
// It dispatches methods itself: gorilla/mux cannot tell a wrong method from a
// wrong path once routes share a prefix, and a client deserves a 405 with Allow.
func (a *API) route(r *mux.Router, path string, ms methods) {
	allowed := make([]string, 0, len(ms))
	for m := range ms {
		allowed = append(allowed, m)
	}
	slices.Sort(allowed)
	r.Handle(path, a.authenticate(a.handle(func(w http.ResponseWriter, r *http.Request) error {
		h, ok := ms[r.Method]
		if !ok {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			return errRoute(http.StatusMethodNotAllowed, "method_not_allowed", "this endpoint does not take "+r.Method)
		}
		return h(w, r)
	})))
}

// handlerFunc is an API handler: it writes a success, or returns an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// requestError is an error of the request itself (not of the domain), already
// carrying its status.
type requestError struct {
	status        int
	code, message string
}

func (e *requestError) Error() string { return e.code + ": " + e.message }

func errRoute(status int, code, message string) error {
	return &requestError{status: status, code: code, message: message}
}

var statusOfKind = map[spaces.Kind]int{
	spaces.KindInternal:     http.StatusInternalServerError,
	spaces.KindInvalid:      http.StatusUnprocessableEntity,
	spaces.KindUnauthorized: http.StatusUnauthorized,
	spaces.KindForbidden:    http.StatusForbidden,
	spaces.KindNotFound:     http.StatusNotFound,
	spaces.KindConflict:     http.StatusConflict,
	spaces.KindRateLimited:  http.StatusTooManyRequests,
	spaces.KindGone:         http.StatusGone,
	spaces.KindUnavailable:  http.StatusServiceUnavailable,
}

// errorBody is every API error: a stable code, a message for people, and the
// input field at fault when there is one.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError maps an error to its status and JSON body. Internal causes are
// logged with the request id and never sent.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var re *requestError
	if errors.As(err, &re) {
		writeJSON(w, re.status, errorBody{Error: re.code, Message: re.message})
		return
	}
	de := spaces.AsError(err)
	status := statusOfKind[de.Kind]
	if status >= 500 {
		httpx.Logger(r.Context()).Error("api error", "err", err)
	}
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter.Seconds())+1))
	}
	writeJSON(w, status, errorBody{Error: de.Code, Message: de.Message, Field: inputField(de.Field)})
}

// inputField is the JSON name of a domain input field: the API takes a
// content warning under Mastodon's name.
func inputField(domain string) string {
	if domain == "content_warning" {
		return "spoiler_text"
	}
	return domain
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// decode reads a JSON object of at most maxBody bytes into v, refusing other
// media types, malformed JSON, unknown fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimit(w, r, v, maxBody)
}

// decodeLimit is decode with another bound, for the bodies that carry long
// texts (articles in several languages).
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errRoute(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return errRoute(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body must be at most %d bytes", limit))
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return errRoute(http.StatusBadRequest, "unknown_field", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errRoute(http.StatusBadRequest, "invalid_json", "the body is not a valid JSON object: "+err.Error())
}

type ctxKey int

const keyAuth ctxKey = iota

type auth struct {
	account *spaces.Account
	session *spaces.Session
}

// authenticate resolves the session cookie, if any, before the handlers run. A
// bad or expired cookie makes the request anonymous; handlers that need a
// member answer 401.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := httpx.SessionToken(r)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		acct, sess, err := a.spaces.Authenticate(r.Context(), token)
		switch {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), keyAuth, auth{acct, sess}))
		case spaces.KindOf(err) == spaces.KindUnauthorized:
			httpx.ClearSession(w, a.secure)
		default:
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// viewer returns the signed-in member and session, or a 401 error.
func viewer(r *http.Request) (*spaces.Account, *spaces.Session, error) {
	if au, ok := r.Context().Value(keyAuth).(auth); ok {
		return au.account, au.session, nil
	}
	return nil, nil, &spaces.Error{Kind: spaces.KindUnauthorized, Code: "unauthenticated", Message: "sign in first"}
}
