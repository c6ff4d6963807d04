package federation

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/internal/buildinfo"
	"github.com/ruche-social/ruche/spaces"
)

// webfinger answers /.well-known/webfinger?resource=acct:name@host (or the
// actor's IRI, or its profile page): Mastodon's way to find an actor. Names
// are case-insensitive; the subject is the canonical acct: URI.
func (f *Federation) webfinger(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		http.Error(w, "resource is required", http.StatusBadRequest)
		return
	}
	name, ok := f.resourceName(resource)
	if !ok {
		http.Error(w, "no such resource on this node", http.StatusNotFound)
		return
	}
	a, err := f.spaces.LocalAccount(r.Context(), name)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	if a.Status != spaces.StatusActive {
		http.Error(w, "this account is gone", http.StatusGone)
		return
	}
	if a.Type == spaces.TypeGroup && f.hiddenSpace(r.Context(), a) {
		// a members-only space is not even named to whoever asks: its
		// members' servers learn its id from its invitations and answers
		http.Error(w, "no such account", http.StatusNotFound)
		return
	}
	actor := f.ActorIRI(a)
	doc := map[string]any{
		"subject": "acct:" + a.Username + "@" + f.host,
		"aliases": slices.Compact([]string{actor, f.profileURL(a)}), // a space's page is its id
		"links": []map[string]any{
			{"rel": "self", "type": "application/activity+json", "href": actor},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f.profileURL(a)},
		},
	}
	writeJSON(w, http.StatusOK, "application/jrd+json; charset=utf-8", doc)
}

// hiddenSpace tells whether a local space is members-only (or unknown).
func (f *Federation) hiddenSpace(ctx context.Context, g *spaces.Account) bool {
	sp, err := f.rows.SpaceByAccountID(ctx, g.ID)
	return err != nil || sp.Visibility == spaces.VisibilityMembers
}

// resourceName returns the local name a WebFinger resource stands for.
func (f *Federation) resourceName(resource string) (string, bool) {
	if acct, ok := strings.CutPrefix(resource, "acct:"); ok {
		acct = strings.TrimPrefix(acct, "@")
		name, host, ok := strings.Cut(acct, "@")
		if !ok || !strings.EqualFold(host, f.host) {
			return "", false
		}
		return localName(name)
	}
	if rest, ok := strings.CutPrefix(resource, f.origin+"/@"); ok {
		return localName(rest)
	}
	kind, name := f.localUsernameOf(resource)
	if kind == "users" || kind == "spaces" || kind == "actor" {
		return localName(name)
	}
	return "", false
}

// localName lowercases a name read from a resource, keeping it only if it
// is a handle's name: "a/b", "a b" or "a@b" (an unescaped path segment can
// be any of these) names no account, and is not worth a query.
func localName(name string) (string, bool) {
	if u, domain, ok := spaces.ParseHandle(name); !ok || domain != "" || u != name {
		return "", false
	}
	return strings.ToLower(name), true
}

func (f *Federation) lookupError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, spaces.ErrNotFound) {
		http.Error(w, "no such account", http.StatusNotFound)
		return
	}
	f.serverError(w, r, "lookup", err)
}

type xrdLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Template string `xml:"template,attr"`
}

type xrd struct {
	XMLName xml.Name  `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
	Links   []xrdLink `xml:"Link"`
}

// hostMeta answers /.well-known/host-meta, in XRD (the default) or JSON
// (/.well-known/host-meta.json, or Accept: application/json): where the
// WebFinger endpoint is.
func (f *Federation) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Vary", "Accept")
	template := f.origin + "/.well-known/webfinger?resource={uri}"
	if strings.HasSuffix(r.URL.Path, ".json") || strings.Contains(r.Header.Get("Accept"), "json") {
		writeJSON(w, http.StatusOK, "application/json; charset=utf-8", map[string]any{
			"links": []map[string]any{{"rel": "lrdd", "type": "application/jrd+json", "template": template}},
		})
		return
	}
	out, _ := xml.MarshalIndent(xrd{Links: []xrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: template}}}, "", "  ")
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
	w.Write([]byte("\n"))
}

const nodeInfoSchema = "http://nodeinfo.diaspora.software/ns/schema/2.1"

// nodeInfoLinks answers /.well-known/nodeinfo.
func (f *Federation) nodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []map[string]any{{"rel": nodeInfoSchema, "href": f.origin + "/nodeinfo/2.1"}},
	})
}

// nodeInfo answers /nodeinfo/2.1: what software this is, and how much it is used.
func (f *Federation) nodeInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	ctx := r.Context()
	now := f.clock()
	total, err1 := f.rows.CountLocalMembers(ctx, spaces.MemberFilter{Status: spaces.StatusActive})
	month, err2 := f.rows.CountActiveUsers(ctx, now.AddDate(0, 0, -30))
	halfYear, err3 := f.rows.CountActiveUsers(ctx, now.AddDate(0, 0, -180))
	posts := 0
	var err4 error
	if f.posts != nil {
		posts, err4 = f.posts(ctx)
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		f.log.Error("nodeinfo", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	node, err := f.spaces.NodeSettings(r.Context())
	if err != nil {
		f.log.Error("nodeinfo", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	allowlist, err := f.published(r.Context())
	if err != nil {
		f.log.Error("nodeinfo", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	version := buildinfo.Version()
	writeJSON(w, http.StatusOK, `application/json; profile="`+nodeInfoSchema+`#"`, map[string]any{
		"version": "2.1",
		"software": map[string]any{
			"name": "ruche", "version": version,
			"repository": "https://github.com/ruche-social/ruche", "homepage": "https://github.com/ruche-social/ruche",
		},
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": node.Registrations == spaces.RegistrationsOpen,
		"usage": map[string]any{
			"users":      map[string]int{"total": total, "activeMonth": month, "activeHalfyear": halfYear},
			"localPosts": posts,
		},
		"metadata": map[string]any{
			"nodeName": node.Name, "nodeDescription": node.Description,
			"federation": map[string]any{"mode": f.cfg.Federation.Mode, "allowlist": allowlist},
		},
	})
}

// published is the allowlist NodeInfo shows in allowlist mode: partner
// nodes need to know they are on it, and it is no secret.
func (f *Federation) published(ctx context.Context) ([]string, error) {
	if f.cfg.Federation.Mode != config.FederationAllowlist {
		return []string{}, nil
	}
	_, allowed, err := f.rules(ctx)
	return allowed, err
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// tombstoneTime is when an account went away, for its Tombstone.
func tombstoneTime(a *spaces.Account) time.Time {
	if !a.DeletedAt.IsZero() {
		return a.DeletedAt
	}
	return a.UpdatedAt
}
