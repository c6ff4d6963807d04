package activitystreams

import (
	"bytes"
	"encoding/json"
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// Remote HTML passes through one allowlist before it is stored or shown:
// text formatting, links (http, https, mailto; rel="nofollow noopener"),
// lists, quotes and code. No scripts, styles, forms, frames, images or
// event attributes.
var remoteHTML = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "strong", "b", "em", "i", "u", "s", "del", "blockquote",
		"code", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup", "hr")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(h-card|u-url|mention|hashtag|invisible|ellipsis|mention hashtag)$`)).OnElements("a", "span")
	return p
}()

// SanitizeHTML returns remote HTML with everything outside the allowlist removed.
func SanitizeHTML(s string) string { return remoteHTML.Sanitize(s) }

var (
	blockEnd = regexp.MustCompile(`(?i)</p>|<br\s*/?>`)
	spaces   = regexp.MustCompile(`[ \t]+`)
	newlines = regexp.MustCompile(`\n{3,}`)
)

// PlainText turns remote HTML into plain text: paragraphs and line breaks
// become newlines, every tag goes, entities are decoded.
func PlainText(s string) string {
	s = blockEnd.ReplaceAllString(s, "\n")
	s = bluemonday.StrictPolicy().Sanitize(s)
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spaces.ReplaceAllString(l, " "))
	}
	return strings.TrimSpace(newlines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// PlainLine is PlainText on one line: a name, a label, a content warning.
func PlainLine(s string) string { return strings.Join(strings.Fields(PlainText(s)), " ") }

// TextToHTML turns the node's plain text (a bio) into the HTML other servers
// expect in summary: escaped, paragraphs on blank lines, <br> on newlines.
func TextToHTML(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// SetLangText writes a natural-language property the way every reader
// understands it: prop (content, name or summary) holds the text in the main
// language — Mastodon reads only that — and propMap holds every language
// (go-fed's serializer would put both under prop; this keeps them apart).
func SetLangText(m map[string]any, prop, mainLang string, byLang map[string]string) {
	if len(byLang) == 0 {
		return
	}
	main, ok := byLang[mainLang]
	if !ok {
		for _, v := range byLang {
			main = v
			break
		}
	}
	m[prop] = main
	if len(byLang) > 1 || mainLang != "" {
		m[prop+"Map"] = langMap{main: mainLang, values: maps.Clone(byLang)}
	}
}

// SetLangMap writes only propMap, every language tagged, without the
// untagged prop: for JSON-LD both are the same property, but readers that
// take only the untagged string (GoToSocial's title and summary, which it
// shows as a content warning) then leave it alone.
func SetLangMap(m map[string]any, prop, mainLang string, byLang map[string]string) {
	if len(byLang) == 0 {
		return
	}
	m[prop+"Map"] = langMap{main: mainLang, values: maps.Clone(byLang)}
}

// langMap is a language map (contentMap, nameMap, summaryMap) that writes
// its main language first. JSON-LD gives a map no order, but Mastodon takes a
// map's first entry as a post's language and, for an Article, as its title
// and summary. Where a document is decoded and encoded again (a Group
// announcing an activity it holds as JSON), the order falls back to the
// alphabetical one of Go maps.
type langMap struct {
	main   string
	values map[string]string
}

func (l langMap) MarshalJSON() ([]byte, error) {
	keys := slices.Sorted(maps.Keys(l.values))
	if _, ok := l.values[l.main]; ok {
		keys = append([]string{l.main}, slices.DeleteFunc(keys, func(k string) bool { return k == l.main })...)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the caller's encoder decides: json.Marshal escapes what this writes
	str := func(s string) error {
		if err := enc.Encode(s); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode ends with a newline
		return nil
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := str(k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := str(l.values[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// LangTextOf reads a natural-language property of a received document: the
// plain value and the per-language map, either of which may be missing.
func LangTextOf(m map[string]any, prop string) (plain string, byLang map[string]string) {
	plain, _ = m[prop].(string)
	switch mp := m[prop+"Map"].(type) {
	case map[string]any:
		byLang = make(map[string]string, len(mp))
		for lang, v := range mp {
			if s, ok := v.(string); ok {
				byLang[lang] = s
			}
		}
	case langMap: // a document of this node, not yet encoded
		byLang = maps.Clone(mp.values)
	}
	if plain == "" {
		for _, v := range byLang {
			plain = v
			break
		}
	}
	return plain, byLang
}
