package federation

import (
	"testing"

	"github.com/ruche-social/ruche/db"
)

// TestBatchKey: received activities are keyed by what they change first:
// the post a reply answers, else the object they are about, else their
// actor — so that Likes of one post, or replies to it, go to one lane.
func TestBatchKey(t *testing.T) {
	const actor = "https://b.example/users/bob"
	for body, want := range map[string]string{
		`{"type":"Like","object":"https://a.example/posts/1"}`:                                                         "https://a.example/posts/1",
		`{"type":"Create","object":{"id":"https://b.example/notes/2","inReplyTo":"https://a.example/posts/1"}}`:        "https://a.example/posts/1",
		`{"type":"Create","object":{"id":"https://b.example/notes/2","inReplyTo":{"id":"https://a.example/posts/1"}}}`: "https://a.example/posts/1",
		`{"type":"Create","object":{"id":"https://b.example/notes/3","inReplyTo":null}}`:                               "https://b.example/notes/3",
		`{"type":"Undo","object":{"id":"https://b.example/likes/4","type":"Like"}}`:                                    "https://b.example/likes/4",
		`{"type":"Update","object":{"type":"Person"}}`:                                                                 actor,
		`{"type":"Follow"}`: actor,
		`not json`:          actor,
	} {
		if got := batchKey(&db.InboxItem{ActorURI: actor, Body: body}); got != want {
			t.Errorf("%s: key %q, want %q", body, got, want)
		}
	}
}
