package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-social/ruche/spaces"
)

// settingsPage is a page of a space's settings: the space, the section
// shown, and that section's data.
type settingsPage struct {
	Head     *spaceHead
	Section  string // general, requests, members, invitations, archive
	Pending  int    // requests waiting, for the section's tab
	Form     spaceFormView
	List     []*spaces.Membership
	Banned   []*spaces.Membership
	Invites  []*spaces.SpaceInvitation
	NewLink  string // an invitation link, shown once
	Roles    []string
	TTLDays  []int
	Now      time.Time
	Handle   string // @slug@host
	MoreList string
}

// moderated loads the space of the URL for one of its settings pages:
// moderators only (owners for own), as the domain's rights say.
func (w *Web) moderated(rw http.ResponseWriter, r *http.Request, rq *request, section string, own bool) (*settingsPage, bool, error) {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil, false, nil
	}
	h, err := w.loadSpace(r, rq, "settings")
	if err != nil {
		return nil, false, err
	}
	if !h.Rights.Moderate || (own && !h.Rights.Own) {
		code := "not_moderator"
		if own {
			code = "not_owner"
		}
		return nil, false, &spaces.Error{Kind: spaces.KindForbidden, Code: code}
	}
	sp := &settingsPage{Head: h, Section: section, Roles: spaces.SpaceRoles, TTLDays: []int{1, 7, 30, 90}, Now: time.Now()}
	pending, err := w.spaces.SpaceMembers(r.Context(), rq.viewer, accountHandle(h.Space.Account), spaces.MemberPage{State: spaces.StatePending, Limit: 100})
	if err != nil {
		return nil, false, err
	}
	sp.Pending = len(pending)
	if section == "requests" {
		sp.List = pending
	}
	return sp, true, nil
}

func (w *Web) renderSettings(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, p *settingsPage) error {
	if f == nil {
		f = newForm(nil)
	}
	w.renderForm(rw, r, rq, status, "space_settings", rq.cat.T("space_settings.title", "name", p.Head.Space.Account.DisplayName), f, p)
	return nil
}

// settingsURL is the address of a section of a space's settings.
func settingsURL(sp *spaces.Space, section string) string {
	u := spaceURL(sp) + "/settings"
	if section != "general" {
		u += "/" + section
	}
	return u
}

// spaceSettingsForm: GET /spaces/{slug}/settings — name, description, rules,
// languages, themes, visibility, join policy and posting rights.
func (w *Web) spaceSettingsForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "general", false)
	if !ok {
		return err
	}
	f := newForm(nil, spaceFields...)
	fillSpaceForm(f, p.Head.Space)
	p.Form = w.spaceFormView(p.Head.Space, p.Head.Rights, f)
	return w.renderSettings(rw, r, rq, http.StatusOK, f, p)
}

// saveSpaceSettings: POST /spaces/{slug}/settings.
func (w *Web) saveSpaceSettings(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "general", false)
	if !ok {
		return err
	}
	f := newForm(r, spaceFields...)
	f.Values["languages"] = r.PostForm["languages"]
	f.Values["tools"] = r.PostForm["tools"]
	f.Values.Set("slug", p.Head.Space.Slug())
	p.Form = w.spaceFormView(p.Head.Space, p.Head.Rights, f)
	settings := withOtherTools(spaceSettings(r), toolsOn(p.Head.Space))
	if settings.AvatarID, err = w.avatarChoice(r, rq.viewer); err == nil {
		_, err = w.spaces.UpdateSpace(r.Context(), rq.viewer, accountHandle(p.Head.Space.Account), settings)
	}
	if err != nil {
		if k := spaces.KindOf(err); k != spaces.KindInvalid && k != spaces.KindConflict {
			return err
		}
		f.addError(rq.cat, err)
		return w.renderSettings(rw, r, rq, errorStatus(err), f, p)
	}
	w.setFlash(rw, "flash.saved")
	return redirect(rw, r, settingsURL(p.Head.Space, "general"))
}

// spaceRequests: GET /spaces/{slug}/settings/requests — who asks to join.
func (w *Web) spaceRequests(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "requests", false)
	if !ok {
		return err
	}
	return w.renderSettings(rw, r, rq, http.StatusOK, nil, p)
}

// answerRequest: POST /spaces/{slug}/settings/requests — account, accept=1
// lets them in, accept=0 refuses.
func (w *Web) answerRequest(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "requests", false)
	if !ok {
		return err
	}
	accept := r.PostForm.Get("accept") == "1"
	if _, err := w.spaces.AnswerJoinRequest(r.Context(), rq.viewer, accountHandle(p.Head.Space.Account), r.PostForm.Get("account"), accept); err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.request_accepted", false: "flash.request_refused"}[accept])
	return redirect(rw, r, settingsURL(p.Head.Space, "requests"))
}

// spaceMembers: GET /spaces/{slug}/settings/members?after= — members with
// their roles, and the accounts banned.
func (w *Web) spaceMembers(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "members", false)
	if !ok {
		return err
	}
	return w.membersSection(rw, r, rq, http.StatusOK, nil, p)
}

func (w *Web) membersSection(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, p *settingsPage) error {
	ctx, handle := r.Context(), accountHandle(p.Head.Space.Account)
	var err error
	if p.List, err = w.spaces.SpaceMembers(ctx, rq.viewer, handle, spaces.MemberPage{After: r.URL.Query().Get("after"), Limit: 100}); err != nil {
		return err
	}
	if len(p.List) == 100 {
		p.MoreList = nextPage(r, "after", p.List[len(p.List)-1].ID)
	}
	if p.Banned, err = w.spaces.SpaceMembers(ctx, rq.viewer, handle, spaces.MemberPage{State: spaces.StateBanned, Limit: 100}); err != nil {
		return err
	}
	return w.renderSettings(rw, r, rq, status, f, p)
}

// manageMember: POST /spaces/{slug}/settings/members — action role (with
// role), remove, ban or unban, on account (a username, or user@host).
func (w *Web) manageMember(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "members", false)
	if !ok {
		return err
	}
	ctx, handle, account := r.Context(), accountHandle(p.Head.Space.Account), strings.TrimPrefix(strings.TrimSpace(r.PostForm.Get("account")), "@")
	var flash string
	switch r.PostForm.Get("action") {
	case "role":
		_, err = w.spaces.SetMemberRole(ctx, rq.viewer, handle, account, r.PostForm.Get("role"))
		flash = "flash.role_changed"
	case "remove":
		err, flash = w.spaces.RemoveMember(ctx, rq.viewer, handle, account), "flash.member_removed"
	case "ban":
		_, err = w.spaces.BanMember(ctx, rq.viewer, handle, account)
		flash = "flash.member_banned"
	case "unban":
		err, flash = w.spaces.UnbanMember(ctx, rq.viewer, handle, account), "flash.member_unbanned"
	default:
		return &pageError{status: http.StatusBadRequest, key: "error.form_invalid"}
	}
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict, spaces.KindNotFound, spaces.KindForbidden:
			f := newForm(r, "account")
			f.addError(rq.cat, err)
			return w.membersSection(rw, r, rq, errorStatus(err), f, p)
		}
		return err
	}
	w.setFlash(rw, flash)
	return redirect(rw, r, settingsURL(p.Head.Space, "members"))
}

var invitationLinkFields = []string{"handle", "max_uses", "ttl"}

// spaceInvitations: GET /spaces/{slug}/settings/invitations — invite someone
// by username (or user@host), or make a link for people outside.
func (w *Web) spaceInvitations(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "invitations", false)
	if !ok {
		return err
	}
	return w.invitationsSection(rw, r, rq, http.StatusOK, nil, p)
}

func (w *Web) invitationsSection(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, p *settingsPage) error {
	var err error
	if p.Invites, err = w.spaces.SpaceInvitations(r.Context(), rq.viewer, accountHandle(p.Head.Space.Account)); err != nil {
		return err
	}
	if f == nil {
		f = newForm(nil, invitationLinkFields...)
	}
	if f.Value("max_uses") == "" {
		f.Values.Set("max_uses", "0")
	}
	if f.Value("ttl") == "" {
		f.Values.Set("ttl", "7")
	}
	p.Handle = "@" + p.Head.Space.Slug() + "@" + w.host
	return w.renderSettings(rw, r, rq, status, f, p)
}

// invite: POST /spaces/{slug}/settings/invitations — action invite (handle),
// link (max_uses, ttl in days) or revoke (id).
func (w *Web) invite(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "invitations", false)
	if !ok {
		return err
	}
	ctx, handle := r.Context(), accountHandle(p.Head.Space.Account)
	f := newForm(r, invitationLinkFields...)
	var token string
	switch r.PostForm.Get("action") {
	case "invite":
		_, _, err = w.spaces.InviteToSpace(ctx, rq.viewer, handle, spaces.SpaceInvite{Handle: r.PostForm.Get("handle")})
	case "link":
		uses, convErr := strconv.Atoi(r.PostForm.Get("max_uses"))
		if convErr != nil {
			uses = -1 // not a number: the domain says what it takes
		}
		days, convErr := strconv.Atoi(r.PostForm.Get("ttl"))
		if convErr != nil || days < 0 || days > 3650 {
			days = -1
		}
		_, token, err = w.spaces.InviteToSpace(ctx, rq.viewer, handle, spaces.SpaceInvite{Link: true, MaxUses: uses, TTL: time.Duration(days) * 24 * time.Hour})
	case "revoke":
		err = w.spaces.RevokeSpaceInvitation(ctx, rq.viewer, handle, r.PostForm.Get("id"))
	default:
		return &pageError{status: http.StatusBadRequest, key: "error.form_invalid"}
	}
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict, spaces.KindNotFound:
			f.addError(rq.cat, err)
			return w.invitationsSection(rw, r, rq, errorStatus(err), f, p)
		}
		return err
	}
	if token != "" {
		p.NewLink = w.opts.PublicURL + spaceURL(p.Head.Space) + "/join?invite=" + url.QueryEscape(token)
		return w.invitationsSection(rw, r, rq, http.StatusCreated, nil, p)
	}
	w.setFlash(rw, map[string]string{"invite": "flash.invited", "revoke": "flash.invitation_revoked"}[r.PostForm.Get("action")])
	return redirect(rw, r, settingsURL(p.Head.Space, "invitations"))
}

// spaceArchive: GET /spaces/{slug}/settings/archive — archive (read-only) or
// delete the space. Owners only.
func (w *Web) spaceArchive(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "archive", true)
	if !ok {
		return err
	}
	return w.renderSettings(rw, r, rq, http.StatusOK, newForm(nil, "confirm"), p)
}

// archiveSpace: POST /spaces/{slug}/settings/archive — archive=1 makes the
// space read-only, 0 writable again.
func (w *Web) archiveSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "archive", true)
	if !ok {
		return err
	}
	archive := r.PostForm.Get("archive") == "1"
	if _, err := w.spaces.ArchiveSpace(r.Context(), rq.viewer, accountHandle(p.Head.Space.Account), archive); err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.archived", false: "flash.unarchived"}[archive])
	return redirect(rw, r, localPath(r.PostForm.Get("next"), spaceURL(p.Head.Space)))
}

// deleteSpace: POST /spaces/{slug}/settings/delete — delete the space and all
// it holds, once its name is typed to confirm.
func (w *Web) deleteSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	p, ok, err := w.moderated(rw, r, rq, "archive", true)
	if !ok {
		return err
	}
	if !strings.EqualFold(strings.TrimSpace(r.PostForm.Get("confirm")), p.Head.Space.Slug()) {
		f := newForm(r, "confirm")
		f.addFieldError("confirm", rq.cat.T("error.confirm_slug"))
		return w.renderSettings(rw, r, rq, http.StatusUnprocessableEntity, f, p)
	}
	if err := w.spaces.DeleteSpace(r.Context(), rq.viewer, accountHandle(p.Head.Space.Account)); err != nil {
		return err
	}
	w.setFlash(rw, "flash.space_deleted")
	return redirect(rw, r, localPath(r.PostForm.Get("next"), "/spaces"))
}
