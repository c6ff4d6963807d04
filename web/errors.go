package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// pageError is an error of the request itself (no such page, bad form), with
// its status and the catalogue key of what the visitor reads.
type pageError struct {
	status int
	key    string
	cause  error // for the log only
}

func (e *pageError) Error() string {
	if e.cause != nil {
		return e.key + ": " + e.cause.Error()
	}
	return e.key
}

var (
	errNotFound = &pageError{status: http.StatusNotFound, key: "error.page_not_found"}
	errMethod   = &pageError{status: http.StatusMethodNotAllowed, key: "error.method_not_allowed"}
	errCSRF     = &pageError{status: http.StatusForbidden, key: "error.csrf"}
)

func errFormTooLarge(cause error) error {
	var tooBig *http.MaxBytesError
	if errors.As(cause, &tooBig) {
		return &pageError{status: http.StatusRequestEntityTooLarge, key: "error.form_too_large", cause: cause}
	}
	return &pageError{status: http.StatusBadRequest, key: "error.form_invalid", cause: cause}
}

// statusOfKind maps domain error kinds to HTTP statuses: the one place where
// this door decides it.
var statusOfKind = map[spaces.Kind]int{
	spaces.KindInternal:     http.StatusInternalServerError,
	spaces.KindInvalid:      http.StatusUnprocessableEntity,
	spaces.KindUnauthorized: http.StatusUnauthorized,
	spaces.KindForbidden:    http.StatusForbidden,
	spaces.KindNotFound:     http.StatusNotFound,
	spaces.KindConflict:     http.StatusConflict,
	spaces.KindRateLimited:  http.StatusTooManyRequests,
	spaces.KindGone:         http.StatusGone,
	spaces.KindUnavailable:  http.StatusServiceUnavailable,
}

var kindNames = map[spaces.Kind]string{
	spaces.KindInternal:     "internal",
	spaces.KindInvalid:      "invalid",
	spaces.KindUnauthorized: "unauthorized",
	spaces.KindForbidden:    "forbidden",
	spaces.KindNotFound:     "not_found",
	spaces.KindConflict:     "conflict",
	spaces.KindRateLimited:  "rate_limited",
	spaces.KindGone:         "gone",
	spaces.KindUnavailable:  "unavailable",
}

// errorStatus returns the status of any error this door meets.
func errorStatus(err error) int {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe.status
	}
	return statusOfKind[spaces.AsError(err).Kind]
}

// errorText is what the visitor reads about err, in their language: the
// translation of the domain's code, or failing that of its kind, never the
// domain's English message nor an internal cause.
func errorText(c *catalogue, err error) string {
	var pe *pageError
	if errors.As(err, &pe) {
		return c.T(pe.key)
	}
	de := spaces.AsError(err)
	if de.Kind == spaces.KindRateLimited {
		return c.T("error."+de.Code, "minutes", max(1, minutes(de.RetryAfter)))
	}
	if de.Code != "" && c.has("error."+de.Code) {
		return c.T("error." + de.Code)
	}
	return c.T("error.kind." + kindNames[de.Kind])
}

// fail renders the error page for err: a translated message and the right
// status. A visitor who must sign in is sent to the sign-in page instead.
// Internal causes go to the log with the request id, never to the page.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, rq *request, err error) {
	de := spaces.AsError(err)
	var pe *pageError
	isPage := errors.As(err, &pe)
	if !isPage && de.Kind == spaces.KindUnauthorized && rq.viewer == nil {
		requireViewer(rw, r, rq)
		return
	}
	status := errorStatus(err)
	if status >= 500 {
		httpx.Logger(r.Context()).Error("web error", "err", err)
	}
	if !isPage && de.RetryAfter > 0 {
		rw.Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter.Seconds())+1))
	}
	titleKey := "error.title"
	if status == http.StatusNotFound {
		titleKey = "error.not_found_title"
	}
	w.render(rw, r, rq, status, "error", rq.cat.T(titleKey), errorView{Status: status, Message: errorText(rq.cat, err)})
}

type errorView struct {
	Status  int
	Message string
}

// form is what a form page shows: the values typed (never passwords), and the
// errors of the last submission, each on its field and in a summary at the top.
type form struct {
	Values  url.Values
	Errors  map[string]string // field → translated message
	Summary []fieldError      // every error, in order, for the summary
	fields  []string          // the fields this form shows
}

type fieldError struct{ Field, Message string }

// newForm returns the form of a page that shows fields, filled from r's posted
// values (passwords left out).
func newForm(r *http.Request, fields ...string) *form {
	f := &form{Values: url.Values{}, Errors: map[string]string{}, fields: fields}
	if r != nil && r.PostForm != nil {
		for _, name := range fields {
			if !strings.Contains(name, "password") && name != "setup_token" {
				f.Values.Set(name, r.PostForm.Get(name))
			}
		}
	}
	return f
}

// Value returns a field's value, for the template.
func (f *form) Value(name string) string { return f.Values.Get(name) }

// Error returns a field's error message, for the template.
func (f *form) Error(name string) string { return f.Errors[name] }

// Failed tells whether the form has errors to show.
func (f *form) Failed() bool { return len(f.Summary) > 0 }

// addError puts the message of err on its field when the form shows that
// field, and in the summary in any case.
func (f *form) addError(c *catalogue, err error) {
	msg := errorText(c, err)
	field := ""
	var de *spaces.Error
	if errors.As(err, &de) && slices.Contains(f.fields, de.Field) {
		field = de.Field
		f.Errors[field] = msg
	}
	f.Summary = append(f.Summary, fieldError{Field: field, Message: msg})
}

// addFieldError puts a message of the door's own (not the domain's) on a field.
func (f *form) addFieldError(field, msg string) {
	f.Errors[field] = msg
	f.Summary = append(f.Summary, fieldError{Field: field, Message: msg})
}

// formError renders a form page again with the error of its submission and
// the status of that error; errors that do not belong to a form (not found,
// forbidden, a fault of ours) get the error page.
func (w *Web) formError(rw http.ResponseWriter, r *http.Request, rq *request, err error, f *form, name, title string, data any) error {
	switch spaces.KindOf(err) {
	case spaces.KindInvalid, spaces.KindConflict, spaces.KindRateLimited:
	case spaces.KindUnauthorized:
		if rq.viewer == nil && spaces.AsError(err).Code != "invalid_credentials" {
			return err
		}
	default:
		return err
	}
	f.addError(rq.cat, err)
	if de := spaces.AsError(err); de.Kind == spaces.KindRateLimited {
		rw.Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter.Seconds())+1))
	}
	w.renderForm(rw, r, rq, errorStatus(err), name, title, f, data)
	return nil
}
