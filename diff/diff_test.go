package diff

import (
	"math/rand"
	"strings"
	"testing"
)

// render writes a comparison as " a", "-b", "+c" lines.
func render(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(map[Op]string{Equal: " ", Delete: "-", Insert: "+"}[l.Op] + l.Text + "\n")
	}
	return b.String()
}

func TestLines(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"", "", ""},
		{"a\nb\n", "a\nb\n", " a\n b\n"},
		{"", "a\nb", "+a\n+b\n"},
		{"a\nb", "", "-a\n-b\n"},
		{"a\nb\nc", "a\nc", " a\n-b\n c\n"},
		{"a\nc", "a\nb\nc", " a\n+b\n c\n"},
		{"a\nb\nc", "a\nB\nc", " a\n-b\n+B\n c\n"},
		{"a\nb\nc\nd", "b\nc\nd\ne", "-a\n b\n c\n d\n+e\n"},
		{"x\na\nb\nc\ny", "z\na\nc\nb\nw", "-x\n+z\n a\n-b\n c\n-y\n+b\n+w\n"},
		{"a\r\nb\r\n", "a\nb", " a\n b\n"},
	} {
		got := render(Lines(SplitLines(c.a), SplitLines(c.b)))
		if got != c.want {
			t.Errorf("Lines(%q, %q):\n%s\nwant:\n%s", c.a, c.b, got, c.want)
		}
	}
}

// TestLinesRebuild: on random texts, the kept and deleted lines are the old
// text and the kept and inserted lines the new one, numbered in order, and
// the script is no longer than the shortest (the lengths minus twice the
// longest common subsequence).
func TestLinesRebuild(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	words := []string{"a", "b", "c", "d", "e"}
	text := func() []string {
		out := make([]string, rng.Intn(30))
		for i := range out {
			out[i] = words[rng.Intn(len(words))]
		}
		return out
	}
	for range 500 {
		a, b := text(), text()
		lines := Lines(a, b)
		var old, new []string
		edits := 0
		for _, l := range lines {
			if l.Op != Insert {
				old = append(old, l.Text)
				if l.Old != len(old) {
					t.Fatalf("old number %d at line %d", l.Old, len(old))
				}
			}
			if l.Op != Delete {
				new = append(new, l.Text)
				if l.New != len(new) {
					t.Fatalf("new number %d at line %d", l.New, len(new))
				}
			}
			if l.Op != Equal {
				edits++
			}
		}
		if strings.Join(old, ",") != strings.Join(a, ",") || strings.Join(new, ",") != strings.Join(b, ",") {
			t.Fatalf("%v → %v rebuilt as %v → %v", a, b, old, new)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%v → %v: %d edits, the shortest has %d", a, b, edits, want)
		}
	}
}

func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

func TestHunks(t *testing.T) {
	a := SplitLines("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12")
	b := SplitLines("1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\nTWELVE")
	hunks := Hunks(Lines(a, b), 2)
	if len(hunks) != 2 {
		t.Fatalf("%d hunks, want 2", len(hunks))
	}
	if got := render(hunks[0].Lines); got != " 1\n-2\n+TWO\n 3\n 4\n" {
		t.Fatalf("first hunk:\n%s", got)
	}
	if got := render(hunks[1].Lines); got != " 10\n 11\n-12\n+TWELVE\n" {
		t.Fatalf("second hunk:\n%s", got)
	}
	if got := Hunks(Lines(SplitLines("1\n2\n3\n4"), SplitLines("x\n2\n3\ny")), 1); len(got) != 1 {
		t.Fatalf("changes two kept lines apart with context 1 make %d hunks, want 1", len(got))
	}
	if got := Hunks(Lines(a, a), 3); len(got) != 0 {
		t.Fatalf("equal texts make %d hunks", len(got))
	}
	if ins, del := Stats(Lines(a, b)); ins != 2 || del != 2 {
		t.Fatalf("stats %d+ %d-, want 2 and 2", ins, del)
	}
}

// TestLinesBounded: texts that differ everywhere beyond the bound are
// still compared, as a wholesale replacement.
func TestLinesBounded(t *testing.T) {
	var a, b []string
	for i := range 3 * maxEdits {
		a = append(a, "a"+strings.Repeat("x", i%7)+string(rune('0'+i%10)))
		b = append(b, "b"+string(rune('0'+i%10)))
	}
	lines := Lines(a, b)
	if ins, del := Stats(lines); ins != len(b) || del != len(a) {
		t.Fatalf("%d inserted, %d deleted; want %d and %d", ins, del, len(b), len(a))
	}
}

func TestMerge3(t *testing.T) {
	base := "title\n\nintro\n\nbody one\nbody two\n\nend"
	for _, c := range []struct {
		name, mine, theirs, want string
		ok                       bool
	}{
		{"apart", "title\n\nINTRO\n\nbody one\nbody two\n\nend", "title\n\nintro\n\nbody one\nbody two\n\nEND", "title\n\nINTRO\n\nbody one\nbody two\n\nEND", true},
		{"insert and delete apart", "title\nsubtitle\n\nintro\n\nbody one\nbody two\n\nend", "title\n\nintro\n\nbody two\n\nend", "title\nsubtitle\n\nintro\n\nbody two\n\nend", true},
		{"same change", "title\n\nintro!\n\nbody one\nbody two\n\nend", "title\n\nintro!\n\nbody one\nbody two\n\nend", "title\n\nintro!\n\nbody one\nbody two\n\nend", true},
		{"one side only", base, "title\n\nintro\n\nbody 1\nbody two\n\nend", "title\n\nintro\n\nbody 1\nbody two\n\nend", true},
		{"same line", "title\n\nintro A\n\nbody one\nbody two\n\nend", "title\n\nintro B\n\nbody one\nbody two\n\nend", "", false},
		{"inserts at one place", "title\n\nintro\nmine\n\nbody one\nbody two\n\nend", "title\n\nintro\ntheirs\n\nbody one\nbody two\n\nend", "", false},
		{"insert inside a deletion", "title\n\nintro\n\nbody one\nnew\nbody two\n\nend", "title\n\nintro\n\n\nend", "", false},
		{"overlapping", "title\n\nX\nY\nbody one\nbody two\n\nend", "title\n\nintro\nZ\nW\nbody two\n\nend", "", false},
	} {
		got, ok := Merge3(SplitLines(base), SplitLines(c.mine), SplitLines(c.theirs))
		if ok != c.ok || (ok && strings.Join(got, "\n") != c.want) {
			t.Errorf("%s: merged %v %q, want %v %q", c.name, ok, strings.Join(got, "\n"), c.ok, c.want)
		}
		// merging is symmetric
		back, okBack := Merge3(SplitLines(base), SplitLines(c.theirs), SplitLines(c.mine))
		if okBack != ok || strings.Join(back, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s: the other way round merged %v %q", c.name, okBack, strings.Join(back, "\n"))
		}
	}
}
