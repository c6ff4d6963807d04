// Package xss holds a corpus of HTML and JavaScript injections for tests:
// every text that enters the node — a member's form, a remote server's post —
// is fed these, and none may survive in what the node keeps or shows.
package xss

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// Payloads are classic injections, in the forms sanitisers get wrong.
var Payloads = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<svg/onload=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="jAvAsCrIpT:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`<div onmouseover="alert(1)">x</div>`,
	`"><script>alert(1)</script>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<object data="javascript:alert(1)"></object>`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<base href="https://evil.example/">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<details open ontoggle=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
}

// Dangerous reports what of an injection survives in s, or "".
func Dangerous(s string) string {
	low := strings.ToLower(s)
	for _, bad := range []string{"<script", "onerror", "onload", "onmouseover", "ontoggle", "javascript:", "data:text",
		"<iframe", "<img", "<svg", "style=", "<object", "<form", "<base", "<meta", "<math", "<noscript"} {
		if strings.Contains(low, bad) {
			return bad
		}
	}
	return ""
}

var tagLike = regexp.MustCompile(`<[A-Za-z/!]`)

// Markup tells whether s, which must be plain text, holds a tag.
func Markup(s string) bool { return tagLike.MatchString(s) }

// Elements that run script, load foreign content or change how the rest of
// the page is read: none may come out of a sanitiser.
var unsafeElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "applet": true, "svg": true, "math": true, "form": true, "input": true,
	"button": true, "textarea": true, "select": true, "base": true, "meta": true, "link": true,
	"noscript": true, "template": true, "body": true, "html": true, "head": true,
}

// urlAttributes are the attributes a browser follows or loads as a URL.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "cite": true, "background": true,
	"poster": true, "srcset": true, "data": true, "codebase": true, "longdesc": true, "usemap": true,
	"ping": true, "lowsrc": true, "dynsrc": true, "xlink:href": true, "manifest": true,
}

// safeSchemes are the URL schemes sanitised HTML may link to; a URL without
// a scheme is relative to the page and safe too.
var safeSchemes = map[string]bool{"http": true, "https": true, "mailto": true}

// Unsafe reports what in sanitised HTML could still run or load something,
// or "" when nothing could: an element or an attribute outside any
// allowlist (script, on* handlers, style, srcdoc), or a URL attribute whose
// scheme is not http, https or mailto, read the way a browser reads it.
// Unlike Dangerous it parses s as a browser does, so that a payload left as
// escaped text, which is harmless, does not count.
func Unsafe(s string) string {
	if strings.Contains(strings.ToLower(s), "<script") {
		return "<script"
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			if unsafeElements[string(name)] {
				return "<" + string(name) + ">"
			}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				key := string(k)
				if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" {
					return key + "="
				}
				if scheme := urlScheme(string(v)); urlAttributes[key] && scheme != "" && !safeSchemes[scheme] {
					return key + "=" + scheme + ":"
				}
			}
		}
	}
}

var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// urlScheme is the scheme of a URL attribute's value as a browser finds it,
// "" for a relative URL: entities are already decoded by the tokenizer; tabs
// and newlines anywhere, and controls and spaces around it, are dropped
// before the scheme is read.
func urlScheme(v string) string {
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	scheme, _, ok := strings.Cut(v, ":")
	if !ok || !schemePattern.MatchString(scheme) {
		return ""
	}
	return strings.ToLower(scheme)
}
