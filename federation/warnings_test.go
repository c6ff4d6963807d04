package federation_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestContentWarningAcrossNodes: a note's content warning travels as
// sensitive and summary. A member of B posts and comments behind warnings in
// a space of A, then takes one off by an edit; a note as Mastodon writes it
// (HTML in its summary) keeps its warning, as plain text.
func TestContentWarningAcrossNodes(t *testing.T) {
	a := nodetest.New(t, db.SQLite)
	b := nodetest.New(t, db.SQLite)
	olga := a.Member(t, "olga", spaces.RoleMember)
	bea := b.Member(t, "bea", spaces.RoleMember)
	name := "Ciné-club"
	if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cine", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	joinRemote(t, b, a, bea, "cine")
	nodetest.Drain(t, a, b)

	note, err := b.Spaces.CreatePost(ctx, bea, "cine@"+host(a), spaces.PostInput{Body: "Le majordome est le coupable.",
		Warning: &spaces.ContentWarning{Text: "Divulgâchage : la fin du film"}})
	if err != nil {
		t.Fatal(err)
	}
	iri := b.URL + "/posts/" + note.ID
	nodetest.Drain(t, a, b)
	onA := copyOf(t, a, iri)
	if !onA.Sensitive || onA.Warning != "Divulgâchage : la fin du film" || onA.Content != "<p>Le majordome est le coupable.</p>" {
		t.Fatalf("A's copy: %v %q %q", onA.Sensitive, onA.Warning, onA.Content)
	}
	c, err := a.Spaces.CreateComment(ctx, olga, onA.ID, spaces.PostInput{Body: "Non !", Warning: &spaces.ContentWarning{Sensitive: true}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Drain(t, a, b)
	if got := copyOf(t, b, a.URL+"/posts/"+c.ID); !got.Sensitive || got.Warning != "" {
		t.Fatalf("B's copy of the sensitive comment: %v %q", got.Sensitive, got.Warning)
	}

	// An edit that takes the warning off takes it off everywhere.
	if _, err := b.Spaces.EditPost(ctx, bea, note.ID, spaces.PostInput{Body: "Le majordome, bien sûr.", Warning: &spaces.ContentWarning{}}); err != nil {
		t.Fatal(err)
	}
	nodetest.Drain(t, a, b)
	if got := copyOf(t, a, iri); got.Sensitive || got.Warning != "" || got.Content != "<p>Le majordome, bien sûr.</p>" {
		t.Fatalf("A's copy after the edit: %v %q %q", got.Sensitive, got.Warning, got.Content)
	}

	// A Note as Mastodon sends one: an HTML summary, sensitive.
	sender := senderOf(t, b, "bea")
	group := a.URL + "/spaces/cine"
	id := b.URL + "/notes/masto"
	body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": b.URL + "/activities/masto", "type": "Create", "actor": sender.actor, "to": []string{group},
		"object": map[string]any{"id": id, "type": "Note", "attributedTo": sender.actor, "to": []string{group}, "audience": group,
			"sensitive": true, "summary": "<p>Spoiler <b>&amp;</b> <script>alert(1)</script>gore</p>", "content": "<p>hidden</p>"}})
	if status := sender.post(t, group+"/inbox", body, time.Now(), nil); status != http.StatusAccepted {
		t.Fatalf("Create: %d", status)
	}
	nodetest.Drain(t, a, b)
	if got := copyOf(t, a, id); !got.Sensitive || got.Warning != "Spoiler & gore" || got.Content != "<p>hidden</p>" {
		t.Fatalf("the Mastodon note: %v %q %q", got.Sensitive, got.Warning, got.Content)
	}
}
