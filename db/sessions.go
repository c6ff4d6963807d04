package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Session is a signed-in browser or client. Only the hash of its token is
// stored, so a leaked database does not leak live sessions.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         string `bun:",pk"`
	TokenHash  string
	AccountID  string
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// InsertSession stores a new session.
func (d *DB) InsertSession(ctx context.Context, s *Session) error {
	_, err := d.q(ctx).NewInsert().Model(s).Exec(ctx)
	return wrap(err, "insert session")
}

// SessionByTokenHash finds a session by the hash of its token.
func (d *DB) SessionByTokenHash(ctx context.Context, hash string) (*Session, error) {
	s := new(Session)
	err := d.q(ctx).NewSelect().Model(s).Where("token_hash = ?", hash).Scan(ctx)
	return s, wrap(err, "session by token")
}

// TouchSession records activity on a session, at most once a minute.
func (d *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := d.q(ctx).NewUpdate().Model((*Session)(nil)).
		Set("last_seen_at = ?", now).
		Where("id = ?", id).
		Where("last_seen_at < ?", now.Add(-time.Minute)).
		Exec(ctx)
	return wrap(err, "touch session")
}

// ListSessions lists an account's sessions, most recently used first.
func (d *DB) ListSessions(ctx context.Context, accountID string) ([]*Session, error) {
	var out []*Session
	err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).
		OrderExpr("last_seen_at DESC").Scan(ctx)
	return out, wrap(err, "list sessions")
}

// DeleteSession ends one session of an account.
func (d *DB) DeleteSession(ctx context.Context, accountID, id string) error {
	res, err := d.q(ctx).NewDelete().Model((*Session)(nil)).
		Where("id = ?", id).Where("account_id = ?", accountID).Exec(ctx)
	if err != nil {
		return wrap(err, "delete session")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap(ErrNotFound, "delete session")
	}
	return nil
}

// DeleteSessions ends every session of an account except keepID (if not empty).
func (d *DB) DeleteSessions(ctx context.Context, accountID, keepID string) error {
	q := d.q(ctx).NewDelete().Model((*Session)(nil)).Where("account_id = ?", accountID)
	if keepID != "" {
		q = q.Where("id <> ?", keepID)
	}
	_, err := q.Exec(ctx)
	return wrap(err, "delete sessions")
}

// DeleteExpiredSessions removes sessions that ended before now.
func (d *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.q(ctx).NewDelete().Model((*Session)(nil)).Where("expires_at < ?", now).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "delete expired sessions")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
