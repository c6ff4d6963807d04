package db

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Account is an actor the node knows: one of its members, and later one of its
// spaces or a remote actor. Usernames of local accounts share one namespace.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID          string `bun:",pk"`
	Type        string // ActivityStreams actor type: Person, Group, Application
	Username    string
	Domain      string // empty for local accounts
	DisplayName string
	Bio         string
	Locked      bool   // follow requests wait for approval
	Status      string // active, suspended
	URI         string `bun:",nullzero"` // remote accounts only: the actor's IRI
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// Remote actors' endpoints, as their documents give them (empty for
	// local accounts, whose endpoints derive from public_url).
	InboxURI       string
	SharedInboxURI string
	OutboxURI      string
	FollowersURI   string
	FollowingURI   string
	URL            string    // the actor's profile page
	IconURL        string    // the actor's avatar
	AvatarID       string    `bun:",nullzero"` // local accounts: the uploaded image shown as avatar
	FetchedAt      time.Time `bun:",nullzero"` // when the remote document was last read
	DeletedAt      time.Time `bun:",nullzero"` // set when the account was deleted

	User *User `bun:"rel:has-one,join:id=account_id"` // local members only
}

// IsLocal tells whether the account lives on this node.
func (a *Account) IsLocal() bool { return a.Domain == "" }

// AccountByURI finds a remote account by its actor IRI.
func (d *DB) AccountByURI(ctx context.Context, uri string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount(ctx).Where("account.uri = ?", uri).Scan(ctx, a)
	return a, wrap(err, "account by uri")
}

// InsertAccount stores a new account.
func (d *DB) InsertAccount(ctx context.Context, a *Account) error {
	_, err := d.q(ctx).NewInsert().Model(a).Exec(ctx)
	return wrap(err, "insert account")
}

// UpdateAccount writes the given columns of a (all of them if none are named).
func (d *DB) UpdateAccount(ctx context.Context, a *Account, columns ...string) error {
	q := d.q(ctx).NewUpdate().Model(a).WherePK()
	if len(columns) > 0 {
		q = q.Column(columns...)
	}
	_, err := q.Exec(ctx)
	return wrap(err, "update account")
}

func (d *DB) selectAccount(ctx context.Context) *bun.SelectQuery {
	return d.q(ctx).NewSelect().Model((*Account)(nil)).Relation("User")
}

// AccountByID loads an account with its user part, if any.
func (d *DB) AccountByID(ctx context.Context, id string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount(ctx).Where("account.id = ?", id).Scan(ctx, a)
	return a, wrap(err, "account by id")
}

// LocalAccountByUsername finds a local account by name, ignoring case.
func (d *DB) LocalAccountByUsername(ctx context.Context, username string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount(ctx).
		Where("lower(account.username) = lower(?)", username).
		Where("account.domain = ''").
		Scan(ctx, a)
	return a, wrap(err, "account by username")
}

// LocalAccountByEmail finds the local member with this (lowercase) email.
func (d *DB) LocalAccountByEmail(ctx context.Context, email string) (*Account, error) {
	a := new(Account)
	err := d.selectAccount(ctx).Where(`"user".email = ?`, email).Scan(ctx, a)
	return a, wrap(err, "account by email")
}

// AccountFilter narrows ListLocalMembers.
type AccountFilter struct {
	Role   string // empty for any
	Status string // empty for any
	// Query keeps members whose username, display name or email contains it,
	// ignoring case; empty for any.
	Query string
	After string // cursor: the last id of the previous page
	Limit int
}

// ListLocalMembers lists local members (accounts with a user part), oldest first.
func (d *DB) ListLocalMembers(ctx context.Context, f AccountFilter) ([]*Account, error) {
	var out []*Account
	q := d.q(ctx).NewSelect().Model(&out).Relation("User").
		Where("account.domain = ''").
		Where(`"user".account_id IS NOT NULL`).
		OrderExpr("account.id ASC")
	if f.Role != "" {
		q = q.Where(`"user".role = ?`, f.Role)
	}
	if f.Status != "" {
		q = q.Where("account.status = ?", f.Status)
	}
	q = filterQuery(q, f.Query)
	if f.After != "" {
		q = q.Where("account.id > ?", f.After)
	}
	if f.Limit > 0 {
		q = q.Limit(int64(f.Limit))
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list members")
}

// CountLocalMembers counts local members matching f (its cursor and limit ignored).
func (d *DB) CountLocalMembers(ctx context.Context, f AccountFilter) (int, error) {
	q := d.q(ctx).NewSelect().Model((*Account)(nil)).Relation("User").
		Where("account.domain = ''").
		Where(`"user".account_id IS NOT NULL`)
	if f.Role != "" {
		q = q.Where(`"user".role = ?`, f.Role)
	}
	if f.Status != "" {
		q = q.Where("account.status = ?", f.Status)
	}
	q = filterQuery(q, f.Query)
	n, err := q.Count(ctx)
	return int(n), wrap(err, "count members")
}

// filterQuery keeps members whose name or email contains text, ignoring case.
// lower() and LIKE with an explicit escape behave the same on both engines.
func filterQuery(q *bun.SelectQuery, text string) *bun.SelectQuery {
	if text == "" {
		return q
	}
	pattern := "%" + likeEscaper.Replace(strings.ToLower(text)) + "%"
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where(`lower(account.username) LIKE ? ESCAPE '\'`, pattern).
			WhereOr(`lower(account.display_name) LIKE ? ESCAPE '\'`, pattern).
			WhereOr(`lower("user".email) LIKE ? ESCAPE '\'`, pattern)
	})
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
