package federation

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Spaces as Groups (FEP-1b12). A local space is a Group actor at
// /spaces/{slug} with its inbox, outbox, followers, members, moderators
// (attributedTo) and pinned posts (featured). The actor and its collections
// are shown to whoever may see the space: anyone for a public space; for a
// network space, servers of the network; for a members-only space, its
// members and the servers that host them (a signed fetch) — everyone else
// gets 404, as if it did not exist.

// mountSpaces adds the routes of spaces and of posts. The actor and post
// URLs answer ActivityStreams clients only: browsers asking for the same URL
// fall through to the web door, which serves the page.
func (f *Federation) mountSpaces(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.HandleFunc("/spaces/{slug}", f.fetch(f.serveSpace)).Methods(get...).MatcherFunc(asRequest)
	r.HandleFunc("/spaces/{slug}/inbox", f.spaceInbox).Methods(http.MethodPost)
	r.HandleFunc("/spaces/{slug}/outbox", f.fetch(f.spaceCollection("/outbox", f.writeOutbox))).Methods(get...)
	r.HandleFunc("/spaces/{slug}/followers", f.fetch(f.spaceCollection("/followers", f.writeGroupFollowers))).Methods(get...)
	r.HandleFunc("/spaces/{slug}/members", f.fetch(f.spaceCollection("/members", f.writeMembers))).Methods(get...)
	r.HandleFunc("/spaces/{slug}/moderators", f.fetch(f.spaceCollection("/moderators", f.writeModerators))).Methods(get...)
	r.HandleFunc("/spaces/{slug}/featured", f.fetch(f.spaceCollection("/featured", f.writeFeatured))).Methods(get...)
	r.HandleFunc("/posts/{id}", f.fetch(f.servePost)).Methods(get...).MatcherFunc(asRequest)
	r.HandleFunc("/posts/{id}/context", f.fetch(f.serveThread)).Methods(get...)
	r.HandleFunc("/files/{id}", f.fetch(f.serveFile)).Methods(get...)
}

// asRequest tells an ActivityStreams client from a browser by its Accept header.
func asRequest(r *http.Request, _ *mux.RouteMatch) bool {
	return activitystreams.WantsAS(r.Header.Get("Accept"))
}

// visibleSpace loads the local space of the request's slug if the signer of
// the request (or an anonymous reader) may see it; otherwise it answers 404.
func (f *Federation) visibleSpace(w http.ResponseWriter, r *http.Request) (*spaces.Space, bool) {
	slug := mux.Vars(r)["slug"]
	if strings.Contains(slug, "@") {
		http.Error(w, "no such space", http.StatusNotFound)
		return nil, false
	}
	sp, err := f.spaces.Space(r.Context(), signer(r.Context()), slug)
	if err != nil {
		if spaces.KindOf(err) == spaces.KindInternal {
			f.lookupError(w, r, err)
		} else {
			f.notVisible(w, r, nil)
		}
		return nil, false
	}
	privateUnlessPublic(w, sp.Visibility)
	return sp, true
}

// privateUnlessPublic keeps shared caches from keeping what only some may read.
func privateUnlessPublic(w http.ResponseWriter, visibility string) {
	if visibility != spaces.VisibilityPublic {
		w.Header().Set("Cache-Control", "private, max-age=60")
	}
}

// serveSpace answers /spaces/{slug}: the Group.
func (f *Federation) serveSpace(w http.ResponseWriter, r *http.Request) {
	sp, ok := f.visibleSpace(w, r)
	if !ok {
		return
	}
	k, err := f.localKey(r.Context(), sp.Account)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	doc, err := f.groupDocument(r.Context(), sp, k)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	asJSON(w, http.StatusOK, doc)
}

// groupDocument builds the Group actor of a local space, with its key k.
func (f *Federation) groupDocument(ctx context.Context, sp *spaces.Space, k *db.Key) (map[string]any, error) {
	a := sp.Account
	id := f.ActorIRI(a)
	public := sp.Visibility == spaces.VisibilityPublic
	actor := activitystreams.Actor{
		ID: id, Type: spaces.TypeGroup, PreferredUsername: a.Username, Name: a.DisplayName,
		Summary: activitystreams.TextToHTML(a.Bio), URL: f.profileURL(a),
		Inbox: id + "/inbox", Outbox: id + "/outbox", Followers: id + "/followers", SharedInbox: f.origin + "/inbox",
		Published: a.CreatedAt, ManuallyApprovesFollowers: a.Locked, Discoverable: public, Indexable: public,
		PublicKey: activitystreams.PublicKey{ID: k.KeyID, Owner: id, PEM: k.PublicKeyPEM},
		Featured:  id + "/featured", AttributedTo: id + "/moderators", Members: id + "/members",
		PostingRestrictedToMods: sp.Posting == spaces.PostingModerators,
		Visibility:              sp.Visibility, JoinPolicy: sp.JoinPolicy, Tools: []string{}, DocumentAdding: sp.DocumentAdding,
	}
	for _, t := range spaces.Tools {
		if sp.ToolOn(t) {
			actor.Tools = append(actor.Tools, t)
		}
	}
	for _, img := range []struct {
		id       string
		url, typ *string
	}{{sp.AvatarID, &actor.Icon, &actor.IconMediaType}, {sp.BannerID, &actor.Image, new(string)}} {
		if img.id == "" {
			continue
		}
		m, err := f.rows.MediaByID(ctx, img.id)
		if err != nil {
			return nil, err
		}
		*img.url, *img.typ = f.fileURL(m), m.MediaType
	}
	return actor.Document()
}

// spaceInbox receives activities addressed to a local space's Group: the
// same inbox as every other, once the space is known to exist.
//
// A space the sender may not see answers as one that does not exist, and
// both only once the signature verifies: a members-only space's existence
// shows neither in the answer nor in its timing (a Follow of it gets no
// Reject either).
func (f *Federation) spaceInbox(w http.ResponseWriter, r *http.Request) {
	slug := mux.Vars(r)["slug"]
	f.receive(w, r, func(ctx context.Context, sender *spaces.Account) error {
		_, err := f.spaces.Space(ctx, sender, slug)
		if err != nil && spaces.KindOf(err) != spaces.KindInternal {
			return errNoInbox
		}
		return err
	})
}

// spaceCollection serves a collection of a visible local space with write.
func (f *Federation) spaceCollection(suffix string, write func(http.ResponseWriter, *http.Request, *collectionRequest)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sp, ok := f.visibleSpace(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		write(w, r, &collectionRequest{account: sp.Account, space: sp, id: f.ActorIRI(sp.Account) + suffix,
			page: q.Get("page") == "true", before: q.Get("before")})
	}
}

// writeGroupFollowers writes a Group's followers: those who follow the space
// without joining it, then its active members — a remote member joined by
// following the Group (FEP-1b12), and servers that route what the Group
// addresses to its followers (activitypub-bot does) look for them here.
// Pages list the follows first (cursor: the last follow's id), then the
// members (cursor: "m" and the last membership's id).
func (f *Federation) writeGroupFollowers(w http.ResponseWriter, r *http.Request, c *collectionRequest) {
	ctx := r.Context()
	follows, _, err := f.spaces.FollowCounts(ctx, c.account)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	members, err := f.rows.CountMembers(ctx, c.space.AccountID, spaces.StateActive)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	var items []any
	last, more := "", false
	if c.page {
		after, inMembers := strings.CutPrefix(c.before, "m")
		if !inMembers {
			list, err := f.spaces.Followers(ctx, nil, c.account, spaces.FollowPage{Before: c.before, Limit: maxPageItems})
			if err != nil {
				f.lookupError(w, r, err)
				return
			}
			for _, fl := range list {
				items, last = append(items, f.ActorIRI(fl.Follower)), fl.ID
			}
			more = len(list) == maxPageItems || members > 0
			if len(list) < maxPageItems {
				last = "m"
			}
		} else {
			list, err := f.rows.ListMemberships(ctx, c.space.AccountID, db.MemberPage{State: spaces.StateActive, After: after, Limit: maxPageItems})
			if err != nil {
				f.lookupError(w, r, err)
				return
			}
			for _, m := range list {
				items, last = append(items, f.ActorIRI(m.Account)), "m"+m.ID
			}
			more = len(list) == maxPageItems
		}
	}
	f.writeCollection(w, r, c, follows+members, items, last, more)
}

// writeMembers writes the members collection: the space's active members,
// oldest first (the cursor is the last membership of the previous page).
func (f *Federation) writeMembers(w http.ResponseWriter, r *http.Request, c *collectionRequest) {
	ctx := r.Context()
	total, err := f.rows.CountMembers(ctx, c.space.AccountID, spaces.StateActive)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	var items []any
	last := ""
	if c.page {
		list, err := f.rows.ListMemberships(ctx, c.space.AccountID, db.MemberPage{State: spaces.StateActive, After: c.before, Limit: maxPageItems})
		if err != nil {
			f.lookupError(w, r, err)
			return
		}
		for _, m := range list {
			items = append(items, f.ActorIRI(m.Account))
			last = m.ID
		}
	}
	f.writeCollection(w, r, c, total, items, last, len(items) == maxPageItems)
}

// writeModerators writes the moderators collection (the Group's
// attributedTo, FEP-1b12): its owners and moderators, in one piece.
func (f *Federation) writeModerators(w http.ResponseWriter, r *http.Request, c *collectionRequest) {
	list, err := f.rows.ListMemberships(r.Context(), c.space.AccountID, db.MemberPage{State: spaces.StateActive,
		Roles: []string{spaces.SpaceRoleOwner, spaces.SpaceRoleModerator}, Limit: 500})
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	items := []any{}
	for _, m := range list {
		items = append(items, f.ActorIRI(m.Account))
	}
	f.writeWhole(w, r, c.id, items)
}

// writeFeatured writes the pinned posts the reader may see, whole, as
// Mastodon reads a featured collection.
func (f *Federation) writeFeatured(w http.ResponseWriter, r *http.Request, c *collectionRequest) {
	ctx := r.Context()
	var posts []*spaces.Post
	var err error
	if c.space != nil {
		posts, err = f.spaces.PinnedPosts(ctx, signer(ctx), c.space.Slug())
	} else {
		posts, err = f.spaces.ProfilePinnedPosts(ctx, signer(ctx), c.account.Username)
	}
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	items := []any{}
	for _, p := range posts {
		doc, err := f.objectDoc(ctx, p)
		if err != nil {
			f.lookupError(w, r, err)
			return
		}
		items = append(items, doc)
	}
	f.writeWhole(w, r, c.id, items)
}

// writeWhole writes a small collection with its items inline.
func (f *Federation) writeWhole(w http.ResponseWriter, r *http.Request, id string, items []any) {
	doc, err := activitystreams.Collection{ID: id, TotalItems: len(items), Items: items}.Document()
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	asJSON(w, http.StatusOK, doc)
}

// mayReadActivity tells whether the signer of a request may read one of the
// node's activities that is not public: one about a post they may see (an
// Announce of a Create of a post, a Like of it…).
func (f *Federation) mayReadActivity(ctx context.Context, act *db.Activity) (bool, error) {
	doc, err := activitystreams.ParseObject([]byte(act.Body))
	if err != nil {
		return false, err
	}
	obj := doc["object"]
	for range 3 {
		iri := activitystreams.IRIOf(obj)
		if id, ok := f.localPostID(iri); ok {
			return f.spaces.CanSee(ctx, signer(ctx), id)
		}
		if p, err := f.rows.PostByURI(ctx, iri); err == nil {
			return f.spaces.CanSee(ctx, signer(ctx), p.ID)
		} else if !errors.Is(err, db.ErrNotFound) {
			return false, err
		}
		m, ok := obj.(map[string]any)
		if !ok {
			return false, nil
		}
		obj = m["object"]
	}
	return false, nil
}
