// Package web is the node's browser door: server-rendered pages (html/template)
// in French, English and German, with their templates, catalogues and static
// assets embedded in the binary. Pages work without JavaScript; a small script
// only enhances them. Like the JSON API, every handler parses a form, calls one
// spaces operation and renders the result: no SQL and no permission rule here.
// Domain errors become translated messages and statuses in one place (fail and
// formError in errors.go).
//
// Routes never collide with the other doors: /api/ is the JSON API; /healthz
// and /readyz are the node's; /actor, /inbox, /.well-known/, /nodeinfo/ and
// /activities/{id} belong to federation, and so do the collections of
// members and spaces (/users/{name}/… and /spaces/{slug}/ inbox, outbox,
// followers, following, members, featured: this package's space pages use
// other names). /users/{name}, /spaces/{slug} and /posts/{id} are both: the
// ActivityPub ids, which this package answers for browsers and federation
// for ActivityStreams clients (Vary: Accept).
package web

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/internal/mail"

	"github.com/ruche-social/ruche/spaces"
)

//go:embed templates locales static
var files embed.FS

// Options are what the web door needs to know about its node.
type Options struct {
	// PublicURL is the node's origin, e.g. https://ville-a.example.
	PublicURL string
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Mailer sends the links of members who forgot their password; nil when
	// the node sends no mail.
	Mailer Mailer
}

// Mailer sends one mail.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Web serves the pages.
type Web struct {
	spaces  *spaces.Service
	opts    Options
	secure  bool   // the node is on HTTPS: cookies are Secure
	host    string // the node's host, as in @user@host
	cats    map[string]*catalogue
	pages   *pageSet
	assets  *assets
	onboard []onboardingStep
}

// New builds the web door over the domain service: it loads the catalogues,
// parses every page in every language and fingerprints the static assets, so a
// broken template stops the node at start, not at the first visitor.
func New(s *spaces.Service, opts Options) (*Web, error) {
	u, err := url.Parse(opts.PublicURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("web: public URL %q is not an origin", opts.PublicURL)
	}
	opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	w := &Web{spaces: s, opts: opts, secure: u.Scheme == "https", host: u.Host}
	if w.cats, err = loadCatalogues(files); err != nil {
		return nil, err
	}
	if w.assets, err = loadAssets(files); err != nil {
		return nil, err
	}
	if w.pages, err = w.parsePages(files); err != nil {
		return nil, err
	}
	w.onboard = onboardingSteps()
	return w, nil
}

// Mount adds the pages to r, and makes the web door answer the paths no other
// door claims (a translated 404 page). Mount it after the other doors.
func (w *Web) Mount(r *mux.Router) {
	w.route(r, "/", w.home, nil)
	w.route(r, "/setup", w.setupForm, w.setup)
	w.route(r, "/login", w.loginForm, w.login)
	w.route(r, "/logout", nil, w.logout)
	w.route(r, "/register", w.registerForm, w.register)
	w.route(r, "/password/forgot", w.forgot, w.requestReset)
	w.route(r, "/password/reset", w.resetForm, w.reset)
	w.route(r, "/language", nil, w.language)
	// The profile and a space's settings take a picture.
	withPicture := bodyLimit{max: maxForm + w.spaces.Options().MaxUpload, multipart: true}
	w.routeWith(r, "/settings", withPicture, w.profileForm, w.saveProfile)
	w.route(r, "/settings/password", w.passwordForm, w.changePassword)
	w.route(r, "/settings/sessions", w.sessions, w.revokeSession)
	w.route(r, "/settings/apps", nil, w.revokeApp)
	w.route(r, "/oauth/authorize", w.authorizeForm, w.authorize)
	w.route(r, "/onboarding", w.onboardingStart, nil)
	w.route(r, "/onboarding/finish", nil, w.onboardingFinish)
	w.route(r, "/onboarding/{step}", w.onboardingForm, w.onboardingSave)
	w.route(r, "/admin", w.adminHome, nil)
	w.route(r, "/admin/members", w.adminMembers, nil)
	w.route(r, "/admin/members/{username}", w.adminMember, nil)
	w.route(r, "/admin/members/{username}/role", nil, w.adminSetRole)
	w.route(r, "/admin/members/{username}/suspend", nil, w.adminSuspend)
	w.route(r, "/admin/members/{username}/unsuspend", nil, w.adminUnsuspend)
	w.route(r, "/admin/members/{username}/reset", nil, w.adminResetLink)
	w.route(r, "/admin/invitations", w.adminInvitations, w.adminCreateInvitation)
	w.route(r, "/admin/spaces", w.adminSpaces, nil)
	w.route(r, "/admin/spaces/{slug}/archive", nil, w.adminArchiveSpace)
	w.route(r, "/admin/spaces/{slug}/delete", nil, w.adminDeleteSpace)
	w.route(r, "/admin/settings", w.adminSettings, w.adminSaveSettings)
	w.route(r, "/admin/federation", w.adminFederation, nil)
	w.route(r, "/admin/federation/retry", nil, w.adminRetryHost)
	w.route(r, "/admin/federation/blocks", w.adminBlocks, w.adminBlock)
	w.route(r, "/admin/federation/blocks/remove", nil, w.adminUnblock)
	w.route(r, "/admin/federation/allowlist", nil, w.adminAllow)
	w.route(r, "/admin/federation/allowlist/remove", nil, w.adminDisallow)
	w.route(r, "/settings/notifications", w.notificationsForm, w.saveNotifications)
	w.route(r, "/settings/followers", w.followRequests, w.answerFollow)
	w.route(r, "/settings/data", w.dataPage, nil)
	w.route(r, "/settings/export", w.export, nil)
	w.route(r, "/notifications", w.notifications, nil)
	w.route(r, "/notifications/read", nil, w.markRead)
	w.route(r, "/search", w.search, nil)
	w.route(r, "/events", w.agenda, nil)
	w.route(r, "/events/calendar", w.toAgenda, w.calendarToken)
	w.route(r, "/tags/{tag}", w.tag, nil)
	w.route(r, "/media/{id}", w.media, nil)

	// The composer takes long articles in several languages, and files.
	uploads := bodyLimit{max: maxComposer + 10*w.spaces.Options().MaxUpload, multipart: true}
	w.routeWith(r, "/compose", uploads, w.compose, w.publish)
	w.routeWith(r, "/preview", bodyLimit{max: maxComposer}, nil, w.preview)

	w.route(r, "/spaces", w.directory, nil)
	w.route(r, "/spaces/new", w.newSpaceForm, w.createSpace)
	w.route(r, "/spaces/{slug}/articles", w.spaceArticles, nil)
	w.route(r, "/spaces/{slug}/events", w.spaceEvents, nil)
	w.route(r, "/spaces/{slug}/faq", w.spaceFAQ, nil)
	documents := bodyLimit{max: maxForm + w.spaces.Options().DocumentMaxUpload, multipart: true}
	w.routeWith(r, "/spaces/{slug}/documents", documents, w.spaceDocuments, w.uploadDocument)
	w.route(r, "/spaces/{slug}/documents/folders", nil, w.createFolder)
	w.route(r, "/spaces/{slug}/documents/{id}", w.document, nil)
	w.routeWith(r, "/spaces/{slug}/documents/{id}/versions", documents, nil, w.addVersion)
	w.route(r, "/spaces/{slug}/documents/{id}/versions/{n:[0-9]+}", w.versionFile, nil)
	w.route(r, "/spaces/{slug}/documents/{id}/versions/{n:[0-9]+}/restore", nil, w.restoreVersion)
	w.route(r, "/spaces/{slug}/faq/proposals", nil, w.proposeQuestion)
	w.route(r, "/spaces/{slug}/faq/proposals/{id}/dismiss", nil, w.dismissProposal)
	w.route(r, "/spaces/{slug}/faq/proposals/{id}/withdraw", nil, w.withdrawProposal)
	w.route(r, "/spaces/{slug}/wiki", w.spaceWiki, nil)
	w.route(r, "/spaces/{slug}/wiki/{page}", w.wikiPage, nil)
	w.routeWith(r, "/spaces/{slug}/wiki/{page}/edit", bodyLimit{max: maxComposer}, w.wikiEditForm, w.wikiSave)
	w.route(r, "/spaces/{slug}/wiki/{page}/history", w.wikiHistory, nil)
	w.route(r, "/spaces/{slug}/wiki/{page}/revisions/{n:[0-9]+}", w.wikiRevision, nil)
	w.route(r, "/spaces/{slug}/wiki/{page}/diff", w.wikiDiff, nil)
	w.route(r, "/spaces/{slug}/wiki/{page}/restore", nil, w.wikiRestore)
	r.Handle("/spaces/{slug}/calendar.ics", w.serveCalendar(w.spaceCalendar))
	r.Handle("/calendar/{token:[A-Za-z0-9_-]+}.ics", w.serveCalendar(w.agendaCalendar))
	r.Handle("/posts/{id}/event.ics", w.serveCalendar(w.eventCalendar))
	w.route(r, "/spaces/{slug}/people", w.spacePeople, nil)
	w.route(r, "/spaces/{slug}/about", w.spaceAbout, nil)
	w.route(r, "/spaces/{slug}/join", w.invitation, w.join)
	w.route(r, "/spaces/{slug}/leave", nil, w.leave)
	w.route(r, "/spaces/{slug}/watch", nil, w.watch)
	w.route(r, "/spaces/{slug}/follow", nil, w.followSpace)
	w.routeWith(r, "/spaces/{slug}/settings", withPicture, w.spaceSettingsForm, w.saveSpaceSettings)
	w.route(r, "/spaces/{slug}/settings/requests", w.spaceRequests, w.answerRequest)
	w.route(r, "/spaces/{slug}/settings/members", w.spaceMembers, w.manageMember)
	w.route(r, "/spaces/{slug}/settings/invitations", w.spaceInvitations, w.invite)
	w.route(r, "/spaces/{slug}/settings/archive", w.spaceArchive, w.archiveSpace)
	w.route(r, "/spaces/{slug}/settings/delete", nil, w.deleteSpace)

	w.route(r, "/posts/{id}/comments", nil, w.comment)
	w.route(r, "/posts/{id}/like", nil, w.like)
	w.route(r, "/posts/{id}/votes", nil, w.vote)
	w.route(r, "/posts/{id}/registration", nil, w.registration)
	w.route(r, "/posts/{id}/pin", nil, w.pin)
	w.route(r, "/posts/{id}/faq/position", nil, w.moveEntry)
	w.route(r, "/posts/{id}/delete", nil, w.deletePost)
	w.routeWith(r, "/posts/{id}/edit", bodyLimit{max: maxComposer}, w.editForm, w.edit)

	w.route(r, "/@{username}", w.profile, nil)
	w.route(r, "/@{username}/followers", w.followers, nil)
	w.route(r, "/@{username}/following", w.following, nil)
	w.route(r, "/@{username}/follow", nil, w.follow)

	// The ActivityPub ids of members, spaces and posts are pages too: browsers
	// get HTML here, clients asking for ActivityStreams JSON fall through to
	// the federation door.
	for path, h := range map[string]handler{"/users/{username}": w.profileRedirect, "/spaces/{slug}": w.spaceFeed, "/posts/{id}": w.postPage} {
		r.Handle(path, varyAccept(w.page(h))).Methods(http.MethodGet, http.MethodHead).MatcherFunc(wantsHTML)
	}
	r.PathPrefix("/static/").Handler(http.HandlerFunc(w.assets.serve))
	r.Handle(manifestPath, http.HandlerFunc(w.manifest)).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = w.page(func(rw http.ResponseWriter, r *http.Request, rq *request) error {
		return errNotFound
	})
	r.MethodNotAllowedHandler = w.page(func(rw http.ResponseWriter, r *http.Request, rq *request) error {
		return errMethod
	})
}

// maxComposer bounds the text of a composer: an article of 100,000
// characters in a few languages fits.
const maxComposer = 4 << 20

// handler is a page handler: it writes a page or a redirect, or returns an
// error that fail turns into an error page.
type handler func(rw http.ResponseWriter, r *http.Request, rq *request) error

// route serves path with get for GET and HEAD and post for POST; other methods
// get a 405 page. gorilla/mux cannot tell a wrong method from a wrong path once
// routes share a prefix, so methods are dispatched here.
func (w *Web) route(r *mux.Router, path string, get, post handler) {
	w.routeWith(r, path, formBody, get, post)
}

// routeWith is route for a page whose form posts more than most, or files.
func (w *Web) routeWith(r *mux.Router, path string, lim bodyLimit, get, post handler) {
	allow := []string{}
	if get != nil {
		allow = append(allow, http.MethodGet, http.MethodHead)
	}
	if post != nil {
		allow = append(allow, http.MethodPost)
	}
	r.Handle(path, w.pageWith(lim, func(rw http.ResponseWriter, r *http.Request, rq *request) error {
		switch {
		case get != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			return get(rw, r, rq)
		case post != nil && r.Method == http.MethodPost:
			return post(rw, r, rq)
		}
		rw.Header().Set("Allow", strings.Join(allow, ", "))
		return errMethod
	}))
}

// ProfilePath is the path of a local member's profile page.
func ProfilePath(username string) string { return "/@" + url.PathEscape(username) }

// varyAccept tells caches that the answer at h's address depends on Accept:
// the same id is a page here and a document at the federation door.
func varyAccept(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Add("Vary", "Accept")
		h.ServeHTTP(rw, r)
	})
}

// wantsHTML tells a browser from an ActivityPub client: only the latter asks
// for ActivityStreams JSON. It is the complement of the federation door's test.
func wantsHTML(r *http.Request, _ *mux.RouteMatch) bool {
	return !activitystreams.WantsAS(r.Header.Get("Accept"))
}
