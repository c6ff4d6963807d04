package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

const oauthCallback = "http://127.0.0.1:9999/callback"

const pkceVerifier = "a-verifier-of-at-least-forty-three-characters-0123456789"

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// oauthApp registers an app as /api/v1/apps would.
func oauthApp(t *testing.T, n *nodetest.Node, redirects ...string) (*spaces.OAuthApp, string) {
	t.Helper()
	app, secret, err := n.Spaces.RegisterApp(context.Background(), spaces.NewApp{
		Name: "Pocket Hive", Website: "https://pocket.example", RedirectURIs: redirects, Scopes: "read write follow",
	})
	if err != nil {
		t.Fatal(err)
	}
	return app, secret
}

// authorizeQuery is an app's request for read and write, with PKCE.
func authorizeQuery(app *spaces.OAuthApp, redirect string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect},
		"scope": {"read write"}, "state": {"st4te"},
		"code_challenge": {pkceChallenge(pkceVerifier)}, "code_challenge_method": {"S256"},
	}
}

func withDecision(q url.Values, decision string) url.Values {
	f := cloneValues(q)
	f.Set("decision", decision)
	return f
}

func exchange(t *testing.T, n *nodetest.Node, app *spaces.OAuthApp, code string) *spaces.IssuedToken {
	t.Helper()
	tok, err := n.Spaces.IssueToken(context.Background(), spaces.TokenRequest{
		GrantType: "authorization_code", ClientID: app.ClientID, Code: code, CodeVerifier: pkceVerifier,
	})
	if err != nil {
		t.Fatalf("exchange the code: %v", err)
	}
	return tok
}

func TestOAuthConsentPage(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := member(t, n, "alice", spaces.RoleMember)
		app, _ := oauthApp(t, n, oauthCallback)
		path := "/oauth/authorize?" + authorizeQuery(app, oauthCallback).Encode()

		for lang, words := range map[string][]string{
			"en": {"Allow Pocket Hive to use your account?", "@alice", "read everything your account can see", "publish, edit and delete", "Authorize", "Deny"},
			"fr": {"Autoriser Pocket Hive à utiliser votre compte", "lire tout ce que votre compte voit", "Autoriser", "Refuser"},
			"de": {"Pocket Hive Zugriff auf Ihr Konto erlauben?", "alles lesen, was Ihr Konto sieht", "Erlauben", "Ablehnen"},
		} {
			speaks(t, n, alice, lang)
			b := newBrowser(t, n, lang)
			b.signIn("alice", nodetest.Password)
			p := b.get(path)
			want(t, p, 200, append(words, `href="https://pocket.example"`, `name="csrf"`, `name="state" value="st4te"`)...)
			if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:9999;") {
				t.Errorf("the form cannot lead to the app: %s", csp)
			}
		}

		speaks(t, n, alice, "en")
		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		q := authorizeQuery(app, oauthCallback)

		// Deny: back to the app with access_denied and the state.
		p := b.post("/oauth/authorize", withDecision(q, "deny"))
		wantRedirect(t, p, oauthCallback+"?error=access_denied&state=st4te")

		// Authorize: back with a code that makes a token.
		p = b.post("/oauth/authorize", withDecision(q, "authorize"))
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, oauthCallback+"?") {
			t.Fatalf("authorize: %d %q", p.status, p.location)
		}
		back, _ := url.Parse(p.location)
		if back.Query().Get("state") != "st4te" || back.Query().Get("code") == "" {
			t.Fatalf("redirect %s lacks the code or the state", p.location)
		}
		if tok := exchange(t, n, app, back.Query().Get("code")); tok.Scopes.String() != "read write" {
			t.Errorf("scopes = %v", tok.Scopes)
		}

		// The form is CSRF-protected like every other.
		f := withDecision(q, "authorize")
		f.Set("csrf", "forged")
		want(t, b.post("/oauth/authorize", f), http.StatusForbidden)
	})
}

func TestOAuthOutOfBand(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		app, _ := oauthApp(t, n, spaces.OutOfBand)
		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		q := authorizeQuery(app, spaces.OutOfBand)

		p := b.get("/oauth/authorize?" + q.Encode())
		want(t, p, 200, "Authorize")
		if strings.Contains(p.header.Get("Content-Security-Policy"), "urn:") {
			t.Error("no form-action source for an app without a redirect")
		}
		p = b.post("/oauth/authorize", withDecision(q, "authorize"))
		want(t, p, 200, "Your authorization code", "Copy this code into Pocket Hive")
		m := regexp.MustCompile(`id="oauth-code">([A-Za-z0-9_-]+)<`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no code on the page: %s", excerpt(p.body))
		}
		exchange(t, n, app, m[1])

		want(t, b.post("/oauth/authorize", withDecision(q, "deny")), 200, "Access denied", "Pocket Hive was not given access")
	})
}

func TestOAuthInvalidRequestsShowAnError(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		app, _ := oauthApp(t, n, oauthCallback)
		b := newBrowser(t, n, "en")
		anon := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)

		evil := authorizeQuery(app, "https://evil.example/steal")
		unknown := authorizeQuery(app, oauthCallback)
		unknown.Set("client_id", "nope")
		badScope := authorizeQuery(app, oauthCallback)
		badScope.Set("scope", "push")
		for name, c := range map[string]struct {
			q    url.Values
			text string
		}{
			"redirect": {evil, "The app asked to return to an address it did not register."},
			"client":   {unknown, "Unknown app, or wrong app secret."},
			"scope":    {badScope, "The app asked for rights it did not register."},
		} {
			for who, br := range map[string]*browser{"member": b, "visitor": anon} {
				p := br.get("/oauth/authorize?" + c.q.Encode())
				if p.location != "" {
					t.Fatalf("%s, %s: redirected to %s", name, who, p.location)
				}
				want(t, p, http.StatusBadRequest, c.text)
			}
			p := b.post("/oauth/authorize", withDecision(c.q, "deny"))
			if p.location != "" {
				t.Fatalf("%s: a denial redirected to %s", name, p.location)
			}
			want(t, p, http.StatusBadRequest, c.text)
		}
	})
}

func TestOAuthSignInFirst(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := n.Member(t, "alice", spaces.RoleMember) // not onboarded yet: the app comes first
		if _, err := n.Spaces.UpdateProfile(context.Background(), alice, spaces.ProfileUpdate{Locale: ptr("fr")}); err != nil {
			t.Fatal(err)
		}
		app, _ := oauthApp(t, n, oauthCallback)
		path := "/oauth/authorize?" + authorizeQuery(app, oauthCallback).Encode()
		b := newBrowser(t, n, "fr")

		p := b.get(path)
		wantRedirect(t, p, "/login?next="+url.QueryEscape(path))
		login := b.get(p.location)
		want(t, login, 200, `name="next" value="/oauth/authorize?client_id=`+app.ClientID)
		p = b.post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}, "next": {path}})
		wantRedirect(t, p, path)
		want(t, b.get(path), 200, "Autoriser Pocket Hive")

		// The way back stays on this node.
		p = newBrowser(t, n, "en").post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}, "next": {"//evil.example/oauth/authorize?x"}})
		if strings.Contains(p.location, "evil.example") {
			t.Fatalf("sign-in sent the member to %s", p.location)
		}
	})
}

func TestSettingsListsAndRevokesApps(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "bob", spaces.RoleMember), "en")
		app, _ := oauthApp(t, n, oauthCallback)
		ctx := context.Background()

		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/settings/sessions"), 200, "Apps with access to your account", "No app has access to your account.")

		req := spaces.AuthorizationRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: oauthCallback, Scope: "read write",
			CodeChallenge: pkceChallenge(pkceVerifier), CodeChallengeMethod: "S256"}
		code, err := n.Spaces.Authorize(ctx, alice, req)
		if err != nil {
			t.Fatal(err)
		}
		tok := exchange(t, n, app, code)
		grants, err := n.Spaces.AuthorizedApps(ctx, alice)
		if err != nil || len(grants) != 1 {
			t.Fatalf("grants %v, %v", grants, err)
		}

		p := b.get("/settings/sessions")
		want(t, p, 200, "Pocket Hive", `href="https://pocket.example"`, "<code>read write</code>", "Revoke access of Pocket Hive", `name="grant" value="`+grants[0].ID+`"`)
		speaks(t, n, alice, "de")
		want(t, b.get("/settings/sessions"), 200, "Apps mit Zugriff auf Ihr Konto", "Zugriff von Pocket Hive widerrufen")
		speaks(t, n, alice, "en")

		// Another member cannot revoke it.
		bob := newBrowser(t, n, "en")
		bob.signIn("bob", nodetest.Password)
		want(t, bob.post("/settings/apps", url.Values{"grant": {grants[0].ID}}), http.StatusNotFound)
		if _, _, err := n.Spaces.AuthenticateToken(ctx, tok.AccessToken); err != nil {
			t.Fatalf("the token stopped working: %v", err)
		}

		wantRedirect(t, b.post("/settings/apps", url.Values{"grant": {grants[0].ID}}), "/settings/sessions")
		want(t, b.get("/settings/sessions"), 200, "The app no longer has access to your account.", "No app has access to your account.")
		if _, _, err := n.Spaces.AuthenticateToken(ctx, tok.AccessToken); err == nil {
			t.Fatal("the revoked token still works")
		}
	})
}
