package activitystreams_test

import (
	"encoding/json"
	"testing"

	"github.com/ruche-social/ruche/activitystreams"
)

// TestFAQRoundTrip: an FAQ entry is an Article with faqCategory and
// faqPosition, and reads back with its question, answer and place; an
// Article without them is no entry; a place from elsewhere is cleaned.
// Numbers are read as the inbox decodes them (json.Number).
func TestFAQRoundTrip(t *testing.T) {
	o := activitystreams.Object{ID: "https://ville-a.example/posts/01FAQ", Type: "Article",
		AttributedTo: "https://ville-a.example/users/ann", Language: "fr",
		Content: map[string]string{"fr": "<p>Payez la cotisation.</p>", "en": "<p>Pay the fee.</p>"},
		Name:    map[string]string{"fr": "Comment adhérer ?", "en": "How do I join?"}, Summary: map[string]string{},
		To: []string{activitystreams.Public}, FAQ: &activitystreams.FAQPlace{Category: "Adhésion", Position: 3}}
	doc, err := o.Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc["faqCategory"] != "Adhésion" || doc["faqPosition"] != 3 || doc["type"] != "Article" || doc["nameMap"] == nil {
		t.Fatalf("document: %v", doc)
	}
	read := func(doc map[string]any) *activitystreams.RemoteObject {
		t.Helper()
		raw, _ := json.Marshal(doc)
		m, err := activitystreams.ParseObject(raw) // numbers as an inbox reads them
		if err != nil {
			t.Fatal(err)
		}
		got, err := activitystreams.ObjectFrom(m)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read(doc)
	if got.FAQ == nil || *got.FAQ != (activitystreams.FAQPlace{Category: "Adhésion", Position: 3}) || !got.Article ||
		len(got.Texts) != 2 || got.Texts[0].Title != "Comment adhérer ?" {
		t.Fatalf("read back: %+v %+v", got.FAQ, got.Texts)
	}

	for _, c := range []struct {
		category any
		position any
		want     activitystreams.FAQPlace
	}{
		{"<b>Prix</b>", -2, activitystreams.FAQPlace{Category: "Prix"}},
		{"Prix", 1.5, activitystreams.FAQPlace{Category: "Prix", Position: 1}},
		{"Prix", "2", activitystreams.FAQPlace{Category: "Prix"}},
		{nil, 7, activitystreams.FAQPlace{Position: 7}},
	} {
		doc["faqCategory"], doc["faqPosition"] = c.category, c.position
		if c.category == nil {
			delete(doc, "faqCategory")
		}
		if got := read(doc).FAQ; got == nil || *got != c.want {
			t.Errorf("%v, %v: read %+v, want %+v", c.category, c.position, got, c.want)
		}
	}
	delete(doc, "faqCategory")
	delete(doc, "faqPosition")
	if got := read(doc); got.FAQ != nil {
		t.Fatalf("an Article without a place read as an entry: %+v", got.FAQ)
	}
}
