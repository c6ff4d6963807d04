package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// inbox receives an activity (POST to a personal inbox, the shared inbox or
// the node's actor's inbox). Everything is checked before anything is
// stored, cheapest first: the signature header's form and the sender's host
// (401, 403) before the body is even read; then the media type (415), the
// size (413), the JSON and its shape (400); then the origin of what it
// claims (403); then the signature itself, its Digest and Date, and that the
// key belongs to the activity's actor (401). Only then is the activity stored
// — once: a replayed id is accepted and dropped — and answered 202; workers
// process it later.
func (f *Federation) inbox(w http.ResponseWriter, r *http.Request) {
	f.receive(w, r, nil)
}

// receive is the inbox; addressee, when set, is asked once the sender is
// known whether this inbox exists for them (errNoInbox: 404, nothing
// stored).
func (f *Federation) receive(w http.ResponseWriter, r *http.Request, addressee func(ctx context.Context, sender *spaces.Account) error) {
	ctx := r.Context()
	if name, ok := mux.Vars(r)["name"]; ok {
		if _, ok := f.localActor(w, r, name, spaces.TypePerson); !ok {
			return
		}
	}
	p, err := transport.ParseSignature(r.Header.Get("Signature"))
	if err != nil {
		refuse(w, http.StatusUnauthorized, err)
		return
	}
	if err := f.hostAllowed(ctx, activitystreams.Host(p.KeyID)); err != nil {
		f.refuseHost(w, r, err)
		return
	}
	if !activitystreams.IsASMediaType(r.Header.Get("Content-Type")) {
		refuse(w, http.StatusUnsupportedMediaType, errors.New("send application/activity+json or application/ld+json"))
		return
	}
	body, err := transport.ReadBody(http.MaxBytesReader(w, r.Body, MaxInboxBody+1), MaxInboxBody)
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, fmt.Errorf("the body must be at most %d bytes", MaxInboxBody))
		return
	}
	in, err := activitystreams.ParseActivity(body)
	if err != nil {
		refuse(w, http.StatusBadRequest, err)
		return
	}
	if err := f.hostAllowed(ctx, activitystreams.Host(in.Actor)); err != nil {
		f.refuseHost(w, r, err)
		return
	}
	if err := checkOrigin(in); err != nil {
		refuse(w, http.StatusForbidden, err)
		return
	}
	if !activitystreams.SameOrigin(p.KeyID, in.Actor) {
		refuse(w, http.StatusUnauthorized, errKeyOwner)
		return
	}
	if err := transport.CheckRequest(r, p, body, f.clock(), f.cfg.Federation.SignatureMaxSkew); err != nil {
		refuse(w, http.StatusUnauthorized, err)
		return
	}
	selfDelete := in.Type == "Delete" && in.Object.ID == in.Actor
	if selfDelete {
		// An actor the node never knew is being deleted: there is nothing to
		// delete, and fetching its key (gone with it) would only make every
		// server of the network hammer its origin. Accept and drop.
		if _, err := f.store.KeyByKeyID(ctx, p.KeyID); errors.Is(err, db.ErrNotFound) {
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	k, err := f.verifiedKey(ctx, r, p)
	switch {
	case errors.Is(err, errActorGone) && selfDelete:
		// The key no longer verifies because its owner is gone: its own
		// server answered 404/410 for it, which is the proof the Delete needs.
	case errors.Is(err, errUnavailable):
		retryLater(w)
		return
	case err != nil:
		refuse(w, http.StatusUnauthorized, err)
		return
	case k.owner == nil || k.owner.URI != in.Actor:
		refuse(w, http.StatusUnauthorized, errKeyOwner)
		return
	}
	if addressee != nil && k != nil {
		if err := addressee(ctx, k.owner); errors.Is(err, errNoInbox) {
			http.Error(w, "no such inbox", http.StatusNotFound)
			return
		} else if err != nil {
			f.serverError(w, r, "find the addressee", err)
			return
		}
	}
	now := f.clock()
	err = f.queue.Receive(ctx, &db.InboxItem{
		ID: ulid.Make().String(), ActivityURI: in.ID, Type: in.Type, ActorURI: in.Actor,
		Host: activitystreams.Host(in.Actor), Body: string(body), State: db.JobPending,
		NextAt: now, ReceivedAt: now,
	})
	if err != nil {
		f.serverError(w, r, "store received activity", err)
		return
	}
	f.unavailable.Ended()
	f.notify()
	f.meter.InboxAccepted()
	w.WriteHeader(http.StatusAccepted)
}

func refuse(w http.ResponseWriter, status int, err error) {
	http.Error(w, err.Error(), status)
}

// errNoInbox is an inbox that does not exist for the sender.
var errNoInbox = errors.New("no such inbox")

// refuseHost answers a sender whose host the node does not federate with
// (403), or, when the rules cannot be read, asks it to come back later.
func (f *Federation) refuseHost(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, ErrHostRefused) {
		f.serverError(w, r, "read the federation rules", err)
		return
	}
	refuse(w, http.StatusForbidden, ErrHostRefused)
}

// errUnavailable is a request the node cannot handle now because its
// database is unavailable.
var errUnavailable = errors.New("temporarily unavailable")

// serverError answers a failure of the node itself. When its database is
// unavailable (restarting, say), the answer is 503 with Retry-After, which
// every sender retries, and the failures are logged a few at a time;
// otherwise 500, and the cause is logged.
func (f *Federation) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, errUnavailable) || db.Unavailable(err) {
		f.unavailable.Failed(err)
		retryLater(w)
		return
	}
	f.log.Error(what, "err", err, "path", r.URL.Path)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// retryLater answers 503: not now, try again in a while.
func retryLater(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "30")
	http.Error(w, errUnavailable.Error()+": try again later", http.StatusServiceUnavailable)
}

// errOrigin is an activity that speaks for objects of another server.
var errOrigin = errors.New("the activity claims an object of another server")

// checkOrigin enforces that an actor acts on its own server's objects where
// that matters: the activity's own id, the object it creates, updates or
// deletes, and the activity it undoes.
func checkOrigin(in *activitystreams.Incoming) error {
	if !activitystreams.SameOrigin(in.ID, in.Actor) {
		return errOrigin
	}
	switch in.Type {
	case "Update":
		// a member of a space edits any page of its wiki: his Update of a
		// page of another server, which the space's node alone takes
		// (onWikiEdit)
		if in.Object.ID != "" && !activitystreams.SameOrigin(in.Object.ID, in.Actor) && !activitystreams.IsWikiPage(in.Object.Embedded) {
			return errOrigin
		}
	case "Create", "Delete":
		if in.Object.ID != "" && !activitystreams.SameOrigin(in.Object.ID, in.Actor) {
			return errOrigin
		}
	case "Undo":
		if in.Object.ID != "" && !activitystreams.SameOrigin(in.Object.ID, in.Actor) {
			return errOrigin
		}
		if in.Object.Actor != "" && in.Object.Actor != in.Actor {
			return errOrigin
		}
	}
	return nil
}

// verifiedKey returns the key a request was signed with, once its signature
// verifies. A stored key that fails is refetched once — its owner may have
// rotated it — but not more than once per keyRefetchGap per key, so a forged
// signature cannot make the node hammer the key's server.
//
// Its errors are safe to answer: the detail of a failed key fetch (a
// resolver's address, "no route to host", a refused port) would make the
// inbox a probe of the network behind the node, so it is logged, and the
// answer names only what failed.
func (f *Federation) verifiedKey(ctx context.Context, r *http.Request, p *transport.Params) (*remoteKey, error) {
	k, err := f.checkedKey(ctx, r, p)
	if err == nil {
		return k, nil
	}
	if db.Unavailable(err) {
		f.unavailable.Failed(err)
		return nil, errUnavailable // the key is not at fault: the sender retries
	}
	f.log.Info("signature refused", "keyId", p.KeyID, "err", err)
	if errors.Is(err, errKeyRefused) {
		return nil, err
	}
	for _, safe := range []error{errActorGone, errKeyOwner, errKeyUnavailable, transport.ErrAlgorithm, transport.ErrBadSignature} {
		if errors.Is(err, safe) {
			return nil, safe
		}
	}
	return nil, transport.ErrVerify
}

func (f *Federation) checkedKey(ctx context.Context, r *http.Request, p *transport.Params) (*remoteKey, error) {
	k, err := f.publicKey(ctx, p.KeyID, false)
	if err != nil {
		return nil, err
	}
	if k.owner != nil && k.owner.IsLocal() {
		return nil, errKeyOwner // a remote request signed with one of the node's own keys
	}
	err = transport.Verify(r, p, k.key)
	if err == nil || !f.mayRefetch(k) {
		return k, err
	}
	fresh, ferr := f.publicKey(ctx, p.KeyID, true)
	if ferr != nil {
		if errors.Is(ferr, errActorGone) {
			return nil, ferr
		}
		return nil, err
	}
	if err := transport.Verify(r, p, fresh.key); err != nil {
		return nil, err
	}
	return fresh, nil
}

// mayRefetch tells whether a stored key may be fetched again now, and
// records the attempt.
func (f *Federation) mayRefetch(k *remoteKey) bool {
	now := f.clock()
	if now.Sub(k.row.FetchedAt) < keyRefetchGap {
		return false
	}
	if last, ok := f.refetched.Load(k.row.KeyID); ok && now.Sub(last.(time.Time)) < keyRefetchGap {
		return false
	}
	f.refetched.Store(k.row.KeyID, now)
	return true
}
