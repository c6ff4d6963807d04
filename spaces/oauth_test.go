package spaces_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestOAuthCodeFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)

		_, _, err := s.RegisterApp(ctx, spaces.NewApp{Name: "Phone", RedirectURIs: []string{"https://app.example/cb#frag"}})
		wantCode(t, err, "invalid_redirect_uri")
		_, _, err = s.RegisterApp(ctx, spaces.NewApp{Name: "Phone", RedirectURIs: []string{"tusky://oauth"}, Scopes: "read admin:read"})
		wantCode(t, err, "invalid_scope")
		app, secret, err := s.RegisterApp(ctx, spaces.NewApp{Name: "Phone", RedirectURIs: []string{"tusky://oauth", spaces.OutOfBand}, Scopes: "read write follow"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(app.SecretHash, secret) || secret == "" {
			t.Fatal("the client secret is stored in clear")
		}

		verifier := strings.Repeat("v", 50)
		sum := sha256.Sum256([]byte(verifier))
		req := spaces.AuthorizationRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: "tusky://oauth",
			Scope: "read write:statuses", CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CodeChallengeMethod: "S256"}

		bad := req
		bad.Scope = "read push"
		_, err = s.Authorize(ctx, alice, bad)
		wantCode(t, err, "invalid_scope") // push was not registered
		bad = req
		bad.RedirectURI = "https://evil.example/cb"
		_, err = s.Authorize(ctx, alice, bad)
		wantCode(t, err, "invalid_redirect_uri")
		bad = req
		bad.CodeChallengeMethod = "plain"
		_, err = s.Authorize(ctx, alice, bad)
		wantCode(t, err, "invalid_request")

		code, err := s.Authorize(ctx, alice, req)
		if err != nil {
			t.Fatal(err)
		}
		exchange := spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, Code: code, RedirectURI: "tusky://oauth"}
		wrong := exchange
		wrong.CodeVerifier = strings.Repeat("w", 50)
		_, err = s.IssueToken(ctx, wrong)
		wantCode(t, err, "invalid_grant")
		// The failed attempt used the code up: a stolen code is tried once.
		exchange.CodeVerifier = verifier
		_, err = s.IssueToken(ctx, exchange)
		wantCode(t, err, "invalid_grant")

		code, _ = s.Authorize(ctx, alice, req)
		exchange.Code = code
		tok, err := s.IssueToken(ctx, exchange) // a public client: PKCE, no secret
		if err != nil {
			t.Fatal(err)
		}
		if tok.Scopes.String() != "read write:statuses" || tok.RefreshToken == "" {
			t.Fatalf("token: %+v", tok)
		}
		_, err = s.IssueToken(ctx, exchange)
		wantCode(t, err, "invalid_grant") // a code is used once

		who, grant, err := s.AuthenticateToken(ctx, tok.AccessToken)
		if err != nil || who.ID != alice.ID || grant.App.Name != "Phone" {
			t.Fatalf("authenticate: %v %v %v", who, grant, err)
		}
		for scope, want := range map[string]bool{"read:statuses": true, "read:notifications": true, "write:statuses": true, "write:favourites": false, "write:follows": false} {
			if grant.Scopes.Allow(scope) != want {
				t.Errorf("scopes %v allow %s: want %v", grant.Scopes, scope, want)
			}
		}

		// Without PKCE, the secret is needed; an expired code is refused.
		req.CodeChallenge, req.CodeChallengeMethod = "", ""
		code, _ = s.Authorize(ctx, alice, req)
		_, err = s.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, Code: code})
		wantCode(t, err, "invalid_client")
		code, _ = s.Authorize(ctx, alice, req)
		clk.advance(11 * time.Minute)
		_, err = s.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: code})
		wantCode(t, err, "invalid_grant")

		// A refresh replaces the token; the old one stops working.
		refreshed, err := s.IssueToken(ctx, spaces.TokenRequest{GrantType: "refresh_token", ClientID: app.ClientID, ClientSecret: secret, RefreshToken: tok.RefreshToken, Scope: "read"})
		if err != nil || refreshed.Scopes.String() != "read" {
			t.Fatalf("refresh: %+v %v", refreshed, err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.AccessToken); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("the refreshed token still works: %v", err)
		}
		_, err = s.IssueToken(ctx, spaces.TokenRequest{GrantType: "refresh_token", ClientID: app.ClientID, ClientSecret: secret, RefreshToken: tok.RefreshToken})
		wantCode(t, err, "invalid_grant")

		// The member sees the app and revokes it.
		apps, err := s.AuthorizedApps(ctx, alice)
		if err != nil || len(apps) != 1 || apps[0].App.Name != "Phone" {
			t.Fatalf("authorized apps: %v %v", apps, err)
		}
		if err := s.RevokeApp(ctx, alice, apps[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, refreshed.AccessToken); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("a revoked token still works: %v", err)
		}

		// An app's own token; revocation by the app (RFC 7009).
		own, err := s.IssueToken(ctx, spaces.TokenRequest{GrantType: "client_credentials", ClientID: app.ClientID, ClientSecret: secret})
		if err != nil || own.RefreshToken != "" {
			t.Fatalf("client credentials: %+v %v", own, err)
		}
		if who, grant, err := s.AuthenticateToken(ctx, own.AccessToken); err != nil || who != nil || grant.App.ID != app.ID {
			t.Fatalf("app token: %v %v %v", who, grant, err)
		}
		wantCode(t, s.RevokeToken(ctx, app.ClientID, "wrong", own.AccessToken), "invalid_client")
		if err := s.RevokeToken(ctx, app.ClientID, secret, own.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, own.AccessToken); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("a revoked app token still works: %v", err)
		}

		// A password change revokes the member's app tokens.
		code, _ = s.Authorize(ctx, alice, req)
		tok, _ = s.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: code})
		if err := s.ResetPassword(ctx, mustMember(t, s, "boss", spaces.RoleAdmin), "alice", "another long passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, tok.AccessToken); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("a token survived a password change: %v", err)
		}
	})
}
