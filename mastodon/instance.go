package mastodon

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

func (m *API) mountInstance(r *mux.Router) {
	m.route(r, http.MethodGet, "/api/v1/instance", public, m.instanceV1)
	m.route(r, http.MethodGet, "/api/v2/instance", public, m.instanceV2)
	m.route(r, http.MethodGet, "/api/v1/custom_emojis", public, m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/preferences", scope("read:accounts"), m.preferences)
	m.route(r, http.MethodGet, "/api/v1/filters", scope("read:filters"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v2/filters", scope("read:filters"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/announcements", public, m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/bookmarks", scope("read:bookmarks"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/blocks", scope("read:blocks"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/mutes", scope("read:mutes"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/conversations", scope("read:statuses"), m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/trends/tags", public, m.emptyList)
	m.route(r, http.MethodGet, "/api/v1/trends/statuses", public, m.emptyList)
}

// emptyList answers the lists of features Ruche does not have (custom
// emojis, filters, bookmarks, blocks, mutes, direct conversations, trends,
// who boosted a post): apps ask for them and expect a list.
func (m *API) emptyList(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, []any{})
	return nil
}

// configuration is what apps read to know the node's limits: the domain's
// own.
func (m *API) configuration() map[string]any {
	types := spaces.UploadTypes()
	slices.Sort(types)
	upload := m.spaces.Options().MaxUpload
	return map[string]any{
		"urls":     map[string]any{"streaming": m.wsOrigin()},
		"accounts": map[string]any{"max_featured_tags": 0, "max_pinned_statuses": 10},
		"statuses": map[string]any{"max_characters": spaces.MaxNoteRunes, "max_media_attachments": spaces.MaxAttachments, "characters_reserved_per_url": 23},
		"media_attachments": map[string]any{
			"supported_mime_types": types, "image_size_limit": upload, "video_size_limit": upload,
			"image_matrix_limit": 16777216, "video_frame_rate_limit": 60, "video_matrix_limit": 2304000,
		},
		"polls": map[string]any{
			"max_options": spaces.MaxPollOptions, "max_characters_per_option": spaces.MaxPollOptionLength,
			"min_expiration": int(spaces.MinPollDuration.Seconds()), "max_expiration": int(spaces.MaxPollDuration.Seconds()),
		},
		"translation": map[string]any{"enabled": false},
		"vapid":       map[string]any{"public_key": ""},
	}
}

// wsOrigin is the streaming API's origin: the node's, in ws(s).
func (m *API) wsOrigin() string {
	if rest, ok := strings.CutPrefix(m.origin, "https://"); ok {
		return "wss://" + rest
	}
	rest, _ := strings.CutPrefix(m.origin, "http://")
	return "ws://" + rest
}

func (m *API) settings(r *http.Request) (spaces.NodeSettings, error) {
	return m.spaces.NodeSettings(r.Context())
}

// instanceV1: GET /api/v1/instance. The version says which Mastodon API the
// node speaks, and that it is Ruche, as other servers do.
func (m *API) instanceV1(w http.ResponseWriter, r *http.Request) error {
	ns, err := m.settings(r)
	if err != nil {
		return err
	}
	writeJSON(w, map[string]any{
		"uri": m.domain, "title": ns.Name, "short_description": ns.Description, "description": ns.Description,
		"email": "", "version": "4.3.0 (compatible; Ruche " + m.version + ")",
		"urls":      map[string]any{"streaming_api": m.wsOrigin()},
		"thumbnail": m.defaultAvatar, "languages": []string{ns.DefaultLocale},
		"registrations": ns.Registrations == spaces.RegistrationsOpen, "approval_required": false, "invites_enabled": ns.Registrations == spaces.RegistrationsInvite,
		"configuration": m.configuration(), "contact_account": nil, "rules": []any{},
	})
	return nil
}

// instanceV2: GET /api/v2/instance.
func (m *API) instanceV2(w http.ResponseWriter, r *http.Request) error {
	ns, err := m.settings(r)
	if err != nil {
		return err
	}
	writeJSON(w, map[string]any{
		"domain": m.domain, "title": ns.Name, "version": "4.3.0 (compatible; Ruche " + m.version + ")",
		"source_url": "https://github.com/ruche-social/ruche", "description": ns.Description,
		"thumbnail": map[string]any{"url": m.defaultAvatar},
		"languages": []string{"fr", "en", "de"}, "configuration": m.configuration(),
		"registrations": map[string]any{"enabled": ns.Registrations == spaces.RegistrationsOpen, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "", "account": nil},
		"rules":         []any{},
		"api_versions":  map[string]any{"mastodon": 2},
	})
	return nil
}

// preferences: GET /api/v1/preferences.
func (m *API) preferences(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, map[string]any{
		"posting:default:visibility": "public", "posting:default:sensitive": false,
		"posting:default:language": viewer(r).User.Locale, "reading:expand:media": "default", "reading:expand:spoilers": false,
	})
	return nil
}
