package activitystreams_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ruche-social/ruche/activitystreams"
)

// TestDocumentRoundTrip: a document is typed Document and Page (Mastodon
// converts a Page, and drops a Document), its url the page and the file,
// its file also an attachment; it reads back with its name, description,
// file, folder and version; one without a description keeps its name as
// its only text; one without a file is no post.
func TestDocumentRoundTrip(t *testing.T) {
	file := &activitystreams.DocumentFile{URL: "https://ville-a.example/files/01FILE", MediaType: "application/pdf",
		Size: 1234, Name: "plan.pdf", Folder: "Plans/2026", Version: 3}
	o := activitystreams.Object{ID: "https://ville-a.example/posts/01DOC", Type: "Document",
		AttributedTo: "https://ville-a.example/users/ann", Language: "fr", URL: "https://ville-a.example/posts/01DOC",
		Content: map[string]string{"fr": "<p>Le plan du quartier.</p>"}, Name: map[string]string{"fr": "plan.pdf"},
		To: []string{activitystreams.Public}, File: file}
	doc, err := o.Document()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(doc["type"]) != "[Document Page]" || doc["name"] != "plan.pdf" || doc["mediaType"] != "application/pdf" ||
		doc["documentFolder"] != "Plans/2026" || doc["documentVersion"] != 3 {
		t.Fatalf("document: %v", doc)
	}
	urls := doc["url"].([]any)
	if len(urls) != 2 || urls[0].(map[string]any)["mediaType"] != "text/html" || urls[1].(map[string]any)["href"] != file.URL {
		t.Fatalf("url: %v", urls)
	}
	read := func(doc map[string]any) (*activitystreams.RemoteObject, error) {
		t.Helper()
		raw, _ := json.Marshal(doc)
		m, err := activitystreams.ParseObject(raw)
		if err != nil {
			t.Fatal(err)
		}
		return activitystreams.ObjectFrom(m)
	}
	got, err := read(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "Document" || got.Document == nil || *got.Document != *file || got.URL != o.URL ||
		len(got.Texts) != 1 || got.Texts[0].Title != "plan.pdf" || got.Texts[0].Body != "<p>Le plan du quartier.</p>" {
		t.Fatalf("read back: %+v %+v", got, got.Document)
	}

	// no description: the name is its text
	delete(doc, "content")
	delete(doc, "contentMap")
	if got, err := read(doc); err != nil || len(got.Texts) != 1 || got.Texts[0].Title != "plan.pdf" || got.Texts[0].Body != "" {
		t.Fatalf("without a description: %v %+v", err, got)
	}
	// another server's: a bare Document, its file an attachment only, an odd version
	bare := map[string]any{"id": "https://other.example/d/1", "type": "Document", "attributedTo": "https://other.example/u/x",
		"name": "<b>notes</b>", "documentVersion": -4,
		"attachment": []any{map[string]any{"type": "Document", "url": "https://other.example/f/1", "mediaType": "text/plain", "name": "notes.txt"}}}
	if got, err := read(bare); err != nil || got.Document.URL != "https://other.example/f/1" || got.Document.Version != 1 ||
		got.Document.Name != "notes.txt" || got.Texts[0].Title != "notes" {
		t.Fatalf("a bare Document: %v %+v", err, got)
	}
	delete(bare, "attachment")
	if _, err := read(bare); err == nil {
		t.Fatal("a Document without a file was read as a post")
	}
	// Object refuses a Document without its file
	o.File = nil
	if _, err := o.Document(); err == nil {
		t.Fatal("a Document without its file was written")
	}
}
