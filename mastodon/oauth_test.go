package mastodon_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// response is an answer as a test reads it.
type response struct {
	status int
	header http.Header
	body   map[string]any
}

// do sends a request; body is a form (url.Values), JSON (a string starting
// with "{") or nothing.
func do(t *testing.T, method, u string, body any, header http.Header) response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %q", method, u, raw)
		}
	}
	return out
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func wantStatus(t *testing.T, r response, status int, oauthError string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d %v, want %d", r.status, r.body, status)
	}
	if oauthError != "" && (r.body["error"] != oauthError || r.body["error_description"] == "") {
		t.Fatalf("error %v, want %s with a description", r.body, oauthError)
	}
}

const callback = "http://127.0.0.1:9999/callback"

// app is a registered app as the tests use it.
type app struct{ id, secret string }

func register(t *testing.T, n *nodetest.Node, scopes string) app {
	t.Helper()
	r := do(t, "POST", n.URL+"/api/v1/apps", url.Values{
		"client_name": {"Test app"}, "redirect_uris": {callback + "\n" + spaces.OutOfBand}, "scopes": {scopes},
	}, nil)
	wantStatus(t, r, 200, "")
	return app{id: r.body["client_id"].(string), secret: r.body["client_secret"].(string)}
}

// code has alice consent to the app, as the consent page would.
func code(t *testing.T, n *nodetest.Node, member *spaces.Account, a app, scope, challenge string) string {
	t.Helper()
	req := spaces.AuthorizationRequest{ResponseType: "code", ClientID: a.id, RedirectURI: callback, Scope: scope}
	if challenge != "" {
		req.CodeChallenge, req.CodeChallengeMethod = challenge, "S256"
	}
	c, err := n.Spaces.Authorize(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "a-verifier-of-at-least-forty-three-characters-0123456789"

func TestRegisterApp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())

		r := do(t, "POST", n.URL+"/api/v1/apps", url.Values{
			"client_name": {"Tusky"}, "redirect_uris": {"tusky://oauth  " + spaces.OutOfBand},
			"scopes": {"read write follow"}, "website": {"https://tusky.app"},
		}, nil)
		wantStatus(t, r, 200, "")
		for k, v := range map[string]any{
			"name": "Tusky", "website": "https://tusky.app", "redirect_uri": "tusky://oauth\n" + spaces.OutOfBand,
			"client_secret_expires_at": 0.0, "vapid_key": "",
		} {
			if r.body[k] != v {
				t.Errorf("%s = %#v, want %#v", k, r.body[k], v)
			}
		}
		if got := r.body["redirect_uris"].([]any); len(got) != 2 || got[0] != "tusky://oauth" {
			t.Errorf("redirect_uris = %v", got)
		}
		if got := r.body["scopes"].([]any); len(got) != 3 {
			t.Errorf("scopes = %v", got)
		}
		for _, k := range []string{"id", "client_id", "client_secret"} {
			if s, _ := r.body[k].(string); s == "" {
				t.Errorf("%s is empty: %v", k, r.body)
			}
		}

		// JSON, with an array of addresses.
		r = do(t, "POST", n.URL+"/api/v1/apps", `{"client_name":"Elk","redirect_uris":["https://elk.zone/cb","https://elk.zone/cb2"],"scopes":"read"}`, nil)
		wantStatus(t, r, 200, "")
		if got := r.body["redirect_uris"].([]any); len(got) != 2 || r.body["website"] != nil {
			t.Errorf("JSON app: %v", r.body)
		}

		// Mastodon's 422 for what the domain refuses.
		for _, form := range []url.Values{
			{"client_name": {""}, "redirect_uris": {callback}},
			{"client_name": {"x"}},
			{"client_name": {"x"}, "redirect_uris": {"/relative"}},
			{"client_name": {"x"}, "redirect_uris": {callback}, "scopes": {"admin:read"}},
		} {
			r := do(t, "POST", n.URL+"/api/v1/apps", form, nil)
			if r.status != 422 || !strings.HasPrefix(r.body["error"].(string), "Validation failed") {
				t.Errorf("%v: %d %v, want 422", form, r.status, r.body)
			}
		}
	})
}

func TestVerifyAppCredentials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		a := register(t, n, "read write")

		wantStatus(t, do(t, "GET", n.URL+"/api/v1/apps/verify_credentials", nil, nil), 401, "")
		wantStatus(t, do(t, "GET", n.URL+"/api/v1/apps/verify_credentials", nil, bearer("nope")), 401, "")

		tok := do(t, "POST", n.URL+"/oauth/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}, "scope": {"read"},
		}, nil)
		wantStatus(t, tok, 200, "")
		r := do(t, "GET", n.URL+"/api/v1/apps/verify_credentials", nil, bearer(tok.body["access_token"].(string)))
		wantStatus(t, r, 200, "")
		if r.body["name"] != "Test app" || r.body["client_secret"] != nil {
			t.Errorf("verify_credentials = %v, want the app without its secret", r.body)
		}
	})
}

func TestTokenGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		alice := n.Member(t, "alice", spaces.RoleMember)
		a := register(t, n, "read write")
		tokenURL := n.URL + "/oauth/token"
		verify := func(token string) int {
			return do(t, "GET", n.URL+"/api/v1/apps/verify_credentials", nil, bearer(token)).status
		}

		// authorization_code with PKCE and no secret, as a public client.
		c := code(t, n, alice, a, "read", s256(verifier))
		r := do(t, "POST", tokenURL, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {a.id}, "code": {c},
			"redirect_uri": {callback}, "code_verifier": {verifier},
		}, nil)
		wantStatus(t, r, 200, "")
		if r.body["token_type"] != "Bearer" || r.body["scope"] != "read" || r.body["refresh_token"] == nil || r.body["created_at"].(float64) < 1e9 {
			t.Fatalf("token = %v", r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
		}
		access, refresh := r.body["access_token"].(string), r.body["refresh_token"].(string)
		if verify(access) != 200 {
			t.Fatal("the access token does not work")
		}

		// The code is used up.
		wantStatus(t, do(t, "POST", tokenURL, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {a.id}, "code": {c},
			"redirect_uri": {callback}, "code_verifier": {verifier},
		}, nil), 400, "invalid_grant")

		// A wrong verifier, as JSON.
		c = code(t, n, alice, a, "read", s256(verifier))
		wantStatus(t, do(t, "POST", tokenURL, `{"grant_type":"authorization_code","client_id":"`+a.id+`","code":"`+c+`","code_verifier":"`+strings.Repeat("x", 50)+`"}`, nil), 400, "invalid_grant")

		// Without PKCE, the secret is needed: in the body, or with HTTP Basic.
		c = code(t, n, alice, a, "write", "")
		wantStatus(t, do(t, "POST", tokenURL, url.Values{"grant_type": {"authorization_code"}, "client_id": {a.id}, "code": {c}}, nil), 401, "invalid_client")
		c = code(t, n, alice, a, "write", "")
		basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(a.id)+":"+url.QueryEscape(a.secret)))}}
		r = do(t, "POST", tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}}, basic)
		wantStatus(t, r, 200, "")
		if r.body["scope"] != "write" {
			t.Errorf("scope = %v", r.body["scope"])
		}

		// A wrong secret: 401, with a challenge when Basic was used.
		wrong := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {"wrong"}}
		r = do(t, "POST", tokenURL, wrong, nil)
		wantStatus(t, r, 401, "invalid_client")
		if r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("a challenge without Basic: %q", r.header.Get("WWW-Authenticate"))
		}
		badBasic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(a.id+":wrong"))}}
		r = do(t, "POST", tokenURL, url.Values{"grant_type": {"client_credentials"}}, badBasic)
		wantStatus(t, r, 401, "invalid_client")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
		}
		wantStatus(t, do(t, "POST", tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {"unknown"}, "client_secret": {"x"}}, nil), 401, "invalid_client")

		// refresh_token: the new token works, the old one and the old refresh token do not.
		refreshForm := url.Values{"grant_type": {"refresh_token"}, "client_id": {a.id}, "client_secret": {a.secret}, "refresh_token": {refresh}}
		r = do(t, "POST", tokenURL, refreshForm, nil)
		wantStatus(t, r, 200, "")
		if r.body["access_token"] == access || r.body["refresh_token"] == refresh || r.body["scope"] != "read" {
			t.Fatalf("refreshed token = %v", r.body)
		}
		if verify(r.body["access_token"].(string)) != 200 || verify(access) != 401 {
			t.Error("after a refresh, the new token must work and the old one fail")
		}
		wantStatus(t, do(t, "POST", tokenURL, refreshForm, nil), 400, "invalid_grant")

		// client_credentials: an app's own token, without refresh token.
		r = do(t, "POST", tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}}, nil)
		wantStatus(t, r, 200, "")
		if r.body["refresh_token"] != nil || r.body["scope"] != "read" {
			t.Errorf("client_credentials token = %v", r.body)
		}
		wantStatus(t, do(t, "POST", tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}, "scope": {"follow"}}, nil), 400, "invalid_scope")

		wantStatus(t, do(t, "POST", tokenURL, url.Values{"grant_type": {"password"}, "client_id": {a.id}, "client_secret": {a.secret}}, nil), 400, "unsupported_grant_type")
	})
}

func TestRevokeToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		alice := n.Member(t, "alice", spaces.RoleMember)
		a := register(t, n, "read")
		r := do(t, "POST", n.URL+"/oauth/token", url.Values{
			"grant_type": {"authorization_code"}, "client_id": {a.id}, "client_secret": {a.secret},
			"code": {code(t, n, alice, a, "read", "")}, "redirect_uri": {callback},
		}, nil)
		wantStatus(t, r, 200, "")
		access := r.body["access_token"].(string)
		verifyURL := n.URL + "/api/v1/apps/verify_credentials"
		wantStatus(t, do(t, "GET", verifyURL, nil, bearer(access)), 200, "")

		// Another app's secret is refused; an unknown token is not an error.
		other := register(t, n, "read")
		wantStatus(t, do(t, "POST", n.URL+"/oauth/revoke", url.Values{"client_id": {a.id}, "client_secret": {other.secret}, "token": {access}}, nil), 401, "invalid_client")
		wantStatus(t, do(t, "POST", n.URL+"/oauth/revoke", url.Values{"client_id": {other.id}, "client_secret": {other.secret}, "token": {access}}, nil), 200, "")
		wantStatus(t, do(t, "GET", verifyURL, nil, bearer(access)), 200, "")

		r = do(t, "POST", n.URL+"/oauth/revoke", url.Values{"client_id": {a.id}, "client_secret": {a.secret}, "token": {access}}, nil)
		wantStatus(t, r, 200, "")
		if len(r.body) != 0 {
			t.Errorf("revoke answered %v, want {}", r.body)
		}
		wantStatus(t, do(t, "GET", verifyURL, nil, bearer(access)), 401, "")
		wantStatus(t, do(t, "POST", n.URL+"/oauth/revoke", url.Values{"client_id": {a.id}, "client_secret": {a.secret}, "token": {access}}, nil), 200, "")
	})
}

func TestServerMetadata(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		r := do(t, "GET", n.URL+"/.well-known/oauth-authorization-server", nil, nil)
		wantStatus(t, r, 200, "")
		for k, v := range map[string]string{
			"issuer": n.URL + "/", "authorization_endpoint": n.URL + "/oauth/authorize", "token_endpoint": n.URL + "/oauth/token",
			"revocation_endpoint": n.URL + "/oauth/revoke", "app_registration_endpoint": n.URL + "/api/v1/apps",
		} {
			if r.body[k] != v {
				t.Errorf("%s = %v, want %s", k, r.body[k], v)
			}
		}
		list := func(k string) []string {
			var out []string
			for _, x := range r.body[k].([]any) {
				out = append(out, x.(string))
			}
			return out
		}
		if got := list("code_challenge_methods_supported"); !slices.Equal(got, []string{"S256"}) {
			t.Errorf("code_challenge_methods_supported = %v", got)
		}
		if got := list("scopes_supported"); !slices.Contains(got, "read:statuses") || slices.Contains(got, "admin:read") {
			t.Errorf("scopes_supported = %v", got)
		}
		if got := list("grant_types_supported"); len(got) != 3 {
			t.Errorf("grant_types_supported = %v", got)
		}
		for _, k := range []string{"response_types_supported", "response_modes_supported", "token_endpoint_auth_methods_supported"} {
			if len(list(k)) == 0 {
				t.Errorf("%s is empty", k)
			}
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("the metadata must be open to web apps of other origins")
		}
	})
}
