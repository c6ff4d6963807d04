// Package dburl knows the two forms of database URL a node accepts, so the
// configuration check, the database opener and every log line agree on them.
package dburl

import (
	"errors"
	"net/url"
	"strings"
)

// Kind is the engine a database URL names.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Parse tells which engine s names: sqlite:PATH or file:PATH for the embedded
// database, postgres://… or postgresql://… for PostgreSQL. The error says what
// a valid URL looks like.
func Parse(s string) (Kind, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"), strings.HasPrefix(s, "file:"):
		if SQLitePath(s) == "" {
			return "", errors.New("want a file path after sqlite:, e.g. sqlite:data/ruche.db")
		}
		return SQLite, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			return "", errors.New("want postgres://user:password@host:5432/dbname")
		}
		return Postgres, nil
	}
	return "", errors.New("want sqlite:PATH or postgres://user:password@host:5432/dbname")
}

// SQLitePath is the file path of a sqlite: or file: URL, without its query.
func SQLitePath(s string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "file:")
	path, _, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "?")
	return path
}

// Redact hides the password of a database URL, for logs and error messages.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}
