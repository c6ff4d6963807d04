package diff

// change replaces the lines base[from:to] (to == from: an insertion
// before base[from]) with lines.
type change struct {
	from, to int
	lines    []string
}

// changes reads a comparison of base with another text as the changes
// that turn base into it.
func changes(lines []Line) []change {
	var out []change
	pos := 0 // in base
	var cur *change
	for _, l := range lines {
		switch l.Op {
		case Equal:
			if cur != nil {
				out, cur = append(out, *cur), nil
			}
			pos++
		case Delete:
			if cur == nil {
				cur = &change{from: pos, to: pos}
			}
			cur.to++
			pos++
		case Insert:
			if cur == nil {
				cur = &change{from: pos, to: pos}
			}
			cur.lines = append(cur.lines, l.Text)
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// Merge3 joins two edits, mine and theirs, of the same base text. It
// succeeds (ok) when no line of base is changed by both — or both changed
// it the same way — and no two insertions meet at the same place; then
// merged holds both edits. Otherwise nothing is merged: people decide.
func Merge3(base, mine, theirs []string) (merged []string, ok bool) {
	a, b := changes(Lines(base, mine)), changes(Lines(base, theirs))
	pos := 0
	for len(a) > 0 || len(b) > 0 {
		var next change
		switch {
		case len(a) > 0 && len(b) > 0 && touches(a[0], b[0]):
			if !same(a[0], b[0]) {
				return nil, false
			}
			next, a, b = a[0], a[1:], b[1:]
		case len(b) == 0 || len(a) > 0 && a[0].from < b[0].from:
			next, a = a[0], a[1:]
		default:
			next, b = b[0], b[1:]
		}
		merged = append(merged, base[pos:next.from]...)
		merged = append(merged, next.lines...)
		pos = next.to
	}
	return append(merged, base[pos:]...), true
}

// touches tells whether two changes meet: they change a line in common,
// start at the same place, or one inserts within the lines the other
// changes.
func touches(x, y change) bool {
	switch {
	case x.from == y.from:
		return true
	case x.from == x.to:
		return y.from < x.from && x.from < y.to
	case y.from == y.to:
		return x.from < y.from && y.from < x.to
	}
	return x.from < y.to && y.from < x.to
}

func same(x, y change) bool {
	if x.from != y.from || x.to != y.to || len(x.lines) != len(y.lines) {
		return false
	}
	for i := range x.lines {
		if x.lines[i] != y.lines[i] {
			return false
		}
	}
	return true
}
