package db

import "context"

// AccountByHandle finds an account by username and domain ("" for a local
// account), ignoring the case of the username.
func (d *DB) AccountByHandle(ctx context.Context, username, domain string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount().
		Where("lower(account.username) = lower(?)", username).
		Where("account.domain = ?", domain).
		Scan(ctx, a)
	return a, wrap(err, "account by handle")
}
