package activitystreams_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
)

// Micro-benchmarks of the conversions every activity goes through: domain
// values to JSON-LD documents (go-fed streams) on the way out, JSON to
// Incoming on the way in, and the sanitising of remote HTML. `make bench`
// runs them and keeps their raw output for benchstat.

var (
	benchActor = activitystreams.Actor{
		ID: "https://node.example/users/alice", Type: "Person", PreferredUsername: "alice", Name: "Alice Martin",
		Summary: "<p>Directrice des systèmes d’information</p>", URL: "https://node.example/@alice",
		Inbox: "https://node.example/users/alice/inbox", Outbox: "https://node.example/users/alice/outbox",
		Followers: "https://node.example/users/alice/followers", Following: "https://node.example/users/alice/following",
		SharedInbox: "https://node.example/inbox", Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Discoverable: true,
		PublicKey: activitystreams.PublicKey{ID: "https://node.example/users/alice#main-key", Owner: "https://node.example/users/alice",
			PEM: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"},
	}
	remoteHTML = strings.Repeat(`<p>Retour d’expérience sur les <strong>allergies</strong> à la cantine : <a href="https://x.example/guide" onclick="steal()">le guide</a>
<script>alert(1)</script><img src=x onerror=alert(2)> <span class="h-card"><a href="https://x.example/@bob" class="u-url mention">@bob</a></span></p>`, 6)
)

func BenchmarkActorDocument(b *testing.B) {
	for b.Loop() {
		if _, err := benchActor.Document(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActivityDocument: an Update carrying the actor, serialised to
// the JSON body a delivery sends.
func BenchmarkActivityDocument(b *testing.B) {
	actor, err := benchActor.Document()
	if err != nil {
		b.Fatal(err)
	}
	act := activitystreams.Activity{ID: "https://node.example/activities/01J", Type: "Update", Actor: benchActor.ID,
		Object: actor, To: []string{activitystreams.Public}, Cc: []string{benchActor.Followers}, Published: time.Now()}
	for b.Loop() {
		doc, err := act.Document()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseActivity: a received Create(Note) parsed and checked.
func BenchmarkParseActivity(b *testing.B) {
	body, _ := json.Marshal(map[string]any{
		"@context": activitystreams.NSActivityStreams, "id": "https://other.example/activities/1", "type": "Create",
		"actor": "https://other.example/users/bob", "to": []string{activitystreams.Public},
		"object": map[string]any{"id": "https://other.example/notes/1", "type": "Note", "attributedTo": "https://other.example/users/bob",
			"content": remoteHTML, "contentMap": map[string]string{"fr": remoteHTML}, "published": "2026-11-23T10:00:00Z"},
	})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := activitystreams.ParseActivity(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSanitizeRemoteHTML: remote HTML cleaned to the allowlist.
func BenchmarkSanitizeRemoteHTML(b *testing.B) {
	b.SetBytes(int64(len(remoteHTML)))
	for b.Loop() {
		activitystreams.SanitizeHTML(remoteHTML)
	}
}

func BenchmarkPlainText(b *testing.B) {
	b.SetBytes(int64(len(remoteHTML)))
	for b.Loop() {
		activitystreams.PlainText(remoteHTML)
	}
}
