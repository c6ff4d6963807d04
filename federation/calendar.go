package federation

import (
	"context"
	"errors"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Events, as Mobilizon federates them: a post of kind event is an Event
// (startTime, endTime, timezone, location, maximumAttendeeCapacity,
// participantCount, joinMode "free"). A remote account registers with a
// Join of the Event, sent to its organizer: this node answers Accept when
// it has a place for them, and, for the waiting list, once a place frees
// up. A Leave of the Event (or the Undo of the Join) takes the
// registration back. A local member registering for another server's
// event sends the Join the same way, and goes once the Accept comes.

// eventOf is the Event of a post of kind event, or nil.
func eventOf(p *spaces.Post) *activitystreams.Event {
	e := p.Event
	if e == nil {
		return nil
	}
	return &activitystreams.Event{StartTime: e.StartsAt, EndTime: e.EndsAt, TimeZone: e.TimeZone,
		PlaceName: e.PlaceName, Address: e.Address, OnlineURL: e.OnlineURL, Capacity: e.Capacity, Going: e.GoingCount}
}

// eventInput is what the domain takes of a remote Event.
func eventInput(e *activitystreams.Event) *spaces.EventInput {
	return &spaces.EventInput{StartsAt: e.StartTime, EndsAt: e.EndTime, TimeZone: e.TimeZone,
		PlaceName: cutRunes(e.PlaceName, 200), Address: cutRunes(e.Address, 500), OnlineURL: e.OnlineURL,
		Capacity: e.Capacity, Going: e.Going}
}

// onJoin: a Join of a local space's Group is a membership request; of a
// local event, a registration.
func (f *Federation) onJoin(ctx context.Context, r *Received) error {
	if _, ok := f.localPostID(r.Object.ID); ok {
		return f.onEventJoin(ctx, r)
	}
	return f.onJoinGroup(ctx, r)
}

// onEventJoin registers a remote account for a local event; a registration
// that takes a place is accepted (by the listener, as promotions are), and
// a refusal answered with Reject so that the other server does not wait.
func (f *Federation) onEventJoin(ctx context.Context, r *Received) error {
	p, err := f.postByIRI(ctx, r.Object.ID)
	if err != nil {
		return ignoreNotFound(mapNotFound(err))
	}
	reg, err := f.spaces.ReceiveEventJoin(withReceived(ctx, r), r.From, p.ID, r.ID)
	switch {
	case err == nil:
		if reg.URI != r.ID && reg.State == spaces.RegistrationGoing { // asked again: our answer was lost
			return f.store.Tx(ctx, func(ctx context.Context) error { return f.answerEventJoin(ctx, "Accept", p, reg, r.From) })
		}
		return nil
	case spaces.KindOf(err) == spaces.KindNotFound:
		return ErrIgnored // an event they may not see: no answer, as for none
	case spaces.KindOf(err) != spaces.KindInternal:
		reg := &spaces.Registration{URI: r.ID}
		if rerr := f.store.Tx(ctx, func(ctx context.Context) error { return f.answerEventJoin(ctx, "Reject", p, reg, r.From) }); rerr != nil {
			return rerr
		}
	}
	return err
}

// answerEventJoin sends the organizer's Accept or Reject of a remote
// account's Join of event p.
func (f *Federation) answerEventJoin(ctx context.Context, typ string, p *spaces.Post, reg *spaces.Registration, to *spaces.Account) error {
	author := p.Author
	if author == nil || author.ID != p.AccountID {
		var err error
		if author, err = f.rows.AccountByID(ctx, p.AccountID); err != nil {
			return err
		}
	}
	join := map[string]any{"id": reg.URI, "type": "Join", "actor": to.URI, "object": f.PostIRI(p)}
	_, err := f.Send(ctx, author, activitystreams.Activity{Type: typ, Object: join, To: []string{to.URI}}, to.URI)
	return err
}

// onLeaveAny: a Leave of a local space's Group is leaving it; of an event,
// taking back a registration.
func (f *Federation) onLeaveAny(ctx context.Context, r *Received) error {
	if _, ok := f.localPostID(r.Object.ID); !ok {
		return f.onLeave(ctx, r)
	}
	p, err := f.postByIRI(ctx, r.Object.ID)
	if err != nil {
		return ignoreNotFound(mapNotFound(err))
	}
	return ignoreNotFound(f.spaces.ReceiveEventLeave(withReceived(ctx, r), r.From, p.ID))
}

// undoEventJoin: the Undo of a registration's Join, by its registrant.
// ok is false when r undoes no registration.
func (f *Federation) undoEventJoin(ctx context.Context, r *Received) (ok bool, err error) {
	if r.Object.ID == "" {
		return false, nil
	}
	reg, err := f.rows.RegistrationByURI(ctx, r.Object.ID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	if reg.AccountID != r.From.ID {
		return true, &spaces.Error{Kind: spaces.KindForbidden, Code: "not_registrant", Message: "only the registrant takes a registration back"}
	}
	return true, ignoreNotFound(f.spaces.ReceiveEventLeave(withReceived(ctx, r), r.From, reg.PostID))
}

// answeredEventJoin: an Accept or Reject of a local member's Join of
// another server's event. ok is false when r answers no registration.
func (f *Federation) answeredEventJoin(ctx context.Context, r *Received, accept bool) (ok bool, err error) {
	if r.Object.ID == "" {
		return false, nil
	}
	if _, err := f.rows.RegistrationByURI(ctx, r.Object.ID); errors.Is(err, db.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	return true, ignoreNotFound(f.spaces.AnswerEventJoin(withReceived(ctx, r), r.From, r.Object.ID, accept))
}

// onEventRegistered: a local member's registration for another server's
// event goes there as a Join, to its organizer; a remote account's that
// takes a place is accepted.
func (f *Federation) onEventRegistered(ctx context.Context, p *spaces.Post, reg *spaces.Registration) error {
	switch {
	case !p.Local && reg.Account.IsLocal():
		author, err := f.rows.AccountByID(ctx, p.AccountID)
		if err != nil {
			return err
		}
		act, err := f.Send(ctx, reg.Account, activitystreams.Activity{Type: "Join", Object: p.URI, To: []string{author.URI}}, author.URI)
		if err != nil {
			return err
		}
		reg.URI = act.URI
		return f.rows.SetRegistrationURI(ctx, reg.ID, reg.URI)
	case p.Local && !reg.Account.IsLocal() && reg.State == spaces.RegistrationGoing:
		return f.answerEventJoin(ctx, "Accept", p, reg, reg.Account)
	}
	return nil
}

// onEventUnregistered: a local member's registration for another server's
// event is taken back there with a Leave.
func (f *Federation) onEventUnregistered(ctx context.Context, p *spaces.Post, reg *spaces.Registration) error {
	if p.Local || !reg.Account.IsLocal() || reg.URI == "" {
		return nil
	}
	author, err := f.rows.AccountByID(ctx, p.AccountID)
	if err != nil {
		return err
	}
	_, err = f.Send(ctx, reg.Account, activitystreams.Activity{Type: "Leave", Object: p.URI, To: []string{author.URI}}, author.URI)
	return err
}

// onPromoted: remote accounts promoted from the waiting list of a local
// event are accepted now.
func (f *Federation) onPromoted(ctx context.Context, p *spaces.Post, regs []*spaces.Registration) error {
	for _, reg := range regs {
		if reg.Account != nil && !reg.Account.IsLocal() && reg.URI != "" {
			if err := f.answerEventJoin(ctx, "Accept", p, reg, reg.Account); err != nil {
				return err
			}
		}
	}
	return nil
}
