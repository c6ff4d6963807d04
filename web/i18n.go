package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/ruche-social/ruche/spaces"
)

// Locales are the languages of the interface, in the order the switcher shows them.
var Locales = []string{"fr", "en", "de"}

// catalogue holds the interface's strings in one language. Every string a page
// shows comes from here: templates and handlers name keys, never text.
type catalogue struct {
	locale  string
	msgs    map[string]string // plural forms are stored as key#one and key#other
	printer *message.Printer  // localised numbers
}

// loadCatalogues reads locales/<locale>.json for every locale. A value is a
// string, or an object {"one": …, "other": …} for a message that depends on a
// count.
func loadCatalogues(fsys fs.FS) (map[string]*catalogue, error) {
	out := map[string]*catalogue{}
	for _, loc := range Locales {
		raw, err := fs.ReadFile(fsys, path.Join("locales", loc+".json"))
		if err != nil {
			return nil, err
		}
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, fmt.Errorf("locales/%s.json: %w", loc, err)
		}
		c := &catalogue{locale: loc, msgs: map[string]string{}, printer: message.NewPrinter(language.Make(loc))}
		for k, v := range entries {
			var s string
			if json.Unmarshal(v, &s) == nil {
				c.msgs[k] = s
				continue
			}
			var plural struct{ One, Other string }
			if err := json.Unmarshal(v, &plural); err != nil || plural.One == "" || plural.Other == "" {
				return nil, fmt.Errorf("locales/%s.json: %q is neither a string nor {\"one\", \"other\"}", loc, k)
			}
			c.msgs[k+"#one"], c.msgs[k+"#other"] = plural.One, plural.Other
		}
		out[loc] = c
	}
	return out, nil
}

// keys returns every key of the catalogue (plural keys with their #form), sorted.
func (c *catalogue) keys() []string {
	out := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// has tells whether key is a message (plain or plural).
func (c *catalogue) has(key string) bool {
	_, plain := c.msgs[key]
	_, plural := c.msgs[key+"#other"]
	return plain || plural
}

// T returns the message key with its {placeholders} filled from args, given as
// name, value pairs. Numbers and times are formatted for the language. A
// missing key shows as itself in brackets: visible, and caught by the tests.
func (c *catalogue) T(key string, args ...any) string {
	msg, ok := c.msgs[key]
	if !ok {
		return "[" + key + "]"
	}
	return c.fill(msg, args)
}

// TN is T for a message that depends on the count n, which fills {n}.
func (c *catalogue) TN(key string, n int, args ...any) string {
	form := "#other"
	if c.pluralOne(n) {
		form = "#one"
	}
	msg, ok := c.msgs[key+form]
	if !ok {
		return "[" + key + "]"
	}
	return c.fill(msg, append([]any{"n", n}, args...))
}

// pluralOne tells whether n takes the singular: French says "0 membre", English
// and German "0 members".
func (c *catalogue) pluralOne(n int) bool {
	if c.locale == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}

func (c *catalogue) fill(msg string, args []any) string {
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		pairs = append(pairs, "{"+name+"}", c.format(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

func (c *catalogue) format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return c.Number(v)
	case int64:
		return c.Number(int(v))
	case time.Time:
		return c.Date(v)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// Number formats n with the language's digit grouping.
func (c *catalogue) Number(n int) string { return c.printer.Sprintf("%d", n) }

// Size formats a file size as the language writes it: "1.4 MB", "1,4 Mo".
func (c *catalogue) Size(n int64) string {
	switch {
	case n < 1000:
		return c.T("size.bytes", "n", int(n))
	case n < 1000*1000:
		return c.T("size.kb", "n", c.printer.Sprintf("%.0f", float64(n)/1000))
	}
	return c.T("size.mb", "n", c.printer.Sprintf("%.1f", float64(n)/1e6))
}

// Date formats the day of t (in UTC) as the language writes it.
func (c *catalogue) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return c.day(t.UTC())
}

// day formats the day of t in t's own location.
func (c *catalogue) day(t time.Time) string {
	return strings.NewReplacer(
		"{day}", strconv.Itoa(t.Day()),
		"{month}", c.T("month."+strconv.Itoa(int(t.Month()))),
		"{year}", strconv.Itoa(t.Year()),
	).Replace(c.T("format.date"))
}

// DateTime formats t (in UTC) as a date and a time of day. Pages put it in a
// <time> element, which a script turns into the reader's own time zone.
func (c *catalogue) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return strings.NewReplacer(
		"{date}", c.Date(t),
		"{time}", fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()),
	).Replace(c.T("format.datetime"))
}

// EventWhen formats when an event takes place in its own time zone, which
// it names: a meeting in Paris is at 14:00 in Paris wherever one reads it,
// and the zone tells a reader elsewhere. An event over several days shows
// both dates.
func (c *catalogue) EventWhen(e *spaces.CalendarEvent) string {
	loc := spaces.EventLocation(e)
	start, end := e.StartsAt.In(loc), e.EndsAt.In(loc)
	clock := func(t time.Time) string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) }
	if y, m, d := start.Date(); end.Year() == y && end.Month() == m && end.Day() == d {
		return c.T("format.event_day", "date", c.longDay(start), "start", clock(start), "end", clock(end), "zone", e.TimeZone)
	}
	return c.T("format.event_days", "start_date", c.longDay(start), "start", clock(start),
		"end_date", c.longDay(end), "end", clock(end), "zone", e.TimeZone)
}

// longDay is the day of t with its weekday, in t's location: "mardi 15
// décembre 2026".
func (c *catalogue) longDay(t time.Time) string {
	return c.T("format.weekday_date", "weekday", c.T("weekday."+strconv.Itoa(int(t.Weekday()))), "date", c.day(t))
}

// Minutes is a duration in whole minutes, rounded up: "try again in 3 minutes".
func minutes(d time.Duration) int { return int(math.Ceil(d.Minutes())) }

// supported matches what a browser asks for against the interface's languages.
var supported = language.NewMatcher([]language.Tag{language.French, language.English, language.German})

// matchAcceptLanguage returns the best interface language for an
// Accept-Language header, or "" when none of them is wanted.
func matchAcceptLanguage(header string) string {
	if header == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, i, conf := supported.Match(tags...)
	if conf == language.No {
		return ""
	}
	return Locales[i]
}
