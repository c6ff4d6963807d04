package activitystreams_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/internal/golden"
	"github.com/ruche-social/ruche/internal/xss"
)

// article is a best practice in French with an English translation, themes
// and a PDF, posted in a space: the document of the three-node scenario.
func article() activitystreams.Object {
	return activitystreams.Object{
		ID: "https://ville-b.example/posts/01JART", Type: "Article",
		AttributedTo: "https://ville-b.example/users/bea", Audience: "https://asso.example/spaces/cantines",
		Context:   "https://ville-b.example/posts/01JART/context",
		To:        []string{activitystreams.Public, "https://asso.example/spaces/cantines"},
		Cc:        []string{"https://asso.example/spaces/cantines/followers"},
		Published: published, Updated: published.Add(time.Hour), URL: "https://ville-b.example/posts/01JART",
		Language: "fr",
		Content:  map[string]string{"fr": "<p>Allergies : la liste.</p>", "en": "<p>Allergies: the list.</p>"},
		Name:     map[string]string{"fr": "Allergies à la cantine", "en": "Allergies in the canteen"},
		Summary:  map[string]string{"fr": "Une méthode", "en": "A method"},
		Tags: []activitystreams.Tag{
			{Type: "Hashtag", Name: "#catering", Href: "https://ville-b.example/tags/catering"},
			{Type: "Hashtag", Name: "#health", Href: "https://ville-b.example/tags/health"},
		},
		Attachments: []activitystreams.Attachment{{MediaType: "application/pdf",
			URL: "https://ville-b.example/files/01JPDF", Name: "checklist.pdf"}},
		AppliesTo: "collèges",
	}
}

func TestGoldenGroupAndPosts(t *testing.T) {
	g, err := activitystreams.Actor{
		ID: "https://asso.example/spaces/cantines", Type: "Group", PreferredUsername: "cantines",
		Name: "Restauration scolaire", Summary: "<p>Échanges entre cuisiniers</p>", URL: "https://asso.example/spaces/cantines",
		Inbox: "https://asso.example/spaces/cantines/inbox", Outbox: "https://asso.example/spaces/cantines/outbox",
		Followers: "https://asso.example/spaces/cantines/followers", SharedInbox: "https://asso.example/inbox",
		Published: published, ManuallyApprovesFollowers: true, Discoverable: true, Indexable: true,
		PublicKey:    activitystreams.PublicKey{ID: "https://asso.example/spaces/cantines#main-key", Owner: "https://asso.example/spaces/cantines", PEM: testPEM},
		Featured:     "https://asso.example/spaces/cantines/featured",
		AttributedTo: "https://asso.example/spaces/cantines/moderators",
		Members:      "https://asso.example/spaces/cantines/members",
		Visibility:   "public", JoinPolicy: "approval",
	}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "group", g)

	a, err := article().Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "article", a)

	note, err := activitystreams.Object{
		ID: "https://ville-c.example/posts/01JNOTE", Type: "Note", AttributedTo: "https://ville-c.example/users/chloe",
		Audience: "https://asso.example/spaces/cantines", Context: "https://ville-b.example/posts/01JART/context",
		InReplyTo: "https://ville-b.example/posts/01JART",
		To:        []string{activitystreams.Public, "https://asso.example/spaces/cantines"},
		Published: published, URL: "https://ville-c.example/posts/01JNOTE", Language: "en",
		Content: map[string]string{"en": "<p>Thanks <a href=\"https://ville-b.example/users/bea\" class=\"mention\">@bea</a></p>"},
		Tags:    []activitystreams.Tag{{Type: "Mention", Name: "@bea@ville-b.example", Href: "https://ville-b.example/users/bea"}},
	}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "note", note)

	create, err := activitystreams.Activity{ID: "https://ville-b.example/activities/01JCREATE", Type: "Create",
		Actor: "https://ville-b.example/users/bea", Object: a, Audience: "https://asso.example/spaces/cantines",
		To: []string{activitystreams.Public, "https://asso.example/spaces/cantines"}, Cc: []string{"https://asso.example/spaces/cantines/followers"},
		Published: published}.Document()
	if err != nil {
		t.Fatal(err)
	}
	announce, err := activitystreams.Activity{ID: "https://asso.example/activities/01JANNOUNCE", Type: "Announce",
		Actor: "https://asso.example/spaces/cantines", Object: create, Audience: "https://asso.example/spaces/cantines",
		To: []string{activitystreams.Public}, Cc: []string{"https://asso.example/spaces/cantines/followers"},
		Published: published}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "announce", announce)
	boost, err := activitystreams.Activity{ID: "https://asso.example/activities/01JBOOST", Type: "Announce",
		Actor: "https://asso.example/spaces/cantines", Object: "https://ville-b.example/posts/01JART",
		To: []string{activitystreams.Public}, Cc: []string{"https://asso.example/spaces/cantines/followers"},
		Published: published}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "announce_object", boost)
}

// Our own documents read back as what was written: every language, tags,
// attachments, addressing.
func TestObjectRoundTrip(t *testing.T) {
	doc, err := article().Document()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	m, err := activitystreams.ParseObject(b)
	if err != nil {
		t.Fatal(err)
	}
	o, err := activitystreams.ObjectFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Article || o.AttributedTo != "https://ville-b.example/users/bea" || len(o.Audience) != 1 ||
		o.Context != "https://ville-b.example/posts/01JART/context" || !o.Updated.Equal(published.Add(time.Hour)) {
		t.Fatalf("object %+v", o)
	}
	if len(o.Texts) != 2 || o.Texts[0].Language != "fr" || o.Texts[0].Title != "Allergies à la cantine" ||
		o.Texts[0].Summary != "Une méthode" || o.Texts[1].Language != "en" || o.Texts[1].Body != "<p>Allergies: the list.</p>" {
		t.Fatalf("texts %+v", o.Texts)
	}
	if strings.Join(o.Hashtags, " ") != "catering health" || len(o.Attachments) != 1 ||
		o.Attachments[0].MediaType != "application/pdf" || o.Attachments[0].Name != "checklist.pdf" || o.AppliesTo != "collèges" {
		t.Fatalf("tags %v attachments %+v", o.Hashtags, o.Attachments)
	}
}

// An article reads well on the servers our members' followers use, with no
// content warning (docs/federation.md, "How an article reads elsewhere"):
// GoToSocial takes an untagged summary, else an untagged name, as a content
// warning and shows content; Mastodon shows an Article as the first entries
// of nameMap and summaryMap and a link.
func TestArticleReadsEverywhere(t *testing.T) {
	doc, err := article().Document()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	// GoToSocial: nothing to hide the article behind; content is all of it.
	for _, prop := range []string{"name", "summary"} {
		if v, ok := m[prop]; ok {
			t.Errorf("untagged %s %q: GoToSocial would show it as a content warning", prop, v)
		}
	}
	if m["sensitive"] != false {
		t.Errorf("sensitive = %v", m["sensitive"])
	}
	lead := "<h2>Allergies à la cantine</h2><p>Une méthode</p>"
	if m["content"] != lead+"<p>Allergies : la liste.</p>" {
		t.Errorf("content %q", m["content"])
	}
	// Mastodon: the first entry of each map is the main language's.
	for prop, want := range map[string]string{"nameMap": "Allergies à la cantine", "summaryMap": "Une méthode", "contentMap": m["content"].(string)} {
		if lang, v := firstEntry(t, raw, prop); lang != "fr" || v != want {
			t.Errorf("%s opens with %s %q, want fr %q", prop, lang, v, want)
		}
	}
	if en := m["contentMap"].(map[string]any)["en"]; en != "<h2>Allergies in the canteen</h2><p>A method</p><p>Allergies: the list.</p>" {
		t.Errorf("contentMap en %q", en)
	}

	// Plain text that is not HTML-safe comes back as written.
	a := article()
	a.Name = map[string]string{"fr": `Cantine & "bio"`}
	a.Summary = map[string]string{"fr": "Budget < 10 k€ & rapide\n\nDeux paragraphes"}
	a.Content = map[string]string{"fr": "<p>Texte</p>"}
	doc, _ = a.Document()
	raw, _ = json.Marshal(doc)
	pm, _ := activitystreams.ParseObject(raw)
	o, err := activitystreams.ObjectFrom(pm)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Texts) != 1 || o.Texts[0].Title != a.Name["fr"] || o.Texts[0].Summary != a.Summary["fr"] || o.Texts[0].Body != "<p>Texte</p>" {
		t.Fatalf("texts %+v", o.Texts)
	}
}

// A note's content warning goes in summary, as Mastodon writes and reads
// it, with sensitive; a note without one has neither.
func TestNoteWarningRoundTrip(t *testing.T) {
	note := activitystreams.Object{ID: "https://ville-a.example/posts/01JNOTE", Type: "Note",
		AttributedTo: "https://ville-a.example/users/alice", To: []string{activitystreams.Public}, Language: "fr",
		Content: map[string]string{"fr": "<p>La fin du film</p>"}, Sensitive: true, Warning: "Divulgâchage & fin"}
	for _, c := range []struct {
		sensitive bool
		warning   string
	}{{true, "Divulgâchage & fin"}, {true, ""}, {false, ""}} {
		note.Sensitive, note.Warning = c.sensitive, c.warning
		doc, err := note.Document()
		if err != nil {
			t.Fatal(err)
		}
		if summary, ok := doc["summary"]; doc["sensitive"] != c.sensitive || ok != (c.warning != "") || (ok && summary != c.warning) {
			t.Errorf("%+v: sensitive %v, summary %v", c, doc["sensitive"], doc["summary"])
		}
		b, _ := json.Marshal(doc)
		m, _ := activitystreams.ParseObject(b)
		o, err := activitystreams.ObjectFrom(m)
		if err != nil {
			t.Fatal(err)
		}
		if o.Sensitive != c.sensitive || o.Warning != c.warning || o.Texts[0].Body != "<p>La fin du film</p>" {
			t.Errorf("%+v read back as %v %q %q", c, o.Sensitive, o.Warning, o.Texts[0].Body)
		}
	}
}

// firstEntry is the first key and value of the object prop of a JSON
// document, in the order they were written.
func firstEntry(t *testing.T, raw []byte, prop string) (string, string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s not found: %v", prop, err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if tok == prop && depth == 1 {
			if tok, _ := dec.Token(); tok != json.Delim('{') {
				t.Fatalf("%s is not an object", prop)
			}
			k, _ := dec.Token()
			v, _ := dec.Token()
			key, _ := k.(string)
			val, _ := v.(string)
			return key, val
		}
	}
}

func TestObjectFromOthers(t *testing.T) {
	parse := func(s string) (*activitystreams.RemoteObject, error) {
		m, err := activitystreams.ParseObject([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return activitystreams.ObjectFrom(m)
	}
	// Mastodon: a Note with a content warning, a language in contentMap only
	// as a region tag, an image given by a Link.
	o, err := parse(`{"id":"https://m.example/users/x/statuses/1","type":"Note","attributedTo":"https://m.example/users/x",
		"summary":"spoiler <b>!</b>","content":"<p>hi</p>","contentMap":{"en-GB":"<p>hi</p>"},
		"attachment":[{"type":"Document","mediaType":"image/png","url":{"type":"Link","href":"https://m.example/a.png"},"name":"a cat"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if o.Article || len(o.Texts) != 1 || o.Texts[0].Language != "en" || o.Texts[0].Body != "<p>hi</p>" ||
		o.Texts[0].Title != "" || o.Texts[0].Summary != "" || o.Attachments[0].URL != "https://m.example/a.png" {
		t.Fatalf("mastodon note %+v %+v", o, o.Texts)
	}
	// Its summary is its content warning, kept apart as plain text on one line.
	if !o.Sensitive || o.Warning != "spoiler !" {
		t.Fatalf("mastodon note's warning: %v %q", o.Sensitive, o.Warning)
	}
	// Sensitive media without a warning's text; a note with neither.
	o, err = parse(`{"id":"https://m.example/users/x/statuses/2","type":"Note","attributedTo":"https://m.example/users/x",
		"sensitive":true,"content":"<p>look</p>"}`)
	if err != nil || !o.Sensitive || o.Warning != "" {
		t.Fatalf("sensitive note %+v %v", o, err)
	}
	o, err = parse(`{"id":"https://m.example/users/x/statuses/3","type":"Note","attributedTo":"https://m.example/users/x",
		"sensitive":false,"summary":"","content":"<p>plain</p>"}`)
	if err != nil || o.Sensitive || o.Warning != "" {
		t.Fatalf("plain note %+v %v", o, err)
	}
	o, err = parse(`{"id":"https://m.example/users/x/statuses/4","type":"Note","attributedTo":"https://m.example/users/x",
		"summary":"<p>two</p><p>lines &amp; more</p>","content":"<p>x</p>"}`)
	if err != nil || !o.Sensitive || o.Warning != "two lines & more" {
		t.Fatalf("note with an HTML warning %+v %v", o, err)
	}
	// Articles of other software keep their title and summary apart from
	// their text; a body that does not open with exactly Ruche's lead keeps
	// what it opens with.
	o, err = parse(`{"id":"https://w.example/a/1","type":"Article","attributedTo":"https://w.example/u/x",
		"name":"Mon titre","summary":"<p>Le <em>chapeau</em></p>","content":"<h2>Mon titre</h2><p>Texte</p>","url":"https://w.example/a/1.html"}`)
	if err != nil || !o.Article || len(o.Texts) != 1 || o.Texts[0].Title != "Mon titre" || o.Texts[0].Summary != "Le chapeau" ||
		o.Texts[0].Body != "<h2>Mon titre</h2><p>Texte</p>" || o.URL != "https://w.example/a/1.html" {
		t.Fatalf("article %+v %+v %v", o, o.Texts, err)
	}
	o, err = parse(`{"id":"https://w.example/a/2","type":"Article","attributedTo":"https://w.example/u/x",
		"nameMap":{"de":"Titel"},"summaryMap":{"de":"Kurz"},"content":"<h2>Titel</h2><p>Kurz</p><p>Text</p>","contentMap":{"de":"<h2>Titel</h2><p>Kurz</p><p>Text</p>"}}`)
	if err != nil || len(o.Texts) != 1 || o.Texts[0].Language != "de" || o.Texts[0].Title != "Titel" || o.Texts[0].Summary != "Kurz" || o.Texts[0].Body != "<p>Text</p>" {
		t.Fatalf("article with maps only %+v %v", o.Texts, err)
	}
	// Lemmy: a Page with a name, the community as audience and in to.
	o, err = parse(`{"id":"https://l.example/post/1","type":"Page","attributedTo":"https://l.example/u/x",
		"name":"Title","content":"<p>body</p>","audience":"https://l.example/c/forum","to":["https://l.example/c/forum","as:Public"]}`)
	if err != nil || !o.Article || o.Texts[0].Title != "Title" || o.Texts[0].Language != "" || o.Audience[0] != "https://l.example/c/forum" {
		t.Fatalf("lemmy page %+v %v", o, err)
	}
	for name, doc := range map[string]string{
		"question":            `{"id":"https://m.example/q/1","type":"Question","attributedTo":"https://m.example/users/x","content":"x"}`,
		"author elsewhere":    `{"id":"https://m.example/n/1","type":"Note","attributedTo":"https://evil.example/users/x","content":"x"}`,
		"no author":           `{"id":"https://m.example/n/1","type":"Note","content":"x"}`,
		"empty once cleaned":  `{"id":"https://m.example/n/1","type":"Note","attributedTo":"https://m.example/users/x","content":"<script>alert(1)</script>"}`,
		"javascript id":       `{"id":"javascript:alert(1)","type":"Note","attributedTo":"https://m.example/users/x","content":"x"}`,
		"no text in any form": `{"id":"https://m.example/n/1","type":"Note","attributedTo":"https://m.example/users/x"}`,
	} {
		if _, err := parse(doc); !errors.Is(err, activitystreams.ErrNotAPost) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRemoteXSSCorpus sends every payload in every text field of a remote
// post (content, contentMap, name, summary, attachment names, appliesTo).
func TestRemoteXSSCorpus(t *testing.T) {
	for _, p := range xss.Payloads {
		doc := map[string]any{
			"id": "https://m.example/n/1", "type": "Article", "attributedTo": "https://m.example/users/x",
			"content": "<p>ok</p>" + p, "contentMap": map[string]any{"fr": "<p>ok</p>" + p, "en": p + "<p>en</p>"},
			"name": "T" + p, "nameMap": map[string]any{"fr": "T" + p, "en": p + "T"},
			"summary": p, "appliesTo": p,
			"attachment": []any{map[string]any{"type": "Document", "mediaType": "application/pdf", "url": "https://m.example/f.pdf", "name": p}},
		}
		b, _ := json.Marshal(doc)
		m, _ := activitystreams.ParseObject(b)
		o, err := activitystreams.ObjectFrom(m)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tx := range o.Texts {
			for field, v := range map[string]string{"body": tx.Body, "title": tx.Title, "summary": tx.Summary} {
				if bad := xss.Dangerous(v); bad != "" {
					t.Errorf("payload %q: %s (%s) keeps %q: %s", p, field, tx.Language, bad, v)
				}
				if field != "body" && xss.Markup(v) {
					t.Errorf("payload %q: %s keeps markup: %s", p, field, v)
				}
			}
		}
		if xss.Markup(o.AppliesTo + o.Attachments[0].Name) {
			t.Errorf("payload %q: plain fields keep markup: %q %q", p, o.AppliesTo, o.Attachments[0].Name)
		}
		// A note's summary, its content warning, ends as plain text too.
		doc["type"], doc["summary"] = "Note", "cw "+p
		b, _ = json.Marshal(doc)
		m, _ = activitystreams.ParseObject(b)
		if o, err = activitystreams.ObjectFrom(m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if xss.Markup(o.Warning) || xss.Dangerous(o.Warning) != "" || !o.Sensitive {
			t.Errorf("payload %q: the warning keeps markup: %q", p, o.Warning)
		}
	}
}
