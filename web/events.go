package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// Events: a space's events tab, the registration buttons of an event, and a
// member's agenda with its private calendar address. Events are written in
// the composer (compose.go); the calendar files (.ics) are another door's.

// eventFields are the when and where of an event's form, named as the
// domain names the fields its errors are about.
var eventFields = []string{"starts_at", "ends_at", "time_zone", "place_name", "address", "online_url", "capacity"}

// eventZones are the time zones the event form offers: UTC, the European
// countries of the networks on Ruche, and the French overseas departments
// and territories, whose local authorities meet in their own time.
var eventZones = []string{
	"UTC",
	"Europe/Lisbon", "Atlantic/Canary", "Europe/London", "Europe/Dublin",
	"Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Amsterdam", "Europe/Berlin",
	"Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid", "Europe/Copenhagen",
	"Europe/Oslo", "Europe/Stockholm", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
	"Europe/Helsinki", "Europe/Athens", "Europe/Bucharest", "Europe/Sofia", "Europe/Kyiv",
	"America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion",
	"Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti",
}

// localeZones is the time zone a new event starts in, by the language of
// the interface, when its space has no event to take it from.
var localeZones = map[string]string{"fr": "Europe/Paris", "en": "Europe/London", "de": "Europe/Berlin"}

// dateTimeLocal is the format of an <input type="datetime-local">: a
// wall-clock time, read in the event's time zone.
const dateTimeLocal = "2006-01-02T15:04"

// eventInput reads the when and where of an event's form. The start and
// end are wall-clock times in the chosen zone. A date that cannot be read
// is no date (browsers send the input's format): the domain then asks for a
// start, or finds the end before it.
func eventInput(f url.Values) *spaces.EventInput {
	zone := f.Get("time_zone")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC // the domain refuses the zone (time_zone_invalid)
	}
	return &spaces.EventInput{
		StartsAt: wallClock(f.Get("starts_at"), loc), EndsAt: wallClock(f.Get("ends_at"), loc), TimeZone: zone,
		PlaceName: f.Get("place_name"), Address: f.Get("address"), OnlineURL: f.Get("online_url"),
		Capacity: capacity(f.Get("capacity")),
	}
}

// wallClock reads a datetime-local value (with or without seconds) in loc.
func wallClock(v string, loc *time.Location) time.Time {
	for _, layout := range []string{dateTimeLocal, dateTimeLocal + ":05"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

// capacity reads the places of an event: empty is no limit; what is not a
// number is left to the domain's refusal (capacity_invalid).
func capacity(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// fillEventForm puts an event's when and where in its edit form.
func fillEventForm(f *form, e *spaces.CalendarEvent) {
	loc := spaces.EventLocation(e)
	f.Values.Set("starts_at", e.StartsAt.In(loc).Format(dateTimeLocal))
	f.Values.Set("ends_at", e.EndsAt.In(loc).Format(dateTimeLocal))
	f.Values.Set("time_zone", e.TimeZone)
	f.Values.Set("place_name", e.PlaceName)
	f.Values.Set("address", e.Address)
	f.Values.Set("online_url", e.OnlineURL)
	f.Values.Set("capacity", strconv.Itoa(e.Capacity))
}

// defaultZone is the time zone a new event in the space handle starts in:
// that of the space's latest event (a space meets where it met before),
// else its next one, else the one of the interface's language.
func (w *Web) defaultZone(r *http.Request, rq *request, handle string) (string, error) {
	if handle != "" {
		for _, past := range []bool{true, false} {
			list, err := w.spaces.SpaceEvents(r.Context(), rq.viewer, handle, spaces.EventPage{Past: past, Limit: 1})
			if err != nil {
				return "", err
			}
			if len(list) > 0 && list[0].Event != nil {
				return list[0].Event.TimeZone, nil
			}
		}
	}
	return localeZones[rq.locale()], nil
}

// eventFeed is a page of events, and the link to the next: events are paged
// by date, after the last one shown.
func (w *Web) eventFeed(r *http.Request, rq *request, posts []*spaces.Post, rights *spaces.SpaceRights) (feedView, error) {
	views, err := w.postViews(r.Context(), rq.viewer, rq.locale(), posts, rights)
	if err != nil {
		return feedView{}, err
	}
	fv := feedView{Posts: views}
	if len(posts) == feedPage {
		fv.More = nextPage(r, "after", posts[len(posts)-1].ID)
	}
	return fv, nil
}

type spaceEventsPage struct {
	Head     *spaceHead
	Feed     feedView
	Past     bool
	Calendar string // the address of the space's calendar file; "" for a remote space
}

// spaceEvents: GET /spaces/{slug}/events?past=1&after= — the space's
// events to come, soonest first, or (past) those over, latest first.
func (w *Web) spaceEvents(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.loadSpace(r, rq, "events")
	if err != nil {
		return err
	}
	if !h.Space.ToolOn(spaces.ToolEvents) {
		return errNotFound // switched off: the events stay, unlisted
	}
	q := r.URL.Query()
	page := spaces.EventPage{Past: q.Get("past") == "1", After: q.Get("after"), Limit: feedPage}
	posts, err := w.spaces.SpaceEvents(r.Context(), rq.viewer, accountHandle(h.Space.Account), page)
	if err != nil {
		return err
	}
	view := spaceEventsPage{Head: h, Past: page.Past}
	if view.Feed, err = w.eventFeed(r, rq, posts, h.Rights); err != nil {
		return err
	}
	if h.Space.Account.IsLocal() {
		view.Calendar = w.opts.PublicURL + spaceURL(h.Space) + "/calendar.ics"
	}
	w.render(rw, r, rq, http.StatusOK, "space_events", rq.cat.T("space.events_title", "name", h.Space.Account.DisplayName), view)
	return nil
}

// registrationFlash is what a member reads once registered, by the state
// of their registration.
var registrationFlash = map[string]string{
	spaces.RegistrationGoing:   "flash.registered",
	spaces.RegistrationWaiting: "flash.waiting",
	spaces.RegistrationPending: "flash.registration_sent",
}

// registration: POST /posts/{id}/registration — going=1 registers for the
// event (on its waiting list when it is full), going=0 takes the member off
// its lists; back to the page the button was on.
func (w *Web) registration(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	id := mux.Vars(r)["id"]
	flash := "flash.unregistered"
	if r.PostForm.Get("going") == "1" {
		reg, err := w.spaces.JoinEvent(r.Context(), me, id)
		if err != nil {
			return err
		}
		flash = registrationFlash[reg.State]
	} else if err := w.spaces.LeaveEvent(r.Context(), me, id); err != nil {
		return err
	}
	w.setFlash(rw, flash)
	return redirect(rw, r, localPath(r.PostForm.Get("next"), "/posts/"+url.PathEscape(id)))
}

type agendaView struct {
	Feed     feedView
	HasToken bool
	NewURL   string // a private calendar address just made, shown once
}

// agenda: GET /events?after= — the member's events to come, across their
// spaces and those they registered for, and their private calendar address.
func (w *Web) agenda(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	return w.renderAgenda(rw, r, rq, me, "")
}

func (w *Web) renderAgenda(rw http.ResponseWriter, r *http.Request, rq *request, me *spaces.Account, newURL string) error {
	ctx := r.Context()
	posts, err := w.spaces.Agenda(ctx, me, spaces.EventPage{After: r.URL.Query().Get("after"), Limit: feedPage})
	if err != nil {
		return err
	}
	view := agendaView{NewURL: newURL}
	if view.Feed, err = w.eventFeed(r, rq, posts, nil); err != nil {
		return err
	}
	if view.HasToken, err = w.spaces.HasCalendarToken(ctx, me); err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "agenda", rq.cat.T("agenda.title"), view)
	return nil
}

// calendarToken: POST /events/calendar — action=new makes a private
// calendar address (ending the previous one) and shows it, this once: the
// node keeps only its hash. action=revoke ends it.
func (w *Web) calendarToken(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	switch r.PostForm.Get("action") {
	case "new":
		token, err := w.spaces.NewCalendarToken(r.Context(), me)
		if err != nil {
			return err
		}
		return w.renderAgenda(rw, r, rq, me, w.opts.PublicURL+"/calendar/"+url.PathEscape(token)+".ics")
	case "revoke":
		if err := w.spaces.RevokeCalendarToken(r.Context(), me); err != nil {
			return err
		}
		w.setFlash(rw, "flash.calendar_revoked")
		return redirect(rw, r, "/events")
	}
	return &pageError{status: http.StatusBadRequest, key: "error.form_invalid"}
}

// toAgenda: GET /events/calendar — the address the agenda page was shown at
// after making a calendar address; reloaded, it leads back to the agenda.
func (w *Web) toAgenda(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return redirect(rw, r, "/events")
}
