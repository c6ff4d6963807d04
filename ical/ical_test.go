package ical

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{`a\b`, `a\\b`},
		{"one, two; three", `one\, two\; three`},
		{"line\nnext\r\nthird\rfourth", `line\nnext\nthird\nfourth`},
		{"tab\tstays, bell\a goes", "tab\tstays\\, bell goes"},
		{`\n is not a newline`, `\\n is not a newline`},
		{"Théâtre « Célestins »", "Théâtre « Célestins »"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// unfold undoes Fold as RFC 5545 §3.1 says a reader does.
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

func TestFold(t *testing.T) {
	for _, in := range []string{
		"SUMMARY:" + strings.Repeat("a", 67),          // 75 octets: one line
		"SUMMARY:" + strings.Repeat("a", 200),         // ASCII
		"DESCRIPTION:" + strings.Repeat("é", 100),     // two octets each
		"DESCRIPTION:x" + strings.Repeat("€", 80),     // three octets, off by one
		"DESCRIPTION:xy" + strings.Repeat("🐝", 60),    // four octets
		"LOCATION:" + strings.Repeat("Ünïcödé, ", 30), // mixed
	} {
		out := Fold(in)
		if unfold(out) != in {
			t.Fatalf("Fold(%q) does not unfold back: %q", in, out)
		}
		lines := strings.Split(out, "\r\n")
		for i, l := range lines {
			if len(l) > maxLine {
				t.Errorf("line %d of %.20q… is %d octets", i, in, len(l))
			}
			if !utf8.ValidString(l) {
				t.Errorf("line %d of %.20q… splits a character: %q", i, in, l)
			}
			if i > 0 && !strings.HasPrefix(l, " ") {
				t.Errorf("continuation line %d does not start with a space: %q", i, l)
			}
			// A line is cut as late as the characters allow: the next
			// character would not have fit.
			if i < len(lines)-1 {
				_, size := utf8.DecodeRuneInString(strings.TrimPrefix(lines[i+1], " "))
				if len(l)+size <= maxLine {
					t.Errorf("line %d cut early at %d octets: %q", i, len(l), l)
				}
			}
		}
		if len(in) <= maxLine && out != in {
			t.Errorf("a short line was folded: %q", out)
		}
	}
}

func sample() Calendar {
	paris := time.FixedZone("CEST", 2*3600)
	return Calendar{
		ProdID:   "-//Ruche//ville-a.example//EN",
		Name:     "Club, Lyon; agenda",
		TimeZone: "Europe/Paris",
		Stamp:    time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC),
		Events: []Event{{
			UID:         "https://ville-a.example/posts/01JEVENT",
			Start:       time.Date(2027, 6, 21, 19, 30, 0, 0, paris),
			End:         time.Date(2027, 6, 21, 22, 0, 0, 0, paris),
			Summary:     "Fête de la musique: chorale, piano; café",
			Description: "Venez nombreux ! Répétition générale à 18 h, concert ensuite.\n\nApportez vos partitions\\pupitres, et de quoi grignoter : la soirée sera longue.",
			Location:    "Salle des fêtes, 1 place de la Mairie, 69000 Lyon",
			URL:         "https://ville-a.example/posts/01JEVENT",
			Created:     time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			Modified:    time.Date(2026, 12, 2, 10, 15, 0, 0, time.UTC),
		}, {
			UID:     "https://ville-b.example/events/42",
			Start:   time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC),
			End:     time.Date(2027, 1, 10, 10, 0, 0, 0, time.UTC),
			Summary: "Online only",
		}},
	}
}

// TestMarshalGolden compares a calendar with testdata/calendar.ics; run
// with -update to rewrite it, and read the diff.
func TestMarshalGolden(t *testing.T) {
	got := Marshal(sample())
	path := filepath.Join("testdata", "calendar.ics")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("calendar differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

// TestMarshalLines checks what the golden file cannot say at a glance:
// every line ends in CRLF, none is longer than 75 octets, and optional
// properties an event lacks are not written empty.
func TestMarshalLines(t *testing.T) {
	out := string(Marshal(sample()))
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("no final CRLF: %q", out[len(out)-20:])
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") || len(l) > maxLine {
			t.Errorf("line %d: %q", i, l)
		}
	}
	second := out[strings.LastIndex(out, "BEGIN:VEVENT"):]
	for _, absent := range []string{"DESCRIPTION", "LOCATION", "URL", "CREATED", "LAST-MODIFIED"} {
		if strings.Contains(second, "\r\n"+absent+":") {
			t.Errorf("an empty %s was written: %q", absent, second)
		}
	}
	for _, want := range []string{"DTSTART:20270621T173000Z\r\n", "DTEND:20270621T200000Z\r\n", "DTSTAMP:20261207T180000Z\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the file", want)
		}
	}
	empty := string(Marshal(Calendar{ProdID: "-//x//EN"}))
	if strings.Contains(empty, "X-WR-") || strings.Contains(empty, "VEVENT") {
		t.Errorf("an empty calendar: %q", empty)
	}
}
