package spaces_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// cheap keeps argon2id but at a cost that lets tests create many members.
var cheap = spaces.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// clock is a settable clock for tests that expire things.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newService(t *testing.T, d *db.DB, opts spaces.Options) (*spaces.Service, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	if opts.Password == (spaces.PasswordParams{}) {
		opts.Password = cheap
	}
	opts.Now = c.now
	return spaces.New(d, opts), c
}

func mustMember(t *testing.T, s *spaces.Service, username, role string) *spaces.Account {
	t.Helper()
	a, err := s.CreateMember(context.Background(), spaces.Console, spaces.NewMember{
		Username: username, Email: username + "@example.org", Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return a
}

// wantCode fails unless err is a domain error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *spaces.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want domain error %q", err, code)
	}
	if de.Code != code {
		t.Fatalf("got code %q (%v), want %q", de.Code, err, code)
	}
}
