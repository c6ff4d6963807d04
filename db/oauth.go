package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// OAuthApp is a client app registered for the Mastodon client API. Only the
// hash of its secret is stored.
type OAuthApp struct {
	bun.BaseModel `bun:"table:oauth_apps"`

	ID           string `bun:",pk"`
	ClientID     string
	SecretHash   string
	Name         string
	Website      string
	RedirectURIs string `bun:"redirect_uris"` // one per line
	Scopes       string // space-separated
	CreatedAt    time.Time
}

// OAuthCode is an authorization code a member gave an app, waiting to be
// exchanged for a token once. CodeChallenge is the PKCE (S256) challenge the
// app sent with the request, if any.
type OAuthCode struct {
	bun.BaseModel `bun:"table:oauth_codes"`

	CodeHash      string `bun:",pk"`
	AppID         string
	AccountID     string
	RedirectURI   string
	Scopes        string
	CodeChallenge string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// OAuthToken is an access token (and its refresh token) of an app, for a
// member, or for the app alone when AccountID is empty.
type OAuthToken struct {
	bun.BaseModel `bun:"table:oauth_tokens"`

	ID          string `bun:",pk"`
	TokenHash   string
	RefreshHash string `bun:",nullzero"`
	AppID       string
	AccountID   string `bun:",nullzero"`
	Scopes      string
	CreatedAt   time.Time
	LastUsedAt  time.Time

	App *OAuthApp `bun:"rel:belongs-to,join:app_id=id"`
}

// InsertOAuthApp stores a new app.
func (d *DB) InsertOAuthApp(ctx context.Context, a *OAuthApp) error {
	_, err := d.q(ctx).NewInsert().Model(a).Exec(ctx)
	return wrap(err, "insert oauth app")
}

// OAuthAppByClientID finds an app by its client id.
func (d *DB) OAuthAppByClientID(ctx context.Context, clientID string) (*OAuthApp, error) {
	a := new(OAuthApp)
	err := d.q(ctx).NewSelect().Model(a).Where("client_id = ?", clientID).Scan(ctx)
	return a, wrap(err, "oauth app by client id")
}

// InsertOAuthCode stores a new authorization code.
func (d *DB) InsertOAuthCode(ctx context.Context, c *OAuthCode) error {
	_, err := d.q(ctx).NewInsert().Model(c).Exec(ctx)
	return wrap(err, "insert oauth code")
}

// TakeOAuthCode removes an authorization code and returns it: a code is
// exchanged once, even when two requests race for it.
func (d *DB) TakeOAuthCode(ctx context.Context, hash string) (*OAuthCode, error) {
	var out []*OAuthCode
	err := d.q(ctx).NewDelete().Model(&out).Where("code_hash = ?", hash).Returning("*").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "take oauth code")
	}
	if len(out) == 0 {
		return nil, wrap(ErrNotFound, "take oauth code")
	}
	return out[0], nil
}

// DeleteExpiredOAuthCodes removes the codes nobody exchanged in time.
func (d *DB) DeleteExpiredOAuthCodes(ctx context.Context, now time.Time) error {
	_, err := d.q(ctx).NewDelete().Model((*OAuthCode)(nil)).Where("expires_at < ?", now).Exec(ctx)
	return wrap(err, "delete expired oauth codes")
}

// InsertOAuthToken stores a new token.
func (d *DB) InsertOAuthToken(ctx context.Context, t *OAuthToken) error {
	_, err := d.q(ctx).NewInsert().Model(t).Exec(ctx)
	return wrap(err, "insert oauth token")
}

// OAuthTokenBy finds a token, with its app, by the hash of its access token
// (column token_hash) or of its refresh token (refresh_hash).
func (d *DB) OAuthTokenBy(ctx context.Context, column, hash string) (*OAuthToken, error) {
	t := new(OAuthToken)
	err := d.q(ctx).NewSelect().Model(t).Relation("App").
		Where("?TableAlias.? = ?", bun.Ident(column), hash).Scan(ctx)
	return t, wrap(err, "oauth token")
}

// TouchOAuthToken records the use of a token, at most once a minute.
func (d *DB) TouchOAuthToken(ctx context.Context, id string, now time.Time) error {
	_, err := d.q(ctx).NewUpdate().Model((*OAuthToken)(nil)).
		Set("last_used_at = ?", now).
		Where("id = ?", id).Where("last_used_at < ?", now.Add(-time.Minute)).
		Exec(ctx)
	return wrap(err, "touch oauth token")
}

// ListOAuthTokens lists the tokens a member gave apps, with the apps, most
// recently used first.
func (d *DB) ListOAuthTokens(ctx context.Context, accountID string) ([]*OAuthToken, error) {
	var out []*OAuthToken
	err := d.q(ctx).NewSelect().Model(&out).Relation("App").
		Where("?TableAlias.account_id = ?", accountID).
		OrderExpr("?TableAlias.last_used_at DESC").Scan(ctx)
	return out, wrap(err, "list oauth tokens")
}

// DeleteOAuthToken revokes one token. accountID, when not empty, must be its
// member's; appID, when not empty, its app's.
func (d *DB) DeleteOAuthToken(ctx context.Context, id, accountID, appID string) error {
	q := d.q(ctx).NewDelete().Model((*OAuthToken)(nil)).Where("id = ?", id)
	if accountID != "" {
		q = q.Where("account_id = ?", accountID)
	}
	if appID != "" {
		q = q.Where("app_id = ?", appID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return wrap(err, "delete oauth token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(ErrNotFound, "delete oauth token")
	}
	return nil
}

// DeleteOAuthTokens revokes every token of a member (a changed password).
func (d *DB) DeleteOAuthTokens(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*OAuthToken)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return wrap(err, "delete oauth tokens")
}
