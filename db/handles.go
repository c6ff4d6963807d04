package db

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// AccountByHandle finds an account by username and domain ("" for a local
// account), ignoring the case of the username.
func (d *DB) AccountByHandle(ctx context.Context, username, domain string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount(ctx).
		Where("lower(account.username) = lower(?)", username).
		Where("account.domain = ?", domain).
		Scan(ctx, a)
	return a, wrap(err, "account by handle")
}

// SearchPeople finds active people (local members and known remote
// accounts) whose username or display name contains text, ignoring case,
// local ones first. Email addresses are not searched: they are private.
func (d *DB) SearchPeople(ctx context.Context, text string, limit int) ([]*Account, error) {
	var out []*Account
	pattern := "%" + likeEscaper.Replace(strings.ToLower(text)) + "%"
	err := d.selectAccount(ctx).
		Where("account.type = 'Person'").Where("account.status = 'active'").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`lower(account.username) LIKE ? ESCAPE '\'`, pattern).
				WhereOr(`lower(account.display_name) LIKE ? ESCAPE '\'`, pattern)
		}).
		OrderExpr("CASE WHEN account.domain = '' THEN 0 ELSE 1 END, lower(account.display_name), account.id").
		Limit(int64(limit)).Scan(ctx, &out)
	return out, wrap(err, "search people")
}
