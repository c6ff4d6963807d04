package spaces

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // time zones on machines without a zoneinfo database

	"github.com/ruche-social/ruche/db"
)

// Events. A space's calendar holds posts of kind event: a title and a
// description like an article's, and when and where it takes place — a
// start and an end in a time zone, a place and an address, or a link to
// take part online — and how many may come. Anyone who may see an event
// registers for it (members of the space, followers on other servers)
// until it ends: going while there are places, then on a waiting list, in
// order of arrival, from which a freed place promotes the first. A
// member's agenda gathers the events of their spaces and those they
// registered for; those going are reminded the day before.

// KindEvent is the kind of a post that is an event.
const KindEvent = "event"

// Limits of an event.
const (
	MaxEventDuration   = 366 * 24 * time.Hour
	MaxEventCapacity   = 100_000
	maxPlaceNameRunes  = 200
	maxAddressRunes    = 500
	maxOnlineURLLength = 2_000
	// EventReminderLead is how long before an event starts its
	// participants are reminded of it.
	EventReminderLead = 24 * time.Hour
)

// Registration states.
const (
	RegistrationGoing   = db.RegistrationGoing
	RegistrationWaiting = db.RegistrationWaiting
	RegistrationPending = db.RegistrationPending
)

// EventInput is the when and where of a new or edited event.
type EventInput struct {
	StartsAt, EndsAt time.Time
	TimeZone         string // IANA name, e.g. Europe/Paris; default UTC
	PlaceName        string
	Address          string
	OnlineURL        string
	Capacity         int // 0: no limit

	// Remote events: how many go, as their server publishes it.
	Going int
}

var errEventNotFound = notFound("event_not_found", "this post is not an event")

// newEvent checks in and makes the event row of post p. A remote event is
// taken as its server describes it, within bounds.
func (s *Service) newEvent(p *Post, in *EventInput, remote bool) (*CalendarEvent, error) {
	if p.Kind != KindEvent {
		return nil, invalid("event", "event_not_allowed", "only an event has a date and a place")
	}
	e := &CalendarEvent{PostID: p.ID}
	return e, s.fillEvent(e, in, remote)
}

// fillEvent checks in and writes it onto e.
func (s *Service) fillEvent(e *CalendarEvent, in *EventInput, remote bool) error {
	tz := strings.TrimSpace(in.TimeZone)
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		if !remote {
			return invalid("time_zone", "time_zone_invalid", "unknown time zone")
		}
		tz = "UTC"
	}
	start, end := in.StartsAt.UTC().Truncate(time.Second), in.EndsAt.UTC().Truncate(time.Second)
	if start.IsZero() {
		return invalid("starts_at", "event_start_required", "an event needs a start")
	}
	if remote && !end.After(start) {
		end = start.Add(time.Hour) // an event without an end: an hour, for calendars
	}
	switch {
	case !end.After(start):
		return invalid("ends_at", "event_end_before_start", "an event ends after it starts")
	case end.Sub(start) > MaxEventDuration:
		return invalid("ends_at", "event_too_long", "an event lasts at most a year")
	case !remote && !end.After(s.now()):
		return invalid("ends_at", "event_past", "this event would be over already")
	}
	place, address := strings.Join(strings.Fields(in.PlaceName), " "), strings.TrimSpace(in.Address)
	if remote { // text, line by line: an address keeps its lines
		lines := strings.Split(address, "\n")
		for i, l := range lines {
			lines[i] = PlainText(l)
		}
		place, address = PlainText(place), strings.TrimSpace(strings.Join(lines, "\n"))
	}
	if err := checkText("place_name", place, maxPlaceNameRunes, false); err != nil {
		return err
	}
	if err := checkText("address", address, maxAddressRunes, true); err != nil {
		return err
	}
	link := strings.TrimSpace(in.OnlineURL)
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > maxOnlineURLLength {
			if !remote {
				return invalid("online_url", "online_url_invalid", "the online link is a web address (https://…)")
			}
			link = ""
		}
	}
	if in.Capacity < 0 || in.Capacity > MaxEventCapacity {
		if !remote {
			return invalid("capacity", "capacity_invalid", "the places are a number from 0 (no limit) to 100,000")
		}
		in.Capacity = 0
	}
	if !start.Equal(e.StartsAt) {
		e.RemindedAt = time.Time{} // a new date: remind again
	}
	e.StartsAt, e.EndsAt, e.TimeZone = start, end, tz
	e.PlaceName, e.Address, e.OnlineURL, e.Capacity = place, address, link, in.Capacity
	if remote {
		e.GoingCount = max(in.Going, 0)
	}
	return nil
}

// Location returns the time zone an event is shown in.
func EventLocation(e *CalendarEvent) *time.Location {
	if loc, err := time.LoadLocation(e.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// editEvent applies an edit's event fields to p's event, and gives places
// freed by a larger capacity to the waiting list.
func (s *Service) editEvent(ctx context.Context, tx *db.DB, by *Account, p *Post, in *EventInput) error {
	if in == nil {
		return nil
	}
	e, err := tx.LockEvent(ctx, p.ID)
	if errors.Is(err, db.ErrNotFound) {
		return invalid("event", "event_not_allowed", "only an event has a date and a place")
	} else if err != nil {
		return err
	}
	if err := s.fillEvent(e, in, !by.IsLocal()); err != nil {
		return err
	}
	if err := tx.UpdateEvent(ctx, e, "starts_at", "ends_at", "time_zone", "place_name", "address", "online_url",
		"capacity", "going_count", "reminded_at"); err != nil {
		return err
	}
	p.Event = e
	if !p.Local {
		return nil
	}
	return s.promote(ctx, tx, p, e)
}

// JoinEvent puts by on the list of the event of postID: going while there
// are places, waiting once it is full. A registration to another server's
// event waits for its answer. Registering again changes nothing.
func (s *Service) JoinEvent(ctx context.Context, by *Account, postID string) (*Registration, error) {
	return s.register(ctx, by, postID, "")
}

// ReceiveEventJoin registers a remote account for a local event, as the
// Join activity uri asked.
func (s *Service) ReceiveEventJoin(ctx context.Context, by *Account, postID, uri string) (*Registration, error) {
	if by.IsLocal() || uri == "" {
		return nil, invalid("uri", "remote_registration_fields", "a remote registration comes with its IRI")
	}
	return s.register(ctx, by, postID, uri)
}

func (s *Service) register(ctx context.Context, by *Account, postID, uri string) (*Registration, error) {
	if !canAct(by) || by.Type != TypePerson {
		return nil, errUnauthenticated
	}
	var out *Registration
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, err := s.eventPost(ctx, tx, by, postID)
		if err != nil {
			return err
		}
		e, err := tx.LockEvent(ctx, p.ID) // its counts, as they are once it is ours to change
		if errors.Is(err, db.ErrNotFound) {
			return errEventNotFound
		} else if err != nil {
			return err
		}
		p.Event = e
		if !p.Local && uri != "" {
			return forbidden("not_local_event", "this node registers only for its own events")
		}
		if r, err := tx.RegistrationOf(ctx, p.ID, by.ID); err == nil {
			out = r
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if err := s.mayRegister(ctx, tx, by, p, e); err != nil {
			return err
		}
		r := &Registration{ID: newID(), PostID: p.ID, AccountID: by.ID, URI: uri, CreatedAt: s.now(), Account: by}
		switch {
		case !p.Local:
			r.State = RegistrationPending
		case e.Capacity > 0 && e.GoingCount >= e.Capacity:
			r.State = RegistrationWaiting
		default:
			r.State = RegistrationGoing
		}
		if err := tx.InsertRegistration(ctx, r); err != nil {
			return err
		}
		if p.Local {
			if err := tx.CountRegistrations(ctx, e); err != nil {
				return err
			}
		}
		out = r
		return s.emit(ctx, tx, EventRegistered{Post: p, Registration: r})
	})
	if errors.Is(err, db.ErrConflict) {
		return nil, conflict("", "already_registered", "you are registered for this event already")
	}
	if err != nil {
		return nil, internal("register", err)
	}
	return out, nil
}

// eventPost loads the event post of postID that by may see, with its
// space; its event row is the caller's to read (locked, for a change).
func (s *Service) eventPost(ctx context.Context, tx *db.DB, by *Account, postID string) (*Post, error) {
	p, err := s.visiblePost(ctx, tx, by, postID, tx.VisiblePostHead)
	if err != nil {
		return nil, err
	}
	if p.Kind != KindEvent {
		return nil, errEventNotFound
	}
	if p.SpaceID != "" {
		if p.Space, err = tx.SpaceByAccountID(ctx, p.SpaceID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// mayRegister is the rule of registration: the event has not ended, its
// space is live, and by is not banned from it.
func (s *Service) mayRegister(ctx context.Context, tx *db.DB, by *Account, p *Post, e *CalendarEvent) error {
	if !e.EndsAt.After(s.now()) {
		return conflict("", "event_ended", "this event is over")
	}
	if p.Space == nil {
		return nil
	}
	if p.Space.IsArchived() {
		return errArchived
	}
	m, err := s.membershipOf(ctx, tx, p.Space, by)
	if err != nil {
		return err
	}
	if m != nil && m.State == StateBanned {
		return forbidden("banned", "you are banned from this space")
	}
	return nil
}

// LeaveEvent takes by off the list of the event of postID (going, waiting
// or pending); a place freed goes to the first who waits.
func (s *Service) LeaveEvent(ctx context.Context, by *Account, postID string) error {
	if !canAct(by) {
		return errUnauthenticated
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, err := tx.PostByID(ctx, postID)
		if err != nil {
			return notFoundOr("unregister", err, errPostNotFound)
		}
		r, err := tx.RegistrationOf(ctx, p.ID, by.ID)
		if errors.Is(err, db.ErrNotFound) {
			return nil // not registered: nothing to undo
		} else if err != nil {
			return err
		}
		return s.dropRegistration(ctx, tx, p, r, by)
	})
	if err != nil {
		return internal("unregister", err)
	}
	return nil
}

// dropRegistration removes r from p's event and promotes who waits.
func (s *Service) dropRegistration(ctx context.Context, tx *db.DB, p *Post, r *Registration, by *Account) error {
	if err := tx.DeleteRegistration(ctx, r.ID); err != nil {
		return err
	}
	r.Account = by
	e, err := tx.LockEvent(ctx, p.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	p.Event = e
	if err := s.emit(ctx, tx, EventUnregistered{Post: p, Registration: r}); err != nil {
		return err
	}
	if e == nil || e.PostID == "" || !p.Local {
		return nil
	}
	if err := tx.CountRegistrations(ctx, e); err != nil {
		return err
	}
	return s.promote(ctx, tx, p, e)
}

// ReceiveEventLeave takes a remote account off the list of a local event, as
// its Leave (or the Undo of its Join) asked.
func (s *Service) ReceiveEventLeave(ctx context.Context, by *Account, postID string) error {
	if by.IsLocal() {
		return invalid("uri", "remote_registration_fields", "a remote leave comes from another server")
	}
	return s.LeaveEvent(ctx, by, postID)
}

// promote gives the places free in local event e to the first who wait,
// and tells them.
func (s *Service) promote(ctx context.Context, tx *db.DB, p *Post, e *CalendarEvent) error {
	free := e.Capacity - e.GoingCount
	if e.WaitingCount == 0 || (e.Capacity > 0 && free <= 0) {
		return nil
	}
	limit := e.WaitingCount
	if e.Capacity > 0 {
		limit = min(free, limit)
	}
	waiting, err := tx.ListRegistrations(ctx, p.ID, RegistrationWaiting, limit)
	if err != nil {
		return err
	}
	for _, r := range waiting {
		r.State = RegistrationGoing
		if err := tx.SetRegistration(ctx, r); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, NotifyEventPlace, p.Author, p, p.Space, r.Account); err != nil {
			return err
		}
	}
	if err := tx.CountRegistrations(ctx, e); err != nil {
		return err
	}
	return s.emit(ctx, tx, RegistrationsPromoted{Post: p, Registrations: waiting})
}

// AnswerEventJoin records the answer of another server (by: the
// event's author or its space) to a local member's registration sent as
// uri: accepted, they go; refused, they are off the list.
func (s *Service) AnswerEventJoin(ctx context.Context, by *Account, uri string, accept bool) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		r, err := tx.RegistrationByURI(ctx, uri)
		if err != nil {
			return notFoundOr("answer registration", err, notFound("registration_not_found", "no such registration"))
		}
		p, err := tx.PostByID(ctx, r.PostID)
		if err != nil {
			return err
		}
		if p.Local || (p.AccountID != by.ID && p.SpaceID != by.ID) {
			return forbidden("not_organizer", "only the event's server answers a registration")
		}
		if !accept {
			return tx.DeleteRegistration(ctx, r.ID)
		}
		r.State = RegistrationGoing
		return tx.SetRegistration(ctx, r)
	})
	if err != nil {
		return internal("answer registration", err)
	}
	return nil
}

// EventPage selects a page of events: upcoming ones, soonest first, or
// (Past) ended ones, latest first; After is the id of the last event of
// the previous page.
type EventPage struct {
	Past  bool
	After string
	Limit int
}

// SpaceEvents lists the events of a space that viewer may see.
func (s *Service) SpaceEvents(ctx context.Context, viewer *Account, handle string, p EventPage) ([]*Post, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	return s.listEvents(ctx, viewer, db.EventFilter{SpaceID: sp.AccountID}, p)
}

// Agenda lists the events of viewer's spaces and those they registered for.
func (s *Service) Agenda(ctx context.Context, viewer *Account, p EventPage) ([]*Post, error) {
	if !canAct(viewer) {
		return nil, errUnauthenticated
	}
	return s.listEvents(ctx, viewer, db.EventFilter{AgendaOf: viewer.ID}, p)
}

func (s *Service) listEvents(ctx context.Context, viewer *Account, f db.EventFilter, p EventPage) ([]*Post, error) {
	f.Reader, f.Upcoming, f.Now, f.Limit = s.Reader(viewer), !p.Past, s.now(), pageSize(p.Limit)
	if p.After != "" {
		events, err := s.db.EventsOf(ctx, []string{p.After})
		if err != nil {
			return nil, internal("events", err)
		}
		if e := events[p.After]; e != nil {
			f.AfterStart, f.AfterID = e.StartsAt, e.PostID
		}
	}
	out, err := s.db.ListEvents(ctx, f)
	if err != nil {
		return nil, internal("events", err)
	}
	return out, s.withSpaces(ctx, out)
}

// withEvents attaches to posts of kind event their event rows.
func (s *Service) withEvents(ctx context.Context, r *db.DB, posts []*Post) error {
	var ids []string
	for _, p := range posts {
		if p.Kind == KindEvent {
			ids = append(ids, p.ID)
		}
	}
	events, err := r.EventsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range posts {
		p.Event = events[p.ID]
	}
	return nil
}

// RegistrationStates returns, by post id, viewer's registration states for
// the events among posts (attached already).
func (s *Service) RegistrationStates(ctx context.Context, viewer *Account, posts []*Post) (map[string]string, error) {
	var ids []string
	for _, p := range posts {
		if p.Event != nil {
			ids = append(ids, p.ID)
		}
	}
	if !canAct(viewer) || len(ids) == 0 {
		return map[string]string{}, nil
	}
	out, err := s.db.RegistrationStates(ctx, ids, viewer.ID)
	if err != nil {
		return nil, internal("registration states", err)
	}
	return out, nil
}

// EventState is what a reader sees and may do of an event.
type EventState struct {
	Ended    bool
	Full     bool // no place left: a registration waits
	State    string
	Register bool
	Leave    bool
	// SignIn: the reader is not signed in, and could register once they
	// are (the event is still open).
	SignIn bool
}

// EventStateFor says what viewer, whose registration is in state ("" if
// none), may do of the event p: register (or join the waiting list) until
// it ends, leave the list they are on; a reader who is not signed in is
// asked to.
func (s *Service) EventStateFor(viewer *Account, p *Post, state string) EventState {
	e := p.Event
	if e == nil {
		return EventState{}
	}
	ended := !e.EndsAt.After(s.now())
	live := !ended && !p.IsDeleted() && (p.Space == nil || !p.Space.IsArchived())
	person := canAct(viewer) && viewer.Type == TypePerson
	return EventState{
		Ended:    ended,
		Full:     p.Local && e.Capacity > 0 && e.GoingCount >= e.Capacity,
		State:    state,
		Register: person && live && state == "",
		Leave:    person && state != "" && !ended,
		SignIn:   viewer == nil && live,
	}
}

// Registrants lists who goes to an event and who waits, for its author and
// the moderators of its space.
func (s *Service) Registrants(ctx context.Context, viewer *Account, postID string) (going, waiting []*Registration, err error) {
	if !canAct(viewer) {
		return nil, nil, errUnauthenticated
	}
	p, err := s.eventPost(ctx, s.db, viewer, postID)
	if err != nil {
		return nil, nil, internal("registrants", err)
	}
	if p.AccountID != viewer.ID {
		ok, err := s.mayModeratePost(ctx, s.db, viewer, p, p.Space)
		if err != nil {
			return nil, nil, internal("registrants", err)
		}
		if !ok {
			return nil, nil, forbidden("not_organizer", "only the organizer and the moderators see the list")
		}
	}
	if going, err = s.db.ListRegistrations(ctx, p.ID, RegistrationGoing, MaxEventCapacity); err != nil {
		return nil, nil, internal("registrants", err)
	}
	if waiting, err = s.db.ListRegistrations(ctx, p.ID, RegistrationWaiting, MaxEventCapacity); err != nil {
		return nil, nil, internal("registrants", err)
	}
	return going, waiting, nil
}

// RemindEvents notifies the local members going to an event that starts
// within EventReminderLead, once per event (and again if its date moves).
// The node calls it every minute, from every worker: each event is claimed
// by one. It returns how many events it reminded of.
func (s *Service) RemindEvents(ctx context.Context) (int, error) {
	now := s.now()
	ids, err := s.db.EventsToRemind(ctx, now, now.Add(EventReminderLead), 100)
	if err != nil {
		return 0, internal("remind events", err)
	}
	return s.eachClaimed(ctx, "remind events", ids, now, (*db.DB).ClaimReminder, func(tx *db.DB, p *Post) error {
		going, err := tx.GoingLocalIDs(ctx, p.ID)
		if err != nil {
			return err
		}
		return s.notifyIDs(ctx, tx, NotifyEventReminder, p.Author, p, p.Space, going)
	})
}

// eachClaimed does job, each in a transaction of its own, for the live
// posts of ids that claim marks as this worker's: the work that comes with
// time, which every worker runs and one does for each post (another may
// have claimed it first). job gets the post with its parts and space. It
// returns how many posts it did.
func (s *Service) eachClaimed(ctx context.Context, op string, ids []string, now time.Time,
	claim func(tx *db.DB, ctx context.Context, postID string, now time.Time) (bool, error),
	job func(tx *db.DB, p *Post) error) (int, error) {
	done := 0
	for _, id := range ids {
		err := s.db.InTx(ctx, func(tx *db.DB) error {
			if claimed, err := claim(tx, ctx, id, now); err != nil || !claimed {
				return err
			}
			p, err := s.reload(ctx, tx, id, nil, nil)
			if err != nil || p.IsDeleted() {
				return err
			}
			if p.SpaceID != "" {
				if p.Space, err = tx.SpaceByAccountID(ctx, p.SpaceID); err != nil {
					return err
				}
			}
			done++
			return job(tx, p)
		})
		if err != nil {
			return done, internal(op, err)
		}
	}
	return done, nil
}

// Calendars. A space's calendar is public like the space; a member's
// agenda has a private address, a secret they may reset at any time (the
// node keeps only its hash, and shows it once).

// NewCalendarToken gives by a new private calendar address, ending the
// previous one, and returns its secret.
func (s *Service) NewCalendarToken(ctx context.Context, by *Account) (string, error) {
	if !canAct(by) || by.User == nil {
		return "", errUnauthenticated
	}
	token, hash := newToken()
	if err := s.db.SetCalendarToken(ctx, by.ID, hash, s.now()); err != nil {
		return "", internal("calendar token", err)
	}
	return token, nil
}

// RevokeCalendarToken ends by's private calendar address.
func (s *Service) RevokeCalendarToken(ctx context.Context, by *Account) error {
	if !canAct(by) || by.User == nil {
		return errUnauthenticated
	}
	if err := s.db.SetCalendarToken(ctx, by.ID, "", s.now()); err != nil {
		return internal("revoke calendar token", err)
	}
	return nil
}

// HasCalendarToken tells whether by has a private calendar address.
func (s *Service) HasCalendarToken(ctx context.Context, by *Account) (bool, error) {
	if !canAct(by) {
		return false, nil
	}
	ok, err := s.db.HasCalendarToken(ctx, by.ID)
	if err != nil {
		return false, internal("calendar token", err)
	}
	return ok, nil
}

// calendarSpan is how far back a calendar file reaches: the events of the
// last months stay in subscribers' calendars.
const calendarSpan = 90 * 24 * time.Hour

// AgendaByToken returns the member whose private address token is, and
// their agenda for a calendar file: from three months ago on.
func (s *Service) AgendaByToken(ctx context.Context, token string) (*Account, []*Post, error) {
	errToken := notFound("calendar_not_found", "no calendar at this address")
	if token == "" {
		return nil, nil, errToken
	}
	id, err := s.db.CalendarTokenOwner(ctx, hashToken(token))
	if err != nil {
		return nil, nil, notFoundOr("calendar", err, errToken)
	}
	a, err := s.db.AccountByID(ctx, id)
	if err != nil || !canAct(a) {
		return nil, nil, errToken
	}
	posts, err := s.calendar(ctx, a, db.EventFilter{AgendaOf: a.ID})
	return a, posts, err
}

// SpaceCalendar returns the events of a space viewer may see for a
// calendar file: from three months ago on.
func (s *Service) SpaceCalendar(ctx context.Context, viewer *Account, handle string) (*Space, []*Post, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, nil, err
	}
	posts, err := s.calendar(ctx, viewer, db.EventFilter{SpaceID: sp.AccountID})
	return sp, posts, err
}

// EventCalendar is one event viewer may see, with its space, for a
// calendar file of its own ("add to my calendar").
func (s *Service) EventCalendar(ctx context.Context, viewer *Account, postID string) (*Post, error) {
	p, err := s.GetPost(ctx, viewer, postID)
	if err != nil {
		return nil, err
	}
	if p.Kind != KindEvent || p.IsDeleted() {
		return nil, errEventNotFound
	}
	if err := s.WithParts(ctx, []*Post{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// calendar lists the events f selects that viewer may see, ended less than
// calendarSpan ago or to come, soonest first.
func (s *Service) calendar(ctx context.Context, viewer *Account, f db.EventFilter) ([]*Post, error) {
	f.Reader, f.Upcoming, f.Now, f.Limit = s.Reader(viewer), true, s.now().Add(-calendarSpan), 1000
	out, err := s.db.ListEvents(ctx, f)
	if err != nil {
		return nil, internal("calendar", err)
	}
	return out, s.withSpaces(ctx, out)
}
