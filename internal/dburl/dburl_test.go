package dburl

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
	}{
		{"sqlite:data/ruche.db", SQLite},
		{"file:/var/lib/ruche/ruche.db?_busy=1", SQLite},
		{"sqlite://data/x.db", SQLite},
		{"postgres://ruche:secret@db:5432/ruche", Postgres},
		{"postgresql://db/ruche?sslmode=disable", Postgres},
		{"sqlite:", ""},
		{"sqlite:?cache=shared", ""},
		{"postgres://", ""},
		{"mysql://db/ruche", ""},
		{"", ""},
	} {
		got, err := Parse(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://ruche:s3cret@db:5432/ruche": "postgres://ruche:REDACTED@db:5432/ruche",
		"postgres://ruche@db/ruche":             "postgres://ruche@db/ruche",
		"sqlite:data/ruche.db":                  "sqlite:data/ruche.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
