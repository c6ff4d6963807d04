// Package diff compares texts line by line: the edit script between two
// versions (Myers' O(ND) algorithm, "An O(ND) Difference Algorithm and Its
// Variations", 1986), grouped into hunks for people to read, and a
// three-way merge that joins two edits of the same text when they touch
// different lines. The wiki shows what a revision changed with it and
// offers the merge when an edit was based on an old revision.
package diff

import "strings"

// Op is what happens to a line.
type Op int

const (
	Equal  Op = iota // in both texts
	Delete           // only in the old text
	Insert           // only in the new text
)

// Line is one line of a comparison, with its numbers in the old and new
// texts (from 1; 0 where it has none).
type Line struct {
	Op   Op
	Text string
	Old  int
	New  int
}

// maxEdits bounds the work of one comparison: beyond this many differing
// lines, the texts' middle counts as replaced wholesale. Myers' search
// costs O((N+M)·D) time and, with its trace kept for the walk back, O(D²)
// memory: 1,000 edits take a few milliseconds and 8 MB.
const maxEdits = 1000

// SplitLines splits a text into lines without their ends; "\r\n" counts as
// one end, and a last line without an end is a line.
func SplitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Lines compares two lists of lines: every line of a and b once, in order,
// as kept, deleted or inserted; deletions come before the insertions that
// replace them.
func Lines(a, b []string) []Line {
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	var out []Line
	for i := 0; i < prefix; i++ {
		out = append(out, Line{Op: Equal, Text: a[i], Old: i + 1, New: i + 1})
	}
	for _, l := range middle(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]) {
		if l.Old > 0 {
			l.Old += prefix
		}
		if l.New > 0 {
			l.New += prefix
		}
		out = append(out, l)
	}
	for i := suffix; i > 0; i-- {
		out = append(out, Line{Op: Equal, Text: a[len(a)-i], Old: len(a) - i + 1, New: len(b) - i + 1})
	}
	return out
}

// middle runs Myers' greedy search on a and b, which differ at both ends,
// and walks its trace back into lines.
func middle(a, b []string) []Line {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replace(a, b)
	}
	offset := n + m
	v := make([]int, 2*offset+2)
	var trace [][]int
	for d := 0; d <= n+m; d++ {
		if d > maxEdits {
			return replace(a, b)
		}
		// the walk back reads round d's starting values of k-1 and k+1,
		// for k in -d..d: keep v[-d..d]
		trace = append(trace, append([]int(nil), v[offset-d:offset+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1] // down: an insertion
			} else {
				x = v[offset+k-1] + 1 // right: a deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[offset+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	return replace(a, b) // not reached: d = n+m always ends
}

// backtrack follows the trace of the search from its end to its start.
func backtrack(a, b []string, trace [][]int, d int) []Line {
	var rev []Line
	x, y := len(a), len(b)
	for ; d > 0; d-- {
		round := trace[d]
		v := func(k int) int { return round[k+d] }
		k := x - y
		var prevK int
		if k == -d || (k != d && v(k-1) < v(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, Line{Op: Equal, Text: a[x], Old: x + 1, New: y + 1})
		}
		if x == prevX {
			y--
			rev = append(rev, Line{Op: Insert, Text: b[y], New: y + 1})
		} else {
			x--
			rev = append(rev, Line{Op: Delete, Text: a[x], Old: x + 1})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Line{Op: Equal, Text: a[x], Old: x + 1, New: y + 1})
	}
	out := make([]Line, 0, len(rev))
	for i := len(rev) - 1; i >= 0; i-- {
		out = append(out, rev[i])
	}
	return deletionsFirst(out)
}

// deletionsFirst orders each run of changes between kept lines so that its
// deletions come before its insertions, as people read a replacement.
func deletionsFirst(lines []Line) []Line {
	out := make([]Line, 0, len(lines))
	var ins []Line
	for _, l := range lines {
		switch l.Op {
		case Insert:
			ins = append(ins, l)
		case Delete:
			out = append(out, l)
		default:
			out, ins = append(append(out, ins...), l), nil
		}
	}
	return append(out, ins...)
}

// replace is a with every line deleted and b with every line inserted.
func replace(a, b []string) []Line {
	out := make([]Line, 0, len(a)+len(b))
	for i, s := range a {
		out = append(out, Line{Op: Delete, Text: s, Old: i + 1})
	}
	for i, s := range b {
		out = append(out, Line{Op: Insert, Text: s, New: i + 1})
	}
	return out
}

// Hunk is a run of changes with up to Context kept lines around it.
type Hunk struct {
	Lines []Line
}

// Hunks groups a comparison into runs of changes, each with up to context
// kept lines before and after; runs closer than twice that are one hunk.
// Two equal texts have none.
func Hunks(lines []Line, context int) []Hunk {
	var out []Hunk
	start, end := -1, -1 // the current hunk: lines[start:end]
	for i, l := range lines {
		if l.Op == Equal {
			continue
		}
		from, to := max(i-context, 0), min(i+context+1, len(lines))
		if start >= 0 && from <= end {
			end = max(end, to)
			continue
		}
		if start >= 0 {
			out = append(out, Hunk{Lines: lines[start:end]})
		}
		start, end = from, to
	}
	if start >= 0 {
		out = append(out, Hunk{Lines: lines[start:end]})
	}
	return out
}

// Stats counts the lines a comparison inserts and deletes.
func Stats(lines []Line) (inserted, deleted int) {
	for _, l := range lines {
		switch l.Op {
		case Insert:
			inserted++
		case Delete:
			deleted++
		}
	}
	return inserted, deleted
}
