package mastodon_test

import (
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPagination walks a home timeline as apps do: max_id down, since_id
// for the newest above a cursor, min_id for the page just above it.
func TestPagination(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		a := signIn(t, n, "alice", "read write")
		var ids []string // oldest first
		for i := range 7 {
			st := a.must(a.json("POST", "/api/v1/statuses", `{"status":"post `+string(rune('a'+i))+`"}`), 200).object(t)
			ids = append(ids, st["id"].(string))
		}
		page := func(query string) []string {
			t.Helper()
			var out []string
			for _, s := range a.must(a.get("/api/v1/timelines/home?"+query), 200).list(t) {
				out = append(out, s["id"].(string))
			}
			return out
		}
		same := func(got []string, want ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
		same(page("limit=3"), ids[6], ids[5], ids[4])
		same(page("limit=3&max_id="+ids[4]), ids[3], ids[2], ids[1])
		same(page("limit=2&since_id="+ids[1]), ids[6], ids[5])
		same(page("limit=2&min_id="+ids[1]), ids[3], ids[2])
		same(page("limit=3&min_id="+ids[4]), ids[6], ids[5])
		same(page("limit=3&min_id=" + ids[6]))

		// The Link header leads from one page to the next.
		res := a.must(a.get("/api/v1/timelines/home?limit=3"), 200)
		next := res.header.Get("Link")
		i := strings.Index(next, "<")
		j := strings.Index(next, ">")
		if i < 0 || j < i {
			t.Fatalf("Link: %q", next)
		}
		path := strings.TrimPrefix(next[i+1:j], n.URL)
		var got []string
		for _, s := range a.must(a.get(path), 200).list(t) {
			got = append(got, s["id"].(string))
		}
		same(got, ids[3], ids[2], ids[1])
	})
}
