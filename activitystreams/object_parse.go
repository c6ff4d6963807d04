package activitystreams

import (
	"encoding/json"
	"errors"
	"html"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ErrNotAPost is returned for a document that is not a post the node keeps:
// not a Note, Article, Page, Question or Event, or without its id, author
// or text.
var ErrNotAPost = errors.New("the document is not a post (Note, Article or Page)")

// MaxAttachments bounds the files the node takes from one remote post; more
// are dropped.
const MaxAttachments = 10

// RemoteObject is a post received from another server, read defensively:
// every IRI checked, HTML sanitised, titles and summaries reduced to text,
// languages normalised.
type RemoteObject struct {
	ID           string
	Type         string // Note, Article or Page, as received
	Article      bool   // an Article or a Page (a forum thread, as Lemmy sends): it has a title
	AttributedTo string
	Audience     []string
	Context      string
	InReplyTo    string
	To, Cc       []string
	Published    time.Time
	Updated      time.Time
	URL          string
	// Texts holds the post in each language, the main language first. A
	// Language of "" means the sender did not say which.
	Texts       []LangText
	Hashtags    []string // lowercased, without "#"
	Mentions    []string // the IRIs of the actors its Mention tags name
	Attachments []RemoteAttachment
	AppliesTo   string
	// Sensitive: a note to show collapsed behind Warning (plain text, may be
	// empty), its summary — how Mastodon and GoToSocial send a content
	// warning. An article's summary is its summary: articles have no
	// warning here.
	Sensitive bool
	Warning   string
	// Poll is the poll of a Question, read as a note.
	Poll *Question
	// Event is the when and where of an Event, which has a title like an
	// Article; its summary (a line of when and where) is not kept.
	Event *Event
	// FAQ is the place of an Article that is an FAQ entry (Ruche).
	FAQ *FAQPlace
	// Document is the file and place of a Document (Ruche), which has a
	// title (its name) like an Article and may have no text.
	Document *DocumentFile
	// Wiki is the revision a Page of a wiki is (Ruche).
	Wiki *WikiRevision
}

// LangText is a post's text in one language.
type LangText struct {
	Language string
	Title    string // plain text
	Summary  string // plain text
	Body     string // sanitised HTML
}

// RemoteAttachment is a file another server holds.
type RemoteAttachment struct {
	URL       string
	MediaType string
	Name      string // plain text
}

// PostTypes are the object types the node stores as posts.
var PostTypes = map[string]bool{"Note": true, "Article": true, "Page": true, "Question": true, "Event": true, "Document": true}

var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

// normLanguage reduces a language tag to its primary subtag ("en-GB" → "en"),
// or "" when it is not one.
func normLanguage(tag string) string {
	if !languageTag.MatchString(tag) {
		return ""
	}
	primary, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(primary)
}

// ObjectFrom reads a post from a parsed document.
func ObjectFrom(m map[string]any) (*RemoteObject, error) {
	o := &RemoteObject{ID: IRIOf(m["id"]), Type: TypeOf(m)}
	if o.ID == "" || !PostTypes[o.Type] {
		return nil, ErrNotAPost
	}
	o.Article = o.Type == "Article" || o.Type == "Page"
	authors := IRIs(m["attributedTo"])
	for _, a := range authors {
		if SameOrigin(a, o.ID) {
			o.AttributedTo = a
			break
		}
	}
	if o.AttributedTo == "" {
		return nil, errors.Join(ErrNotAPost, errors.New("no author on the object's server"))
	}
	o.Audience = IRIs(m["audience"])
	if c := IRIs(m["context"]); len(c) == 1 {
		o.Context = c[0]
	}
	if r := IRIs(m["inReplyTo"]); len(r) == 1 {
		o.InReplyTo = r[0]
	}
	o.To, o.Cc = IRIs(m["to"]), IRIs(m["cc"])
	o.Published = timeOf(m["published"])
	o.Updated = timeOf(m["updated"])
	o.URL = urlOf(m["url"])
	o.Texts = textsOf(m, o.Article || o.Type == "Event" || o.Type == "Document")
	if o.Type == "Document" {
		if o.Document = documentOf(m); o.Document == nil {
			return nil, errors.Join(ErrNotAPost, errors.New("a Document without its file"))
		}
		if name, _ := LangTextOf(m, "name"); len(o.Texts) == 0 && PlainLine(name) != "" {
			o.Texts = []LangText{{Title: PlainLine(name)}} // a document without a description
		}
	}
	if len(o.Texts) == 0 {
		return nil, errors.Join(ErrNotAPost, errors.New("no text"))
	}
	if o.Type == "Event" {
		if o.Event = eventOf(m); o.Event == nil {
			return nil, errors.Join(ErrNotAPost, errors.New("an Event without its start"))
		}
		for i := range o.Texts {
			o.Texts[i].Summary = ""
		}
	} else if !o.Article {
		summary, _ := LangTextOf(m, "summary")
		sensitive, _ := m["sensitive"].(bool)
		o.Warning = PlainLine(summary)
		o.Sensitive = sensitive || o.Warning != ""
	}
	if o.Article {
		o.FAQ = faqOf(m)
	}
	if o.Type == "Page" {
		o.Wiki = wikiOf(m)
	}
	o.Hashtags = hashtagsOf(m["tag"])
	o.Mentions = mentionsOf(m["tag"])
	o.Attachments = attachmentsOf(m["attachment"])
	if s, ok := m["appliesTo"].(string); ok {
		o.AppliesTo = PlainText(s)
	}
	if o.Type == "Question" {
		if o.Poll = questionOf(m); o.Poll == nil {
			return nil, errors.Join(ErrNotAPost, errors.New("a Question without options"))
		}
	}
	return o, nil
}

// MaxQuestionOptions bounds the options read of a remote poll.
const MaxQuestionOptions = 20

// questionOf reads the poll of a Question: its options (oneOf, or anyOf),
// their votes, its end and its voters; nil without options.
func questionOf(m map[string]any) *Question {
	q := &Question{}
	list, _ := m["oneOf"].([]any)
	if anyOf, ok := m["anyOf"].([]any); ok && len(list) == 0 {
		list, q.Multiple = anyOf, true
	}
	for _, v := range list {
		o, _ := v.(map[string]any)
		name, _ := o["name"].(string)
		name = PlainLine(name)
		if name == "" {
			continue
		}
		votes := 0
		if r, ok := o["replies"].(map[string]any); ok {
			votes = countOf(r["totalItems"])
		}
		q.Options = append(q.Options, QuestionOption{Name: name, Votes: votes})
		if len(q.Options) == MaxQuestionOptions {
			break
		}
	}
	if len(q.Options) == 0 {
		return nil
	}
	q.EndTime = timeOf(m["endTime"])
	if closed := timeOf(m["closed"]); !closed.IsZero() {
		q.Closed = true
		if q.EndTime.IsZero() || closed.Before(q.EndTime) {
			q.EndTime = closed
		}
	}
	q.Voters = countOf(m["votersCount"])
	return q
}

// countOf reads a count (a JSON number, decoded as json.Number or float64);
// 0 for anything else, or below 0.
func countOf(v any) int {
	var n float64
	switch x := v.(type) {
	case json.Number:
		n, _ = x.Float64()
	case float64:
		n = x
	}
	if n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}

// Vote is a choice in a poll, as Mastodon sends one: a Note with the
// option's name, in reply to the Question, and no content.
type Vote struct {
	ID       string
	Voter    string // attributedTo, on the vote's server
	Question string // inReplyTo
	Name     string // the option chosen
}

// VoteOf reads a vote; ok is false for any other document.
func VoteOf(m map[string]any) (v *Vote, ok bool) {
	if TypeOf(m) != "Note" {
		return nil, false
	}
	if content, _ := LangTextOf(m, "content"); strings.TrimSpace(content) != "" {
		return nil, false
	}
	name, _ := m["name"].(string)
	v = &Vote{ID: IRIOf(m["id"]), Name: PlainLine(name)}
	if r := IRIs(m["inReplyTo"]); len(r) == 1 {
		v.Question = r[0]
	}
	for _, a := range IRIs(m["attributedTo"]) {
		if SameOrigin(a, v.ID) {
			v.Voter = a
		}
	}
	if v.ID == "" || v.Name == "" || v.Question == "" || v.Voter == "" {
		return nil, false
	}
	return v, true
}

func timeOf(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// textsOf reads content, name and summary with their language maps. The
// main language is the one whose contentMap entry is the plain content;
// failing that the only or, sorted, first entry. A Note has no title nor
// summary (its summary is a content warning, read apart). An Article whose
// content opens with its own title and summary, as Ruche writes it
// (ArticleLead), has them taken off its body.
func textsOf(m map[string]any, article bool) []LangText {
	content, contentMap := LangTextOf(m, "content")
	name, nameMap := LangTextOf(m, "name")
	summary, summaryMap := LangTextOf(m, "summary")
	byLang := map[string]*LangText{}
	var langs []string
	get := func(raw string) *LangText {
		l := normLanguage(raw)
		if l == "" {
			return nil
		}
		t, ok := byLang[l]
		if !ok {
			t = &LangText{Language: l}
			byLang[l] = t
			langs = append(langs, l)
		}
		return t
	}
	main := ""
	for raw, v := range contentMap {
		if t := get(raw); t != nil {
			t.Body = v
			if v == content && main == "" {
				main = t.Language
			}
		}
	}
	for raw, v := range nameMap {
		if t := get(raw); t != nil {
			t.Title = v
		}
	}
	for raw, v := range summaryMap {
		if t := get(raw); t != nil {
			t.Summary = v
		}
	}
	slices.Sort(langs)
	if main == "" && len(langs) > 0 && byLang[langs[0]].Body != "" && len(contentMap) > 0 {
		main = langs[0]
	}
	var out []LangText
	if main == "" {
		// the sender gave no language for its main text
		out = append(out, LangText{Title: name, Summary: summary, Body: content})
	} else {
		t := byLang[main]
		if t.Title == "" {
			t.Title = name
		}
		if t.Summary == "" {
			t.Summary = summary
		}
		out = append(out, *t)
	}
	for _, l := range langs {
		if l != main && byLang[l].Body != "" {
			out = append(out, *byLang[l])
		}
	}
	var clean []LangText
	for _, t := range out {
		if article {
			t.Body = withoutLead(t)
		}
		t.Body = strings.TrimSpace(SanitizeHTML(t.Body))
		t.Title, t.Summary = PlainText(t.Title), PlainText(t.Summary)
		if !article {
			t.Title, t.Summary = "", ""
		}
		if t.Body != "" {
			clean = append(clean, t)
		}
	}
	return clean
}

// withoutLead is an article's body without the lead a Ruche node opens it
// with, its title and summary being shown apart. The lead is rebuilt from
// the title and summary received (a summary is HTML-escaped text there) and
// must match exactly: any other body stays as it came.
func withoutLead(t LangText) string {
	lead := ArticleLead(t.Title, html.UnescapeString(t.Summary))
	if lead == "" {
		return t.Body
	}
	return strings.TrimPrefix(t.Body, lead)
}

// hashtagsOf reads the Hashtag tags of a post.
func hashtagsOf(v any) []string {
	var out []string
	for _, it := range listOf(v) {
		t, ok := it.(map[string]any)
		if !ok || TypeOf(t) != "Hashtag" {
			continue
		}
		name, _ := t["name"].(string)
		name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// maxMentions bounds the Mention tags read from one post: a post naming
// more people than this is spam, and each one costs a lookup.
const maxMentions = 50

// mentionsOf reads the actors a post's Mention tags name (their href).
func mentionsOf(v any) []string {
	var out []string
	for _, it := range listOf(v) {
		t, ok := it.(map[string]any)
		if !ok || TypeOf(t) != "Mention" {
			continue
		}
		href := IRIOf(t["href"])
		if href != "" && !slices.Contains(out, href) && len(out) < maxMentions {
			out = append(out, href)
		}
	}
	return out
}

// attachmentsOf reads the files of a post: documents, images, videos and
// sounds with an http(s) URL, at most MaxAttachments; links to files, not
// to web pages.
func attachmentsOf(v any) []RemoteAttachment {
	var out []RemoteAttachment
	for _, it := range listOf(v) {
		d, ok := it.(map[string]any)
		if !ok {
			continue
		}
		switch TypeOf(d) {
		case "Document", "Image", "Video", "Audio", "Link":
		default:
			continue
		}
		a := RemoteAttachment{URL: urlOf(d["url"])}
		if a.URL == "" {
			a.URL = IRIOf(d["href"])
		}
		a.MediaType, _ = d["mediaType"].(string)
		if TypeOf(d) == "Link" && strings.HasPrefix(a.MediaType, "text/html") {
			continue // a web page (an event's online address), not a file
		}
		name, _ := d["name"].(string)
		a.Name = PlainText(name)
		if a.URL != "" && len(out) < MaxAttachments {
			out = append(out, a)
		}
	}
	return out
}

// listOf reads a property that holds one value or an array of them.
func listOf(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}
