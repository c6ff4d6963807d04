package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/ruche-social/ruche/spaces"
)

func testWeb(t *testing.T) *Web {
	t.Helper()
	w, err := New(nil, Options{PublicURL: "http://example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestCataloguesAgree: every language has every message, with the same
// placeholders.
func TestCataloguesAgree(t *testing.T) {
	w := testWeb(t)
	en := w.cats["en"]
	placeholders := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, loc := range Locales {
		c := w.cats[loc]
		if !slices.Equal(c.keys(), en.keys()) {
			for _, k := range en.keys() {
				if _, ok := c.msgs[k]; !ok {
					t.Errorf("%s lacks %q", loc, k)
				}
			}
			for _, k := range c.keys() {
				if _, ok := en.msgs[k]; !ok {
					t.Errorf("%s has %q, which en lacks", loc, k)
				}
			}
		}
		for k, msg := range c.msgs {
			got, want := placeholders.FindAllString(msg, -1), placeholders.FindAllString(en.msgs[k], -1)
			if strings.Contains(k, "#") { // a plural form may spell out its count ("once")
				got, want = slices.DeleteFunc(got, isCount), slices.DeleteFunc(want, isCount)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
				t.Errorf("%s %q has placeholders %v, en has %v", loc, k, got, want)
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s %q is empty", loc, k)
			}
		}
	}
}

func isCount(p string) bool { return p == "{n}" }

// TestTemplatesUseCatalogue: templates name keys that exist, and hold no text
// of their own — every word a page shows is in the catalogues.
func TestTemplatesUseCatalogue(t *testing.T) {
	w := testWeb(t)
	c := w.cats["en"]
	noLiteralText(t)
	for name := range w.pages.files {
		tmpl, err := w.pages.page("en", name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			walk(tt.Tree.Root, func(n parse.Node) {
				switch n := n.(type) {
				case *parse.CommandNode:
					if len(n.Args) < 2 {
						return
					}
					if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "tn") {
						if s, ok := n.Args[1].(*parse.StringNode); ok && !c.has(s.Text) {
							t.Errorf("%s/%s: no message %q", name, tt.Name(), s.Text)
						}
					}
				}
			})
		}
	}
	// Keys made at run time: onboarding steps, months, kinds of error.
	for _, s := range w.onboard {
		for _, k := range []string{"name", "title", "lead"} {
			if key := "onboarding." + s.Name + "." + k; !c.has(key) {
				t.Errorf("onboarding step %s: no message %q", s.Name, key)
			}
		}
	}
	for m := 1; m <= 12; m++ {
		if !c.has("month." + strconv.Itoa(m)) {
			t.Errorf("no month %d", m)
		}
	}
	for d := 0; d <= 6; d++ {
		if !c.has("weekday." + strconv.Itoa(d)) {
			t.Errorf("no weekday %d", d)
		}
	}
	for _, tool := range spaces.Tools {
		for _, k := range []string{"tool." + tool, "tool." + tool + "_hint"} {
			if !c.has(k) {
				t.Errorf("tool %s: no message %q", tool, k)
			}
		}
	}
	for _, s := range spaces.SupportedScopes() {
		if !c.has(scopeKey(s)) {
			t.Errorf("OAuth scope %s: no message %q", s, scopeKey(s))
		}
	}
	for _, k := range kindNames {
		if !c.has("error.kind." + k) {
			t.Errorf("no message for errors of kind %s", k)
		}
	}
}

// noLiteralText reads the template files with their actions removed: what is
// left outside tags, and in attributes people read, must not be words.
func noLiteralText(t *testing.T) {
	t.Helper()
	actionRe := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tagRe := regexp.MustCompile(`(?s)<[^>]*>`)
	attrRe := regexp.MustCompile(`(?i)\b(aria-label|title|alt|placeholder|data-confirm|data-copied|data-label)="[^"]*\pL`)
	names, _ := fs.Glob(files, "templates/*/*.html")
	more, _ := fs.Glob(files, "templates/*.html")
	for _, name := range append(names, more...) {
		raw, _ := fs.ReadFile(files, name)
		src := actionRe.ReplaceAllString(string(raw), "")
		if m := attrRe.FindString(src); m != "" {
			t.Errorf("%s: literal attribute text %q", name, m)
		}
		rest := tagRe.ReplaceAllString(src, "")
		rest = strings.NewReplacer("&nbsp;", "", "·", "", "@", "", "←", "").Replace(rest)
		if strings.IndexFunc(rest, isLetter) >= 0 {
			t.Errorf("%s: text outside the catalogue: %q", name, strings.Join(strings.Fields(rest), " "))
		}
	}
}

func isLetter(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 127 && r != '·' && r != '\u00a0'
}

func walk(n parse.Node, fn func(parse.Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

// TestGoCodeKeys: every catalogue key the handlers name exists.
func TestGoCodeKeys(t *testing.T) {
	w := testWeb(t)
	c := w.cats["en"]
	namespaces := map[string]bool{}
	for _, k := range c.keys() {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	keyRe := regexp.MustCompile(`^[a-z_]+\.[a-z0-9_.]*[a-z0-9_]$`)
	// file names such as agenda.ics look like keys of a namespace
	fileRe := regexp.MustCompile(`\.(ics|json|html|css|js|png|svg)$`)
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			if keyRe.MatchString(s) && !fileRe.MatchString(s) && namespaces[strings.SplitN(s, ".", 2)[0]] && !strings.HasSuffix(s, ".") && !c.has(s) {
				t.Errorf("%s: no message %q", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
}

// TestNumbersAndPlurals: numbers and counts as each language writes them.
func TestNumbersAndPlurals(t *testing.T) {
	w := testWeb(t)
	for loc, want := range map[string][]string{
		"fr": {"1\u00a0234\u00a0567", "0 jour", "1 jour", "2 jours"},
		"en": {"1,234,567", "0 days", "1 day", "2 days"},
		"de": {"1.234.567", "0 Tage", "1 Tag", "2 Tage"},
	} {
		c := w.cats[loc]
		got := []string{c.Number(1234567), c.TN("common.days", 0), c.TN("common.days", 1), c.TN("common.days", 2)}
		got[0] = strings.ReplaceAll(got[0], "\u202f", "\u00a0") // narrow or plain no-break space: both French
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", loc, got, want)
		}
	}
	if got := w.cats["de"].T("admin.invitations.uses", "uses", 1500, "max", 2000); got != "1.500 von 2.000 genutzt" {
		t.Errorf("numbers in a message: %q", got)
	}
}

func TestDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":                           "Chrome Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                        "Firefox Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari iOS",
		"curl/8.5.0": "",
	} {
		got := ""
		if d := device(ua); d != nil {
			got = d.Browser + " " + d.OS
		}
		if got != want {
			t.Errorf("%s: %q, want %q", ua, got, want)
		}
	}
}
