// Package ical writes iCalendar files (RFC 5545): a calendar of events that
// calendar applications subscribe to. It knows nothing of Ruche's posts or
// spaces: its callers fill plain structs and get the file's bytes, so the
// wire format is tested here once, apart from what the events mean.
//
// It writes only what a published calendar needs (METHOD:PUBLISH, one
// VEVENT per event, times in UTC) and reads nothing.
package ical

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar is one calendar file.
type Calendar struct {
	ProdID   string    // who made the file, e.g. "-//Ruche//ville-a.example//EN"
	Name     string    // X-WR-CALNAME, the name applications show; optional
	TimeZone string    // X-WR-TIMEZONE, an IANA name; optional
	Stamp    time.Time // when the file was made: every event's DTSTAMP
	Events   []Event
}

// Event is one VEVENT. Text fields are plain text (newlines allowed); empty
// optional fields are left out of the file.
type Event struct {
	UID         string // required: stable across files, e.g. the event's IRI
	Start, End  time.Time
	Summary     string
	Description string
	Location    string
	URL         string
	Created     time.Time // optional
	Modified    time.Time // LAST-MODIFIED; optional
}

// utcLayout is the form of a DATE-TIME in UTC ("FORM #2" of RFC 5545
// §3.3.5): a subscriber shows it in its own time zone, so the file needs no
// VTIMEZONE.
const utcLayout = "20060102T150405Z"

// Marshal returns the calendar as an iCalendar file: CRLF line ends, long
// lines folded.
func Marshal(c Calendar) []byte {
	var b bytes.Buffer
	line(&b, "BEGIN", "VCALENDAR")
	line(&b, "VERSION", "2.0")
	line(&b, "PRODID", Text(c.ProdID))
	line(&b, "CALSCALE", "GREGORIAN")
	line(&b, "METHOD", "PUBLISH")
	// Non-standard properties are TEXT unless they say otherwise (RFC 5545
	// §3.8.8.2): escaped like a SUMMARY.
	optional(&b, "X-WR-CALNAME", Text(c.Name))
	optional(&b, "X-WR-TIMEZONE", Text(c.TimeZone))
	for _, e := range c.Events {
		writeEvent(&b, e, c.Stamp)
	}
	line(&b, "END", "VCALENDAR")
	return b.Bytes()
}

func writeEvent(b *bytes.Buffer, e Event, stamp time.Time) {
	line(b, "BEGIN", "VEVENT")
	line(b, "UID", Text(e.UID))
	line(b, "DTSTAMP", utc(stamp))
	line(b, "DTSTART", utc(e.Start))
	line(b, "DTEND", utc(e.End))
	optional(b, "SUMMARY", Text(e.Summary))
	optional(b, "DESCRIPTION", Text(e.Description))
	optional(b, "LOCATION", Text(e.Location))
	// A URI value is not TEXT: it is written as is, only without the
	// characters that would break the line.
	optional(b, "URL", stripControls(e.URL))
	if !e.Created.IsZero() {
		line(b, "CREATED", utc(e.Created))
	}
	if !e.Modified.IsZero() {
		line(b, "LAST-MODIFIED", utc(e.Modified))
	}
	line(b, "END", "VEVENT")
}

func utc(t time.Time) string { return t.UTC().Format(utcLayout) }

func optional(b *bytes.Buffer, name, value string) {
	if value != "" {
		line(b, name, value)
	}
}

// line writes one content line, folded, with its CRLF.
func line(b *bytes.Buffer, name, value string) {
	b.WriteString(Fold(name + ":" + value))
	b.WriteString("\r\n")
}

// Text escapes s as a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma get a backslash, a line break (CRLF, CR or LF) becomes \n, and
// other control characters, which TEXT does not allow, are dropped.
func Text(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t' || !isControl(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// isControl is RFC 5545's CONTROL (and DEL): no place in a content line.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// maxLine is the longest content line, in octets, without its CRLF (RFC
// 5545 §3.1); a continuation line's leading space counts.
const maxLine = 75

// Fold splits a content line longer than 75 octets into lines joined by
// CRLF and a space, never inside a UTF-8 character: a reader unfolding it
// must get the same bytes back, and each physical line must stay valid
// UTF-8 for the many readers that decode before they unfold.
func Fold(s string) string {
	if len(s) <= maxLine {
		return s
	}
	var b strings.Builder
	limit := maxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // back to the first byte of the character cut in two
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLine - 1 // the space that starts the next line
	}
	b.WriteString(s)
	return b.String()
}
