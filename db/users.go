package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// User is the private part of a local member: credentials, role and language.
type User struct {
	bun.BaseModel `bun:"table:users"`

	AccountID    string `bun:",pk"`
	Email        string `bun:",nullzero"`
	PasswordHash string
	Role         string    // admin, moderator, member
	Locale       string    // fr, en, de
	InvitationID string    `bun:",nullzero"`
	LastSeenAt   time.Time `bun:",nullzero"`
	// OnboardedAt is when the member finished or skipped the onboarding; zero
	// until then.
	OnboardedAt time.Time `bun:",nullzero"`
	// NotificationsOff lists the kinds of notifications the member turned
	// off, separated by spaces.
	NotificationsOff string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// InsertUser stores the user part of a new local member.
func (d *DB) InsertUser(ctx context.Context, u *User) error {
	_, err := d.q(ctx).NewInsert().Model(u).Exec(ctx)
	return wrap(err, "insert user")
}

// UpdateUser writes the given columns of u (all of them if none are named).
func (d *DB) UpdateUser(ctx context.Context, u *User, columns ...string) error {
	q := d.q(ctx).NewUpdate().Model(u).WherePK()
	if len(columns) > 0 {
		q = q.Column(columns...)
	}
	_, err := q.Exec(ctx)
	return wrap(err, "update user")
}

// TouchUser records that the member was seen at t, at most once per hour so that
// every request does not become a write.
func (d *DB) TouchUser(ctx context.Context, accountID string, t time.Time) error {
	_, err := d.q(ctx).NewUpdate().Model((*User)(nil)).
		Set("last_seen_at = ?", t).
		Where("account_id = ?", accountID).
		Where("last_seen_at IS NULL OR last_seen_at < ?", t.Add(-time.Hour)).
		Exec(ctx)
	return wrap(err, "touch user")
}

// NotificationsOff returns those of accountIDs who turned off notifications
// of kind.
func (d *DB) NotificationsOff(ctx context.Context, accountIDs []string, kind string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	var ids []string
	err := d.q(ctx).NewSelect().Model((*User)(nil)).Column("account_id").
		Where("account_id IN (?)", bun.In(accountIDs)).
		Where("(' ' || notifications_off || ' ') LIKE ?", "% "+kind+" %").
		Scan(ctx, &ids)
	for _, id := range ids {
		out[id] = true
	}
	return out, wrap(err, "notifications off")
}

// DeleteUser removes the private part of a member (credentials, email,
// sessions by cascade): what is left of the account is its public shell.
func (d *DB) DeleteUser(ctx context.Context, accountID string) error {
	_, err := d.q(ctx).NewDelete().Model((*User)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return wrap(err, "delete user")
}

// CountActiveUsers counts active members seen since t.
func (d *DB) CountActiveUsers(ctx context.Context, since time.Time) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*User)(nil)).
		Join("JOIN accounts AS a ON a.id = \"user\".account_id").
		Where("a.status = 'active'").Where(`"user".last_seen_at >= ?`, since).Count(ctx)
	return int(n), wrap(err, "count active users")
}
