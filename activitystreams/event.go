package activitystreams

import (
	"cmp"
	"strings"
	"time"
)

// Event is the when and where of an Event object, as Mobilizon federates
// one: startTime and endTime, its time zone, a location Place with a
// PostalAddress, an online address as a Link attachment named "Website",
// how many places it has and how many go, and how one takes part (joinMode
// "free": a Join is accepted at once). A Join of the Event registers; a
// Leave, or the Undo of the Join, takes the registration back.
type Event struct {
	StartTime, EndTime time.Time
	TimeZone           string
	PlaceName          string
	Address            string // plain text, possibly on several lines
	OnlineURL          string
	Capacity           int // 0: no limit
	Going              int // participantCount
}

// onlineLinkName is the name Mobilizon gives the Link attachment that holds
// an event's online address.
const onlineLinkName = "Website"

// setEvent writes the event's properties, and a one-line summary of when
// and where: Mastodon shows an Event as its name, summary and link, not
// its content.
func setEvent(m map[string]any, e *Event) {
	m["startTime"] = e.StartTime.UTC().Format(time.RFC3339)
	m["endTime"] = e.EndTime.UTC().Format(time.RFC3339)
	m["timezone"] = e.TimeZone
	m["joinMode"] = "free"
	m["participantCount"] = e.Going
	m["ical:status"] = "CONFIRMED"
	if e.Capacity > 0 {
		m["maximumAttendeeCapacity"] = e.Capacity
		m["remainingAttendeeCapacity"] = max(e.Capacity-e.Going, 0)
	}
	if e.PlaceName != "" || e.Address != "" {
		place := map[string]any{"type": "Place", "name": cmp.Or(e.PlaceName, firstLine(e.Address))}
		if e.Address != "" {
			place["address"] = map[string]any{"type": "PostalAddress", "streetAddress": e.Address}
		}
		m["location"] = place
	}
	m["isOnline"] = e.OnlineURL != "" && e.PlaceName == "" && e.Address == ""
	if e.OnlineURL != "" {
		files, _ := m["attachment"].([]any)
		m["attachment"] = append(files, map[string]any{"type": "Link", "name": onlineLinkName, "mediaType": "text/html", "href": e.OnlineURL})
	}
	m["summary"] = EventLine(e)
}

// EventLine says when and where an event takes place, on one line of plain
// text that reads the same in every language: its dates and hours in its
// own time zone, its place, or that it is online.
func EventLine(e *Event) string {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	start, end := e.StartTime.In(loc), e.EndTime.In(loc)
	when := start.Format("2006-01-02 15:04") + " – "
	if start.Format("2006-01-02") == end.Format("2006-01-02") {
		when += end.Format("15:04")
	} else {
		when += end.Format("2006-01-02 15:04")
	}
	parts := []string{when + " (" + loc.String() + ")"}
	if where := strings.Join(nonEmptyStrings(e.PlaceName, strings.Join(strings.Fields(strings.ReplaceAll(e.Address, "\n", ", ")), " ")), ", "); where != "" {
		parts = append(parts, where)
	}
	if e.OnlineURL != "" {
		parts = append(parts, e.OnlineURL)
	}
	return strings.Join(parts, " · ")
}

// eventOf reads an Event's properties; nil without a start.
func eventOf(m map[string]any) *Event {
	e := &Event{StartTime: timeOf(m["startTime"]), EndTime: timeOf(m["endTime"])}
	if e.StartTime.IsZero() {
		return nil
	}
	if tz, ok := m["timezone"].(string); ok {
		e.TimeZone = PlainLine(tz)
	}
	for _, v := range listOf(m["location"]) {
		place, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if name, ok := place["name"].(string); ok {
			e.PlaceName = PlainLine(name)
		}
		e.Address = addressOf(place["address"])
		break
	}
	for _, v := range listOf(m["attachment"]) {
		link, ok := v.(map[string]any)
		if !ok || TypeOf(link) != "Link" {
			continue
		}
		if name, _ := link["name"].(string); name == onlineLinkName {
			if href := IRIOf(link["href"]); href != "" {
				e.OnlineURL = href
			}
		}
	}
	e.Capacity = countOf(m["maximumAttendeeCapacity"])
	e.Going = countOf(m["participantCount"])
	return e
}

// addressOf reads a postal address: a string, or a PostalAddress whose
// parts go on lines (street; postal code and locality; region; country).
func addressOf(v any) string {
	switch a := v.(type) {
	case string:
		return PlainText(a)
	case map[string]any:
		part := func(k string) string { s, _ := a[k].(string); return PlainLine(s) }
		street, _ := a["streetAddress"].(string)
		lines := nonEmptyStrings(PlainText(street),
			strings.TrimSpace(part("postalCode")+" "+part("addressLocality")),
			part("addressRegion"), part("addressCountry"))
		return strings.Join(lines, "\n")
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func nonEmptyStrings(in ...string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
