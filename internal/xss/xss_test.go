package xss

import "testing"

func TestUnsafe(t *testing.T) {
	for _, p := range Payloads {
		if Unsafe(p) == "" {
			t.Errorf("the raw payload %q passes as safe", p)
		}
	}
	for _, s := range []string{
		`<a href="java&#x09;script:alert(1)">x</a>`,
		`<a href=" &#1;JAVASCRIPT:alert(1)">x</a>`,
		"<a href=\"java\nscript:alert(1)\">x</a>",
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;">`,
		`<a HREF="javascript:alert(1)">x</a>`,
		`<p ONCLICK="alert(1)">x</p>`,
		`<iframe srcdoc="x"></iframe>`,
	} {
		if Unsafe(s) == "" {
			t.Errorf("%q passes as safe", s)
		}
	}
	for _, s := range []string{
		``,
		`<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1) onerror=x</p>`,
		`<a href="https://ville-a.example/@alice" rel="nofollow noopener" class="u-url mention">@alice</a>`,
		`<a href="mailto:a@ville-a.example">a</a>`,
		`<a href="/tags/ruche">#ruche</a>`,
		`<a href="a/b:c">relative</a>`,
		`<a href="https://ville-a.example" title="javascript: the good parts">x</a>`,
		`<img src="https://ville-a.example/a.png" alt="x">`,
	} {
		if bad := Unsafe(s); bad != "" {
			t.Errorf("%q counts as unsafe: %s", s, bad)
		}
	}
}
