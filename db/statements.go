package db

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"strings"
)

// Compiled statements of SQLite.
//
// bun writes every value into the text of a statement, so SQLite parsed and
// compiled each one anew: nearly a third of the CPU spent storing a received
// Like. A connection keeps the statements it runs compiled, keyed by their
// text with each string and blob literal lifted out as a parameter, and runs
// one again by binding the values of the new text to it. Numbers stay in the
// text — ORDER BY 1 names a column, a bound 1 would not — and only SELECT,
// INSERT, UPDATE, DELETE and WITH statements are kept: a parameter has no
// place in a PRAGMA or a CREATE. A partial index whose condition names a
// literal is still used: SQLite compares a bound value with it, and compiles
// the statement again when the value no longer matches.

// maxStatements bounds the statements a connection keeps compiled.
const maxStatements = 200

// statement is a compiled statement of a connection; busy while rows it
// returned are open, when running it again would end them.
type statement struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

// compiled returns the connection's compiled statement for query and the
// values to bind to it, compiling it the first time; nil when query runs as
// written: it is of another kind, it fails to compile (it then fails as
// written, with its own error), or its statement is busy.
func (c *turnConn) compiled(ctx context.Context, query string) (*statement, []driver.NamedValue) {
	text, values, ok := parameterize(query)
	if !ok {
		return nil, nil
	}
	st := c.stmts[text]
	if st == nil {
		if len(c.stmts) >= maxStatements {
			c.forgetStatements()
		}
		s, err := c.sqliteConn.PrepareContext(ctx, text)
		if err != nil {
			return nil, nil
		}
		full, ok := s.(interface {
			driver.Stmt
			driver.StmtExecContext
			driver.StmtQueryContext
		})
		if !ok {
			s.Close()
			return nil, nil
		}
		if c.stmts == nil {
			c.stmts = map[string]*statement{}
		}
		st = &statement{stmt: full}
		c.stmts[text] = st
	}
	if st.busy {
		return nil, nil
	}
	return st, values
}

// forgetStatements closes the compiled statements not in use.
func (c *turnConn) forgetStatements() {
	for text, st := range c.stmts {
		if !st.busy {
			st.stmt.Close()
			delete(c.stmts, text)
		}
	}
}

func (c *turnConn) Close() error {
	for _, st := range c.stmts {
		st.stmt.Close()
	}
	c.stmts = nil
	return c.sqliteConn.Close()
}

// exec runs query, compiled once if it can be.
func (c *turnConn) exec(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		if st, values := c.compiled(ctx, query); st != nil {
			return st.stmt.ExecContext(ctx, values)
		}
	}
	return c.sqliteConn.ExecContext(ctx, query, args)
}

// query runs query, compiled once if it can be; end runs when its rows are
// closed (or at once if it fails).
func (c *turnConn) query(ctx context.Context, query string, args []driver.NamedValue, end func()) (driver.Rows, error) {
	var rows driver.Rows
	var err error
	st, values := (*statement)(nil), args
	if len(args) == 0 {
		st, values = c.compiled(ctx, query)
	}
	if st == nil {
		rows, err = c.sqliteConn.QueryContext(ctx, query, args)
	} else {
		st.busy = true
		endTurn := end
		end = func() { st.busy = false; endTurn() }
		rows, err = st.stmt.QueryContext(ctx, values)
	}
	if err != nil {
		end()
		return nil, err
	}
	return &turnRows{Rows: rows, end: end}, nil
}

// parameterize returns query with its string and blob literals replaced by
// parameters, and their values; ok is false for a query to run as written:
// not a SELECT, INSERT, UPDATE, DELETE or WITH, or holding what this reading
// does not follow (parameters, comments, several statements).
func parameterize(query string) (text string, values []driver.NamedValue, ok bool) {
	verb, _, _ := strings.Cut(strings.TrimLeft(query, " \t\n("), " ")
	switch strings.ToUpper(verb) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH":
	default:
		return "", nil, false
	}
	var b strings.Builder
	b.Grow(len(query))
	done := 0 // query[:done] is in b
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || (c == 'X' || c == 'x') && i+1 < len(query) && query[i+1] == '\'' && (i == 0 || !identifierByte(query[i-1])):
			b.WriteString(query[done:i])
			blob := c != '\''
			if blob {
				i++
			}
			s, n, ok := quoted(query[i:], '\'')
			if !ok {
				return "", nil, false
			}
			var v any = s
			if blob {
				raw, err := hex.DecodeString(s)
				if err != nil {
					return "", nil, false
				}
				v = raw
			}
			values = append(values, driver.NamedValue{Ordinal: len(values) + 1, Value: v})
			b.WriteByte('?')
			i += n - 1
			done = i + 1
		case c == '"' || c == '`':
			_, n, ok := quoted(query[i:], c)
			if !ok {
				return "", nil, false
			}
			i += n - 1
		case c == '?' || c == ':' || c == '@' || c == '$' || c == ';' || c == '[' ||
			c == '-' && strings.HasPrefix(query[i:], "--") || c == '/' && strings.HasPrefix(query[i:], "/*"):
			return "", nil, false
		}
	}
	b.WriteString(query[done:])
	return b.String(), values, true
}

// quoted reads the quoted token s starts with (its quote doubled inside it),
// returning its content and its length.
func quoted(s string, quote byte) (content string, n int, ok bool) {
	end := 1
	for {
		j := strings.IndexByte(s[end:], quote)
		if j < 0 {
			return "", 0, false
		}
		end += j
		if end+1 < len(s) && s[end+1] == quote { // a doubled quote: one of the content
			end += 2
			continue
		}
		content = s[1:end]
		if strings.Contains(content, string(quote)) {
			content = strings.ReplaceAll(content, string([]byte{quote, quote}), string(quote))
		}
		return content, end + 1, true
	}
}

func identifierByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
