package api

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// mountSpaces adds the routes of spaces, posts, feeds, search and
// notifications. Every handler parses, calls one spaces operation, and writes.
func (a *API) mountSpaces(r *mux.Router) {
	get, post, patch, del, put := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut
	a.route(r, "/api/ruche/v1/spaces", methods{get: a.listSpaces, post: a.createSpace})
	a.route(r, "/api/ruche/v1/spaces/{space}", methods{get: a.getSpace, patch: a.updateSpace, del: a.deleteSpace})
	a.route(r, "/api/ruche/v1/spaces/{space}/archive", methods{put: a.archiveSpace(true), del: a.archiveSpace(false)})
	a.route(r, "/api/ruche/v1/spaces/{space}/membership", methods{post: a.joinSpace, del: a.leaveSpace, patch: a.watchSpace})
	a.route(r, "/api/ruche/v1/spaces/{space}/members", methods{get: a.listMembers})
	a.route(r, "/api/ruche/v1/spaces/{space}/members/{account}", methods{patch: a.setRole, del: a.removeMember})
	a.route(r, "/api/ruche/v1/spaces/{space}/requests/{account}", methods{post: a.answerRequest})
	a.route(r, "/api/ruche/v1/spaces/{space}/bans/{account}", methods{put: a.ban, del: a.unban})
	a.route(r, "/api/ruche/v1/spaces/{space}/invitations", methods{get: a.listInvitations, post: a.invite})
	a.route(r, "/api/ruche/v1/spaces/{space}/invitations/{id}", methods{del: a.revokeInvitation})
	a.route(r, "/api/ruche/v1/space-invitations/{token}", methods{get: a.spaceOfInvitation})
	a.route(r, "/api/ruche/v1/spaces/{space}/follow", methods{post: a.followSpace, del: a.unfollowSpace})
	a.route(r, "/api/ruche/v1/spaces/{space}/posts", methods{get: a.spaceFeed, post: a.createPost})
	a.route(r, "/api/ruche/v1/spaces/{space}/pinned", methods{get: a.pinned})
	a.route(r, "/api/ruche/v1/accounts/{account}/posts", methods{get: a.profileFeed})
	a.route(r, "/api/ruche/v1/accounts/{account}/follow", methods{post: a.followAccount, del: a.unfollowAccount})
	a.route(r, "/api/ruche/v1/posts", methods{post: a.createPost})
	a.route(r, "/api/ruche/v1/posts/{id}", methods{get: a.getPost, patch: a.editPost, del: a.deletePost})
	a.route(r, "/api/ruche/v1/posts/{id}/comments", methods{get: a.comments, post: a.createComment})
	a.route(r, "/api/ruche/v1/posts/{id}/like", methods{put: a.like, del: a.unlike})
	a.route(r, "/api/ruche/v1/posts/{id}/votes", methods{post: a.vote})
	a.route(r, "/api/ruche/v1/posts/{id}/pin", methods{put: a.pin(true), del: a.pin(false)})
	a.route(r, "/api/ruche/v1/media", methods{post: a.upload})
	a.route(r, "/api/ruche/v1/media/{id}", methods{get: a.media})
	a.route(r, "/api/ruche/v1/feeds/home", methods{get: a.homeFeed})
	a.route(r, "/api/ruche/v1/feeds/public", methods{get: a.publicFeed})
	a.route(r, "/api/ruche/v1/feeds/articles", methods{get: a.articlesFeed})
	a.route(r, "/api/ruche/v1/search", methods{get: a.search})
	a.route(r, "/api/ruche/v1/notifications", methods{get: a.notifications})
	a.route(r, "/api/ruche/v1/notifications/read", methods{post: a.markRead})
}

// optionalViewer is the signed-in member, or nil for an anonymous reader.
func optionalViewer(r *http.Request) *spaces.Account {
	acct, _, _ := viewer(r)
	return acct
}

func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }

// spaceSettingsJSON is the body of space creation and edition; absent
// fields are left as they are (or take their default on creation).
type spaceSettingsJSON struct {
	Slug        string    `json:"slug"`
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Rules       *string   `json:"rules"`
	Languages   *[]string `json:"languages"`
	Themes      *[]string `json:"themes"`
	Visibility  *string   `json:"visibility"`
	JoinPolicy  *string   `json:"join_policy"`
	Posting     *string   `json:"posting"`
	// DocumentAdding: members or moderators.
	DocumentAdding *string   `json:"document_adding"`
	AvatarID       *string   `json:"avatar_id"`
	BannerID       *string   `json:"banner_id"`
	Tools          *[]string `json:"tools"` // the tools on; [] switches them all off
}

func (in spaceSettingsJSON) settings() spaces.SpaceSettings {
	s := spaces.SpaceSettings{Name: in.Name, Description: in.Description, Rules: in.Rules, Visibility: in.Visibility,
		JoinPolicy: in.JoinPolicy, Posting: in.Posting, DocumentAdding: in.DocumentAdding, AvatarID: in.AvatarID, BannerID: in.BannerID}
	if in.Languages != nil {
		s.Languages = append([]string{}, *in.Languages...)
	}
	if in.Themes != nil {
		s.Themes = append([]string{}, *in.Themes...)
	}
	if in.Tools != nil {
		s.Tools = append([]string{}, *in.Tools...) // never nil: nil would leave them as they are
	}
	return s
}

// createSpace: POST /api/ruche/v1/spaces → 201, the space.
func (a *API) createSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in spaceSettingsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	sp, err := a.spaces.CreateSpace(r.Context(), by, spaces.NewSpace{Slug: in.Slug, SpaceSettings: in.settings()})
	if err != nil {
		return err
	}
	return a.writeSpace(w, r, http.StatusCreated, by, sp)
}

// writeSpace writes a space with its member count and the viewer's membership.
func (a *API) writeSpace(w http.ResponseWriter, r *http.Request, status int, viewer *spaces.Account, sp *spaces.Space) error {
	j := spaceOf(sp)
	n, err := a.spaces.MemberCount(r.Context(), sp)
	if err != nil {
		return err
	}
	m, err := a.spaces.Membership(r.Context(), viewer, sp)
	if err != nil {
		return err
	}
	j.MemberCount, j.Membership = &n, membershipOf(m)
	writeJSON(w, status, j)
	return nil
}

// listSpaces: GET /api/ruche/v1/spaces?theme=&language=&joined=true&after=&limit= → the directory.
func (a *API) listSpaces(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := a.spaces.ListSpaces(r.Context(), optionalViewer(r), spaces.SpaceFilter{
		Theme: q.Get("theme"), Language: q.Get("language"), Joined: q.Get("joined") == "true", After: q.Get("after"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]*spaceJSON, len(list))
	for i, sp := range list {
		out[i] = spaceOf(sp)
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(s *spaceJSON) string { return s.Slug }))
	return nil
}

// getSpace: GET /api/ruche/v1/spaces/{space} → the space ({space} is slug or slug@host).
func (a *API) getSpace(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	sp, err := a.spaces.Space(r.Context(), v, pathVar(r, "space"))
	if err != nil {
		return err
	}
	return a.writeSpace(w, r, http.StatusOK, v, sp)
}

// updateSpace: PATCH /api/ruche/v1/spaces/{space} → the space.
func (a *API) updateSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in spaceSettingsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Slug != "" {
		return errRoute(http.StatusUnprocessableEntity, "slug_fixed", "a space keeps its slug")
	}
	sp, err := a.spaces.UpdateSpace(r.Context(), by, pathVar(r, "space"), in.settings())
	if err != nil {
		return err
	}
	return a.writeSpace(w, r, http.StatusOK, by, sp)
}

// deleteSpace: DELETE /api/ruche/v1/spaces/{space} → 204.
func (a *API) deleteSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.DeleteSpace(r.Context(), by, pathVar(r, "space")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// archiveSpace: PUT (archive) or DELETE (unarchive) /api/ruche/v1/spaces/{space}/archive → the space.
func (a *API) archiveSpace(archive bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		by, _, err := viewer(r)
		if err != nil {
			return err
		}
		sp, err := a.spaces.ArchiveSpace(r.Context(), by, pathVar(r, "space"), archive)
		if err != nil {
			return err
		}
		return a.writeSpace(w, r, http.StatusOK, by, sp)
	}
}

// joinSpace: POST /api/ruche/v1/spaces/{space}/membership {"invite"?} → the membership (active or pending).
func (a *API) joinSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Invite string `json:"invite"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	m, err := a.spaces.JoinSpace(r.Context(), by, pathVar(r, "space"), in.Invite, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membershipOf(m))
	return nil
}

// leaveSpace: DELETE /api/ruche/v1/spaces/{space}/membership → 204.
func (a *API) leaveSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.LeaveSpace(r.Context(), by, pathVar(r, "space")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// watchSpace: PATCH /api/ruche/v1/spaces/{space}/membership {"watch"} → the membership.
func (a *API) watchSpace(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Watch bool `json:"watch"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := a.spaces.WatchSpace(r.Context(), by, pathVar(r, "space"), in.Watch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membershipOf(m))
	return nil
}

// listMembers: GET /api/ruche/v1/spaces/{space}/members?state=active|pending|banned&after=&limit=.
func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := a.spaces.SpaceMembers(r.Context(), optionalViewer(r), pathVar(r, "space"),
		spaces.MemberPage{State: q.Get("state"), After: q.Get("after"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]*membershipJSON, len(list))
	for i, m := range list {
		out[i] = membershipOf(m)
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(m *membershipJSON) string { return m.ID }))
	return nil
}

// setRole: PATCH /api/ruche/v1/spaces/{space}/members/{account} {"role"} → the membership.
func (a *API) setRole(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := a.spaces.SetMemberRole(r.Context(), by, pathVar(r, "space"), pathVar(r, "account"), in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membershipOf(m))
	return nil
}

// removeMember: DELETE /api/ruche/v1/spaces/{space}/members/{account} → 204.
func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.RemoveMember(r.Context(), by, pathVar(r, "space"), pathVar(r, "account")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// answerRequest: POST /api/ruche/v1/spaces/{space}/requests/{account} {"accept"} → the membership.
func (a *API) answerRequest(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Accept *bool `json:"accept"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Accept == nil {
		return errRoute(http.StatusUnprocessableEntity, "accept_required", "say accept: true or false")
	}
	m, err := a.spaces.AnswerJoinRequest(r.Context(), by, pathVar(r, "space"), pathVar(r, "account"), *in.Accept)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membershipOf(m))
	return nil
}

// ban: PUT /api/ruche/v1/spaces/{space}/bans/{account} → the (banned) membership.
func (a *API) ban(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	m, err := a.spaces.BanMember(r.Context(), by, pathVar(r, "space"), pathVar(r, "account"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membershipOf(m))
	return nil
}

// unban: DELETE /api/ruche/v1/spaces/{space}/bans/{account} → 204.
func (a *API) unban(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.UnbanMember(r.Context(), by, pathVar(r, "space"), pathVar(r, "account")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type spaceInvitationJSON struct {
	ID        string             `json:"id"`
	Handle    string             `json:"handle,omitempty"`
	Account   *publicAccountJSON `json:"account,omitempty"`
	Link      bool               `json:"link"`
	Token     string             `json:"token,omitempty"` // links, once, at creation
	MaxUses   int                `json:"max_uses"`
	Uses      int                `json:"uses"`
	ExpiresAt time.Time          `json:"expires_at"`
	Revoked   bool               `json:"revoked"`
	CreatedBy *publicAccountJSON `json:"created_by,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
}

func invitationOf(inv *spaces.SpaceInvitation, token string) spaceInvitationJSON {
	return spaceInvitationJSON{ID: inv.ID, Handle: inv.Handle, Account: accountOf(inv.Account), Link: inv.TokenHash != "",
		Token: token, MaxUses: inv.MaxUses, Uses: inv.Uses, ExpiresAt: inv.ExpiresAt, Revoked: !inv.RevokedAt.IsZero(),
		CreatedBy: accountOf(inv.CreatedBy), CreatedAt: inv.CreatedAt}
}

// invite: POST /api/ruche/v1/spaces/{space}/invitations {"handle"} or {"link": true,
// "max_uses", "ttl_hours"} → 201, the invitation (a link's token shown once).
func (a *API) invite(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	in := struct {
		Handle   string `json:"handle"`
		Link     bool   `json:"link"`
		MaxUses  *int   `json:"max_uses"`
		TTLHours int    `json:"ttl_hours"`
	}{}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	req := spaces.SpaceInvite{Handle: in.Handle, Link: in.Link, MaxUses: 1, TTL: time.Duration(in.TTLHours) * time.Hour}
	if in.MaxUses != nil {
		req.MaxUses = *in.MaxUses
	}
	inv, token, err := a.spaces.InviteToSpace(r.Context(), by, pathVar(r, "space"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, invitationOf(inv, token))
	return nil
}

// listInvitations: GET /api/ruche/v1/spaces/{space}/invitations → the space's invitations.
func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	list, err := a.spaces.SpaceInvitations(r.Context(), by, pathVar(r, "space"))
	if err != nil {
		return err
	}
	out := make([]spaceInvitationJSON, len(list))
	for i, inv := range list {
		out[i] = invitationOf(inv, "")
	}
	writeJSON(w, http.StatusOK, page[spaceInvitationJSON]{Items: out})
	return nil
}

// revokeInvitation: DELETE /api/ruche/v1/spaces/{space}/invitations/{id} → 204.
func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.RevokeSpaceInvitation(r.Context(), by, pathVar(r, "space"), pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// spaceOfInvitation: GET /api/ruche/v1/space-invitations/{token} → the space it opens.
func (a *API) spaceOfInvitation(w http.ResponseWriter, r *http.Request) error {
	sp, err := a.spaces.SpaceOfInvitation(r.Context(), pathVar(r, "token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, spaceOf(sp))
	return nil
}

type followJSON struct {
	ID     string             `json:"id"`
	State  string             `json:"state"`
	Target *publicAccountJSON `json:"target"`
}

// followSpace: POST /api/ruche/v1/spaces/{space}/follow → the follow (public spaces, without joining).
func (a *API) followSpace(w http.ResponseWriter, r *http.Request) error {
	return a.follow(w, r, pathVar(r, "space"), true)
}

// unfollowSpace: DELETE /api/ruche/v1/spaces/{space}/follow → 204.
func (a *API) unfollowSpace(w http.ResponseWriter, r *http.Request) error {
	return a.unfollow(w, r, pathVar(r, "space"))
}

// followAccount: POST /api/ruche/v1/accounts/{account}/follow → the follow.
func (a *API) followAccount(w http.ResponseWriter, r *http.Request) error {
	return a.follow(w, r, pathVar(r, "account"), false)
}

// unfollowAccount: DELETE /api/ruche/v1/accounts/{account}/follow → 204.
func (a *API) unfollowAccount(w http.ResponseWriter, r *http.Request) error {
	return a.unfollow(w, r, pathVar(r, "account"))
}

func (a *API) follow(w http.ResponseWriter, r *http.Request, handle string, space bool) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	target, err := a.spaces.Account(r.Context(), by, handle, space)
	if err != nil {
		return err
	}
	f, err := a.spaces.FollowAccount(r.Context(), by, target, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, followJSON{ID: f.ID, State: f.State, Target: accountOf(target)})
	return nil
}

func (a *API) unfollow(w http.ResponseWriter, r *http.Request, handle string) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	target, err := a.spaces.Account(r.Context(), by, handle, false)
	if err != nil {
		return err
	}
	if err := a.spaces.Unfollow(r.Context(), by, target); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
