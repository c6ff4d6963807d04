package mastodon

import (
	"context"
	"io"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// Notification is Mastodon's notification.
type Notification struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	CreatedAt string   `json:"created_at"`
	Account   *Account `json:"account"`
	Status    *Status  `json:"status,omitempty"`
	GroupKey  string   `json:"group_key"`
}

// notificationTypes maps Ruche's kinds of notifications to Mastodon's. The
// others (join requests, invitations, event reminders, FAQ answers) have no
// Mastodon type and show on the web only: apps drop types they do not know,
// or worse, so none is sent.
var notificationTypes = map[string]string{
	spaces.NotifyMention:    "mention",
	spaces.NotifyReply:      "mention",
	spaces.NotifyLike:       "favourite",
	spaces.NotifyNewPost:    "status",
	spaces.NotifyPollEnded:  "poll",
	spaces.NotifyWikiEdited: "update",
}

func (m *API) mountNotifications(r *mux.Router) {
	m.route(r, http.MethodGet, "/api/v1/notifications", scope("read:notifications"), m.notificationsList)
	m.route(r, http.MethodGet, "/api/v1/notifications/{id}", scope("read:notifications"), m.getNotification)
	m.route(r, http.MethodPost, "/api/v1/notifications/clear", scope("write:notifications"), m.clearNotifications)
	m.route(r, http.MethodPost, "/api/v1/notifications/{id}/dismiss", scope("write:notifications"), m.dismissNotification)
	m.route(r, http.MethodGet, "/api/v1/markers", scope("read:statuses"), m.markers)
	m.route(r, http.MethodPost, "/api/v1/markers", scope("write:statuses"), m.setMarkers)
	m.route(r, http.MethodPost, "/api/v2/media", scope("write:media"), m.upload)
	m.route(r, http.MethodPost, "/api/v1/media", scope("write:media"), m.upload)
	m.route(r, http.MethodGet, "/api/v1/media/{id}", scope("write:media"), m.getMedia)
	m.route(r, http.MethodPut, "/api/v1/media/{id}", scope("write:media"), m.describeMedia)
	m.route(r, http.MethodGet, "/api/v2/search", public, m.search)
}

// notifications maps notifications for the member, dropping those of kinds
// Mastodon has no type for and those whose post they may no longer see. A
// post several notifications share is read once, and the statuses are
// mapped together.
func (m *API) notifications(ctx context.Context, who *spaces.Account, ns []*spaces.Notification) ([]*Notification, error) {
	var out, withPost []*Notification
	var posts []*spaces.Post
	read := map[string]*spaces.Post{} // nil: gone, or not the member's to see
	for _, n := range ns {
		typ, ok := notificationTypes[n.Kind]
		if !ok || n.Actor == nil {
			continue
		}
		item := &Notification{ID: n.ID, Type: typ, CreatedAt: timeJSON(n.CreatedAt), Account: m.account(n.Actor), GroupKey: "ungrouped-" + n.ID}
		if n.PostID != "" {
			p, known := read[n.PostID]
			if !known {
				var err error
				p, err = m.spaces.GetPost(ctx, who, n.PostID)
				if k := spaces.KindOf(err); k == spaces.KindNotFound || k == spaces.KindGone {
					p, err = nil, nil
				}
				if err != nil {
					return nil, err
				}
				read[n.PostID] = p
			}
			if p == nil {
				continue
			}
			posts, withPost = append(posts, p), append(withPost, item)
		}
		out = append(out, item)
	}
	statuses, err := m.statuses(ctx, who, posts)
	if err != nil {
		return nil, err
	}
	for i, item := range withPost {
		item.Status = statuses[i]
	}
	return out, nil
}

// notificationsList: GET /api/v1/notifications (max_id, since_id, limit,
// types[], exclude_types[]).
func (m *API) notificationsList(w http.ResponseWriter, r *http.Request) error {
	p, pg, err := readPage(w, r)
	if err != nil {
		return err
	}
	ns, err := m.spaces.Notifications(r.Context(), viewer(r), spaces.NotificationPage{Before: pg.Before, Limit: pg.Limit})
	if err != nil {
		return err
	}
	out, err := m.notifications(r.Context(), viewer(r), ns)
	if err != nil {
		return err
	}
	types, excluded := p.list("types"), p.list("exclude_types")
	kept := []*Notification{}
	var ids []string
	for _, n := range out {
		if pg.Since != "" && n.ID <= pg.Since {
			continue
		}
		if (len(types) > 0 && !slices.Contains(types, n.Type)) || slices.Contains(excluded, n.Type) {
			continue
		}
		kept = append(kept, n)
	}
	for _, n := range ns {
		ids = append(ids, n.ID) // the cursors follow the pages read, kept or not
	}
	setLink(w, r, m.origin, ids)
	writeJSON(w, kept)
	return nil
}

func (m *API) getNotification(w http.ResponseWriter, r *http.Request) error {
	ns, err := m.spaces.Notifications(r.Context(), viewer(r), spaces.NotificationPage{Limit: 100})
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.ID == mux.Vars(r)["id"] {
			out, err := m.notifications(r.Context(), viewer(r), []*spaces.Notification{n})
			if err != nil {
				return err
			}
			if len(out) == 1 {
				writeJSON(w, out[0])
				return nil
			}
		}
	}
	return errStatus(http.StatusNotFound, "Record not found")
}

// clearNotifications marks every notification read: Ruche keeps them (the
// web shows them), but they leave the apps' unread count.
func (m *API) clearNotifications(w http.ResponseWriter, r *http.Request) error {
	if _, err := m.spaces.MarkNotificationsRead(r.Context(), viewer(r), nil, ""); err != nil {
		return err
	}
	writeJSON(w, map[string]any{})
	return nil
}

func (m *API) dismissNotification(w http.ResponseWriter, r *http.Request) error {
	if _, err := m.spaces.MarkNotificationsRead(r.Context(), viewer(r), []string{mux.Vars(r)["id"]}, ""); err != nil {
		return err
	}
	writeJSON(w, map[string]any{})
	return nil
}

// markers: GET /api/v1/markers → the last notification read; the home
// timeline's position is not kept.
func (m *API) markers(w http.ResponseWriter, r *http.Request) error {
	out := map[string]any{}
	ns, err := m.spaces.Notifications(r.Context(), viewer(r), spaces.NotificationPage{Limit: 1})
	if err != nil {
		return err
	}
	if len(ns) > 0 && !ns[0].ReadAt.IsZero() {
		out["notifications"] = map[string]any{"last_read_id": ns[0].ID, "version": 1, "updated_at": timeJSON(ns[0].ReadAt)}
	}
	writeJSON(w, out)
	return nil
}

// setMarkers: POST /api/v1/markers {notifications[last_read_id]} marks the
// notifications up to that one read.
func (m *API) setMarkers(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	if id := p.get("notifications[last_read_id]"); id != "" {
		if _, err := m.spaces.MarkNotificationsRead(r.Context(), viewer(r), nil, id); err != nil {
			return err
		}
	}
	return m.markers(w, r)
}

// upload: POST /api/v2/media (file, description) → the attachment. Files
// are stored as they come (no transcoding), so the answer is final: 200.
func (m *API) upload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return errStatus(http.StatusUnprocessableEntity, "Validation failed: File is missing")
	}
	defer f.Close()
	media, err := m.spaces.UploadMedia(r.Context(), viewer(r), io.Reader(f), hdr.Filename, r.FormValue("description"))
	if err != nil {
		return err
	}
	return m.writeAttachment(w, r, media)
}

func (m *API) writeAttachment(w http.ResponseWriter, r *http.Request, media *spaces.Media) error {
	key, err := m.spaces.MediaKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, m.attachment(media, key))
	return nil
}

// getMedia: GET /api/v1/media/:id → the attachment (ready at once).
func (m *API) getMedia(w http.ResponseWriter, r *http.Request) error {
	media, err := m.spaces.OwnMedia(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return m.writeAttachment(w, r, media)
}

// describeMedia: PUT /api/v1/media/:id {description}.
func (m *API) describeMedia(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	media, err := m.spaces.DescribeMedia(r.Context(), viewer(r), mux.Vars(r)["id"], p.get("description"))
	if err != nil {
		return err
	}
	return m.writeAttachment(w, r, media)
}

// search: GET /api/v2/search?q&type&resolve → accounts (and spaces, as
// group accounts), statuses, hashtags.
func (m *API) search(w http.ResponseWriter, r *http.Request) error {
	p, pg, err := readPage(w, r)
	if err != nil {
		return err
	}
	kind := map[string]string{"accounts": spaces.SearchAccounts, "statuses": spaces.SearchPosts, "hashtags": "-"}[p.get("type")]
	out := map[string]any{"accounts": []*Account{}, "statuses": []*Status{}, "hashtags": []*Tag{}}
	q := p.get("q")
	if tag, ok := cutHash(q); ok && (kind == "" || kind == "-") {
		out["hashtags"] = []*Tag{{Name: tag, URL: m.origin + "/tags/" + tag, History: []any{}}}
	}
	if kind == "-" {
		writeJSON(w, out)
		return nil
	}
	// resolve: a handle of another server is looked up (WebFinger) for
	// members whatever resolve says; the domain never does so for visitors.
	res, err := m.spaces.Search(r.Context(), viewer(r), q, kind, pg)
	if err != nil {
		return err
	}
	var accounts []*Account
	for _, a := range res.Accounts {
		accounts = append(accounts, m.account(a))
	}
	for _, sp := range res.Spaces {
		accounts = append(accounts, m.account(sp.Account))
	}
	if accounts != nil {
		out["accounts"] = accounts
	}
	sts, err := m.statuses(r.Context(), viewer(r), res.Posts)
	if err != nil {
		return err
	}
	out["statuses"] = sts
	writeJSON(w, out)
	return nil
}

func cutHash(q string) (string, bool) {
	if len(q) > 1 && q[0] == '#' {
		return q[1:], true
	}
	return "", false
}
