package spaces

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ruche-social/ruche/internal/xss"
)

// handleName is the grammar of a handle's name, which ParseHandle promises.
var handleName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// FuzzParseHandle: a handle is taken with an ASCII name and a lowercase
// domain free of '/', '@', spaces and controls, and reads the same once
// written back, with or without its leading '@' and with the domain's ASCII
// letters in capitals. (Beyond ASCII, lowercasing an uppercased letter need
// not give it back, ϱ → Ρ → ρ; hosts are lowercased alike wherever the node
// compares them, and servers write international ones in punycode.)
func FuzzParseHandle(f *testing.F) {
	for _, s := range []string{
		"alice", "@alice", "Alice@Ville-B.example", "@bob@ville-b.example", "cantines@asso.example:8443",
		"bob@xn--caf-dma.example", "bob@café.example", "bob@ϱ.example", " @carol@ville-c.example\n", "dan@", "@", "",
		"a@b@c", "a@b/c", "a/b@c", "a b@c", "a@b c", "a@b\tc", "a@b\u00a0c", "a@b\x00c", "a@b\u2028c",
		"\u212Aelvin@ville-b.example", "ALICE@VILLE-B.EXAMPLE", "..@.", strings.Repeat("a", 65),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		username, domain, ok := ParseHandle(s)
		if !ok {
			return
		}
		if !handleName.MatchString(username) {
			t.Fatalf("%q: name %q taken", s, username)
		}
		if domain != strings.ToLower(domain) || strings.ContainsAny(domain, "/@") ||
			strings.ContainsFunc(domain, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			t.Fatalf("%q: domain %q taken", s, domain)
		}
		written := handle{Username: username, Domain: domain}.String()
		for _, again := range []string{written, "@" + written, username + "@" + asciiUpper(domain)} {
			u, d, ok := ParseHandle(again)
			if !ok || u != username || d != domain {
				t.Fatalf("%q reads as %q %q, written back as %q, read again as %q %q %v", s, username, domain, again, u, d, ok)
			}
		}
	})
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// renderSeeds are members' Markdown and remote HTML: what the node renders
// every day, and the injections Markdown and sanitisers get wrong.
var renderSeeds = []string{
	"Bonjour @alice et @bob@ville-b.example ! #Lyon #cantines_bio",
	"# Titre\n\n**gras** _italique_ ~~barré~~ [lien](https://ville-a.example/x?a=1&b=2 \"titre\")\n\n> citation\n\n- un\n- deux\n",
	"| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | @carol |\n",
	"`@code #tag` and\n\n```html\n<script>alert(1)</script>\n```\n",
	"www.ville-a.example and https://ville-a.example/@alice, mail@ville-a.example",
	"[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](java\tscript:alert(1)) [w](<javascript:alert(1)>)",
	"![i](javascript:alert(1)) ![j](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=) ![k](https://ville-a.example/a.png \"t\")",
	"<javascript:alert(1)> <data:text/html,<script>alert(1)</script>> <mailto:a@ville-a.example>",
	"[ref][r]\n\n[r]: javascript:alert(1) \"t\"\n",
	"[a](&#106;avascript:alert(1)) [b](&#x6A;avascript&colon;alert(1)) [c](%6Aavascript:alert(1))",
	"<a href=\"https://x.example\" onclick=\"alert(1)\">@dan</a> <p style=\"color:red\">x</p>",
	"<span class=\"h-card\"><a href=\"https://ville-b.example/users/bob\" class=\"u-url mention\">@bob</a></span> #Lyon",
	"#tag@alice @alice#tag &#35;nottag &amp;#x40;nobody @a@b.c@d",
	"@" + strings.Repeat("a", 40) + "@" + strings.Repeat("b.", 30) + "example",
}

// renderer renders without a database: mentions link where a known
// account's page would be.
var renderer = &Service{opts: Options{PublicURL: "https://ruche.example"}}

func mentionHrefForTests(h handle) string {
	if h.Domain == "" {
		return "https://ruche.example/users/" + h.Username
	}
	return "https://" + h.Domain + "/users/" + h.Username
}

// FuzzRender: a member's Markdown, or another server's HTML, renders to
// HTML that cannot run or load anything, that a second pass of the
// sanitiser leaves unchanged, and whose mentions and hashtags are handles
// and tags as the node stores them.
func FuzzRender(f *testing.F) {
	for _, s := range append(renderSeeds, xss.Payloads...) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, source string, isHTML bool) {
		if !utf8.ValidString(source) {
			return // every caller refuses it first
		}
		r, err := renderer.render(source, isHTML, mentionHrefForTests)
		if err != nil {
			t.Fatalf("%q: %v", source, err)
		}
		checkSafeHTML(t, source, r.HTML)
		for _, h := range r.Mentions {
			if !usernamePattern.MatchString(h.Username) || h.Domain != strings.ToLower(h.Domain) {
				t.Fatalf("%q: mention %+v", source, h)
			}
		}
		for _, tag := range r.Tags {
			if tag == "" || normalizeTag(tag) != tag {
				t.Fatalf("%q: tag %q", source, tag)
			}
		}
	})
}

// FuzzSanitizeHTML: any HTML, from another server or an import, comes out
// of the node's allowlist unable to run or load anything, and stable.
func FuzzSanitizeHTML(f *testing.F) {
	for _, s := range append(renderSeeds, xss.Payloads...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSafeHTML(t, s, strings.TrimSpace(SanitizeHTML(s)))
	})
}

// checkSafeHTML fails if out, the HTML the node made of in, could run or
// load something, or changes when sanitised again.
func checkSafeHTML(t *testing.T, in, out string) {
	t.Helper()
	if bad := xss.Unsafe(out); bad != "" {
		t.Fatalf("%q gives %q, which keeps %s", in, out, bad)
	}
	if again := strings.TrimSpace(SanitizeHTML(out)); again != out {
		t.Fatalf("%q gives %q, which sanitised again gives %q", in, out, again)
	}
}
