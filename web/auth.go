package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/internal/mail"
	"github.com/ruche-social/ruche/spaces"
)

// afterSignIn is where a member goes once signed in: the onboarding the first
// time, else where they were heading. An app's consent page comes first: the
// app is waiting for the answer.
func afterSignIn(a *spaces.Account, next string) string {
	if spaces.NeedsOnboarding(a) && !strings.HasPrefix(next, "/oauth/authorize?") {
		return "/onboarding"
	}
	return localPath(next, "/")
}

type loginView struct {
	Next    string
	Expired bool
}

// loginForm: GET /login — the sign-in form.
func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	next := localPath(r.URL.Query().Get("next"), "/")
	if rq.viewer != nil {
		return redirect(rw, r, next)
	}
	view := loginView{Next: next, Expired: rq.expired || r.URL.Query().Get("expired") == "1"}
	w.renderForm(rw, r, rq, http.StatusOK, "login", rq.cat.T("login.title"), newForm(nil, "login", "password"), view)
	return nil
}

// login: POST /login — check the credentials and open a session. Too many
// failures get 429 with the wait, translated.
func (w *Web) login(rw http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(r, "login", "password")
	next := localPath(r.PostForm.Get("next"), "/")
	acct, sess, token, err := w.spaces.Login(r.Context(), w.credentials(r, r.PostForm.Get("login"), r.PostForm.Get("password")))
	if err != nil {
		return w.formError(rw, r, rq, err, f, "login", rq.cat.T("login.title"), loginView{Next: next})
	}
	w.signIn(rw, token, sess.ExpiresAt)
	return redirect(rw, r, afterSignIn(acct, next))
}

// logout: POST /logout — end this session. Signing out twice, or with a
// session that already ended, is not an error.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.session != nil {
		if err := w.spaces.Logout(r.Context(), rq.session); err != nil {
			return err
		}
	}
	httpx.ClearSession(rw, w.secure)
	if rq.viewer != nil { // the page after signing out stays in the member's language
		w.setLanguage(rw, rq.locale())
	}
	w.setFlash(rw, "flash.signed_out")
	return redirect(rw, r, "/login")
}

type registerView struct {
	Invite string
	Closed bool // the node takes no registrations (or this one has no invitation)
}

var registerFields = []string{"username", "email", "display_name", "password"}

// registerForm: GET /register?invite=TOKEN — the form of the invitation link.
// A link that no longer works says why before anyone fills the form.
func (w *Web) registerForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.viewer != nil {
		return redirect(rw, r, "/")
	}
	invite := r.URL.Query().Get("invite")
	view := registerView{Invite: invite}
	title := rq.cat.T("register.title")
	switch mode := rq.node.Registrations; {
	case mode == spaces.RegistrationsClosed:
		view.Closed = true
		w.render(rw, r, rq, http.StatusForbidden, "register", title, view)
		return nil
	case mode == spaces.RegistrationsInvite && invite == "":
		view.Closed = true
		w.render(rw, r, rq, http.StatusOK, "register", title, view)
		return nil
	}
	f := newForm(nil, registerFields...)
	if invite != "" {
		if _, err := w.spaces.CheckInvitation(r.Context(), invite); err != nil {
			view.Closed = true
			f.addError(rq.cat, err)
			w.renderForm(rw, r, rq, errorStatus(err), "register", title, f, view)
			return nil
		}
	}
	w.renderForm(rw, r, rq, http.StatusOK, "register", title, f, view)
	return nil
}

// register: POST /register — create the member, sign them in, and start the
// onboarding. The interface's current language becomes theirs.
func (w *Web) register(rw http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(r, registerFields...)
	invite := r.PostForm.Get("invite")
	acct, err := w.spaces.Register(r.Context(), spaces.NewMember{
		Username: f.Value("username"), Email: f.Value("email"), DisplayName: f.Value("display_name"),
		Password: r.PostForm.Get("password"), Locale: rq.locale(), Invite: invite,
	})
	if err != nil {
		return w.formError(rw, r, rq, err, f, "register", rq.cat.T("register.title"), registerView{Invite: invite})
	}
	sess, token, err := w.spaces.OpenSession(r.Context(), acct, w.credentials(r, acct.Username, ""))
	if err != nil {
		return err
	}
	w.signIn(rw, token, sess.ExpiresAt)
	return redirect(rw, r, "/onboarding")
}

type forgotView struct {
	Mail bool // the node sends mail: the form asks for the account
	Sent bool // the request is taken
}

// forgot: GET /password/forgot — with mail, a form to get a reset link;
// without, how to get one from an admin (admin page or `ruche admin user
// reset-password`).
func (w *Web) forgot(rw http.ResponseWriter, r *http.Request, rq *request) error {
	w.renderForm(rw, r, rq, http.StatusOK, "forgot", rq.cat.T("forgot.title"), newForm(nil, "login"), forgotView{Mail: w.opts.Mailer != nil})
	return nil
}

// requestReset: POST /password/forgot — mail a reset link to the member the
// login names, in their language. The page says the same whether or not an
// account matched, and the mail leaves in the background so that the answer's
// delay does not tell either.
func (w *Web) requestReset(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if w.opts.Mailer == nil {
		return errNotFound
	}
	f := newForm(r, "login")
	acct, token, err := w.spaces.RequestPasswordReset(r.Context(), f.Value("login"), httpx.ClientIP(r, w.opts.TrustedProxies))
	if err != nil {
		return w.formError(rw, r, rq, err, f, "forgot", rq.cat.T("forgot.title"), forgotView{Mail: true})
	}
	if acct != nil {
		cat := w.cats[acct.User.Locale]
		if cat == nil {
			cat = rq.cat
		}
		link := w.opts.PublicURL + "/password/reset?token=" + url.QueryEscape(token)
		msg := mail.Message{To: acct.User.Email, Subject: cat.T("mail.reset.subject", "node", rq.node.Name),
			Text: cat.T("mail.reset.body", "name", acct.DisplayName, "username", acct.Username, "node", rq.node.Name, "link", link)}
		log := httpx.Logger(r.Context())
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
			defer cancel()
			if err := w.opts.Mailer.Send(ctx, msg); err != nil {
				log.Error("password reset mail not sent", "account", acct.Username, "err", err)
			}
		}()
	}
	w.render(rw, r, rq, http.StatusOK, "forgot", rq.cat.T("forgot.sent_title"), forgotView{Mail: true, Sent: true})
	return nil
}

type resetView struct {
	Token    string
	Username string
}

// resetForm: GET /password/reset?token=T — the form of an admin's reset link.
func (w *Web) resetForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	token := r.URL.Query().Get("token")
	f := newForm(nil, "password")
	a, err := w.spaces.CheckPasswordReset(r.Context(), token)
	if err != nil {
		f.addError(rq.cat, err)
		w.renderForm(rw, r, rq, errorStatus(err), "reset", rq.cat.T("reset.title"), f, resetView{})
		return nil
	}
	w.renderForm(rw, r, rq, http.StatusOK, "reset", rq.cat.T("reset.title"), f, resetView{Token: token, Username: a.Username})
	return nil
}

// reset: POST /password/reset — set the new password; every session of the
// member ends, so they sign in again.
func (w *Web) reset(rw http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(r, "password")
	token := r.PostForm.Get("token")
	view := resetView{Token: token}
	if a, err := w.spaces.CheckPasswordReset(r.Context(), token); err == nil {
		view.Username = a.Username
	}
	if _, err := w.spaces.ResetPasswordWithLink(r.Context(), token, r.PostForm.Get("password")); err != nil {
		if view.Username == "" {
			view.Token = ""
		}
		return w.formError(rw, r, rq, err, f, "reset", rq.cat.T("reset.title"), view)
	}
	if rq.viewer != nil {
		httpx.ClearSession(rw, w.secure)
	}
	w.setFlash(rw, "flash.password_reset")
	return redirect(rw, r, "/login")
}

var setupFields = []string{"setup_token", "username", "email", "display_name", "password"}

type setupView struct{ Token string }

// setupForm: GET /setup?token=T — the first-run page, while the node has no
// admin. The token comes from the node's log: only whoever runs the node has it.
func (w *Web) setupForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	has, err := w.spaces.HasAdmin(r.Context())
	if err != nil {
		return err
	}
	if has {
		w.setFlash(rw, "flash.setup_done")
		return redirect(rw, r, "/login")
	}
	token := r.URL.Query().Get("token")
	w.renderForm(rw, r, rq, http.StatusOK, "setup", rq.cat.T("setup.title"), newForm(nil, setupFields...), setupView{Token: token})
	return nil
}

// setup: POST /setup — create the first admin and sign them in.
func (w *Web) setup(rw http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm(r, setupFields...)
	acct, err := w.spaces.SetupAdmin(r.Context(), r.PostForm.Get("setup_token"), spaces.NewMember{
		Username: f.Value("username"), Email: f.Value("email"), DisplayName: f.Value("display_name"),
		Password: r.PostForm.Get("password"), Locale: rq.locale(),
	})
	if err != nil {
		if spaces.AsError(err).Code == "setup_done" {
			w.setFlash(rw, "flash.setup_done")
			return redirect(rw, r, "/login")
		}
		return w.formError(rw, r, rq, err, f, "setup", rq.cat.T("setup.title"), setupView{Token: r.PostForm.Get("setup_token")})
	}
	sess, token, err := w.spaces.OpenSession(r.Context(), acct, w.credentials(r, acct.Username, ""))
	if err != nil {
		return err
	}
	w.signIn(rw, token, sess.ExpiresAt)
	return redirect(rw, r, "/onboarding")
}

// language: POST /language — the language switcher. A member's choice is
// their setting; a visitor's is kept in a cookie.
func (w *Web) language(rw http.ResponseWriter, r *http.Request, rq *request) error {
	loc := r.PostForm.Get("lang")
	if rq.viewer != nil {
		if _, err := w.spaces.UpdateProfile(r.Context(), rq.viewer, spaces.ProfileUpdate{Locale: &loc}); err != nil {
			return err
		}
	} else if _, ok := w.cats[loc]; !ok {
		return &pageError{status: http.StatusUnprocessableEntity, key: "error.locale_invalid"}
	}
	w.setLanguage(rw, loc)
	return redirect(rw, r, localPath(r.PostForm.Get("next"), "/"))
}

// setLanguage remembers a visitor's language in a cookie.
func (w *Web) setLanguage(rw http.ResponseWriter, loc string) {
	http.SetCookie(rw, &http.Cookie{
		Name: langCookie, Value: loc, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode,
	})
}
