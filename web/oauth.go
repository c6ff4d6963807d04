package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ruche-social/ruche/spaces"
)

// The consent page of OAuth 2: an app of the Mastodon client API sends the
// member here (/oauth/authorize) to ask for a token. The member signs in on
// the node's own page if needed, reads what the app asks in plain words and
// authorizes or denies; the app gets a code at its redirect address, or the
// member copies it from the page (OutOfBand). The token endpoint is the
// mastodon package's.

// oauthParams are the parameters of an authorization request, which the
// consent form posts back.
var oauthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "code_challenge", "code_challenge_method", "state"}

func authorizationOf(v url.Values) spaces.AuthorizationRequest {
	return spaces.AuthorizationRequest{
		ResponseType: v.Get("response_type"), ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"),
		Scope: v.Get("scope"), CodeChallenge: v.Get("code_challenge"), CodeChallengeMethod: v.Get("code_challenge_method"),
	}
}

// redirectOf is where the answer goes: the address asked, or the app's only one.
func redirectOf(app *spaces.OAuthApp, req spaces.AuthorizationRequest) string {
	if req.RedirectURI != "" {
		return req.RedirectURI
	}
	return spaces.AppRedirectURIs(app)[0]
}

type scopeView struct{ Name, Key string }

type authorizeView struct {
	App    *spaces.OAuthApp
	Scopes []scopeView
	Params [][2]string // the request, posted back by the form
	Code   string      // the code to copy, for an app without a redirect
	Denied bool        // the member denied an app without a redirect
}

// scopeKey is the catalogue key describing a scope: read:statuses is
// oauth.scope.read_statuses.
func scopeKey(s string) string { return "oauth.scope." + strings.ReplaceAll(s, ":", "_") }

// authorizeForm: GET /oauth/authorize — the consent page. A request that is
// not valid (unknown app, address it did not register) gets an error page
// and never a redirect: the address cannot be trusted.
func (w *Web) authorizeForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	req := authorizationOf(q)
	app, scopes, err := w.spaces.CheckAuthorization(r.Context(), req)
	if err != nil {
		return oauthPageError(err)
	}
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	view := authorizeView{App: app}
	for _, s := range scopes {
		view.Scopes = append(view.Scopes, scopeView{Name: s, Key: scopeKey(s)})
	}
	for _, k := range oauthParams {
		if v := q.Get(k); v != "" {
			view.Params = append(view.Params, [2]string{k, v})
		}
	}
	allowFormAction(rw, redirectOf(app, req))
	w.render(rw, r, rq, http.StatusOK, "oauth_authorize", rq.cat.T("oauth.authorize.title", "app", app.Name), view)
	return nil
}

// authorize: POST /oauth/authorize — the member's answer. The request is
// checked again: the form is the member's, its fields are the app's.
func (w *Web) authorize(rw http.ResponseWriter, r *http.Request, rq *request) error {
	req := authorizationOf(r.PostForm)
	app, _, err := w.spaces.CheckAuthorization(r.Context(), req)
	if err != nil {
		return oauthPageError(err)
	}
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	to := redirectOf(app, req)
	state := r.PostForm.Get("state")
	if r.PostForm.Get("decision") != "authorize" {
		if to == spaces.OutOfBand {
			w.render(rw, r, rq, http.StatusOK, "oauth_authorize", rq.cat.T("oauth.denied.title"), authorizeView{App: app, Denied: true})
			return nil
		}
		return redirectBack(rw, r, to, url.Values{"error": {"access_denied"}}, state)
	}
	code, err := w.spaces.Authorize(r.Context(), rq.viewer, req)
	if err != nil {
		return oauthPageError(err)
	}
	if to == spaces.OutOfBand {
		w.render(rw, r, rq, http.StatusOK, "oauth_authorize", rq.cat.T("oauth.code.title"), authorizeView{App: app, Code: code})
		return nil
	}
	return redirectBack(rw, r, to, url.Values{"code": {code}}, state)
}

// redirectBack sends the browser to the app's address with the answer (and
// the app's state) added to the address's own query.
func redirectBack(rw http.ResponseWriter, r *http.Request, to string, answer url.Values, state string) error {
	u, err := url.Parse(to)
	if err != nil {
		return err // the domain accepted it: not expected
	}
	q := u.Query()
	for k, v := range answer {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(rw, r, u.String(), http.StatusSeeOther)
	return nil
}

// oauthPageError shows an invalid request as a page: an unknown app is a
// bad request here, not a reason to sign in.
func oauthPageError(err error) error {
	de := spaces.AsError(err)
	if de.Kind != spaces.KindUnauthorized && de.Kind != spaces.KindInvalid {
		return err
	}
	key := "error." + de.Code
	if de.Code == "" {
		key = "error.invalid_request"
	}
	return &pageError{status: http.StatusBadRequest, key: key, cause: err}
}

// cspSource is what a Content-Security-Policy source may be, without
// anything that would end it or start another directive.
var cspSource = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:(//[a-zA-Z0-9.\-\[\]:]+)?$`)

// allowFormAction lets the consent form lead to the app's address: browsers
// hold a form's redirects to the page's form-action, so the app's origin (or
// scheme, for tusky://oauth) is added to 'self'.
func allowFormAction(rw http.ResponseWriter, to string) {
	if to == spaces.OutOfBand {
		return
	}
	u, err := url.Parse(to)
	if err != nil {
		return
	}
	src := u.Scheme + ":"
	if u.Scheme == "http" || u.Scheme == "https" {
		src += "//" + u.Host
	}
	if !cspSource.MatchString(src) {
		return
	}
	csp := strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+src, 1)
	rw.Header().Set("Content-Security-Policy", csp)
}

// revokeApp: POST /settings/apps — withdraw an app's access (a lost phone).
func (w *Web) revokeApp(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	if err := w.spaces.RevokeApp(r.Context(), rq.viewer, r.PostForm.Get("grant")); err != nil {
		return err
	}
	w.setFlash(rw, "flash.app_revoked")
	return redirect(rw, r, "/settings/sessions")
}
