package api

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// mountEvents adds the routes of events, registrations, agendas and private
// calendar addresses.
func (a *API) mountEvents(r *mux.Router) {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	a.route(r, "/api/ruche/v1/spaces/{space}/events", methods{get: a.spaceEvents, post: a.createEvent})
	a.route(r, "/api/ruche/v1/posts/{id}/registration", methods{post: a.joinEvent, del: a.leaveEvent})
	a.route(r, "/api/ruche/v1/posts/{id}/registrations", methods{get: a.registrants})
	a.route(r, "/api/ruche/v1/agenda", methods{get: a.agenda})
	a.route(r, "/api/ruche/v1/calendar_token", methods{post: a.newCalendarToken, del: a.revokeCalendarToken})
}

// eventInputJSON is the when and where of a new or edited event. The times
// are strings so that a malformed one is refused on its field, as the
// domain's rules are, not as malformed JSON.
type eventInputJSON struct {
	StartsAt  string `json:"starts_at"` // RFC 3339
	EndsAt    string `json:"ends_at"`
	TimeZone  string `json:"time_zone"` // IANA, e.g. Europe/Paris
	PlaceName string `json:"place_name"`
	Address   string `json:"address"`
	OnlineURL string `json:"online_url"`
	Capacity  int    `json:"capacity"` // 0: no limit
}

func (in *eventInputJSON) input() (*spaces.EventInput, error) {
	if in == nil {
		return nil, nil
	}
	start, err := timeField("starts_at", in.StartsAt)
	if err != nil {
		return nil, err
	}
	end, err := timeField("ends_at", in.EndsAt)
	if err != nil {
		return nil, err
	}
	return &spaces.EventInput{StartsAt: start, EndsAt: end, TimeZone: in.TimeZone, PlaceName: in.PlaceName,
		Address: in.Address, OnlineURL: in.OnlineURL, Capacity: in.Capacity}, nil
}

// timeField parses an RFC 3339 time; "" is the zero time, which the domain
// refuses where a time is required.
func timeField(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &spaces.Error{Kind: spaces.KindInvalid, Code: "time_invalid", Field: field,
			Message: field + " is a time in RFC 3339 form, e.g. 2027-06-21T19:30:00+02:00"}
	}
	return t, nil
}

// eventJSON is an event as viewer sees it: its when and where, its counts,
// and what the viewer may do (the domain's EventStateFor).
type eventJSON struct {
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	TimeZone     string    `json:"time_zone"`
	PlaceName    string    `json:"place_name"`
	Address      string    `json:"address"`
	OnlineURL    string    `json:"online_url"`
	Capacity     int       `json:"capacity"`
	GoingCount   int       `json:"going_count"`
	WaitingCount int       `json:"waiting_count"`
	Ended        bool      `json:"ended"`
	Full         bool      `json:"full"`
	Registration *string   `json:"registration"` // going, waiting, pending; null if none
	CanRegister  bool      `json:"can_register"`
	CanLeave     bool      `json:"can_leave"`
}

func (a *API) eventOf(p *spaces.Post, viewer *spaces.Account, registration string) *eventJSON {
	e, st := p.Event, a.spaces.EventStateFor(viewer, p, registration)
	j := &eventJSON{StartsAt: e.StartsAt, EndsAt: e.EndsAt, TimeZone: e.TimeZone, PlaceName: e.PlaceName,
		Address: e.Address, OnlineURL: e.OnlineURL, Capacity: e.Capacity, GoingCount: e.GoingCount,
		WaitingCount: e.WaitingCount, Ended: st.Ended, Full: st.Full, CanRegister: st.Register, CanLeave: st.Leave}
	if st.State != "" {
		j.Registration = &st.State
	}
	return j
}

// eventPage reads ?past=true&after=&limit=.
func eventPage(r *http.Request) (spaces.EventPage, error) {
	limit, err := limitParam(r)
	q := r.URL.Query()
	return spaces.EventPage{Past: q.Get("past") == "true", After: q.Get("after"), Limit: limit}, err
}

type eventsFunc func(r *http.Request, v *spaces.Account, p spaces.EventPage) ([]*spaces.Post, error)

// events serves a list of events: upcoming ones soonest first, or with
// ?past=true ended ones latest first; next is the id to pass as after.
func (a *API) events(fn eventsFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := eventPage(r)
		if err != nil {
			return err
		}
		v := optionalViewer(r)
		posts, err := fn(r, v, p)
		if err != nil {
			return err
		}
		return a.writePosts(w, r, v, posts, p.Limit)
	}
}

// spaceEvents: GET /api/ruche/v1/spaces/{space}/events?past=true&after=&limit=.
func (a *API) spaceEvents(w http.ResponseWriter, r *http.Request) error {
	return a.events(func(r *http.Request, v *spaces.Account, p spaces.EventPage) ([]*spaces.Post, error) {
		return a.spaces.SpaceEvents(r.Context(), v, pathVar(r, "space"), p)
	})(w, r)
}

// agenda: GET /api/ruche/v1/agenda?past=true&after=&limit= → the events of the
// member's spaces and those they registered for.
func (a *API) agenda(w http.ResponseWriter, r *http.Request) error {
	return a.events(func(r *http.Request, v *spaces.Account, p spaces.EventPage) ([]*spaces.Post, error) {
		return a.spaces.Agenda(r.Context(), v, p)
	})(w, r)
}

// createEvent: POST /api/ruche/v1/spaces/{space}/events → 201, the event's post.
// It takes a post's input; the kind is event whatever the body says.
func (a *API) createEvent(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	in.Kind = spaces.KindEvent
	p, err := a.spaces.CreatePost(r.Context(), by, pathVar(r, "space"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.postOf(p, by, false, nil, ""))
	return nil
}

type registrationAnswerJSON struct {
	State string     `json:"state"`
	Event *eventJSON `json:"event"`
}

// joinEvent: POST /api/ruche/v1/posts/{id}/registration → the registration's
// state (going, waiting, pending) and the event as the member now sees it.
// Registering again answers the registration there is.
func (a *API) joinEvent(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	reg, err := a.spaces.JoinEvent(r.Context(), by, pathVar(r, "id"))
	if err != nil {
		return err
	}
	p, err := a.spaces.GetPost(r.Context(), by, reg.PostID) // with its counts after the registration
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, registrationAnswerJSON{State: reg.State, Event: a.eventOf(p, by, reg.State)})
	return nil
}

// leaveEvent: DELETE /api/ruche/v1/posts/{id}/registration → 204; the place
// freed goes to the first who waits.
func (a *API) leaveEvent(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.LeaveEvent(r.Context(), by, pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type registrationJSON struct {
	Account   *publicAccountJSON `json:"account"`
	State     string             `json:"state"`
	CreatedAt time.Time          `json:"created_at"`
}

type registrantsJSON struct {
	Going   []registrationJSON `json:"going"`
	Waiting []registrationJSON `json:"waiting"`
}

func registrationsOf(list []*spaces.Registration) []registrationJSON {
	out := make([]registrationJSON, len(list))
	for i, reg := range list {
		out[i] = registrationJSON{Account: accountOf(reg.Account), State: reg.State, CreatedAt: reg.CreatedAt}
	}
	return out
}

// registrants: GET /api/ruche/v1/posts/{id}/registrations → who goes and who
// waits, in order of arrival (the organizer and the space's moderators).
func (a *API) registrants(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	going, waiting, err := a.spaces.Registrants(r.Context(), by, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, registrantsJSON{Going: registrationsOf(going), Waiting: registrationsOf(waiting)})
	return nil
}

// calendarPath is the address of a private calendar, which the web door
// serves (web/calendar.go); TestCalendarTokenAPI fetches it, so the two
// cannot drift apart unnoticed.
func calendarPath(token string) string { return "/calendar/" + token + ".ics" }

// newCalendarToken: POST /api/ruche/v1/calendar_token → 201 {"url"}: the
// member's private calendar address, shown this once (the node keeps only
// a hash). The previous address stops working.
func (a *API) newCalendarToken(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	token, err := a.spaces.NewCalendarToken(r.Context(), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"url": a.spaces.Options().PublicURL + calendarPath(token)})
	return nil
}

// revokeCalendarToken: DELETE /api/ruche/v1/calendar_token → 204; the private
// address answers 404 from now on.
func (a *API) revokeCalendarToken(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.RevokeCalendarToken(r.Context(), by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
