package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// parsedCalendar is what ical-check.mjs prints of a calendar file.
type parsedCalendar struct {
	Calendar struct {
		ProdID   string `json:"prodid"`
		Name     string `json:"name"`
		TimeZone string `json:"timezone"`
	} `json:"calendar"`
	Events []parsedEvent `json:"events"`
}

type parsedEvent struct {
	UID         string `json:"uid"`
	Summary     string `json:"summary"`
	Start       string `json:"start"`
	End         string `json:"end"`
	Location    string `json:"location"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// icalCheck parses a calendar file with ical.js: node fetches url itself,
// or, if body is not nil, reads it from stdin.
func icalCheck(t *testing.T, url string, body []byte) parsedCalendar {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "ical-check.mjs")
	if body != nil {
		cmd.Stdin = bytes.NewReader(body)
	} else {
		cmd.Args = append(cmd.Args, url)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ical.js could not read %s: %v\n%s", url, err, stderr.String())
	}
	var c parsedCalendar
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("ical-check output: %v: %q", err, out)
	}
	return c
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return b
}

// TestICalendarFilesReadByICalJS: the calendar files of a space and of a
// member's private agenda, fetched over HTTP, are read by ical.js with
// every field as written — accents, commas, semicolons, backslashes, a
// description long enough to be folded between multi-byte characters, an
// address on several lines — and times in UTC.
func TestICalendarFilesReadByICalJS(t *testing.T) {
	requireNode(t, "ical.js", "ical.js parser")
	ctx := context.Background()
	n := nodetest.New(t, db.SQLite)
	ann := n.Member(t, "ann", spaces.RoleMember)
	name := "Fête, café; été"
	if _, err := n.Spaces.CreateSpace(ctx, ann, spaces.NewSpace{Slug: "fete", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}

	paragraphs := []string{
		strings.Repeat("Répétition générale à l’Hôtel de Ville, puis concert ; café & gâteaux offerts — ", 4),
		`Apportez vos partitions (dossier C:\Chorale\2027), vos pupitres; et votre bonne humeur, « évidemment ».`,
		"Ελληνικά, 日本語の歌, 🐝 les abeilles du toit.",
	}
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	in := []struct {
		title, tz, place, address, link string
		start                           time.Time
	}{
		{"Fête de la musique: chorale, piano; café", "Europe/Paris", "Salle des fêtes « Le Kiosque »",
			"1, place de la Mairie\nBâtiment B; 2ᵉ étage\n69000 Lyon", "https://visio.example.org/fête?a=1,b=2", start},
		{"Réunion\\bilan, été", "America/Montreal", "", "", "https://visio.example.org/bilan", start.Add(72 * time.Hour)},
	}
	var posts []*spaces.Post
	for _, e := range in {
		p, err := n.Spaces.CreatePost(ctx, ann, "fete", spaces.PostInput{Kind: spaces.KindEvent, Title: e.title,
			Body: strings.Join(paragraphs, "\n\n"), Event: &spaces.EventInput{StartsAt: e.start, EndsAt: e.start.Add(150 * time.Minute),
				TimeZone: e.tz, PlaceName: e.place, Address: e.address, OnlineURL: e.link}})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}
	if _, err := n.Spaces.JoinEvent(ctx, ann, posts[1].ID); err != nil {
		t.Fatal(err)
	}
	token, err := n.Spaces.NewCalendarToken(ctx, ann)
	if err != nil {
		t.Fatal(err)
	}

	wantLocation := []string{"Salle des fêtes « Le Kiosque », 1, place de la Mairie, Bâtiment B; 2ᵉ étage, 69000 Lyon",
		"https://visio.example.org/bilan"} // no place: the online link
	wantDescription := strings.Join([]string{strings.TrimSpace(paragraphs[0]), paragraphs[1], paragraphs[2]}, "\n\n")
	check := func(what string, c parsedCalendar, calName string) {
		t.Helper()
		if c.Calendar.Name != calName || c.Calendar.ProdID == "" || c.Calendar.TimeZone != "" {
			t.Errorf("%s: calendar %+v, want the name %q and no single time zone", what, c.Calendar, calName)
		}
		if len(c.Events) != len(posts) {
			t.Fatalf("%s: %d events, want %d", what, len(c.Events), len(posts))
		}
		for i, p := range posts {
			iri := n.URL + "/posts/" + p.ID
			want := parsedEvent{UID: iri, Summary: in[i].title, Start: in[i].start.Format("2006-01-02T15:04:05.000Z"),
				End: in[i].start.Add(150 * time.Minute).Format("2006-01-02T15:04:05.000Z"), Location: wantLocation[i],
				Description: wantDescription, URL: iri}
			if c.Events[i] != want {
				t.Errorf("%s, event %d as ical.js reads it:\n got %+v\nwant %+v", what, i, c.Events[i], want)
			}
		}
	}
	space := n.URL + "/spaces/fete/calendar.ics"
	check("the space's calendar, fetched by node", icalCheck(t, space, nil), name)
	agenda := n.URL + "/calendar/" + token + ".ics"
	check("the private agenda, on stdin", icalCheck(t, agenda, get(t, agenda)), "ann@"+strings.TrimPrefix(n.URL, "http://"))
}
