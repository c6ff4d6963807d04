package activitystreams_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
)

// TestEventRoundTrip: an Event the node publishes reads back whole: its
// title, dates, zone, place with the lines of its address, online address
// (a Link, not a file), places and participants; its summary says when and
// where in its own zone.
func TestEventRoundTrip(t *testing.T) {
	start := time.Date(2027, 3, 30, 22, 30, 0, 0, time.UTC)
	o := activitystreams.Object{ID: "https://ville-a.example/posts/01EVENT", Type: "Event",
		AttributedTo: "https://ville-a.example/users/ann", Language: "fr",
		Content: map[string]string{"fr": "<p>Ordre du jour</p>"}, Name: map[string]string{"fr": "Conseil"},
		To: []string{activitystreams.Public},
		Event: &activitystreams.Event{StartTime: start, EndTime: start.Add(26 * time.Hour), TimeZone: "Europe/Paris",
			PlaceName: "Mairie", Address: "1 place de la Mairie\n69000 Lyon", OnlineURL: "https://visio.example/c", Capacity: 30, Going: 12}}
	doc, err := o.Document()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := doc["summary"], "2027-03-31 00:30 – 2027-04-01 02:30 (Europe/Paris) · Mairie, 1 place de la Mairie, 69000 Lyon · https://visio.example/c"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if doc["remainingAttendeeCapacity"] != 18 || doc["name"] != "Conseil" || doc["type"] != "Event" {
		t.Errorf("document: %v", doc)
	}
	raw, _ := json.Marshal(doc)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	got, err := activitystreams.ObjectFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Event
	if e == nil || !e.StartTime.Equal(start) || !e.EndTime.Equal(start.Add(26*time.Hour)) || e.TimeZone != "Europe/Paris" ||
		e.PlaceName != "Mairie" || e.Address != "1 place de la Mairie\n69000 Lyon" || e.OnlineURL != "https://visio.example/c" ||
		e.Capacity != 30 || e.Going != 12 {
		t.Fatalf("read back: %+v", e)
	}
	if len(got.Attachments) != 0 || got.Texts[0].Title != "Conseil" || got.Texts[0].Summary != "" {
		t.Fatalf("read back: attachments %v, texts %+v", got.Attachments, got.Texts)
	}
}

// TestEventFromMobilizon: an Event as Mobilizon sends it — a PostalAddress
// in parts, a title in name alone — and the documents refused: without a
// start, or with script in its texts (sanitised).
func TestEventFromMobilizon(t *testing.T) {
	const doc = `{
  "@context": ["https://www.w3.org/ns/activitystreams", {"mz": "https://joinmobilizon.org/ns#", "sc": "http://schema.org#"}],
  "type": "Event", "id": "https://mobilizon.example/events/9c1b", "attributedTo": "https://mobilizon.example/@org",
  "name": "Atelier <b>vélo</b>", "content": "<p>Réparez <script>alert(1)</script>votre vélo</p>",
  "startTime": "2027-05-01T08:00:00Z", "endTime": "2027-05-01T12:00:00Z", "timezone": "Europe/Paris",
  "joinMode": "free", "maximumAttendeeCapacity": 15, "participantCount": 4,
  "location": {"type": "Place", "name": "Maison des associations",
    "address": {"type": "PostalAddress", "streetAddress": "3 rue Neuve", "postalCode": "38000", "addressLocality": "Grenoble", "addressCountry": "France"}},
  "attachment": [{"type": "Link", "name": "Website", "mediaType": "text/html", "href": "https://example.org/atelier"}],
  "to": ["https://www.w3.org/ns/activitystreams#Public"]
}`
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	o, err := activitystreams.ObjectFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	e := o.Event
	if e == nil || e.PlaceName != "Maison des associations" || e.Address != "3 rue Neuve\n38000 Grenoble\nFrance" ||
		e.Capacity != 15 || e.Going != 4 || e.OnlineURL != "https://example.org/atelier" {
		t.Fatalf("event: %+v", e)
	}
	if o.Texts[0].Title != "Atelier vélo" || strings.Contains(o.Texts[0].Body, "script") {
		t.Fatalf("texts: %+v", o.Texts[0])
	}
	delete(m, "startTime")
	if _, err := activitystreams.ObjectFrom(m); err == nil {
		t.Fatal("an Event without a start was read")
	}
}
