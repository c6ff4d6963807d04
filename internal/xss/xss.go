// Package xss holds a corpus of HTML and JavaScript injections for tests:
// every text that enters the node — a member's form, a remote server's post —
// is fed these, and none may survive in what the node keeps or shows.
package xss

import (
	"regexp"
	"strings"
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
