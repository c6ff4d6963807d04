package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// CalendarEvent is the when and where of a post of kind event.
type CalendarEvent struct {
	bun.BaseModel `bun:"table:events,alias:ev"`

	PostID       string `bun:",pk"`
	StartsAt     time.Time
	EndsAt       time.Time
	TimeZone     string // IANA name: the time the event is shown in
	PlaceName    string // e.g. a room, a building
	Address      string // a postal address, on one or a few lines
	OnlineURL    string // a link to take part online
	Capacity     int    // places; 0: no limit
	GoingCount   int
	WaitingCount int
	RemindedAt   time.Time `bun:",nullzero"`
}

// Registration states.
const (
	RegistrationGoing   = "going"
	RegistrationWaiting = "waiting" // on the waiting list of a full event
	RegistrationPending = "pending" // sent to another server, awaiting its answer
)

// Registration is one account's registration for an event.
type Registration struct {
	bun.BaseModel `bun:"table:event_registrations,alias:reg"`

	ID        string `bun:",pk"`
	PostID    string
	AccountID string
	State     string
	URI       string `bun:",nullzero"`
	CreatedAt time.Time

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// InsertEvent stores the event row of a post.
func (d *DB) InsertEvent(ctx context.Context, e *CalendarEvent) error {
	_, err := d.q(ctx).NewInsert().Model(e).Exec(ctx)
	return wrap(err, "insert event")
}

// UpdateEvent writes the given columns of e.
func (d *DB) UpdateEvent(ctx context.Context, e *CalendarEvent, columns ...string) error {
	_, err := d.q(ctx).NewUpdate().Model(e).WherePK().Column(columns...).Exec(ctx)
	return wrap(err, "update event")
}

// LockEvent loads the event row of postID for a change of its list: the
// row stays locked until the transaction ends, so that registrations at the
// same time are counted one after the other (no place given twice).
func (d *DB) LockEvent(ctx context.Context, postID string) (*CalendarEvent, error) {
	if _, err := d.q(ctx).NewUpdate().Model((*CalendarEvent)(nil)).Set("capacity = capacity").
		Where("post_id = ?", postID).Exec(ctx); err != nil {
		return nil, wrap(err, "lock event")
	}
	e := new(CalendarEvent)
	err := d.q(ctx).NewSelect().Model(e).Where("post_id = ?", postID).Scan(ctx)
	return e, wrap(err, "lock event")
}

// EventsOf loads the event rows of posts, by post id.
func (d *DB) EventsOf(ctx context.Context, postIDs []string) (map[string]*CalendarEvent, error) {
	out := map[string]*CalendarEvent{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []*CalendarEvent
	err := d.q(ctx).NewSelect().Model(&rows).Where("ev.post_id IN (?)", bun.In(postIDs)).Scan(ctx)
	for _, e := range rows {
		out[e.PostID] = e
	}
	return out, wrap(err, "events of posts")
}

// EventFilter selects events, by start time.
type EventFilter struct {
	Reader   Reader
	SpaceID  string // a space's events
	AgendaOf string // the events of the spaces this account is an active member of, and those it registered for
	// Upcoming: events not ended at Now, soonest first; otherwise ended
	// ones, latest first.
	Upcoming bool
	Now      time.Time
	// Cursor: the start and id of the last event of the previous page.
	AfterStart time.Time
	AfterID    string
	Limit      int
}

// ListEvents returns the event posts f selects that its reader may see,
// without their event rows (EventsOf loads them).
func (d *DB) ListEvents(ctx context.Context, f EventFilter) ([]*Post, error) {
	var out []*Post
	q := d.postQuery(ctx, &out).
		Join("JOIN events AS ev ON ev.post_id = post.id").
		Where("post.kind = 'event'").
		Limit(int64(f.Limit))
	if f.SpaceID != "" {
		q = q.Where("post.space_id = ?", f.SpaceID)
	}
	if f.AgendaOf != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("post.space_id IN (SELECT space_id FROM space_members WHERE account_id = ? AND state = 'active')", f.AgendaOf).
				WhereOr("post.id IN (SELECT post_id FROM event_registrations WHERE account_id = ?)", f.AgendaOf).
				WhereOr("post.account_id = ?", f.AgendaOf)
		})
	}
	if f.Upcoming {
		q = q.Where("ev.ends_at > ?", f.Now).OrderExpr("ev.starts_at ASC, post.id ASC")
		if !f.AfterStart.IsZero() {
			q = q.Where("(ev.starts_at > ? OR (ev.starts_at = ? AND post.id > ?))", f.AfterStart, f.AfterStart, f.AfterID)
		}
	} else {
		q = q.Where("ev.ends_at <= ?", f.Now).OrderExpr("ev.starts_at DESC, post.id DESC")
		if !f.AfterStart.IsZero() {
			q = q.Where("(ev.starts_at < ? OR (ev.starts_at = ? AND post.id < ?))", f.AfterStart, f.AfterStart, f.AfterID)
		}
	}
	err := visiblePosts(q, f.Reader).Scan(ctx)
	return out, wrap(err, "list events")
}

// RegistrationOf loads accountID's registration for the event of postID.
func (d *DB) RegistrationOf(ctx context.Context, postID, accountID string) (*Registration, error) {
	r := new(Registration)
	err := d.q(ctx).NewSelect().Model(r).Where("post_id = ? AND account_id = ?", postID, accountID).Scan(ctx)
	return r, wrap(err, "registration")
}

// RegistrationByURI loads the registration that came, or was sent, as uri.
func (d *DB) RegistrationByURI(ctx context.Context, uri string) (*Registration, error) {
	r := new(Registration)
	err := d.q(ctx).NewSelect().Model(r).Where("uri = ?", uri).Scan(ctx)
	return r, wrap(err, "registration by uri")
}

// RegistrationStates returns accountID's registration states for the events
// of posts, by post id.
func (d *DB) RegistrationStates(ctx context.Context, postIDs []string, accountID string) (map[string]string, error) {
	out := map[string]string{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []*Registration
	err := d.q(ctx).NewSelect().Model(&rows).Column("post_id", "state").
		Where("post_id IN (?) AND account_id = ?", bun.In(postIDs), accountID).Scan(ctx)
	for _, r := range rows {
		out[r.PostID] = r.State
	}
	return out, wrap(err, "registration states")
}

// ListRegistrations lists an event's registrations in state, in order of
// arrival, with their accounts.
func (d *DB) ListRegistrations(ctx context.Context, postID, state string, limit int) ([]*Registration, error) {
	var out []*Registration
	err := d.q(ctx).NewSelect().Model(&out).Relation("Account").
		Where("reg.post_id = ? AND reg.state = ?", postID, state).
		OrderExpr("reg.created_at ASC, reg.id ASC").Limit(int64(limit)).Scan(ctx)
	return out, wrap(err, "list registrations")
}

// InsertRegistration stores a registration; a second one of the same
// account for the same event is ErrConflict.
func (d *DB) InsertRegistration(ctx context.Context, r *Registration) error {
	_, err := d.q(ctx).NewInsert().Model(r).Exec(ctx)
	return wrap(err, "insert registration")
}

// SetRegistration writes a registration's state and IRI.
func (d *DB) SetRegistration(ctx context.Context, r *Registration) error {
	_, err := d.q(ctx).NewUpdate().Model(r).WherePK().Column("state", "uri").Exec(ctx)
	return wrap(err, "set registration")
}

// SetRegistrationURI records the IRI of the Join a registration was sent as.
func (d *DB) SetRegistrationURI(ctx context.Context, id, uri string) error {
	_, err := d.q(ctx).NewUpdate().Model((*Registration)(nil)).Set("uri = ?", uri).Where("id = ?", id).Exec(ctx)
	return wrap(err, "set registration uri")
}

// DeleteRegistration removes a registration.
func (d *DB) DeleteRegistration(ctx context.Context, id string) error {
	_, err := d.q(ctx).NewDelete().Model((*Registration)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "delete registration")
}

// CountRegistrations sets an event's going and waiting counts from its
// registrations (local events: the node keeps the list).
func (d *DB) CountRegistrations(ctx context.Context, e *CalendarEvent) error {
	var rows []struct {
		State string
		N     int
	}
	err := d.q(ctx).NewSelect().Table("event_registrations").ColumnExpr("state, count(*) AS n").
		Where("post_id = ?", e.PostID).GroupExpr("state").Scan(ctx, &rows)
	if err != nil {
		return wrap(err, "count registrations")
	}
	e.GoingCount, e.WaitingCount = 0, 0
	for _, r := range rows {
		switch r.State {
		case RegistrationGoing:
			e.GoingCount = r.N
		case RegistrationWaiting:
			e.WaitingCount = r.N
		}
	}
	return d.UpdateEvent(ctx, e, "going_count", "waiting_count")
}

// EventsToRemind returns the ids of the posts of the events, local or
// not, starting between now and until whose going members were not
// reminded yet.
func (d *DB) EventsToRemind(ctx context.Context, now, until time.Time, limit int) ([]string, error) {
	var ids []string
	err := d.q(ctx).NewSelect().Model((*CalendarEvent)(nil)).Column("post_id").
		Where("ev.reminded_at IS NULL AND ev.starts_at > ? AND ev.starts_at <= ?", now, until).
		Where("ev.post_id IN (SELECT id FROM posts WHERE deleted_at IS NULL)").
		OrderExpr("ev.starts_at").Limit(int64(limit)).Scan(ctx, &ids)
	return ids, wrap(err, "events to remind")
}

// ClaimReminder marks the event of postID reminded at now, and tells
// whether this call did (another may have, in the meantime).
func (d *DB) ClaimReminder(ctx context.Context, postID string, now time.Time) (bool, error) {
	return d.claimOnce(ctx, (*CalendarEvent)(nil), "reminded_at", postID, now)
}

// GoingLocalIDs returns the local accounts going to the event of postID.
func (d *DB) GoingLocalIDs(ctx context.Context, postID string) ([]string, error) {
	var ids []string
	err := d.q(ctx).NewSelect().Table("event_registrations").Column("account_id").
		Where("post_id = ? AND state = 'going'", postID).
		Where("account_id IN (SELECT id FROM accounts WHERE domain = '')").Scan(ctx, &ids)
	return ids, wrap(err, "going local ids")
}

// calendarToken opens a member's private calendar: the hash of its secret.
type calendarToken struct {
	bun.BaseModel `bun:"table:calendar_tokens"`

	AccountID string `bun:",pk"`
	TokenHash string
	CreatedAt time.Time
}

// CalendarTokenOwner returns the account whose private calendar the token
// hash opens.
func (d *DB) CalendarTokenOwner(ctx context.Context, hash string) (string, error) {
	t := new(calendarToken)
	err := d.q(ctx).NewSelect().Model(t).Where("token_hash = ?", hash).Scan(ctx)
	return t.AccountID, wrap(err, "calendar token")
}

// SetCalendarToken replaces an account's calendar token; hash "" removes it.
func (d *DB) SetCalendarToken(ctx context.Context, accountID, hash string, now time.Time) error {
	if _, err := d.q(ctx).NewDelete().Model((*calendarToken)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return wrap(err, "clear calendar token")
	}
	if hash == "" {
		return nil
	}
	_, err := d.q(ctx).NewInsert().Model(&calendarToken{AccountID: accountID, TokenHash: hash, CreatedAt: now}).Exec(ctx)
	return wrap(err, "set calendar token")
}

// HasCalendarToken tells whether the account has a private calendar address.
func (d *DB) HasCalendarToken(ctx context.Context, accountID string) (bool, error) {
	ok, err := d.q(ctx).NewSelect().Model((*calendarToken)(nil)).Where("account_id = ?", accountID).Exists(ctx)
	return ok, wrap(err, "has calendar token")
}

// RegistrationsOfAccount lists an account's registrations, oldest first.
func (d *DB) RegistrationsOfAccount(ctx context.Context, accountID string) ([]*Registration, error) {
	var out []*Registration
	err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at, id").Scan(ctx)
	return out, wrap(err, "registrations of account")
}
