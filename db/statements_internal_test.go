package db

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"testing"
)

// TestParameterize: string and blob literals become parameters, quoted
// identifiers and numbers stay, and what the reading does not follow runs
// as written.
func TestParameterize(t *testing.T) {
	text, values, ok := parameterize(`SELECT "l"."id", 'it''s' FROM "likes" AS "l" WHERE ("l"."uri" = 'https://x.example/a?b=1;c') AND "l"."data" = X'00ff' AND "o""k" = '' AND q = '''' ORDER BY 1 LIMIT 32`)
	want := `SELECT "l"."id", ? FROM "likes" AS "l" WHERE ("l"."uri" = ?) AND "l"."data" = ? AND "o""k" = ? AND q = ? ORDER BY 1 LIMIT 32`
	if !ok || text != want {
		t.Fatalf("parameterize:\n got %q (%v)\nwant %q", text, ok, want)
	}
	if len(values) != 5 || values[4].Value != "'" || values[0].Value != "it's" || values[1].Value != "https://x.example/a?b=1;c" ||
		!bytes.Equal(values[2].Value.([]byte), []byte{0, 0xff}) || values[3].Value != "" {
		t.Fatalf("values: %#v", values)
	}
	for i, v := range values {
		if v.Ordinal != i+1 {
			t.Errorf("value %d has ordinal %d", i, v.Ordinal)
		}
	}
	for _, q := range []string{
		`PRAGMA journal_mode = 'wal'`,
		`CREATE TABLE t (a TEXT DEFAULT 'x')`,
		`SAVEPOINT unit_1`,
		`SELECT 1; DELETE FROM t`,
		`SELECT * FROM t WHERE a = ?`,
		`SELECT * FROM t WHERE a = :a`,
		`SELECT * FROM t -- 'comment'`,
		`SELECT * FROM t /* 'comment' */`,
		`SELECT * FROM t WHERE a = 'unterminated`,
		`SELECT * FROM t WHERE a = X'0g'`,
	} {
		if _, _, ok := parameterize(q); ok {
			t.Errorf("%s: parameterized, want it run as written", q)
		}
	}
}

// TestCompiledStatements: a statement run again with other values reuses
// its compiled form and reads the new values; one run again while its rows
// are still open runs on its own and leaves them whole.
func TestCompiledStatements(t *testing.T) {
	dsn, err := sqliteDSN("sqlite:" + t.TempDir() + "/s.db")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := (&turnConnector{dsn: dsn, turns: make(turns, 1)}).Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*turnConn)
	defer c.Close()
	ctx := t.Context()
	if _, err := c.ExecContext(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)`, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if _, err := c.ExecContext(ctx, `INSERT INTO "t" ("k", "v") VALUES ('`+k+`', X'0`+k+`')`, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.stmts) != 1 {
		t.Fatalf("%d statements compiled for one INSERT run three times, want 1", len(c.stmts))
	}
	read := func(k string) string {
		return rowsOf(t, c, `SELECT "k", "v" FROM "t" WHERE "k" >= '`+k+`' ORDER BY 1`, func(k string) {
			if k == "b" { // the same statement while this one's rows are open
				if inner := rowsOf(t, c, `SELECT "k", "v" FROM "t" WHERE "k" >= 'c' ORDER BY 1`, nil); inner != "c0c " {
					t.Errorf("inner read: %q", inner)
				}
			}
		})
	}
	if got := read("a"); got != "a0a b0b c0c " {
		t.Errorf("read from a: %q", got)
	}
	if got := read("b"); got != "b0b c0c " {
		t.Errorf("read from b: %q", got)
	}
	if len(c.stmts) != 2 {
		t.Errorf("%d statements compiled, want 2", len(c.stmts))
	}
}

// rowsOf runs q on c and returns its rows, each as its key and its value in
// hex; during, when set, runs on each key while the rows are still open.
func rowsOf(t *testing.T, c *turnConn, q string, during func(k string)) string {
	rows, err := c.QueryContext(t.Context(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	row := make([]driver.Value, 2)
	for rows.Next(row) == nil {
		k := row[0].(string)
		out += k + fmt.Sprintf("%x", row[1].([]byte)) + " "
		if during != nil {
			during(k)
		}
	}
	return out
}
