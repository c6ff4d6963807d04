package federation

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// Mount adds the federation routes to r.
func (f *Federation) Mount(r *mux.Router) {
	r.HandleFunc("/.well-known/webfinger", f.webfinger).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/.well-known/host-meta", f.hostMeta).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/.well-known/host-meta.json", f.hostMeta).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/.well-known/nodeinfo", f.nodeInfoLinks).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/nodeinfo/2.1", f.nodeInfo).Methods(http.MethodGet, http.MethodHead)

	r.HandleFunc("/actor", f.serveInstanceActor).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/actor/outbox", f.fetch(f.serveOutbox)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/actor/inbox", f.inbox).Methods(http.MethodPost)
	r.HandleFunc("/inbox", f.inbox).Methods(http.MethodPost)
	r.HandleFunc("/activities/{id}", f.fetch(f.serveActivity)).Methods(http.MethodGet, http.MethodHead)

	r.HandleFunc("/users/{name}", f.fetch(f.serveUser)).Methods(http.MethodGet, http.MethodHead).MatcherFunc(asRequest)
	r.HandleFunc("/users/{name}/inbox", f.inbox).Methods(http.MethodPost)
	r.HandleFunc("/users/{name}/outbox", f.fetch(f.serveOutbox)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/users/{name}/followers", f.fetch(f.serveFollowers)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/users/{name}/following", f.fetch(f.serveFollowing)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/users/{name}/featured", f.fetch(f.serveFeatured)).Methods(http.MethodGet, http.MethodHead)
	f.mountSpaces(r)
}

type ctxKey int

const keySigner ctxKey = iota

// signer is the remote account whose signature authenticated a GET, if any.
func signer(ctx context.Context) *spaces.Account {
	a, _ := ctx.Value(keySigner).(*spaces.Account)
	return a
}

// fetch guards an ActivityStreams GET. A signature, when present, must verify
// and come from a host the node federates with (401/403 otherwise); in
// authorized-fetch mode one is required.
func (f *Federation) fetch(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept, Signature")
		if r.Header.Get("Signature") == "" && !f.cfg.Federation.AuthorizedFetch {
			next(w, r)
			return
		}
		who, status, err := f.authenticateGet(r)
		if err != nil {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Signature realm="`+f.host+`",headers="(request-target) host date"`)
			}
			http.Error(w, err.Error(), status)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keySigner, who)))
	}
}

// authenticateGet verifies the signature of a GET and returns its signer.
func (f *Federation) authenticateGet(r *http.Request) (*spaces.Account, int, error) {
	p, err := transport.ParseSignature(r.Header.Get("Signature"))
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	if err := f.hostAllowed(r.Context(), activitystreams.Host(p.KeyID)); err != nil {
		return nil, http.StatusForbidden, ErrHostRefused
	}
	if err := transport.CheckRequest(r, p, nil, f.clock(), f.cfg.Federation.SignatureMaxSkew); err != nil {
		return nil, http.StatusUnauthorized, err
	}
	k, err := f.verifiedKey(r.Context(), r, p)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	return k.owner, 0, nil
}

// asJSON writes an ActivityStreams document.
func asJSON(w http.ResponseWriter, status int, doc map[string]any) {
	if w.Header().Get("Cache-Control") == "" { // a handler may have said private
		w.Header().Set("Cache-Control", "max-age=60")
	}
	writeJSON(w, status, activitystreams.ContentType, doc)
}

// serveUser answers /users/{name} to ActivityStreams clients: the Person
// document. Browsers asking for the same id get the web door's profile page.
func (f *Federation) serveUser(w http.ResponseWriter, r *http.Request) {
	if a, ok := f.localActor(w, r, mux.Vars(r)["name"], spaces.TypePerson); ok {
		f.serveActor(w, r, a)
	}
}

// serveInstanceActor answers /actor. It is never behind authorized fetch:
// other servers must read its key before they can verify its signatures.
func (f *Federation) serveInstanceActor(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept")
	a, err := f.instanceActor(r.Context())
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	f.serveActor(w, r, a)
}

// localActor loads the local account name of the given type, answering 404
// for an unknown one and 410 with a Tombstone for a suspended or deleted one.
func (f *Federation) localActor(w http.ResponseWriter, r *http.Request, name, typ string) (*spaces.Account, bool) {
	a, err := f.spaces.LocalAccount(r.Context(), name)
	if err == nil && a.Type != typ {
		err = spaces.ErrNotFound
	}
	if err != nil {
		f.lookupError(w, r, err)
		return nil, false
	}
	if a.Status != spaces.StatusActive {
		asJSON(w, http.StatusGone, activitystreams.Tombstone(f.ActorIRI(a), a.Type, tombstoneTime(a)))
		return nil, false
	}
	return a, true
}

func (f *Federation) serveActor(w http.ResponseWriter, r *http.Request, a *spaces.Account) {
	doc, err := f.actorDocument(r.Context(), a)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	asJSON(w, http.StatusOK, doc)
}

// actorDocument builds a local account's actor document.
func (f *Federation) actorDocument(ctx context.Context, a *spaces.Account) (map[string]any, error) {
	k, err := f.localKey(ctx, a)
	if err != nil {
		return nil, err
	}
	return f.actorDocumentWith(ctx, a, k)
}

func (f *Federation) actorDocumentWith(ctx context.Context, a *spaces.Account, k *db.Key) (map[string]any, error) {
	id := f.ActorIRI(a)
	actor := activitystreams.Actor{
		ID: id, Type: a.Type, PreferredUsername: a.Username, Name: a.DisplayName,
		Summary: activitystreams.TextToHTML(a.Bio), URL: f.profileURL(a),
		Inbox: id + "/inbox", Outbox: id + "/outbox", SharedInbox: f.origin + "/inbox",
		Published:                 a.CreatedAt,
		ManuallyApprovesFollowers: a.Locked,
		PublicKey:                 activitystreams.PublicKey{ID: k.KeyID, Owner: id, PEM: k.PublicKeyPEM},
	}
	if a.Type != spaces.TypeApplication {
		actor.Followers, actor.Following, actor.Featured = id+"/followers", id+"/following", id+"/featured"
		actor.Discoverable, actor.Indexable = true, true
	}
	if a.AvatarID != "" {
		m, err := f.rows.MediaByID(ctx, a.AvatarID)
		if err != nil {
			return nil, err
		}
		actor.Icon, actor.IconMediaType = f.fileURL(m), m.MediaType
	}
	return actor.Document()
}

// collectionRequest is a request for a local account's collection.
type collectionRequest struct {
	account *spaces.Account
	space   *spaces.Space // for a space's collections
	id      string        // the collection's IRI
	page    bool
	before  string
}

func (f *Federation) collection(w http.ResponseWriter, r *http.Request, suffix string) (*collectionRequest, bool) {
	name, ok := mux.Vars(r)["name"]
	var a *spaces.Account
	if !ok { // /actor/…
		inst, err := f.instanceActor(r.Context())
		if err != nil {
			f.lookupError(w, r, err)
			return nil, false
		}
		a = inst
	} else if a, ok = f.localActor(w, r, name, spaces.TypePerson); !ok {
		return nil, false
	}
	q := r.URL.Query()
	return &collectionRequest{account: a, id: f.ActorIRI(a) + suffix, page: q.Get("page") == "true", before: q.Get("before")}, true
}

// pageURL is the IRI of the page that starts after cursor.
func (c *collectionRequest) pageURL(cursor string) string {
	u := c.id + "?page=true"
	if cursor != "" {
		u += "&before=" + url.QueryEscape(cursor)
	}
	return u
}

func (f *Federation) writeCollection(w http.ResponseWriter, r *http.Request, c *collectionRequest, total int, items []any, last string, full bool) {
	var (
		doc map[string]any
		err error
	)
	if !c.page {
		first := ""
		if total > 0 {
			first = c.pageURL("")
		}
		doc, err = activitystreams.Collection{ID: c.id, TotalItems: total, First: first}.Document()
	} else {
		p := activitystreams.Page{ID: c.pageURL(c.before), PartOf: c.id, Items: items}
		if full {
			p.Next = c.pageURL(last)
		}
		doc, err = p.Document()
	}
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	asJSON(w, http.StatusOK, doc)
}

// serveFollowers answers …/followers: accepted followers, newest first.
func (f *Federation) serveFollowers(w http.ResponseWriter, r *http.Request) {
	if c, ok := f.collection(w, r, "/followers"); ok {
		f.writeFollows(w, r, c, true)
	}
}

// serveFollowing answers …/following.
func (f *Federation) serveFollowing(w http.ResponseWriter, r *http.Request) {
	if c, ok := f.collection(w, r, "/following"); ok {
		f.writeFollows(w, r, c, false)
	}
}

// writeFollows writes the followers (or following) collection of c's account.
func (f *Federation) writeFollows(w http.ResponseWriter, r *http.Request, c *collectionRequest, followers bool) {
	ctx := r.Context()
	nFollowers, nFollowing, err := f.spaces.FollowCounts(ctx, c.account)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	total := nFollowing
	if followers {
		total = nFollowers
	}
	var items []any
	last := ""
	if c.page {
		page := spaces.FollowPage{Before: c.before, Limit: maxPageItems}
		var list []*spaces.Follow
		if followers {
			list, err = f.spaces.Followers(ctx, nil, c.account, page)
		} else {
			list, err = f.spaces.Following(ctx, c.account, page)
		}
		if err != nil {
			f.lookupError(w, r, err)
			return
		}
		for _, fl := range list {
			other := fl.Target
			if followers {
				other = fl.Follower
			}
			items = append(items, f.ActorIRI(other))
			last = fl.ID
		}
	}
	f.writeCollection(w, r, c, total, items, last, len(items) == maxPageItems)
}

// serveOutbox answers …/outbox: the actor's public activities, newest first.
func (f *Federation) serveOutbox(w http.ResponseWriter, r *http.Request) {
	if c, ok := f.collection(w, r, "/outbox"); ok {
		f.writeOutbox(w, r, c)
	}
}

// writeOutbox writes the outbox of c's account.
func (f *Federation) writeOutbox(w http.ResponseWriter, r *http.Request, c *collectionRequest) {
	ctx := r.Context()
	total, err := f.store.CountPublicActivities(ctx, c.account.ID)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	var items []any
	last := ""
	if c.page {
		list, err := f.store.ListPublicActivities(ctx, c.account.ID, db.ActivityPage{Before: c.before, Limit: maxPageItems})
		if err != nil {
			f.lookupError(w, r, err)
			return
		}
		for _, act := range list {
			doc, err := activitystreams.ParseObject([]byte(act.Body))
			if err != nil {
				f.lookupError(w, r, err)
				return
			}
			items = append(items, doc)
			last = act.ID
		}
	}
	f.writeCollection(w, r, c, total, items, last, len(items) == maxPageItems)
}

// serveActivity answers /activities/{id} for the node's public activities.
func (f *Federation) serveActivity(w http.ResponseWriter, r *http.Request) {
	act, err := f.store.ActivityByID(r.Context(), mux.Vars(r)["id"])
	if errors.Is(err, db.ErrNotFound) {
		http.Error(w, "no such activity", http.StatusNotFound)
		return
	}
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	if !act.Public {
		if ok, err := f.mayReadActivity(r.Context(), act); err != nil || !ok {
			f.notVisible(w, r, err)
			return
		}
		privateUnlessPublic(w, spaces.VisibilityMembers)
	}
	doc, err := activitystreams.ParseObject([]byte(act.Body))
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	asJSON(w, http.StatusOK, doc)
}

// serveFeatured answers /users/{name}/featured: the posts a member pinned on
// their profile, whole, as Mastodon reads a featured collection.
func (f *Federation) serveFeatured(w http.ResponseWriter, r *http.Request) {
	if c, ok := f.collection(w, r, "/featured"); ok {
		f.writeFeatured(w, r, c)
	}
}
