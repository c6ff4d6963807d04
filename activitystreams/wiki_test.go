package activitystreams

import (
	"encoding/json"
	"testing"
)

// TestWikiOf: a Page with wikiRevision is a revision of a wiki page, its
// Markdown source kept; a Page without (a Lemmy thread) is none; odd
// numbers become 1 and a source that is not Markdown is dropped.
func TestWikiOf(t *testing.T) {
	page := func(extra map[string]any) map[string]any {
		m := map[string]any{"id": "https://a.example/posts/1", "type": "Page", "attributedTo": "https://a.example/users/ann",
			"name": "Accueil", "content": "<p>Bonjour</p>"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	o, err := ObjectFrom(page(map[string]any{"wikiRevision": 3.0, "wikiParent": "https://a.example/posts/0",
		"source": map[string]any{"content": "Bonjour [[Statuts]]", "mediaType": "text/markdown"}}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Wiki == nil || o.Wiki.Number != 3 || o.Wiki.Parent != "https://a.example/posts/0" || o.Wiki.Source != "Bonjour [[Statuts]]" || !o.Article {
		t.Fatalf("wiki %+v", o.Wiki)
	}
	if o, err := ObjectFrom(page(nil)); err != nil || o.Wiki != nil {
		t.Fatalf("a Lemmy page: %v %+v", err, o.Wiki)
	}
	o, err = ObjectFrom(page(map[string]any{"wikiRevision": "many", "source": map[string]any{"content": "<b>x</b>", "mediaType": "text/html"}}))
	if err != nil || o.Wiki == nil || o.Wiki.Number != 1 || o.Wiki.Source != "" {
		t.Fatalf("odd page: %v %+v", err, o.Wiki)
	}
	doc, err := Object{ID: "https://a.example/posts/1", Type: "Page", AttributedTo: "https://a.example/users/ann", Language: "fr",
		Content: map[string]string{"fr": "<p>Bonjour</p>"}, Name: map[string]string{"fr": "Accueil"},
		Wiki: &WikiRevision{Number: 2, Source: "Bonjour"}}.Document()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc) // as it travels
	var sent map[string]any
	if err := json.Unmarshal(raw, &sent); err != nil {
		t.Fatal(err)
	}
	back, err := ObjectFrom(sent)
	if err != nil || back.Wiki == nil || back.Wiki.Number != 2 || back.Texts[0].Title != "Accueil" || doc["name"] != "Accueil" {
		t.Fatalf("round trip: %v %+v %v", err, back, doc)
	}
}
