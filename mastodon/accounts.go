package mastodon

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

func (m *API) mountAccounts(r *mux.Router) {
	m.route(r, http.MethodGet, "/api/v1/accounts/verify_credentials", scope("read:accounts", "profile"), m.verifyCredentials)
	m.route(r, http.MethodPatch, "/api/v1/accounts/update_credentials", scope("write:accounts"), m.updateCredentials)
	m.route(r, http.MethodGet, "/api/v1/accounts/relationships", scope("read:follows"), m.relationships)
	m.route(r, http.MethodGet, "/api/v1/accounts/lookup", public, m.lookup)
	m.route(r, http.MethodGet, "/api/v1/accounts/search", scope("read:accounts"), m.searchAccounts)
	m.route(r, http.MethodGet, "/api/v1/accounts/{id}", public, m.getAccount)
	m.route(r, http.MethodGet, "/api/v1/accounts/{id}/statuses", public, m.accountStatuses)
	m.route(r, http.MethodGet, "/api/v1/accounts/{id}/followers", public, m.followers)
	m.route(r, http.MethodGet, "/api/v1/accounts/{id}/following", public, m.following)
	m.route(r, http.MethodPost, "/api/v1/accounts/{id}/follow", scope("write:follows"), m.follow)
	m.route(r, http.MethodPost, "/api/v1/accounts/{id}/unfollow", scope("write:follows"), m.unfollow)
	m.route(r, http.MethodGet, "/api/v1/follow_requests", scope("read:follows"), m.followRequests)
	m.route(r, http.MethodPost, "/api/v1/follow_requests/{id}/authorize", scope("write:follows"), m.answerFollowRequest(true))
	m.route(r, http.MethodPost, "/api/v1/follow_requests/{id}/reject", scope("write:follows"), m.answerFollowRequest(false))
}

// verifyCredentials: GET /api/v1/accounts/verify_credentials → the member,
// with their own settings.
func (m *API) verifyCredentials(w http.ResponseWriter, r *http.Request) error {
	return m.writeSelf(w, r, viewer(r))
}

func (m *API) writeSelf(w http.ResponseWriter, r *http.Request, a *spaces.Account) error {
	out, err := m.accountFull(r.Context(), viewer(r), a)
	if err != nil {
		return err
	}
	out.Source = &Source{Privacy: "public", Language: a.User.Locale, Note: a.Bio, Fields: []any{}}
	role := "member"
	if a.User.Role != spaces.RoleMember {
		role = a.User.Role
	}
	out.Role = &AppRole{ID: role, Name: role, Permissions: "0"}
	writeJSON(w, out)
	return nil
}

// updateCredentials: PATCH /api/v1/accounts/update_credentials
// (display_name, note, locked, source[language], avatar as a file).
func (m *API) updateCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := readParamsLimit(w, r, maxAvatarBody)
	if err != nil {
		return err
	}
	var in spaces.ProfileUpdate
	if r.MultipartForm != nil && len(r.MultipartForm.File["avatar"]) > 0 {
		fh := r.MultipartForm.File["avatar"][0]
		f, err := fh.Open()
		if err != nil {
			return errStatus(http.StatusBadRequest, "The avatar could not be read")
		}
		defer f.Close()
		media, err := m.spaces.UploadMedia(r.Context(), viewer(r), f, fh.Filename, "")
		if err != nil {
			return err
		}
		in.AvatarID = &media.ID
	}
	opt := func(key string) *string {
		if !p.has(key) {
			return nil
		}
		v := p.get(key)
		return &v
	}
	in.DisplayName, in.Bio, in.Locale = opt("display_name"), opt("note"), opt("source[language]")
	if p.has("locked") {
		locked := p.bool("locked")
		in.Locked = &locked
	}
	updated, err := m.spaces.UpdateProfile(r.Context(), viewer(r), in)
	if err != nil {
		return err
	}
	return m.writeSelf(w, r, updated)
}

// lookup: GET /api/v1/accounts/lookup?acct=user[@host].
func (m *API) lookup(w http.ResponseWriter, r *http.Request) error {
	a, err := m.spaces.Account(r.Context(), viewer(r), r.URL.Query().Get("acct"), false)
	if err != nil {
		return err
	}
	return m.writeAccount(w, r, a)
}

// searchAccounts: GET /api/v1/accounts/search?q → accounts and spaces, for
// the apps' completion of mentions.
func (m *API) searchAccounts(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	limit, err := limitOf(p)
	if err != nil {
		return err
	}
	res, err := m.spaces.Search(r.Context(), viewer(r), p.get("q"), spaces.SearchAccounts, spaces.Page{Limit: limit})
	if err != nil {
		return err
	}
	out := []*Account{}
	for _, a := range res.Accounts {
		out = append(out, m.account(a))
	}
	writeJSON(w, out)
	return nil
}

func (m *API) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := m.spaces.AccountByID(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return m.writeAccount(w, r, a)
}

func (m *API) writeAccount(w http.ResponseWriter, r *http.Request, a *spaces.Account) error {
	out, err := m.accountFull(r.Context(), viewer(r), a)
	if err != nil {
		return err
	}
	writeJSON(w, out)
	return nil
}

// accountStatuses: GET /api/v1/accounts/:id/statuses → a member's profile
// posts, or a space's feed; pinned=true their pinned posts.
func (m *API) accountStatuses(w http.ResponseWriter, r *http.Request) error {
	ctx, who := r.Context(), viewer(r)
	a, err := m.spaces.AccountByID(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	handle, space := acct(a), a.Type == spaces.TypeGroup
	if params(r.URL.Query()).bool("pinned") {
		pinned := m.spaces.ProfilePinnedPosts
		if space {
			pinned = m.spaces.PinnedPosts
		}
		posts, err := pinned(ctx, who, handle)
		if err != nil {
			return err
		}
		return m.writeStatuses(w, r, posts)
	}
	feed := m.spaces.ProfileFeed
	if space {
		feed = m.spaces.SpaceFeed
	}
	return m.timeline(w, r, func(pg spaces.Page) ([]*spaces.Post, error) { return feed(ctx, who, handle, pg) })
}

func (m *API) followers(w http.ResponseWriter, r *http.Request) error {
	return m.follows(w, r, true)
}

func (m *API) following(w http.ResponseWriter, r *http.Request) error {
	return m.follows(w, r, false)
}

// follows lists an account's followers or the accounts it follows.
func (m *API) follows(w http.ResponseWriter, r *http.Request, followers bool) error {
	ctx, who := r.Context(), viewer(r)
	a, err := m.spaces.AccountByID(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	limit, err := limitOf(p)
	if err != nil {
		return err
	}
	fp := spaces.FollowPage{State: spaces.FollowStateAccepted, Before: p.get("max_id"), Limit: limit}
	var list []*spaces.Follow
	if followers {
		list, err = m.spaces.Followers(ctx, who, a, fp)
	} else {
		list, err = m.spaces.Following(ctx, a, fp)
	}
	if err != nil {
		return err
	}
	out := make([]*Account, len(list))
	ids := make([]string, len(list))
	for i, f := range list {
		other := f.Target
		if followers {
			other = f.Follower
		}
		out[i], ids[i] = m.account(other), f.ID
	}
	setLink(w, r, m.origin, ids)
	writeJSON(w, out)
	return nil
}

// Relationship is how the member stands with another account.
type Relationship struct {
	ID                  string `json:"id"`
	Following           bool   `json:"following"`
	ShowingReblogs      bool   `json:"showing_reblogs"`
	Notifying           bool   `json:"notifying"`
	FollowedBy          bool   `json:"followed_by"`
	Blocking            bool   `json:"blocking"`
	BlockedBy           bool   `json:"blocked_by"`
	Muting              bool   `json:"muting"`
	MutingNotifications bool   `json:"muting_notifications"`
	Requested           bool   `json:"requested"`
	RequestedBy         bool   `json:"requested_by"`
	DomainBlocking      bool   `json:"domain_blocking"`
	Endorsed            bool   `json:"endorsed"`
	Note                string `json:"note"`
	Languages           []any  `json:"languages"`
}

// relationship tells how by stands with a: for a space, "following" is
// being its member (or following it), "requested" a pending request.
func (m *API) relationship(r *http.Request, by, a *spaces.Account) (*Relationship, error) {
	ctx := r.Context()
	out := &Relationship{ID: a.ID, ShowingReblogs: true, Languages: []any{}}
	if a.Type == spaces.TypeGroup {
		ms, err := m.spaces.MembershipsAmong(ctx, by, []*spaces.Space{{AccountID: a.ID}})
		if err != nil {
			return nil, err
		}
		if mb := ms[a.ID]; mb != nil {
			out.Following = mb.State == spaces.StateActive
			out.Requested = mb.State == spaces.StatePending
		}
	}
	f, err := m.spaces.FollowOf(ctx, by, a)
	if err != nil {
		return nil, err
	}
	if f != nil {
		out.Following = out.Following || f.State == spaces.FollowStateAccepted
		out.Requested = out.Requested || f.State == spaces.FollowStatePending
	}
	back, err := m.spaces.FollowOf(ctx, a, by)
	if err != nil {
		return nil, err
	}
	if back != nil {
		out.FollowedBy = back.State == spaces.FollowStateAccepted
		out.RequestedBy = back.State == spaces.FollowStatePending
	}
	return out, nil
}

// relationships: GET /api/v1/accounts/relationships?id[]=….
func (m *API) relationships(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	out := []*Relationship{}
	for _, id := range p.list("id") {
		a, err := m.spaces.AccountByID(r.Context(), viewer(r), id)
		if spaces.KindOf(err) == spaces.KindNotFound {
			continue
		}
		if err != nil {
			return err
		}
		rel, err := m.relationship(r, viewer(r), a)
		if err != nil {
			return err
		}
		out = append(out, rel)
	}
	writeJSON(w, out)
	return nil
}

// follow: POST /api/v1/accounts/:id/follow. Following a space joins it
// where its policy lets the member in (or asks to, where moderators
// approve); a space that takes no one follows it instead.
func (m *API) follow(w http.ResponseWriter, r *http.Request) error {
	ctx, who := r.Context(), viewer(r)
	a, err := m.spaces.AccountByID(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if a.Type == spaces.TypeGroup {
		_, err = m.spaces.JoinSpace(ctx, who, acct(a), "", "")
		if spaces.CodeOf(err) == "invitation_required" {
			_, err = m.spaces.FollowAccount(ctx, who, a, "")
		}
	} else {
		_, err = m.spaces.FollowAccount(ctx, who, a, "")
	}
	if err != nil && spaces.KindOf(err) != spaces.KindConflict {
		return err
	}
	return m.writeRelationship(w, r, a)
}

// unfollow: POST /api/v1/accounts/:id/unfollow; for a space, leaving it.
func (m *API) unfollow(w http.ResponseWriter, r *http.Request) error {
	ctx, who := r.Context(), viewer(r)
	a, err := m.spaces.AccountByID(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if a.Type == spaces.TypeGroup {
		if err := m.spaces.LeaveSpace(ctx, who, acct(a)); err != nil && spaces.KindOf(err) != spaces.KindNotFound && spaces.CodeOf(err) != "not_member" {
			return err
		}
	}
	if err := m.spaces.Unfollow(ctx, who, a); err != nil && spaces.KindOf(err) != spaces.KindNotFound {
		return err
	}
	return m.writeRelationship(w, r, a)
}

func (m *API) writeRelationship(w http.ResponseWriter, r *http.Request, a *spaces.Account) error {
	rel, err := m.relationship(r, viewer(r), a)
	if err != nil {
		return err
	}
	writeJSON(w, rel)
	return nil
}

// followRequests: GET /api/v1/follow_requests → who asks to follow the
// (locked) member.
func (m *API) followRequests(w http.ResponseWriter, r *http.Request) error {
	who := viewer(r)
	list, err := m.spaces.Followers(r.Context(), who, who, spaces.FollowPage{State: spaces.FollowStatePending, Limit: maxLimit * 2})
	if err != nil {
		return err
	}
	out := make([]*Account, len(list))
	for i, f := range list {
		out[i] = m.account(f.Follower)
	}
	writeJSON(w, out)
	return nil
}

func (m *API) answerFollowRequest(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, who := r.Context(), viewer(r)
		a, err := m.spaces.AccountByID(ctx, who, mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		if accept {
			_, err = m.spaces.AcceptFollow(ctx, who, a)
		} else {
			_, err = m.spaces.RejectFollow(ctx, who, a)
		}
		if err != nil {
			return err
		}
		return m.writeRelationship(w, r, a)
	}
}
