package api

import (
	"net/http"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// accountJSON is how the API shows a member. Email and role are shown to the
// member themself only.
type accountJSON struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Bio         string    `json:"bio"`
	Locked      bool      `json:"locked"`
	CreatedAt   time.Time `json:"created_at"`
	Email       string    `json:"email,omitempty"`
	Role        string    `json:"role,omitempty"`
	Locale      string    `json:"locale,omitempty"`
	Status      string    `json:"status,omitempty"`
	AvatarID    string    `json:"avatar_id,omitempty"`
	Avatar      string    `json:"avatar,omitempty"` // the image's address, if any
}

func selfJSON(a *spaces.Account) accountJSON {
	j := accountJSON{
		ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Bio: a.Bio,
		Locked: a.Locked, CreatedAt: a.CreatedAt, Status: a.Status, AvatarID: a.AvatarID,
	}
	if a.AvatarID != "" {
		j.Avatar = "/api/ruche/v1/media/" + a.AvatarID
	}
	if a.User != nil {
		j.Email, j.Role, j.Locale = a.User.Email, a.User.Role, a.User.Locale
	}
	return j
}

func (a *API) credentials(r *http.Request, login, password string) spaces.Credentials {
	return spaces.Credentials{
		Login: login, Password: password,
		IP: httpx.ClientIP(r, a.proxies), UserAgent: r.UserAgent(),
	}
}

// login: POST /api/ruche/v1/auth/login {"username", "password"} → the member, and a
// session cookie. "username" may be an email address.
func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	acct, sess, token, err := a.spaces.Login(r.Context(), a.credentials(r, in.Username, in.Password))
	if err != nil {
		return err
	}
	httpx.SetSession(w, token, sess.ExpiresAt, a.secure)
	writeJSON(w, http.StatusOK, selfJSON(acct))
	return nil
}

// logout: POST /api/ruche/v1/auth/logout → 204, the session ended.
func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	_, sess, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.Logout(r.Context(), sess); err != nil {
		return err
	}
	httpx.ClearSession(w, a.secure)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me: GET /api/ruche/v1/me → the signed-in member.
func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	acct, _, err := viewer(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, selfJSON(acct))
	return nil
}

// updateMe: PATCH /api/ruche/v1/me {"display_name", "bio", "locale", "locked",
// "avatar_id"} → the member; fields left out stay as they are.
func (a *API) updateMe(w http.ResponseWriter, r *http.Request) error {
	acct, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		DisplayName *string `json:"display_name"`
		Bio         *string `json:"bio"`
		Locale      *string `json:"locale"`
		Locked      *bool   `json:"locked"`
		AvatarID    *string `json:"avatar_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	updated, err := a.spaces.UpdateProfile(r.Context(), acct, spaces.ProfileUpdate{
		DisplayName: in.DisplayName, Bio: in.Bio, Locale: in.Locale, Locked: in.Locked, AvatarID: in.AvatarID,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, selfJSON(updated))
	return nil
}

// register: POST /api/ruche/v1/accounts {"username", "email", "password",
// "display_name", "locale", "invite"} → 201, the new member, signed in.
func (a *API) register(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username    string `json:"username"`
		Email       string `json:"email"`
		Password    string `json:"password"`
		DisplayName string `json:"display_name"`
		Locale      string `json:"locale"`
		Invite      string `json:"invite"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	acct, err := a.spaces.Register(r.Context(), spaces.NewMember{
		Username: in.Username, Email: in.Email, Password: in.Password,
		DisplayName: in.DisplayName, Locale: in.Locale, Invite: in.Invite,
	})
	if err != nil {
		return err
	}
	sess, token, err := a.spaces.OpenSession(r.Context(), acct, a.credentials(r, in.Username, ""))
	if err != nil {
		return err
	}
	httpx.SetSession(w, token, sess.ExpiresAt, a.secure)
	writeJSON(w, http.StatusCreated, selfJSON(acct))
	return nil
}
