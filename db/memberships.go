package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Membership is an account's place in a space: its role (owner, moderator,
// member) and state (pending request, active, banned).
type Membership struct {
	bun.BaseModel `bun:"table:space_members,alias:membership"`

	ID        string `bun:",pk"`
	SpaceID   string
	AccountID string
	Role      string
	State     string
	Watch     bool   // notify the member of every new post
	URI       string `bun:",nullzero"` // the Follow or Join activity of a remote member
	CreatedAt time.Time
	UpdatedAt time.Time

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
	// Space is set by the domain when it loads the membership with its space.
	Space *Space `bun:"-"`
}

// InsertMembership stores a new membership.
func (d *DB) InsertMembership(ctx context.Context, m *Membership) error {
	_, err := d.q(ctx).NewInsert().Model(m).Exec(ctx)
	return wrap(err, "insert membership")
}

// UpdateMembership writes the given columns of m.
func (d *DB) UpdateMembership(ctx context.Context, m *Membership, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(m).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update membership")
}

// DeleteMembership removes a membership.
func (d *DB) DeleteMembership(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewDelete().Model((*Membership)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "delete membership")
}

// MembershipOf finds accountID's membership of spaceID, in any state.
func (d *DB) MembershipOf(ctx context.Context, spaceID, accountID string) (*Membership, error) {
	m := new(Membership)
	err := d.q(ctx).NewSelect().Model(m).Relation("Account").
		Where("membership.space_id = ?", spaceID).Where("membership.account_id = ?", accountID).Scan(ctx)
	return m, wrap(err, "membership")
}

// MemberPage selects a page of a space's memberships, oldest first.
type MemberPage struct {
	State string   // pending, active or banned
	Roles []string // only these roles, if set
	After string   // cursor: the last id of the previous page
	Limit int
}

// ListMemberships lists a space's memberships with their accounts.
func (d *DB) ListMemberships(ctx context.Context, spaceID string, p MemberPage) ([]*Membership, error) {
	var out []*Membership
	q := d.q(ctx).NewSelect().Model(&out).Relation("Account").
		Where("membership.space_id = ?", spaceID).
		Where("membership.state = ?", p.State).
		OrderExpr("membership.id ASC")
	if len(p.Roles) > 0 {
		q = q.Where("membership.role IN (?)", bun.In(p.Roles))
	}
	if p.After != "" {
		q = q.Where("membership.id > ?", p.After)
	}
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit))
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list memberships")
}

// CountMembers counts a space's memberships in a state, and among them those
// with one of roles (all roles if none given).
func (d *DB) CountMembers(ctx context.Context, spaceID, state string, roles ...string) (int, error) {
	q := d.q(ctx).NewSelect().Model((*Membership)(nil)).Where("space_id = ?", spaceID).Where("state = ?", state)
	if len(roles) > 0 {
		q = q.Where("role IN (?)", bun.In(roles))
	}
	n, err := q.Count(ctx)
	return int(n), wrap(err, "count members")
}

// WatcherIDs lists the local active members of a space who watch it.
func (d *DB) WatcherIDs(ctx context.Context, spaceID string) ([]string, error) {
	var ids []string
	err := d.q(ctx).NewSelect().Model((*Membership)(nil)).Column("membership.account_id").
		Join("JOIN accounts AS a ON a.id = membership.account_id").
		Where("membership.space_id = ?", spaceID).Where("membership.state = 'active'").
		Where("membership.watch").Where("a.domain = ''").
		Scan(ctx, &ids)
	return ids, wrap(err, "watchers")
}

// MembershipsAmong returns accountID's memberships (any state) of the given
// spaces, by space id.
func (d *DB) MembershipsAmong(ctx context.Context, accountID string, spaceIDs []string) (map[string]*Membership, error) {
	out := map[string]*Membership{}
	if len(spaceIDs) == 0 {
		return out, nil
	}
	var rows []*Membership
	err := d.q(ctx).NewSelect().Model(&rows).
		Where("account_id = ?", accountID).Where("space_id IN (?)", bun.In(spaceIDs)).Scan(ctx)
	for _, m := range rows {
		out[m.SpaceID] = m
	}
	return out, wrap(err, "memberships among")
}

// CountMembersAmong counts the active members of each of the given spaces.
func (d *DB) CountMembersAmong(ctx context.Context, spaceIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(spaceIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		SpaceID string
		N       int
	}
	err := d.q(ctx).NewSelect().Model((*Membership)(nil)).
		ColumnExpr("space_id, count(*) AS n").
		Where("space_id IN (?)", bun.In(spaceIDs)).Where("state = 'active'").
		GroupExpr("space_id").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.SpaceID] = r.N
	}
	return out, wrap(err, "count members among")
}

// MembershipsOfAccount lists every membership of an account, with its space,
// oldest first.
func (d *DB) MembershipsOfAccount(ctx context.Context, accountID string) ([]*Membership, error) {
	var out []*Membership
	if err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, wrap(err, "memberships of account")
	}
	ids := make([]string, len(out))
	for i, m := range out {
		ids[i] = m.SpaceID
	}
	sps, err := d.SpacesByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Space{}
	for _, sp := range sps {
		byID[sp.AccountID] = sp
	}
	for _, m := range out {
		m.Space = byID[m.SpaceID]
	}
	return out, nil
}

// MembershipByURI finds a membership by the id of the Follow or Join
// activity that asked for it.
func (d *DB) MembershipByURI(ctx context.Context, uri string) (*Membership, error) {
	m := new(Membership)
	err := d.q(ctx).NewSelect().Model(m).Relation("Account").Where("membership.uri = ?", uri).Scan(ctx)
	return m, wrap(err, "membership by uri")
}
