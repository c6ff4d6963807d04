package spaces

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// Credentials are what someone signs in with.
type Credentials struct {
	Login     string // username or email address
	Password  string
	IP        string // the client's address, for throttling
	UserAgent string // shown in the member's list of sessions
}

var errBadCredentials = &Error{Kind: KindUnauthorized, Code: "invalid_credentials", Message: "wrong username or password"}

// dummyHash is verified when the login names nobody, so that a wrong name takes
// as long as a wrong password and timing does not tell which accounts exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2CEpNqtDUY/UTOuFBHJT8e6h0vA3VRtxIZ5Cb7k+Qgk"

// Login checks credentials and opens a session, returning it with its token.
// Attempts are counted per account (whether named by username or email
// address; per login text for names of nobody) and per address, before the
// password is checked, so that attempts sent at once count too; past the
// limits the answer is KindRateLimited with a RetryAfter, whatever the
// password.
func (s *Service) Login(ctx context.Context, c Credentials) (*Account, *Session, string, error) {
	acct, err := s.findLogin(ctx, c.Login)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, nil, "", internal("login", err)
	}
	ident := "login:" + strings.ToLower(strings.TrimSpace(c.Login))
	hash := dummyHash
	if acct != nil {
		ident, hash = "account:"+acct.ID, acct.User.PasswordHash
	}
	ip := "ip:" + c.IP
	now := s.now()
	if wait := s.logins.reserve(now, limited{ident, loginFailsPerIdent}, limited{ip, loginFailsPerIP}); wait > 0 {
		return nil, nil, "", &Error{Kind: KindRateLimited, Code: "too_many_attempts",
			Message: "too many failed sign-ins: try again later", RetryAfter: wait}
	}
	ok, verr := s.verifyPassword(ctx, hash, c.Password)
	if verr != nil {
		return nil, nil, "", internal("verify password", verr)
	}
	if acct == nil || !ok {
		return nil, nil, "", errBadCredentials // the reserved attempts stay counted
	}
	s.logins.reset(ident)
	s.logins.release(ip, now)
	if acct.Status != StatusActive {
		return nil, nil, "", forbidden("account_suspended", "this account is suspended")
	}
	sess, token, err := s.openSession(ctx, acct, c)
	if err != nil {
		return nil, nil, "", err
	}
	return acct, sess, token, nil
}

// findLogin finds the member by email when the login has an @, else by username.
func (s *Service) findLogin(ctx context.Context, login string) (*Account, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return nil, db.ErrNotFound
	}
	var (
		a   *Account
		err error
	)
	if strings.Contains(login, "@") {
		a, err = s.db.LocalAccountByEmail(ctx, strings.ToLower(login))
	} else {
		a, err = s.db.LocalAccountByUsername(ctx, login)
	}
	if err != nil {
		return nil, err
	}
	if a.User == nil { // a space or the node's actor: nobody signs in as those
		return nil, db.ErrNotFound
	}
	return a, nil
}

// OpenSession opens a session for a member who just proved who they are in
// another way (registration). Returns the session and its token.
func (s *Service) OpenSession(ctx context.Context, acct *Account, c Credentials) (*Session, string, error) {
	if acct == nil || acct.User == nil || acct.Status != StatusActive {
		return nil, "", errUnauthenticated
	}
	return s.openSession(ctx, acct, c)
}

func (s *Service) openSession(ctx context.Context, acct *Account, c Credentials) (*Session, string, error) {
	token, hash := newToken()
	now := s.now()
	sess := &Session{
		ID: newID(), TokenHash: hash, AccountID: acct.ID,
		UserAgent: truncate(c.UserAgent, 300), IP: truncate(c.IP, 64),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionTTL),
	}
	if err := s.db.InsertSession(ctx, sess); err != nil {
		return nil, "", internal("open session", err)
	}
	if err := s.db.TouchUser(ctx, acct.ID, now); err != nil {
		return nil, "", internal("touch user", err)
	}
	return sess, token, nil
}

// Authenticate returns the member and session a session token stands for.
// Expired sessions and suspended members get KindUnauthorized.
func (s *Service) Authenticate(ctx context.Context, token string) (*Account, *Session, error) {
	if token == "" {
		return nil, nil, errUnauthenticated
	}
	sess, err := s.db.SessionByTokenHash(ctx, hashToken(token))
	if err != nil {
		return nil, nil, notFoundOr("authenticate", err, errUnauthenticated)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) {
		if err := s.db.DeleteSession(ctx, sess.AccountID, sess.ID); err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, nil, internal("delete expired session", err)
		}
		return nil, nil, &Error{Kind: KindUnauthorized, Code: "session_expired", Message: "your session has expired: sign in again"}
	}
	acct, err := s.db.AccountByID(ctx, sess.AccountID)
	if err != nil {
		return nil, nil, notFoundOr("authenticate", err, errUnauthenticated)
	}
	if acct.User == nil || acct.Status != StatusActive {
		return nil, nil, errUnauthenticated
	}
	if err := s.db.TouchSession(ctx, sess.ID, now); err != nil {
		return nil, nil, internal("touch session", err)
	}
	if err := s.db.TouchUser(ctx, acct.ID, now); err != nil {
		return nil, nil, internal("touch user", err)
	}
	return acct, sess, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if sess == nil {
		return errUnauthenticated
	}
	err := s.db.DeleteSession(ctx, sess.AccountID, sess.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return internal("logout", err)
	}
	return nil
}

// ListSessions lists the member's own sessions.
func (s *Service) ListSessions(ctx context.Context, by *Account) ([]*Session, error) {
	if by == nil || by.User == nil {
		return nil, errUnauthenticated
	}
	out, err := s.db.ListSessions(ctx, by.ID)
	if err != nil {
		return nil, internal("list sessions", err)
	}
	return out, nil
}

// RevokeSession ends one of the member's own sessions (a lost phone).
func (s *Service) RevokeSession(ctx context.Context, by *Account, sessionID string) error {
	if by == nil || by.User == nil {
		return errUnauthenticated
	}
	if err := s.db.DeleteSession(ctx, by.ID, sessionID); err != nil {
		return notFoundOr("revoke session", err, notFound("session_not_found", "no such session"))
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, and ends
// every other session of the member: whoever knew the old password is out.
func (s *Service) ChangePassword(ctx context.Context, by *Account, current *Session, oldPassword, newPassword string) error {
	if by == nil || by.User == nil || current == nil {
		return errUnauthenticated
	}
	ok, err := s.verifyPassword(ctx, by.User.PasswordHash, oldPassword)
	if err != nil {
		return internal("verify password", err)
	}
	if !ok {
		return &Error{Kind: KindInvalid, Field: "current_password", Code: "wrong_password", Message: "the current password is wrong"}
	}
	return s.setPassword(ctx, by, newPassword, current.ID, nil)
}

// ResetPassword sets a member's password without the old one and ends all their
// sessions. Admins and the console only.
func (s *Service) ResetPassword(ctx context.Context, by *Account, username, newPassword string) error {
	if !isAdmin(by) {
		return forbidden("admin_only", "only an admin may reset passwords")
	}
	a, err := s.localMember(ctx, s.db, username)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, a, newPassword, "", nil)
}

// setPassword checks and stores a new password, then ends every session of the
// member but keepSession, revokes the tokens they gave apps, and voids their unused reset links. guard, if not nil,
// runs first in the same transaction: an error from it changes nothing.
func (s *Service) setPassword(ctx context.Context, a *Account, password, keepSession string, guard func(tx *db.DB) error) error {
	if err := checkPassword(password, a.Username); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return internal("hash password", err)
	}
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if guard != nil {
			if err := guard(tx); err != nil {
				return err
			}
		}
		if err := tx.DeletePasswordResets(ctx, a.ID); err != nil {
			return err
		}
		u := *a.User
		u.PasswordHash, u.UpdatedAt = hash, s.now()
		if err := tx.UpdateUser(ctx, &u, "password_hash", "updated_at"); err != nil {
			return err
		}
		if err := tx.DeleteOAuthTokens(ctx, a.ID); err != nil { // apps signed in with the old password too
			return err
		}
		return tx.DeleteSessions(ctx, a.ID, keepSession)
	})
	if err != nil {
		return internal("set password", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
