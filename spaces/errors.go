package spaces

import (
	"errors"
	"fmt"
	"time"

	"github.com/ruche-social/ruche/db"
)

// Kind classifies an error for the doors (API, web, inbox), each of which maps
// kinds to its own status codes in exactly one place.
type Kind int

const (
	KindInternal     Kind = iota // a fault of the node; the cause is logged, not shown
	KindInvalid                  // the input breaks a rule
	KindUnauthorized             // who is asking is not known (not signed in, bad credentials)
	KindForbidden                // who is asking may not do this
	KindNotFound                 // the thing does not exist, or is not visible to who asks
	KindConflict                 // the thing exists already, or changed under us
	KindRateLimited              // too many attempts; retry later
	KindGone                     // the thing existed and was removed or suspended
	KindUnavailable              // the node cannot do this now (e.g. its storage is full); retry later
)

// Error is a domain error with two messages: Code and Message are safe to show
// (Code is stable and keys translations), Err is the cause for the log.
type Error struct {
	Kind    Kind
	Code    string // stable machine code, e.g. "username_taken"
	Message string // safe English message; the web door translates Code instead
	Field   string // the input field at fault, if any
	// RetryAfter says when to try again, for KindRateLimited.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// On returns a copy of e on another input field.
func (e *Error) On(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// With returns a copy of e with cause as its cause, for the log.
func (e *Error) With(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Is lets errors.Is(err, spaces.ErrNotFound) match any error of the same kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == "" && t.Kind == e.Kind
}

// Sentinels to compare kinds with errors.Is.
var (
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrForbidden    = &Error{Kind: KindForbidden}
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrConflict     = &Error{Kind: KindConflict}
	ErrRateLimited  = &Error{Kind: KindRateLimited}
	ErrGone         = &Error{Kind: KindGone}
	ErrUnavailable  = &Error{Kind: KindUnavailable}
)

func invalid(field, code, msg string) *Error {
	return &Error{Kind: KindInvalid, Field: field, Code: code, Message: msg}
}

func forbidden(code, msg string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: msg}
}

func notFound(code, msg string) *Error {
	return &Error{Kind: KindNotFound, Code: code, Message: msg}
}

func conflict(field, code, msg string) *Error {
	return &Error{Kind: KindConflict, Field: field, Code: code, Message: msg}
}

var errUnauthenticated = &Error{Kind: KindUnauthorized, Code: "unauthenticated", Message: "sign in first"}

// internal wraps an unexpected failure; its cause goes to the log only.
func internal(op string, err error) error {
	var de *Error
	if errors.As(err, &de) {
		return err // already a domain error: keep its kind
	}
	if errors.Is(err, db.ErrUnavailable) {
		return databaseUnavailable(fmt.Errorf("%s: %w", op, err))
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "something went wrong on our side", Err: fmt.Errorf("%s: %w", op, err)}
}

// notFoundOr turns db.ErrNotFound into e and anything else into an internal error.
func notFoundOr(op string, err error, e *Error) error {
	if errors.Is(err, db.ErrNotFound) {
		return e
	}
	return internal(op, err)
}

// databaseUnavailable is a failure to reach the database (restarting, out
// of connections): the node's fault, and one that passes, so the doors
// answer "try again shortly" rather than "something went wrong".
func databaseUnavailable(cause error) *Error {
	return &Error{Kind: KindUnavailable, Code: "database_unavailable",
		Message: "the server cannot reach its database at the moment; try again shortly", RetryAfter: 30 * time.Second, Err: cause}
}

// KindOf tells the kind of any error: KindInternal for errors that are not
// domain errors, KindUnavailable for a database that could not be reached.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	if errors.Is(err, db.ErrUnavailable) {
		return KindUnavailable
	}
	return KindInternal
}

// Retryable tells whether the same request may succeed later: the node's own
// faults and passing unavailability may pass; a rule's refusal does not.
func Retryable(err error) bool {
	k := KindOf(err)
	return k == KindInternal || k == KindUnavailable
}

// AsError returns err as a domain error, wrapping unknown errors as internal.
func AsError(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	if errors.Is(err, db.ErrUnavailable) {
		return databaseUnavailable(err)
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "something went wrong on our side", Err: err}
}

// CodeOf is the stable code of a domain error ("" for none).
func CodeOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}
