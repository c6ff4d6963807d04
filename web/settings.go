package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

var profileFields = []string{"display_name", "bio", "avatar_id", "locale", "locked"}

// profileForm: GET /settings — the member's profile and language.
func (w *Web) profileForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	f := newForm(nil, profileFields...)
	f.Values.Set("display_name", me.DisplayName)
	f.Values.Set("bio", me.Bio)
	f.Values.Set("locale", me.User.Locale)
	if me.Locked {
		f.Values.Set("locked", "on")
	}
	w.renderForm(rw, r, rq, http.StatusOK, "settings_profile", rq.cat.T("settings.profile.title"), f, nil)
	return nil
}

// saveProfile: POST /settings.
func (w *Web) saveProfile(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, profileFields...)
	u := profileUpdate(r)
	var err error
	if u.AvatarID, err = w.avatarChoice(r, rq.viewer); err == nil {
		_, err = w.spaces.UpdateProfile(r.Context(), rq.viewer, u)
	}
	if err != nil {
		return w.formError(rw, r, rq, err, f, "settings_profile", rq.cat.T("settings.profile.title"), nil)
	}
	w.setFlash(rw, "flash.saved")
	return redirect(rw, r, "/settings")
}

// avatarChoice reads an avatar-field: the id of the image just uploaded, ""
// when "remove" is ticked, nil to keep the picture. A refused file is an
// error on the field avatar_id, like the domain's own refusal.
func (w *Web) avatarChoice(r *http.Request, me *spaces.Account) (*string, error) {
	var fh *multipart.FileHeader
	if r.MultipartForm != nil && len(r.MultipartForm.File["avatar"]) > 0 {
		fh = r.MultipartForm.File["avatar"][0]
	}
	if fh == nil || (fh.Filename == "" && fh.Size == 0) { // no input, or left empty
		if r.PostForm.Get("avatar_remove") == "on" {
			return new(string), nil
		}
		return nil, nil
	}
	file, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	m, err := w.spaces.UploadMedia(r.Context(), me, file, fh.Filename, "")
	if err != nil {
		if de := spaces.AsError(err); de.Kind == spaces.KindInvalid {
			onField := *de // the domain's error may be shared: copy it
			onField.Field = "avatar_id"
			return nil, &onField
		}
		return nil, err
	}
	return &m.ID, nil
}

// profileUpdate reads the profile fields a form posted: a field the form does
// not have is left as it is. A checkbox posts nothing when unticked, so forms
// that show "locked" also post "locked_shown".
func profileUpdate(r *http.Request) spaces.ProfileUpdate {
	var u spaces.ProfileUpdate
	opt := func(name string) *string {
		if v, ok := r.PostForm[name]; ok && len(v) > 0 {
			return &v[0]
		}
		return nil
	}
	u.DisplayName, u.Bio, u.Locale = opt("display_name"), opt("bio"), opt("locale")
	if opt("locked_shown") != nil {
		locked := r.PostForm.Get("locked") == "on"
		u.Locked = &locked
	}
	return u
}

// passwordForm: GET /settings/password.
func (w *Web) passwordForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	w.renderForm(rw, r, rq, http.StatusOK, "settings_password", rq.cat.T("settings.password.title"), newForm(nil, "current_password", "password"), nil)
	return nil
}

// changePassword: POST /settings/password — this session stays, the others end.
func (w *Web) changePassword(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, "current_password", "password")
	err := w.spaces.ChangePassword(r.Context(), rq.viewer, rq.session, r.PostForm.Get("current_password"), r.PostForm.Get("password"))
	if err != nil {
		return w.formError(rw, r, rq, err, f, "settings_password", rq.cat.T("settings.password.title"), nil)
	}
	w.setFlash(rw, "flash.password_changed")
	return redirect(rw, r, "/settings/password")
}

type sessionsView struct {
	Sessions []*spaces.Session
	Current  string
	Apps     []*spaces.AccessGrant
}

// sessions: GET /settings/sessions — where the member is signed in: their
// browsers, and the apps they gave access to their account.
func (w *Web) sessions(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	list, err := w.spaces.ListSessions(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	apps, err := w.spaces.AuthorizedApps(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "settings_sessions", rq.cat.T("settings.sessions.title"), sessionsView{Sessions: list, Current: rq.session.ID, Apps: apps})
	return nil
}

// revokeSession: POST /settings/sessions — sign out one device (a lost phone).
// Revoking this very session signs the member out here too.
func (w *Web) revokeSession(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	id := r.PostForm.Get("session")
	if err := w.spaces.RevokeSession(r.Context(), rq.viewer, id); err != nil {
		return err
	}
	if id == rq.session.ID {
		httpx.ClearSession(rw, w.secure)
		w.setFlash(rw, "flash.signed_out")
		return redirect(rw, r, "/login")
	}
	w.setFlash(rw, "flash.session_revoked")
	return redirect(rw, r, "/settings/sessions")
}

type notificationsSettingsView struct {
	Kinds []string
	On    map[string]bool
}

// notificationsForm: GET /settings/notifications — which notifications the
// member receives.
func (w *Web) notificationsForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	view := notificationsSettingsView{Kinds: spaces.NotificationKinds, On: map[string]bool{}}
	for _, k := range spaces.NotificationKinds {
		view.On[k] = spaces.NotificationOn(me, k)
	}
	w.render(rw, r, rq, http.StatusOK, "settings_notifications", rq.cat.T("settings.notifications.title"), view)
	return nil
}

// saveNotifications: POST /settings/notifications — the kinds ticked are on,
// the others off.
func (w *Web) saveNotifications(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	if _, err := w.spaces.SetNotifications(r.Context(), me, r.PostForm["on"]); err != nil {
		return err
	}
	w.setFlash(rw, "flash.saved")
	return redirect(rw, r, "/settings/notifications")
}

type followRequestsView struct {
	Requests []*spaces.Follow
	Locked   bool
}

// followRequests: GET /settings/followers — who asks to follow the member
// (members who approve their followers).
func (w *Web) followRequests(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	list, err := w.spaces.Followers(r.Context(), me, me, spaces.FollowPage{State: spaces.FollowStatePending, Limit: 100})
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "settings_followers", rq.cat.T("settings.followers.title"), followRequestsView{Requests: list, Locked: me.Locked})
	return nil
}

// answerFollow: POST /settings/followers — account, accept=1 or 0.
func (w *Web) answerFollow(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	follower, err := w.spaces.Account(r.Context(), me, r.PostForm.Get("account"), false)
	if err != nil {
		return err
	}
	accept := r.PostForm.Get("accept") == "1"
	if accept {
		_, err = w.spaces.AcceptFollow(r.Context(), me, follower)
	} else {
		_, err = w.spaces.RejectFollow(r.Context(), me, follower)
	}
	if err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.follower_accepted", false: "flash.follower_refused"}[accept])
	return redirect(rw, r, "/settings/followers")
}

// dataPage: GET /settings/data — what the export holds, and its button.
func (w *Web) dataPage(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	w.render(rw, r, rq, http.StatusOK, "settings_data", rq.cat.T("settings.data.title"), nil)
	return nil
}

// export: GET /settings/export — the member's data as a zip file: data.json
// (what spaces.ExportData gathers) and the files they attached, under
// files/{id}/{name}. The archive is written as it is made: a file that cannot
// be read is left out rather than failing the whole download.
func (w *Web) export(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	x, err := w.spaces.ExportData(r.Context(), me)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return err
	}
	name := "ruche-" + me.Username + "-" + x.ExportedAt.Format("2006-01-02") + ".zip"
	rw.Header().Set("Content-Type", "application/zip")
	rw.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	zw := zip.NewWriter(rw)
	if err := addToZip(zw, "data.json", x.ExportedAt, bytes.NewReader(data)); err != nil {
		return nil // the client went away; nothing more to tell it
	}
	for _, p := range x.Posts {
		for _, f := range p.Attachments {
			_, file, err := w.spaces.OpenMedia(r.Context(), me, f.MediaID)
			if err != nil {
				continue // a remote file, or one gone from the disk
			}
			err = addToZip(zw, path.Join("files", f.MediaID, safeFileName(f.Name, f.MediaID)), x.ExportedAt, file)
			file.Close()
			if err != nil {
				return nil
			}
		}
	}
	zw.Close()
	return nil
}

func addToZip(zw *zip.Writer, name string, modified time.Time, r io.Reader) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return err
}

// safeFileName is a file's name fit for an archive: no directories.
func safeFileName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return fallback
	}
	return name
}
