package web

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/ical"
	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// Calendar files. A space's calendar (/spaces/{slug}/calendar.ics) holds the
// events its requester may see — anonymous, unless the browser that fetches
// it is signed in — and a member's agenda has a private address
// (/calendar/{token}.ics) for the calendar applications that subscribe to
// it, which carry no session. Both come from the last three months on.
//
// Their errors are plain text, not pages: the readers of these addresses are
// calendar applications, which show a status and never render HTML, and a
// page would pull the session's language, CSRF cookie and templates into a
// route that needs none of them. The status is the same as a page's (a
// hidden space is a 404, as everywhere).

// calendarMaxAge is how long a calendar file may be kept: applications
// poll, and five minutes keeps a change close without a fetch each minute.
const calendarMaxAge = "max-age=300"

// calendarHandler makes the calendar of a request: its file name and
// content, and whether it is private to one member.
type calendarHandler func(r *http.Request, viewer *spaces.Account) (file calendarFile, err error)

type calendarFile struct {
	name    string // the file name offered to save it as
	private bool   // one member's: no shared cache may keep it
	cal     ical.Calendar
}

// serveCalendar serves the calendar h makes on GET and HEAD, with the
// session of the request if it has one.
func (w *Web) serveCalendar(h calendarHandler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.Header().Set("Allow", "GET, HEAD")
			calendarError(rw, r, errMethod)
			return
		}
		rq := &request{}
		if err := w.authenticate(rw, r, rq); err != nil {
			calendarError(rw, r, err)
			return
		}
		f, err := h(r, rq.viewer)
		if err != nil {
			calendarError(rw, r, err)
			return
		}
		writeCalendar(rw, r, f, rq.viewer != nil)
	})
}

func writeCalendar(rw http.ResponseWriter, r *http.Request, f calendarFile, signedIn bool) {
	body := ical.Marshal(f.cal)
	h := rw.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	h.Set("Content-Length", fmt.Sprint(len(body)))
	// A space's calendar differs for a signed-in browser.
	h.Add("Vary", "Cookie")
	if f.private || signedIn {
		h.Set("Cache-Control", "private, "+calendarMaxAge)
	} else {
		h.Set("Cache-Control", "public, "+calendarMaxAge)
	}
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		rw.Write(body)
	}
}

// calendarError answers err in plain text: its status and the domain's
// code, which is safe to show (never an internal cause, which goes to the
// log).
func calendarError(rw http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	if status >= 500 {
		httpx.Logger(r.Context()).Error("web calendar error", "err", err)
	}
	text := http.StatusText(status)
	if code := spaces.AsError(err).Code; code != "" && status < 500 {
		text += ": " + code
	}
	h := rw.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	fmt.Fprintln(rw, text)
}

// spaceCalendar: GET /spaces/{slug}/calendar.ics.
func (w *Web) spaceCalendar(r *http.Request, viewer *spaces.Account) (calendarFile, error) {
	sp, posts, err := w.spaces.SpaceCalendar(r.Context(), viewer, mux.Vars(r)["slug"])
	if err != nil {
		return calendarFile{}, err
	}
	return calendarFile{name: sp.Slug() + ".ics", cal: w.calendarOf(sp.Account.DisplayName, posts)}, nil
}

// agendaCalendar: GET /calendar/{token}.ics, a member's agenda. Who
// fetches it does not matter: the token is the member's key.
func (w *Web) agendaCalendar(r *http.Request, _ *spaces.Account) (calendarFile, error) {
	a, posts, err := w.spaces.AgendaByToken(r.Context(), mux.Vars(r)["token"])
	if err != nil {
		return calendarFile{}, err
	}
	// The member's handle names the calendar in every language.
	name := a.Username + "@" + w.host
	return calendarFile{name: a.Username + "-agenda.ics", private: true, cal: w.calendarOf(name, posts)}, nil
}

// eventCalendar: GET /posts/{id}/event.ics, one event to add to a
// calendar, named by its title.
func (w *Web) eventCalendar(r *http.Request, viewer *spaces.Account) (calendarFile, error) {
	p, err := w.spaces.EventCalendar(r.Context(), viewer, mux.Vars(r)["id"])
	if err != nil {
		return calendarFile{}, err
	}
	name := p.Title
	if p.Space != nil {
		name = p.Space.Account.DisplayName
	}
	return calendarFile{name: "event-" + p.ID + ".ics", cal: w.calendarOf(name, []*spaces.Post{p})}, nil
}

// calendarOf is the calendar file of events.
func (w *Web) calendarOf(name string, posts []*spaces.Post) ical.Calendar {
	c := ical.Calendar{ProdID: "-//Ruche//" + w.host + "//EN", Name: name,
		Stamp: w.spaces.Options().Now().UTC()}
	zones := map[string]bool{}
	for _, p := range posts {
		if p.Event == nil {
			continue
		}
		c.Events = append(c.Events, w.icalEvent(p))
		zones[p.Event.TimeZone] = true
	}
	// X-WR-TIMEZONE is the zone applications show the calendar in: only
	// when its events agree on one.
	if len(zones) == 1 {
		for tz := range zones {
			c.TimeZone = tz
		}
	}
	return c
}

func (w *Web) icalEvent(p *spaces.Post) ical.Event {
	e := p.Event
	iri := p.URI
	if iri == "" {
		iri = w.opts.PublicURL + "/posts/" + p.ID
	}
	return ical.Event{UID: iri, Start: e.StartsAt, End: e.EndsAt, Summary: p.Title,
		Description: paragraphsText(p.Content), Location: location(e), URL: iri,
		Created: p.CreatedAt, Modified: p.EditedAt}
}

// location is the place and the address of e on one line, with the online
// link when it takes place nowhere else.
func location(e *spaces.CalendarEvent) string {
	var parts []string
	for _, s := range append([]string{e.PlaceName}, strings.Split(e.Address, "\n")...) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return e.OnlineURL
	}
	return strings.Join(parts, ", ")
}

// blockEnd matches the ends of the blocks of sanitised post HTML, and line
// breaks.
var blockEnd = regexp.MustCompile(`(?i)</(p|li|h[1-6]|blockquote|pre)>|<br\s*/?>`)

// inlineTag matches the tags of sanitised post HTML that sit inside a
// word's run of text: spaces.PlainText puts a space where a tag was, which
// suits blocks but would write "emphasis ." for "<em>emphasis</em>.".
var inlineTag = regexp.MustCompile(`(?i)</?(a|abbr|b|code|del|em|i|ins|mark|s|small|span|strong|sub|sup|u)\b[^>]*>`)

// paragraphsText is the plain text of a post's HTML content, paragraph by
// paragraph: spaces.PlainText runs every line into one, and a description
// reads better with its paragraphs.
func paragraphsText(html string) string {
	var out []string
	for _, block := range blockEnd.Split(inlineTag.ReplaceAllString(html, ""), -1) {
		if t := spaces.PlainText(block); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n\n")
}
