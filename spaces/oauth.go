package spaces

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// OAuth 2 for the apps that speak the Mastodon client API: an app registers,
// a member consents on the node's own pages and the app gets a code, then a
// token. Every check of the protocol is here, so that the pages, the token
// endpoint and the API agree on what a token may do.

// OAuthApp is an app registered for the client API.
type OAuthApp = db.OAuthApp

// OutOfBand is the redirect address of apps that cannot receive a redirect:
// the consent page shows the code for the member to copy into the app.
const OutOfBand = "urn:ietf:wg:oauth:2.0:oob"

const (
	codeTTL         = 10 * time.Minute
	maxAppNameRunes = 100
	maxRedirectURIs = 10
)

// Scopes are the rights a token carries, as OAuth writes them.
type Scopes []string

// knownScopes are the scopes of the Mastodon client API the node grants.
// The admin scopes are left out: administration stays in the web interface.
var knownScopes = []string{
	"read", "write", "follow", "push", "profile",
	"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
	"read:follows", "read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
	"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
	"write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
	"write:notifications", "write:reports", "write:statuses",
}

// SupportedScopes are the scopes the node grants, for the server's metadata
// (RFC 8414).
func SupportedScopes() []string { return slices.Clone(knownScopes) }

// followScopes are what the old "follow" scope stands for.
var followScopes = []string{"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}

// ParseScopes reads a space-separated list of scopes; an empty one is
// "read", as in Mastodon. Unknown scopes are refused.
func ParseScopes(s string) (Scopes, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Scopes{"read"}, nil
	}
	var out Scopes
	for _, f := range fields {
		if !slices.Contains(knownScopes, f) {
			return nil, invalid("scope", "invalid_scope", "unknown scope: "+f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s Scopes) String() string { return strings.Join(s, " ") }

// Allow tells whether the scopes grant required, a granular scope such as
// "read:statuses": "read" grants every read:… scope, "follow" the follows,
// blocks and mutes.
func (s Scopes) Allow(required string) bool {
	for _, g := range s {
		switch {
		case g == required, strings.HasPrefix(required, g+":"):
			return true
		case g == "follow" && slices.Contains(followScopes, required):
			return true
		}
	}
	return false
}

// within tells whether every scope of s is granted by (or is one of) app's.
func (s Scopes) within(app Scopes) bool {
	for _, x := range s {
		if !slices.Contains(app, x) && !app.Allow(x) {
			return false
		}
	}
	return true
}

// NewApp is what an app registers.
type NewApp struct {
	Name         string
	Website      string
	RedirectURIs []string // each an absolute address, or OutOfBand
	Scopes       string
}

// RegisterApp registers an app; the secret is returned once and only its hash
// is kept.
func (s *Service) RegisterApp(ctx context.Context, in NewApp) (*OAuthApp, string, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len([]rune(name)) > maxAppNameRunes {
		return nil, "", invalid("client_name", "invalid_client_name", "the app needs a name of at most 100 characters")
	}
	if in.Website != "" {
		if u, err := url.Parse(in.Website); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, "", invalid("website", "invalid_website", "the website must be an http(s) address")
		}
	}
	if len(in.RedirectURIs) == 0 || len(in.RedirectURIs) > maxRedirectURIs {
		return nil, "", invalid("redirect_uris", "invalid_redirect_uri", "give between 1 and 10 redirect addresses")
	}
	for _, r := range in.RedirectURIs {
		if !validRedirect(r) {
			return nil, "", invalid("redirect_uris", "invalid_redirect_uri", "a redirect address must be absolute, without a fragment, or "+OutOfBand)
		}
	}
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		return nil, "", err
	}
	clientID, _ := newToken()
	secret, secretHash := newToken()
	app := &OAuthApp{
		ID: newID(), ClientID: clientID, SecretHash: secretHash,
		Name: name, Website: in.Website,
		RedirectURIs: strings.Join(in.RedirectURIs, "\n"), Scopes: scopes.String(),
		CreatedAt: s.now(),
	}
	if err := s.db.InsertOAuthApp(ctx, app); err != nil {
		return nil, "", internal("register app", err)
	}
	return app, secret, nil
}

// validRedirect accepts absolute addresses of any scheme (apps on phones use
// their own, such as tusky://oauth) but no fragment, which OAuth forbids.
func validRedirect(r string) bool {
	if r == OutOfBand {
		return true
	}
	u, err := url.Parse(r)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "") &&
		u.Fragment == "" && !strings.ContainsAny(r, " \t\r\n")
}

// AppScopes are the scopes an app registered.
func AppScopes(app *OAuthApp) Scopes { return strings.Fields(app.Scopes) }

// AppRedirectURIs are the redirect addresses an app registered.
func AppRedirectURIs(app *OAuthApp) []string { return strings.Split(app.RedirectURIs, "\n") }

// AuthorizationRequest is what an app asks at /oauth/authorize.
type AuthorizationRequest struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
}

var (
	errUnknownClient = &Error{Kind: KindUnauthorized, Code: "invalid_client", Message: "unknown client or wrong client secret"}
	errBadRedirect   = invalid("redirect_uri", "invalid_redirect_uri", "the redirect address is not one the app registered")
)

// CheckAuthorization validates an authorization request before the member is
// asked: the app, its redirect address, the scopes (within the app's) and
// PKCE (S256 only: "plain" protects nothing). It returns the app and the
// scopes asked.
func (s *Service) CheckAuthorization(ctx context.Context, req AuthorizationRequest) (*OAuthApp, Scopes, error) {
	app, err := s.db.OAuthAppByClientID(ctx, req.ClientID)
	if err != nil {
		return nil, nil, notFoundOr("authorization", err, errUnknownClient)
	}
	redirect := req.RedirectURI
	if redirect == "" && len(AppRedirectURIs(app)) == 1 {
		redirect = AppRedirectURIs(app)[0]
	}
	if !slices.Contains(AppRedirectURIs(app), redirect) {
		return nil, nil, errBadRedirect
	}
	if req.ResponseType != "code" {
		return nil, nil, invalid("response_type", "unsupported_response_type", "only response_type=code is supported")
	}
	scopes, err := ParseScopes(req.Scope)
	if err != nil {
		return nil, nil, err
	}
	if !scopes.within(AppScopes(app)) {
		return nil, nil, invalid("scope", "invalid_scope", "the app did not register these scopes")
	}
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod == "":
	case req.CodeChallengeMethod != "S256":
		return nil, nil, invalid("code_challenge_method", "invalid_request", "only code_challenge_method=S256 is supported")
	case len(req.CodeChallenge) < 43 || len(req.CodeChallenge) > 128:
		return nil, nil, invalid("code_challenge", "invalid_request", "the code challenge must be 43 to 128 characters")
	}
	return app, scopes, nil
}

// Authorize records the member's consent and returns the one-use code the app
// exchanges for a token within ten minutes.
func (s *Service) Authorize(ctx context.Context, by *Account, req AuthorizationRequest) (string, error) {
	if by == nil || by.User == nil || by.Status != StatusActive {
		return "", errUnauthenticated
	}
	app, scopes, err := s.CheckAuthorization(ctx, req)
	if err != nil {
		return "", err
	}
	redirect := req.RedirectURI
	if redirect == "" {
		redirect = AppRedirectURIs(app)[0]
	}
	code, hash := newToken()
	now := s.now()
	err = s.db.InsertOAuthCode(ctx, &db.OAuthCode{
		CodeHash: hash, AppID: app.ID, AccountID: by.ID, RedirectURI: redirect,
		Scopes: scopes.String(), CodeChallenge: req.CodeChallenge,
		CreatedAt: now, ExpiresAt: now.Add(codeTTL),
	})
	if err != nil {
		return "", internal("authorize", err)
	}
	if err := s.db.DeleteExpiredOAuthCodes(ctx, now); err != nil {
		return "", internal("authorize", err)
	}
	return code, nil
}

// TokenRequest is what an app sends to /oauth/token.
type TokenRequest struct {
	GrantType    string // authorization_code, refresh_token or client_credentials
	ClientID     string
	ClientSecret string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
}

// IssuedToken is a new access token, and its refresh token when it stands for
// a member.
type IssuedToken struct {
	AccessToken  string
	RefreshToken string
	Scopes       Scopes
	CreatedAt    time.Time
}

var errBadGrant = invalid("grant", "invalid_grant", "the code or refresh token is invalid, expired or already used")

// IssueToken answers a token request. Access tokens do not expire (Mastodon
// apps expect so); they end when the member revokes them, changes their
// password or the refresh token is used, which replaces both.
func (s *Service) IssueToken(ctx context.Context, req TokenRequest) (*IssuedToken, error) {
	app, err := s.db.OAuthAppByClientID(ctx, req.ClientID)
	if err != nil {
		return nil, notFoundOr("token", err, errUnknownClient)
	}
	secretOK := req.ClientSecret != "" && sameHash(app.SecretHash, hashToken(req.ClientSecret))
	if req.ClientSecret != "" && !secretOK {
		return nil, errUnknownClient
	}
	switch req.GrantType {
	case "authorization_code":
		return s.exchangeCode(ctx, app, secretOK, req)
	case "refresh_token":
		return s.refresh(ctx, app, secretOK, req)
	case "client_credentials":
		if !secretOK {
			return nil, errUnknownClient
		}
		scopes, err := ParseScopes(req.Scope)
		if err != nil {
			return nil, err
		}
		if !scopes.within(AppScopes(app)) {
			return nil, invalid("scope", "invalid_scope", "the app did not register these scopes")
		}
		return s.newAccessToken(ctx, s.db, app, "", scopes)
	}
	return nil, invalid("grant_type", "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials")
}

// exchangeCode turns a code into a token. A client without its secret (an app
// that cannot keep one) must prove with PKCE that it asked for the code. The
// code is used up by the first attempt, right or wrong: a stolen code is
// tried once.
func (s *Service) exchangeCode(ctx context.Context, app *OAuthApp, secretOK bool, req TokenRequest) (*IssuedToken, error) {
	code, err := s.db.TakeOAuthCode(ctx, hashToken(req.Code))
	if err != nil {
		return nil, notFoundOr("exchange code", err, errBadGrant)
	}
	if code.AppID != app.ID || !s.now().Before(code.ExpiresAt) {
		return nil, errBadGrant
	}
	if req.RedirectURI != "" && req.RedirectURI != code.RedirectURI {
		return nil, errBadRedirect
	}
	switch {
	case code.CodeChallenge != "":
		if !verifierMatches(req.CodeVerifier, code.CodeChallenge) {
			return nil, invalid("code_verifier", "invalid_grant", "the code verifier does not match the code challenge")
		}
	case !secretOK:
		return nil, errUnknownClient
	}
	if err := s.activeMember(ctx, s.db, code.AccountID); err != nil {
		return nil, err
	}
	return s.newAccessToken(ctx, s.db, app, code.AccountID, strings.Fields(code.Scopes))
}

// refresh replaces a token by a new one with the same (or fewer) scopes.
func (s *Service) refresh(ctx context.Context, app *OAuthApp, secretOK bool, req TokenRequest) (*IssuedToken, error) {
	if !secretOK {
		return nil, errUnknownClient
	}
	if req.RefreshToken == "" {
		return nil, errBadGrant
	}
	var out *IssuedToken
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		old, err := tx.OAuthTokenBy(ctx, "refresh_hash", hashToken(req.RefreshToken))
		if err != nil {
			return notFoundOr("refresh token", err, errBadGrant)
		}
		if old.AppID != app.ID {
			return errBadGrant
		}
		scopes := Scopes(strings.Fields(old.Scopes))
		if req.Scope != "" {
			asked, err := ParseScopes(req.Scope)
			if err != nil {
				return err
			}
			if !asked.within(scopes) {
				return invalid("scope", "invalid_scope", "a refreshed token cannot have more scopes than the first")
			}
			scopes = asked
		}
		if err := tx.DeleteOAuthToken(ctx, old.ID, "", app.ID); err != nil {
			return notFoundOr("refresh token", err, errBadGrant) // used by a request that raced this one
		}
		if err := s.activeMember(ctx, tx, old.AccountID); err != nil {
			return err
		}
		out, err = s.newAccessToken(ctx, tx, app, old.AccountID, scopes)
		return err
	})
	return out, err
}

func (s *Service) activeMember(ctx context.Context, tx *db.DB, accountID string) error {
	acct, err := tx.AccountByID(ctx, accountID)
	if err != nil {
		return notFoundOr("token", err, errBadGrant)
	}
	if acct.User == nil || acct.Status != StatusActive {
		return forbidden("account_suspended", "this account is suspended")
	}
	return nil
}

func (s *Service) newAccessToken(ctx context.Context, tx *db.DB, app *OAuthApp, accountID string, scopes Scopes) (*IssuedToken, error) {
	access, accessHash := newToken()
	t := &db.OAuthToken{
		ID: newID(), TokenHash: accessHash, AppID: app.ID, AccountID: accountID,
		Scopes: scopes.String(), CreatedAt: s.now(), LastUsedAt: s.now(),
	}
	out := &IssuedToken{AccessToken: access, Scopes: scopes, CreatedAt: t.CreatedAt}
	if accountID != "" {
		out.RefreshToken, t.RefreshHash = newToken()
	}
	if err := tx.InsertOAuthToken(ctx, t); err != nil {
		return nil, internal("issue token", err)
	}
	return out, nil
}

// verifierMatches checks a PKCE verifier against its S256 challenge.
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func sameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// RevokeToken revokes an access or refresh token of the app (RFC 7009). A
// token that is unknown, or another app's, is not an error: the answer must
// not tell which tokens exist.
func (s *Service) RevokeToken(ctx context.Context, clientID, clientSecret, token string) error {
	app, err := s.db.OAuthAppByClientID(ctx, clientID)
	if err != nil {
		return notFoundOr("revoke token", err, errUnknownClient)
	}
	if !sameHash(app.SecretHash, hashToken(clientSecret)) {
		return errUnknownClient
	}
	for _, column := range []string{"token_hash", "refresh_hash"} {
		t, err := s.db.OAuthTokenBy(ctx, column, hashToken(token))
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return internal("revoke token", err)
		}
		if t.AppID != app.ID {
			return nil
		}
		if err := s.db.DeleteOAuthToken(ctx, t.ID, "", app.ID); err != nil && !errors.Is(err, db.ErrNotFound) {
			return internal("revoke token", err)
		}
		return nil
	}
	return nil
}

// AccessGrant is what an access token stands for: an app, its scopes, and
// (but for client_credentials tokens) a member.
type AccessGrant struct {
	ID         string
	App        *OAuthApp
	Scopes     Scopes
	CreatedAt  time.Time
	LastUsedAt time.Time
}

func grantOf(t *db.OAuthToken) *AccessGrant {
	return &AccessGrant{ID: t.ID, App: t.App, Scopes: strings.Fields(t.Scopes), CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

var errBadToken = &Error{Kind: KindUnauthorized, Code: "invalid_token", Message: "the access token is invalid"}

// AuthenticateToken returns the member (nil for an app's own token) and the
// grant an access token stands for. A suspended member's tokens do not work.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Account, *AccessGrant, error) {
	if token == "" {
		return nil, nil, errBadToken
	}
	t, err := s.db.OAuthTokenBy(ctx, "token_hash", hashToken(token))
	if err != nil {
		return nil, nil, notFoundOr("authenticate token", err, errBadToken)
	}
	now := s.now()
	if err := s.db.TouchOAuthToken(ctx, t.ID, now); err != nil {
		return nil, nil, internal("touch token", err)
	}
	if t.AccountID == "" {
		return nil, grantOf(t), nil
	}
	acct, err := s.db.AccountByID(ctx, t.AccountID)
	if err != nil {
		return nil, nil, notFoundOr("authenticate token", err, errBadToken)
	}
	if acct.User == nil || acct.Status != StatusActive {
		return nil, nil, errBadToken
	}
	if err := s.db.TouchUser(ctx, acct.ID, now); err != nil {
		return nil, nil, internal("touch user", err)
	}
	return acct, grantOf(t), nil
}

// AuthorizedApps lists the apps a member gave a token, most recently used
// first: their "signed-in devices" beside their browser sessions.
func (s *Service) AuthorizedApps(ctx context.Context, by *Account) ([]*AccessGrant, error) {
	if by == nil || by.User == nil {
		return nil, errUnauthenticated
	}
	tokens, err := s.db.ListOAuthTokens(ctx, by.ID)
	if err != nil {
		return nil, internal("authorized apps", err)
	}
	out := make([]*AccessGrant, len(tokens))
	for i, t := range tokens {
		out[i] = grantOf(t)
	}
	return out, nil
}

// RevokeApp ends one of the member's own app tokens (a lost phone).
func (s *Service) RevokeApp(ctx context.Context, by *Account, grantID string) error {
	if by == nil || by.User == nil {
		return errUnauthenticated
	}
	if err := s.db.DeleteOAuthToken(ctx, grantID, by.ID, ""); err != nil {
		return notFoundOr("revoke app", err, notFound("grant_not_found", "no such app token"))
	}
	return nil
}
