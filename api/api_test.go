package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, c *http.Client, method, url, contentType, body string) response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
		}
	}
	return out
}

func post(t *testing.T, c *http.Client, url, body string) response {
	return call(t, c, http.MethodPost, url, "application/json", body)
}

func want(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.body["error"] != code) {
		t.Fatalf("got %d %v, want %d %s", r.status, r.body, status, code)
	}
	if status >= 400 && (r.body["message"] == nil || r.body["message"] == "") {
		t.Fatalf("error without a message: %v", r.body)
	}
}

func TestLoginLogoutMe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		c := n.Client(t)

		want(t, call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", ""), 401, "unauthenticated")
		want(t, post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"alice","password":"nope nope nope"}`), 401, "invalid_credentials")
		want(t, post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"ghost","password":"nope nope nope"}`), 401, "invalid_credentials")

		r := post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"alice","password":"`+nodetest.Password+`"}`)
		want(t, r, 200, "")
		cookie := r.header.Get("Set-Cookie")
		for _, attr := range []string{"ruche_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("cookie marked Secure on an http node: %q", cookie)
		}
		if _, ok := r.body["password_hash"]; ok {
			t.Fatal("the API leaks the password hash")
		}
		me := call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", "")
		want(t, me, 200, "")
		if me.body["username"] != "alice" || me.body["email"] != "alice@example.org" || me.body["role"] != "member" {
			t.Fatalf("me: %v", me.body)
		}
		want(t, post(t, c, n.URL+"/api/ruche/v1/auth/logout", ``), 204, "")
		want(t, call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", ""), 401, "unauthenticated")
	})
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	// The node believes it is served over HTTPS behind a proxy, from its
	// first start: a node's public_url never changes.
	https := nodetest.New(t, db.SQLite, func(c *config.Config, _ *node.Options) { c.PublicURL = "https://ville-a.example" })
	https.Member(t, "alice", spaces.RoleMember)
	req, _ := http.NewRequest("POST", "/api/ruche/v1/auth/login", strings.NewReader(`{"username":"alice","password":"`+nodetest.Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	https.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Set-Cookie"), "Secure") {
		t.Fatalf("https node: status %d, cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
}

func TestLoginThrottledWithRetryAfter(t *testing.T) {
	n := nodetest.New(t, db.SQLite)
	n.Member(t, "alice", spaces.RoleMember)
	c := n.Client(t)
	for range 5 {
		want(t, post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"alice","password":"wrong wrong wrong"}`), 401, "invalid_credentials")
	}
	r := post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"alice","password":"`+nodetest.Password+`"}`)
	want(t, r, 429, "too_many_attempts")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestRegistration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		_, token, err := n.Spaces.CreateInvitation(t.Context(), spaces.Console, spaces.NewInvitation{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		c := n.Client(t)
		reg := func(username, invite string) response {
			return post(t, c, n.URL+"/api/ruche/v1/accounts", fmt.Sprintf(
				`{"username":%q,"email":"%s@example.org","password":"a long passphrase","invite":%q,"locale":"en"}`, username, username, invite))
		}
		want(t, reg("carol", ""), 422, "invite_required")
		want(t, reg("carol", "bogus"), 422, "invite_invalid")
		r := reg("carol", token)
		want(t, r, 201, "")
		if r.body["username"] != "carol" || r.body["locale"] != "en" || r.body["role"] != "member" {
			t.Fatalf("registered: %v", r.body)
		}
		want(t, call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", ""), 200, "") // signed in at once
		want(t, reg("dave", token), 422, "invite_used")
		want(t, reg("admin", token), 422, "username_reserved")

		_, token2, _ := n.Spaces.CreateInvitation(t.Context(), spaces.Console, spaces.NewInvitation{MaxUses: 5})
		want(t, reg("CAROL", token2), 409, "username_taken")
		r = post(t, c, n.URL+"/api/ruche/v1/accounts", `{"username":"erin","email":"erin@example.org","password":"short","invite":"`+token2+`"}`)
		want(t, r, 422, "password_too_short")
		if r.body["field"] != "password" {
			t.Fatalf("the error must name the field: %v", r.body)
		}
		want(t, post(t, c, n.URL+"/api/ruche/v1/accounts", `{"username":"erin","email":"erin@example.org","password":"","invite":"`+token2+`"}`), 422, "password_required")
	})
}

func TestMalformedRequests(t *testing.T) {
	n := nodetest.New(t, db.SQLite)
	c := n.Client(t)
	login := n.URL + "/api/ruche/v1/auth/login"
	want(t, post(t, c, login, `{"username":`), 400, "invalid_json")
	want(t, post(t, c, login, `["alice"]`), 400, "invalid_json")
	want(t, post(t, c, login, `{"username":"a","password":"b"} {"again":1}`), 400, "invalid_json")
	want(t, post(t, c, login, `{"username":"a","pasword":"b"}`), 400, "unknown_field")
	want(t, post(t, c, login, `{"username":"`+strings.Repeat("a", 70<<10)+`"}`), 413, "body_too_large")
	want(t, call(t, c, "POST", login, "text/plain", `{"username":"a"}`), 415, "unsupported_media_type")
	want(t, call(t, c, "GET", login, "", ""), 405, "method_not_allowed")
	want(t, call(t, c, "GET", n.URL+"/api/ruche/v1/nothing-here", "", ""), 404, "not_found")
	want(t, call(t, c, "GET", n.URL+"/api/ruche/", "", ""), 404, "not_found")
	n.Member(t, "alice", spaces.RoleMember)
	r := call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", "")
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("no request id")
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	n := nodetest.New(t, db.SQLite)
	n.Member(t, "alice", spaces.RoleMember)
	req, _ := http.NewRequest("POST", n.URL+"/api/ruche/v1/auth/login", strings.NewReader(`{"username":"alice","password":"`+nodetest.Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a cross-site POST must be refused, got %d", res.StatusCode)
	}
}

// TestUpdateMe: a member edits their profile and avatar through the API; bad
// fields change nothing.
func TestUpdateMe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		want(t, call(t, n.Client(t), "PATCH", n.URL+"/api/ruche/v1/me", "application/json", `{"bio":"x"}`), 401, "unauthenticated")
		c := signIn(t, n, "alice")
		img := upload(t, c, n.URL, "me.png", strings.NewReader("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"))
		want(t, img, 201, "")
		id := img.body["id"].(string)

		r := call(t, c, "PATCH", n.URL+"/api/ruche/v1/me", "application/json",
			`{"display_name":"Alice M.","bio":"Cantines","locale":"de","avatar_id":"`+id+`"}`)
		want(t, r, 200, "")
		if r.body["display_name"] != "Alice M." || r.body["locale"] != "de" || r.body["avatar"] != "/api/ruche/v1/media/"+id {
			t.Fatalf("updated: %v", r.body)
		}
		if status, _ := raw(t, n.Client(t), "GET", n.URL+"/api/ruche/v1/media/"+id, "", nil); status != 200 {
			t.Fatalf("an anonymous visitor gets the avatar: %d", status)
		}
		want(t, call(t, c, "PATCH", n.URL+"/api/ruche/v1/me", "application/json", `{"locale":"xx","bio":"changed"}`), 422, "locale_invalid")
		want(t, call(t, c, "PATCH", n.URL+"/api/ruche/v1/me", "application/json", `{"avatar_id":"nope"}`), 422, "image_invalid")
		want(t, call(t, c, "PATCH", n.URL+"/api/ruche/v1/me", "application/json", `{"email":"x@example.org"}`), 400, "unknown_field")
		r = call(t, c, "GET", n.URL+"/api/ruche/v1/me", "", "")
		if r.body["bio"] != "Cantines" || r.body["locale"] != "de" || r.body["avatar_id"] != id {
			t.Fatalf("a refused change changed the profile: %v", r.body)
		}
	})
}
