package federation

import (
	"context"
	"errors"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// registerHandlers installs the handlers of what the federation core
// understands: follows between accounts, and actors updating or deleting
// themselves; then those of spaces and posts (receive_spaces.go).
func (f *Federation) registerHandlers() {
	f.Handle("Follow", f.onFollow)
	f.Handle("Accept", f.onAccept)
	f.Handle("Reject", f.onReject)
	f.Handle("Undo", f.onUndo)
	f.Handle("Update", f.onUpdate)
	f.Handle("Delete", f.onDelete)
	f.registerSpaceHandlers()
}

// localAccountByIRI returns the local account an actor IRI of this node names.
func (f *Federation) localAccountByIRI(ctx context.Context, iri string) (*spaces.Account, error) {
	kind, name := f.localUsernameOf(iri)
	want := map[string]string{"users": spaces.TypePerson, "spaces": spaces.TypeGroup, "actor": spaces.TypeApplication}[kind]
	if want == "" {
		return nil, errNotForUs(iri)
	}
	a, err := f.spaces.LocalAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	if a.Type != want {
		return nil, errNotForUs(iri)
	}
	return a, nil
}

// onFollow: a remote actor follows a local account. The domain decides
// (accepted at once, or pending for a locked account); the Accept goes out
// through the follow events. A Follow repeated for a follow already accepted
// (the other server lost track) is answered with a new Accept.
func (f *Federation) onFollow(ctx context.Context, r *Received) error {
	target, err := f.localAccountByIRI(ctx, r.Object.ID)
	if err != nil {
		return err
	}
	fl, err := f.spaces.FollowAccount(ctx, r.From, target, r.ID)
	if err != nil {
		return err
	}
	if fl.URI != r.ID && fl.State == spaces.FollowStateAccepted {
		return f.store.Tx(ctx, func(ctx context.Context) error {
			return f.sendAnswer(ctx, "Accept", target, r.From, r.ID)
		})
	}
	return nil
}

// followAnswered finds the follow an Accept or Reject answers: the node's
// Follow by its id, or — from servers that describe it instead — the follow
// of the embedded actor of the sender. Only the followed actor may answer.
func (f *Federation) followAnswered(ctx context.Context, r *Received) (*spaces.Account, error) {
	var fl *db.Follow
	var err error
	if r.Object.ID != "" {
		fl, err = f.rows.FollowByURI(ctx, r.Object.ID)
	}
	if fl == nil && r.Object.Actor != "" {
		follower, lerr := f.localAccountByIRI(ctx, r.Object.Actor)
		if lerr != nil {
			return nil, lerr
		}
		fl, err = f.rows.FollowBetween(ctx, follower.ID, r.From.ID)
	}
	if err != nil || fl == nil {
		if err == nil || errors.Is(err, db.ErrNotFound) {
			return nil, errNotForUs("the follow")
		}
		return nil, err
	}
	if fl.TargetID != r.From.ID {
		return nil, &spaces.Error{Kind: spaces.KindForbidden, Code: "not_target", Message: "only the followed actor answers a follow"}
	}
	return f.rows.AccountByID(ctx, fl.FollowerID)
}

// onAccept: a remote actor accepted a local account's follow.
func (f *Federation) onAccept(ctx context.Context, r *Received) error {
	follower, err := f.followAnswered(ctx, r)
	if err != nil {
		return err
	}
	_, err = f.spaces.AcceptFollow(ctx, r.From, follower)
	return err
}

// onReject: a remote actor refused a local account's follow, or removed it.
func (f *Federation) onReject(ctx context.Context, r *Received) error {
	follower, err := f.followAnswered(ctx, r)
	if err != nil {
		return err
	}
	_, err = f.spaces.RejectFollow(ctx, r.From, follower)
	if errors.Is(err, spaces.ErrNotFound) {
		return nil // already gone
	}
	return err
}

// onUndo: a remote actor takes back one of its activities. Undo(Follow) is an
// unfollow; other undone types go to "Undo/<type>" handlers.
func (f *Federation) onUndo(ctx context.Context, r *Received) error {
	objType := r.Object.Type
	var fl *db.Follow
	if r.Object.ID != "" {
		if got, err := f.rows.FollowByURI(ctx, r.Object.ID); err == nil {
			fl, objType = got, "Follow"
		}
	}
	if objType != "Follow" {
		return f.subHandler(ctx, "Undo/"+objType, r)
	}
	var target *spaces.Account
	var err error
	if fl != nil {
		if fl.FollowerID != r.From.ID {
			return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_follower", Message: "only the follower undoes a follow"}
		}
		target, err = f.rows.AccountByID(ctx, fl.TargetID)
	} else {
		target, err = f.localAccountByIRI(ctx, r.Object.Object)
	}
	if err != nil {
		return err
	}
	err = f.spaces.Unfollow(ctx, r.From, target)
	if errors.Is(err, spaces.ErrNotFound) {
		return ErrIgnored // nothing to undo: the follow was never recorded or is gone already
	}
	return err
}

// onUpdate: an actor updated its own profile (or rotated its key); updates
// of other objects go to the "Update/object" handler.
func (f *Federation) onUpdate(ctx context.Context, r *Received) error {
	if r.Object.ID != r.From.URI {
		return f.subHandler(ctx, "Update/object", r)
	}
	if r.Object.Embedded != nil {
		if _, err := f.storeActor(ctx, r.Object.Embedded); err == nil {
			return nil
		}
	}
	// Not embedded, or not usable as it came: read it from its server.
	doc, err := f.fetchDocument(ctx, r.From.URI)
	if err != nil {
		return err
	}
	_, err = f.storeActor(ctx, doc)
	return err
}

// onDelete: an actor deleted itself; deletions of other objects go to the
// "Delete/object" handler.
func (f *Federation) onDelete(ctx context.Context, r *Received) error {
	if r.Object.ID != r.From.URI {
		return f.subHandler(ctx, "Delete/object", r)
	}
	return f.spaces.RemoteAccountDeleted(ctx, r.From)
}
