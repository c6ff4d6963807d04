package activitystreams

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Object is a post as the node publishes it: a Note (a short post or a
// comment) or an Article (a best practice), in every language it is written in.
type Object struct {
	ID           string
	Type         string // Note, Article, Event or Page
	AttributedTo string // the author
	Audience     string // the Group of a post in a space (FEP-1b12)
	Context      string // the thread, an OrderedCollection (FEP-7888)
	InReplyTo    string
	To, Cc       []string
	Published    time.Time
	Updated      time.Time // zero when never edited
	URL          string    // the HTML page
	// Language is the main language: content, name and summary hold its text,
	// Mastodon reading only those; the maps hold every language.
	Language    string
	Content     map[string]string // language → HTML
	Name        map[string]string // articles: language → title
	Summary     map[string]string // articles: language → summary
	Tags        []Tag
	Attachments []Attachment
	AppliesTo   string // articles: to whom the practice applies (Ruche)
	// Sensitive shows a note collapsed behind its content warning, Warning
	// (plain text, may be empty), which goes in summary: where Mastodon and
	// GoToSocial read a content warning.
	Sensitive bool
	Warning   string
	// Poll makes a Note a Question, as Mastodon publishes a poll.
	Poll *Question
	// Event is the when and where of an Event.
	Event *Event
	// FAQ makes an Article an FAQ entry (Ruche).
	FAQ *FAQPlace
	// Document makes the object a document of a space: type Document (and
	// Page, for Mastodon), its name the document's, its content the
	// description (Ruche).
	File *DocumentFile
	// Wiki makes a Page a revision of a wiki page (Ruche).
	Wiki *WikiRevision
}

// Question is the poll a note carries: its options (oneOf, or anyOf when
// several may be chosen), each with its votes as the totalItems of its
// replies, its end and its voters. Counts the author hides until the end
// are published as zero until then.
type Question struct {
	Multiple bool
	Options  []QuestionOption
	EndTime  time.Time
	Closed   bool // it has ended
	Voters   int
}

// QuestionOption is one answer of a Question.
type QuestionOption struct {
	Name  string
	Votes int
}

// Tag is a Hashtag (Name "#tag", Href its page) or a Mention (Name
// "@user@host", Href the actor).
type Tag struct {
	Type string
	Name string
	Href string
}

// Attachment is a file of a post, published as a Document.
type Attachment struct {
	MediaType string
	URL       string
	Name      string // alternative text, or the file's name
}

// objectType is what go-fed's Note and Article share.
type objectType interface {
	vocab.Type
	SetActivityStreamsAttributedTo(vocab.ActivityStreamsAttributedToProperty)
	SetActivityStreamsAudience(vocab.ActivityStreamsAudienceProperty)
	SetActivityStreamsContext(vocab.ActivityStreamsContextProperty)
	SetActivityStreamsInReplyTo(vocab.ActivityStreamsInReplyToProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
}

// Document returns the object's JSON document, with its @context. The
// natural-language properties, tags and attachments are written by hand:
// go-fed would fold contentMap into content and flatten one-element arrays.
func (o Object) Document() (map[string]any, error) {
	var t objectType
	switch o.Type {
	case "Note":
		t = streams.NewActivityStreamsNote()
	case "Article":
		t = streams.NewActivityStreamsArticle()
	case "Event":
		if o.Event == nil {
			return nil, fmt.Errorf("an Event needs its date")
		}
		t = streams.NewActivityStreamsEvent()
	case "Document":
		if o.File == nil {
			return nil, fmt.Errorf("a Document needs its file")
		}
		if _, err := parseIRI(o.File.URL); err != nil {
			return nil, err
		}
		t = streams.NewActivityStreamsDocument()
	case "Page":
		t = streams.NewActivityStreamsPage()
	default:
		return nil, fmt.Errorf("object type %q is not supported", o.Type)
	}
	if err := setID(t.(identified), o.ID); err != nil {
		return nil, err
	}
	for _, set := range []struct {
		value string
		apply func(*url.URL)
	}{
		{o.AttributedTo, func(u *url.URL) {
			p := streams.NewActivityStreamsAttributedToProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsAttributedTo(p)
		}},
		{o.Audience, func(u *url.URL) {
			p := streams.NewActivityStreamsAudienceProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsAudience(p)
		}},
		{o.Context, func(u *url.URL) {
			p := streams.NewActivityStreamsContextProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsContext(p)
		}},
		{o.InReplyTo, func(u *url.URL) {
			p := streams.NewActivityStreamsInReplyToProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsInReplyTo(p)
		}},
		{o.URL, func(u *url.URL) {
			p := streams.NewActivityStreamsUrlProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsUrl(p)
		}},
	} {
		if set.value == "" {
			continue
		}
		u, err := parseIRI(set.value)
		if err != nil {
			return nil, err
		}
		set.apply(u)
	}
	to, err := iriList(o.To)
	if err != nil {
		return nil, err
	}
	if to.Len() > 0 {
		p := streams.NewActivityStreamsToProperty()
		for _, u := range to.items {
			p.AppendIRI(u)
		}
		t.SetActivityStreamsTo(p)
	}
	cc, err := iriList(o.Cc)
	if err != nil {
		return nil, err
	}
	if cc.Len() > 0 {
		p := streams.NewActivityStreamsCcProperty()
		for _, u := range cc.items {
			p.AppendIRI(u)
		}
		t.SetActivityStreamsCc(p)
	}
	if !o.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(o.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(p)
	}
	if !o.Updated.IsZero() {
		p := streams.NewActivityStreamsUpdatedProperty()
		p.Set(o.Updated.UTC().Truncate(time.Second))
		t.SetActivityStreamsUpdated(p)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", o.Type, err)
	}
	m["@context"] = Context()
	for _, k := range []string{"to", "cc"} {
		if s, ok := m[k].(string); ok {
			m[k] = []any{s}
		}
	}
	switch o.Type {
	case "Article":
		setArticleText(m, o)
		m["sensitive"] = false
	case "Event", "Document", "Page":
		// name plain too: Mobilizon reads an Event's title there alone,
		// Mastodon a Page's (a status of its name and link), which a
		// document is too
		SetLangText(m, "content", o.Language, o.Content)
		SetLangText(m, "name", o.Language, o.Name)
		m["sensitive"] = false
	default:
		SetLangText(m, "content", o.Language, o.Content)
		m["sensitive"] = o.Sensitive
		if o.Sensitive && o.Warning != "" {
			// plain text, as Mastodon sends and reads a content warning
			m["summary"] = o.Warning
		}
	}
	if o.AppliesTo != "" {
		m["appliesTo"] = o.AppliesTo
	}
	tags := make([]any, 0, len(o.Tags))
	for _, tg := range o.Tags {
		if tg.Type != "Hashtag" && tg.Type != "Mention" {
			return nil, fmt.Errorf("tag type %q is not supported", tg.Type)
		}
		if _, err := parseIRI(tg.Href); err != nil {
			return nil, err
		}
		tags = append(tags, map[string]any{"type": tg.Type, "name": tg.Name, "href": tg.Href})
	}
	if len(tags) > 0 {
		m["tag"] = tags
	}
	files := make([]any, 0, len(o.Attachments))
	for _, a := range o.Attachments {
		if _, err := parseIRI(a.URL); err != nil {
			return nil, err
		}
		d := map[string]any{"type": "Document", "mediaType": a.MediaType, "url": a.URL}
		if a.Name != "" {
			d["name"] = a.Name
		}
		files = append(files, d)
	}
	if len(files) > 0 {
		m["attachment"] = files
	}
	if o.Poll != nil {
		setQuestion(m, o.Poll)
	}
	if o.Event != nil {
		setEvent(m, o.Event)
	}
	if o.FAQ != nil {
		setFAQ(m, o.FAQ)
	}
	if o.File != nil {
		setDocument(m, o)
	}
	if o.Wiki != nil {
		setWiki(m, o.Wiki)
	}
	return m, nil
}

// setQuestion makes the note's document a Question.
func setQuestion(m map[string]any, q *Question) {
	m["type"] = "Question"
	options := make([]any, len(q.Options))
	for i, o := range q.Options {
		options[i] = map[string]any{"type": "Note", "name": o.Name,
			"replies": map[string]any{"type": "Collection", "totalItems": o.Votes}}
	}
	key := "oneOf"
	if q.Multiple {
		key = "anyOf"
	}
	m[key] = options
	end := q.EndTime.UTC().Truncate(time.Second).Format(time.RFC3339)
	m["endTime"] = end
	if q.Closed {
		m["closed"] = end
	}
	m["votersCount"] = q.Voters
}

// setArticleText writes an article's title, summary and text so that it
// reads well everywhere, with no content warning:
//
//   - the title and summary go in nameMap and summaryMap only. GoToSocial
//     shows an untagged summary, or failing it an untagged name, as a
//     content warning hiding the whole article; it reads neither from the
//     maps. Mastodon reads both from the maps (their first entry) and shows
//     an Article as its title, summary and link.
//   - each language's content opens with its title and summary (ArticleLead),
//     so that a reader that shows only content, as GoToSocial does, shows a
//     whole article; a Ruche node takes the lead off again.
//
// Summaries are plain text on this node; they are escaped here, summary
// being HTML in ActivityStreams.
func setArticleText(m map[string]any, o Object) {
	content := make(map[string]string, len(o.Content))
	summaries := make(map[string]string, len(o.Summary))
	for lang, body := range o.Content {
		content[lang] = ArticleLead(o.Name[lang], o.Summary[lang]) + body
	}
	for lang, s := range o.Summary {
		summaries[lang] = html.EscapeString(s)
	}
	SetLangText(m, "content", o.Language, content)
	SetLangMap(m, "name", o.Language, o.Name)
	SetLangMap(m, "summary", o.Language, summaries)
}

// ArticleLead is how an article's content opens in one language: its title
// as a heading and its summary (both plain text), or "" when it has neither.
func ArticleLead(title, summary string) string {
	var b strings.Builder
	if title != "" {
		b.WriteString("<h2>" + html.EscapeString(title) + "</h2>")
	}
	b.WriteString(TextToHTML(summary))
	return b.String()
}

type iris struct{ items []*url.URL }

func (l iris) Len() int { return len(l.items) }

// iriList parses IRIs the node is about to publish (as:Public included).
func iriList(in []string) (iris, error) {
	var out iris
	for _, s := range in {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return iris{}, fmt.Errorf("%q is not an absolute IRI", s)
		}
		out.items = append(out.items, u)
	}
	return out, nil
}
