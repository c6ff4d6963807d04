package spaces

import (
	"bytes"
	"context"
	"errors"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/ruche-social/ruche/db"
)

// markdown renders members' Markdown. Raw HTML in the source is dropped by
// goldmark (it is not rendered without WithUnsafe); the result is sanitised
// again all the same, since the policy, not the renderer, is the guarantee.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table))

// htmlPolicy is the allowlist every stored HTML passes through, local or
// remote: the user-generated-content policy, links forced to nofollow and
// opened safely, and the classes that mark mentions and hashtags.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(mention|hashtag|u-url|h-card)( (mention|hashtag|u-url|h-card))*$`)).OnElements("a", "span")
	return p
}()

var stripPolicy = bluemonday.StrictPolicy()

// SanitizeHTML cleans HTML from any source (a remote server, an import) to the
// node's allowlist.
func SanitizeHTML(s string) string { return htmlPolicy.Sanitize(s) }

// PlainText is the text of sanitised HTML, for search and previews.
func PlainText(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(stripPolicy.Sanitize(strings.ReplaceAll(s, "<", " <")))), " ")
}

// Fold lowers case and removes diacritics, so that "École" and "ecole" are the
// same word to the search index on both engines.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// searchTerms splits a query into folded words of letters and digits.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > 10 {
		words = words[:10]
	}
	return words
}

// Patterns of mentions (@user, @user@host) and hashtags (#tag) in text. A
// mention or hashtag starts the text or follows a character that cannot be
// part of a word, so that emails and URL fragments are left alone.
var (
	mentionPattern = regexp.MustCompile(`(^|[^\p{L}\p{N}_/@.])@([A-Za-z0-9_]{1,30})(@([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost|127\.0\.0\.1)(:[0-9]{1,5})?)?`)
	hashtagPattern = regexp.MustCompile(`(^|[^\p{L}\p{N}_/&#])#([\p{L}\p{N}_]{1,50})`)
)

// handle is a parsed @user or @user@host.
type handle struct{ Username, Domain string }

func (h handle) String() string {
	if h.Domain == "" {
		return h.Username
	}
	return h.Username + "@" + h.Domain
}

// handleUsernamePattern is the name in a handle: a local username, or
// another server's name, which may hold dots and dashes. ASCII only: a
// name that merely lowercases to ASCII (the Kelvin sign K) would find the
// account "kelvin" or not depending on the database's lower().
var handleUsernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ParseHandle reads "user", "@user", "user@host" or "@user@host". The host
// is lowercased and holds no '/', '@', space or control character: it is
// compared with stored domains and put in WebFinger URLs.
func ParseHandle(s string) (username, domain string, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	username, domain, _ = strings.Cut(s, "@")
	if !handleUsernamePattern.MatchString(username) {
		return "", "", false
	}
	if strings.ContainsAny(domain, "/@") || strings.ContainsFunc(domain, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", "", false
	}
	return username, strings.ToLower(domain), true
}

// linkifier turns mentions and hashtags in the text of rendered HTML into
// links, leaving code, pre and existing links alone. hrefs says where a
// mention points ("" keeps it as text).
type linkifier struct {
	mentionHref func(h handle) string
	tagHref     func(tag string) string
	mentions    []handle
	tags        []string
}

func (l *linkifier) run(in string) string {
	z := xhtml.NewTokenizer(strings.NewReader(in))
	var out bytes.Buffer
	skip := 0 // depth inside a, code, pre
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return out.String()
		case xhtml.StartTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.A, atom.Code, atom.Pre:
				if tt == xhtml.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			out.Write(z.Raw())
		case xhtml.TextToken:
			text := html.UnescapeString(string(z.Raw()))
			if skip > 0 {
				out.WriteString(html.EscapeString(text))
				continue
			}
			out.WriteString(l.text(text))
		default:
			out.Write(z.Raw())
		}
	}
}

// text escapes one text node, linking its mentions and hashtags.
func (l *linkifier) text(t string) string {
	type span struct {
		start, end int
		html       string
	}
	var spans []span
	for _, m := range mentionPattern.FindAllStringSubmatchIndex(t, -1) {
		h := handle{Username: strings.ToLower(t[m[4]:m[5]])}
		if m[6] >= 0 {
			h.Domain = strings.ToLower(t[m[6]+1 : m[7]])
		}
		l.mentions = append(l.mentions, h)
		start := m[3] // after the leading character
		label := html.EscapeString(t[start:m[1]])
		if href := l.mentionHref(h); href != "" {
			label = `<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">` + label + `</a></span>`
		}
		spans = append(spans, span{start, m[1], label})
	}
	for _, m := range hashtagPattern.FindAllStringSubmatchIndex(t, -1) {
		start := m[3]
		overlaps := false
		for _, s := range spans {
			if start < s.end && m[1] > s.start {
				overlaps = true
			}
		}
		if overlaps {
			continue
		}
		tag := normalizeTag(t[m[4]:m[5]])
		if tag == "" {
			continue
		}
		l.tags = append(l.tags, tag)
		spans = append(spans, span{start, m[1], `<a href="` + html.EscapeString(l.tagHref(tag)) + `" class="mention hashtag" rel="tag">#` + html.EscapeString(t[m[4]:m[5]]) + `</a>`})
	}
	if len(spans) == 0 {
		return html.EscapeString(t)
	}
	// spans were found left to right per kind; merge them in text order
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var b strings.Builder
	pos := 0
	for _, s := range spans {
		b.WriteString(html.EscapeString(t[pos:s.start]))
		b.WriteString(s.html)
		pos = s.end
	}
	b.WriteString(html.EscapeString(t[pos:]))
	return b.String()
}

// rendered is Markdown turned into safe HTML with what it mentions and tags.
type rendered struct {
	HTML     string
	Mentions []handle
	Tags     []string
}

// render turns a member's Markdown into sanitised HTML, linking mentions and
// hashtags; remote is HTML from another server, only sanitised and scanned.
func (s *Service) render(source string, isHTML bool, mentionHref func(handle) string) (rendered, error) {
	var htmlOut string
	if isHTML {
		htmlOut = htmlPolicy.Sanitize(source)
	} else {
		var buf bytes.Buffer
		if err := markdown.Convert([]byte(source), &buf); err != nil {
			return rendered{}, err
		}
		htmlOut = buf.String()
	}
	l := &linkifier{mentionHref: mentionHref, tagHref: func(tag string) string { return s.opts.PublicURL + "/tags/" + url.PathEscape(tag) }}
	if !isHTML {
		htmlOut = l.run(htmlOut)
	} else {
		// remote HTML links its own mentions; only collect hashtags and mentions
		// from its text so that they are stored and searchable.
		l.mentionHref = func(handle) string { return "" }
		l.run(htmlOut)
	}
	return rendered{HTML: strings.TrimSpace(htmlPolicy.Sanitize(htmlOut)), Mentions: dedupeHandles(l.mentions), Tags: dedupe(l.tags)}, nil
}

// Preview renders a member's Markdown as a post shows it once published:
// sanitised HTML with mentions and hashtags linked. Nothing is stored.
func (s *Service) Preview(ctx context.Context, by *Account, source string) (string, error) {
	if !canAct(by) || by.User == nil {
		return "", errUnauthenticated
	}
	if !utf8.ValidString(source) || utf8.RuneCountInString(source) > maxArticleRunes {
		return "", invalid("body", "body_too_long", "the text is too long or not valid UTF-8")
	}
	r, err := s.render(source, false, func(h handle) string { return s.mentionHref(ctx, s.db, h) })
	if err != nil {
		return "", internal("preview", err)
	}
	return r.HTML, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func dedupeHandles(in []handle) []handle {
	seen := map[handle]bool{}
	var out []handle
	for _, h := range in {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// normalizeTag lowers a tag or theme and checks it: letters, digits, _ and -,
// at most 50 characters. It returns "" for a tag that is not one.
func normalizeTag(raw string) string {
	t := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(raw), "#"))
	if t == "" || utf8.RuneCountInString(t) > 50 {
		return ""
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return ""
		}
	}
	return t
}

// normalizeThemes checks a list of themes: at most 10, each a valid tag.
func normalizeThemes(field string, in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		t := normalizeTag(raw)
		if t == "" {
			return nil, invalid(field, "theme_invalid", "a theme has 1 to 50 letters, digits, _ or -")
		}
		out = append(out, t)
	}
	out = dedupe(out)
	if len(out) > 10 {
		return nil, invalid(field, "too_many_themes", "at most 10 themes")
	}
	return out, nil
}

var languagePattern = regexp.MustCompile(`^[a-z]{2,3}$`)

// checkLanguage checks a language code (ISO 639: fr, en, de, …).
func checkLanguage(field, lang string) error {
	if !languagePattern.MatchString(lang) {
		return invalid(field, "language_invalid", "a language is a code of 2 or 3 letters, e.g. fr, en, de")
	}
	return nil
}

// maxResolvedMentions bounds the unknown remote accounts one post may make
// the node look up: each costs a WebFinger request and an actor fetch.
const maxResolvedMentions = 5

// resolveMentions looks up, before the post's transaction opens, the remote
// accounts a member's text mentions that the node does not know yet, so that
// the post links them, tags them and reaches their servers (as Mastodon
// resolves a mention when the post is written). An account that cannot be
// found stays plain text.
func (s *Service) resolveMentions(ctx context.Context, in PostInput) {
	if in.HTML || s.opts.ResolveHandle == nil {
		return
	}
	texts := []string{in.Body}
	for _, t := range in.Translations {
		texts = append(texts, t.Body)
	}
	tried := map[handle]bool{}
	for _, t := range texts {
		for _, m := range mentionPattern.FindAllStringSubmatch(t, -1) {
			h := handle{Username: strings.ToLower(m[2]), Domain: strings.ToLower(strings.TrimPrefix(m[3], "@"))}
			if h.Domain == "" || tried[h] || len(tried) >= maxResolvedMentions {
				continue
			}
			tried[h] = true
			if _, err := s.db.AccountByHandle(ctx, h.Username, h.Domain); errors.Is(err, db.ErrNotFound) {
				_, _ = s.opts.ResolveHandle(ctx, h.Username, h.Domain)
			}
		}
	}
}
