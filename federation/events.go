package federation

import (
	"context"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/spaces"
)

var _ spaces.Listener = (*Federation)(nil)

// HandleEvent turns the domain's changes into activities, inside the
// change's transaction.
func (f *Federation) HandleEvent(ctx context.Context, ev spaces.Event) error {
	f.forgetChangedKeys(ctx, ev)
	switch e := ev.(type) {
	case spaces.AccountCreated:
		f.makeKeyAfterCommit(ctx, e.Account)
	case spaces.SpaceCreated:
		if e.Space.Account != nil && e.Space.Account.IsLocal() {
			f.makeKeyAfterCommit(ctx, e.Space.Account) // the Group signs its own activities
		}
	case spaces.AccountUpdated:
		return f.sendActorUpdate(ctx, e.Account)
	case spaces.AccountDeleted:
		if !e.Account.IsLocal() {
			return f.store.DeleteKeysOf(ctx, e.Account.ID) // a deleted actor signs nothing more
		}
		return f.sendActorDelete(ctx, e.Account)
	case spaces.FollowRequested:
		return f.onFollowRequested(ctx, e.Follow)
	case spaces.FollowAccepted:
		if fl := e.Follow; fl.Target.IsLocal() && !fl.Follower.IsLocal() {
			return f.sendAnswer(ctx, "Accept", fl.Target, fl.Follower, fl.URI)
		}
	case spaces.FollowRejected:
		if fl := e.Follow; fl.Target.IsLocal() && !fl.Follower.IsLocal() {
			return f.sendAnswer(ctx, "Reject", fl.Target, fl.Follower, fl.URI)
		}
	case spaces.FollowUndone:
		if fl := e.Follow; fl.Follower.IsLocal() && !fl.Target.IsLocal() {
			follow := map[string]any{"id": fl.URI, "type": "Follow", "actor": f.ActorIRI(fl.Follower), "object": fl.Target.URI}
			_, err := f.Send(ctx, fl.Follower, activitystreams.Activity{Type: "Undo", Object: follow, To: []string{fl.Target.URI}}, fl.Target.URI)
			return err
		}
	default:
		return f.handleSpaceEvent(ctx, ev)
	}
	return nil
}

// onFollowRequested sends a local account's Follow of a remote one (and
// keeps its id, which the answer will name), or accepts at once a remote
// follow the domain accepted.
func (f *Federation) onFollowRequested(ctx context.Context, fl *spaces.Follow) error {
	switch {
	case fl.Follower.IsLocal() && !fl.Target.IsLocal():
		act, err := f.Send(ctx, fl.Follower, activitystreams.Activity{Type: "Follow", Object: fl.Target.URI, To: []string{fl.Target.URI}}, fl.Target.URI)
		if err != nil {
			return err
		}
		fl.URI = act.URI
		return f.rows.SetFollowURI(ctx, fl.ID, fl.URI)
	case !fl.Follower.IsLocal() && fl.Target.IsLocal() && fl.State == spaces.FollowStateAccepted:
		return f.sendAnswer(ctx, "Accept", fl.Target, fl.Follower, fl.URI)
	}
	return nil
}

// sendActorUpdate tells the followers of a local account its new profile
// (or key).
func (f *Federation) sendActorUpdate(ctx context.Context, a *spaces.Account) error {
	if a.Type == spaces.TypeGroup { // a space: its audience is its followers and members
		sp, err := f.rows.SpaceByAccountID(ctx, a.ID)
		if err != nil {
			return err
		}
		return f.sendGroupUpdate(ctx, sp)
	}
	// The key is read in the change's transaction: it may have changed in it (RotateKey).
	k, err := f.keyInTx(ctx, a, func(ctx context.Context) error { return f.sendActorUpdate(ctx, a) })
	if k == nil {
		return err
	}
	doc, err := f.actorDocumentWith(ctx, a, k)
	if err != nil {
		return err
	}
	_, err = f.Send(ctx, a, activitystreams.Activity{Type: "Update", Object: doc,
		To: []string{activitystreams.Public}, Cc: []string{f.FollowersIRI(a)}}, f.FollowersIRI(a))
	return err
}

// sendActorDelete tells the servers of a deleted account's followers, and of
// the accounts it followed, that it is gone.
func (f *Federation) sendActorDelete(ctx context.Context, a *spaces.Account) error {
	recipients := []string{f.FollowersIRI(a)}
	following, err := f.allFollows(ctx, a.ID, false)
	if err != nil {
		return err
	}
	for _, t := range following {
		if !t.IsLocal() {
			recipients = append(recipients, t.URI)
		}
	}
	_, err = f.Send(ctx, a, activitystreams.Activity{Type: "Delete", Object: f.ActorIRI(a),
		To: []string{activitystreams.Public}}, recipients...)
	return err
}

// forgetChangedKeys drops from the key cache the keys of a remote actor the
// domain changed (profile, suspension, deletion), once the change is
// committed: the next request it signs reads its key and owner afresh.
func (f *Federation) forgetChangedKeys(ctx context.Context, ev spaces.Event) {
	var a *spaces.Account
	switch e := ev.(type) {
	case spaces.AccountUpdated:
		a = e.Account
	case spaces.AccountSuspended:
		a = e.Account
	case spaces.AccountDeleted:
		a = e.Account
	}
	if a != nil && !a.IsLocal() {
		f.store.AfterCommit(ctx, func() { f.keys.ForgetOwner(a.ID) })
	}
}
