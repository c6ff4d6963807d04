package mastodon

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// The OAuth 2 side of the API: apps register at /api/v1/apps, a member
// consents at /oauth/authorize (a page of the web door), and the app trades
// the code for a token at /oauth/token. The rules (redirect addresses,
// scopes, PKCE, one-use codes) are the spaces package's; these handlers only
// read parameters and write Mastodon's and RFC 6749's shapes.

// mountOAuth adds the app registration, token, revocation and metadata
// endpoints.
func (m *API) mountOAuth(r *mux.Router) {
	m.route(r, http.MethodPost, "/api/v1/apps", public, m.createApp)
	m.route(r, http.MethodGet, "/api/v1/apps/verify_credentials", anyToken, m.verifyApp)
	r.Handle("/oauth/token", oauthHandler(m.token)).Methods(http.MethodPost)
	r.Handle("/oauth/revoke", oauthHandler(m.revoke)).Methods(http.MethodPost)
	m.route(r, http.MethodGet, "/.well-known/oauth-authorization-server", public, m.serverMetadata)
}

// application is Mastodon's Application entity. The secret is shown once,
// when the app registers.
type application struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Website               *string  `json:"website"`
	Scopes                []string `json:"scopes"`
	RedirectURI           string   `json:"redirect_uri"`
	RedirectURIs          []string `json:"redirect_uris"`
	ClientID              string   `json:"client_id,omitempty"`
	ClientSecret          string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt *int     `json:"client_secret_expires_at,omitempty"`
	VapidKey              string   `json:"vapid_key"`
}

func applicationOf(app *spaces.OAuthApp) application {
	out := application{
		ID: app.ID, Name: app.Name, Scopes: spaces.AppScopes(app),
		RedirectURI: app.RedirectURIs, RedirectURIs: spaces.AppRedirectURIs(app),
		ClientID: app.ClientID,
	}
	if app.Website != "" {
		out.Website = &app.Website
	}
	return out
}

// createApp: POST /api/v1/apps. redirect_uris is a string of addresses
// separated by spaces or new lines, or an array.
func (m *API) createApp(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	redirects := p["redirect_uris[]"]
	if len(redirects) == 0 {
		redirects = strings.Fields(strings.Join(p["redirect_uris"], " "))
	}
	scopes := p.get("scopes")
	if list := p["scopes[]"]; len(list) > 0 {
		scopes = strings.Join(list, " ")
	}
	app, secret, err := m.spaces.RegisterApp(r.Context(), spaces.NewApp{
		Name: p.get("client_name"), Website: p.get("website"), RedirectURIs: redirects, Scopes: scopes,
	})
	if err != nil {
		return err
	}
	out := applicationOf(app)
	out.ClientSecret = secret
	out.ClientSecretExpiresAt = new(int)
	writeJSON(w, out)
	return nil
}

// verifyApp: GET /api/v1/apps/verify_credentials — the app of the token.
func (m *API) verifyApp(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, applicationOf(callerOf(r).grant.App))
	return nil
}

// oauthError is an error as RFC 6749 writes it (section 5.2).
type oauthError struct {
	status      int
	code        string
	description string
	basic       bool // the client authenticated with HTTP Basic: 401 carries a challenge
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

// oauthCodes are the domain's codes RFC 6749 knows; any other invalid
// input is an invalid_request.
var oauthCodes = map[string]string{
	"invalid_client":         "invalid_client",
	"invalid_grant":          "invalid_grant",
	"invalid_scope":          "invalid_scope",
	"invalid_request":        "invalid_request",
	"unsupported_grant_type": "unsupported_grant_type",
	"invalid_redirect_uri":   "invalid_grant", // the code was issued for another address
	"account_suspended":      "invalid_grant", // the member's consent no longer stands
}

// oauthErrorOf turns a domain error into RFC 6749's.
func oauthErrorOf(err error, basic bool) *oauthError {
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe
	}
	var se *statusError
	if errors.As(err, &se) {
		return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: se.message}
	}
	de := spaces.AsError(err)
	if de.Kind == spaces.KindInternal {
		return &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "the server met an unexpected error"}
	}
	code := oauthCodes[de.Code]
	if code == "" {
		code = "invalid_request"
	}
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	return &oauthError{status: status, code: code, description: de.Message, basic: basic}
}

// oauthHandler serves an endpoint of RFC 6749, whose errors have their own
// shape; the answers are never cached.
func oauthHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		err := h(w, r)
		if err == nil {
			return
		}
		oe := oauthErrorOf(err, false)
		if oe.status >= 500 {
			httpx.Logger(r.Context()).Error("oauth error", "err", err)
		}
		if oe.status == http.StatusUnauthorized && oe.basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="ruche"`)
		}
		httpx.WriteJSON(w, oe.status, map[string]string{"error": oe.code, "error_description": oe.description})
	})
}

// clientOf reads the client's credentials from HTTP Basic (their parts
// form-encoded, RFC 6749 section 2.3.1) or the body. It tells whether Basic
// was used.
func clientOf(r *http.Request, p params) (id, secret string, basic bool, err error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return p.get("client_id"), p.get("client_secret"), false, nil
	}
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil {
		return "", "", true, &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "malformed client credentials", basic: true}
	}
	if (p.get("client_id") != "" && p.get("client_id") != id) || p.get("client_secret") != "" {
		return "", "", true, &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: "send the client's credentials once, in the Authorization header or in the body"}
	}
	return id, secret, true, nil
}

// tokenResponse is RFC 6749's token, with Mastodon's created_at.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// token: POST /oauth/token — the authorization_code, refresh_token and
// client_credentials grants.
func (m *API) token(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	id, secret, basic, err := clientOf(r, p)
	if err != nil {
		return err
	}
	t, err := m.spaces.IssueToken(r.Context(), spaces.TokenRequest{
		GrantType: p.get("grant_type"), ClientID: id, ClientSecret: secret,
		Code: p.get("code"), RedirectURI: p.get("redirect_uri"), CodeVerifier: p.get("code_verifier"),
		RefreshToken: p.get("refresh_token"), Scope: p.get("scope"),
	})
	if err != nil {
		return oauthErrorOf(err, basic)
	}
	writeJSON(w, tokenResponse{
		AccessToken: t.AccessToken, TokenType: "Bearer", Scope: t.Scopes.String(),
		CreatedAt: t.CreatedAt.Unix(), RefreshToken: t.RefreshToken,
	})
	return nil
}

// revoke: POST /oauth/revoke — RFC 7009: 200 whether or not the token
// existed.
func (m *API) revoke(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	id, secret, basic, err := clientOf(r, p)
	if err != nil {
		return err
	}
	if err := m.spaces.RevokeToken(r.Context(), id, secret, p.get("token")); err != nil {
		return oauthErrorOf(err, basic)
	}
	writeJSON(w, struct{}{})
	return nil
}

// serverMetadata: GET /.well-known/oauth-authorization-server (RFC 8414),
// which apps read to find the endpoints and what the node supports.
func (m *API) serverMetadata(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, map[string]any{
		"issuer":                                m.origin + "/",
		"authorization_endpoint":                m.origin + "/oauth/authorize",
		"token_endpoint":                        m.origin + "/oauth/token",
		"revocation_endpoint":                   m.origin + "/oauth/revoke",
		"app_registration_endpoint":             m.origin + "/api/v1/apps",
		"scopes_supported":                      spaces.SupportedScopes(),
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"service_documentation":                 "https://docs.joinmastodon.org/",
	})
	return nil
}
