package federation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/queue"
	"github.com/ruche-social/ruche/spaces"
)

// Received is an activity taken from the inbox for processing.
type Received struct {
	*activitystreams.Incoming
	// From is the remote account that sent it: the activity's actor, whose
	// key signed the request.
	From *spaces.Account
	Item *db.InboxItem
}

// Handler processes one received activity, through package spaces, with
// From as the one who acts. It must be idempotent: an activity may be
// processed again after a crash. It returns ErrIgnored for an activity it has
// nothing to do with, a domain error (spaces.Error) for one the rules refuse
// (not retried), and any other error for a failure worth retrying.
type Handler func(ctx context.Context, r *Received) error

// ErrIgnored marks an activity the node stores but does nothing with.
var ErrIgnored = queue.ErrIgnored

// Handle registers the handler of an activity type. Keys are a type
// ("Follow", "Create") or, for activities about another object, the type and
// the object's type ("Undo/Like"); "Update/object" and "Delete/object" get
// updates and deletions of anything that is not the sender itself.
func (f *Federation) Handle(key string, h Handler) { f.handlers[key] = h }

// dispatch parses a received activity and runs its handler: the queue's
// Process.
func (f *Federation) dispatch(ctx context.Context, it *db.InboxItem) error {
	in, err := activitystreams.ParseActivity([]byte(it.Body))
	if err != nil {
		return &spaces.Error{Kind: spaces.KindInvalid, Code: "activity_invalid", Message: err.Error()}
	}
	from, err := f.spaces.RemoteAccountByURI(ctx, in.Actor)
	if err != nil {
		return err
	}
	r := &Received{Incoming: in, From: from, Item: it}
	if h, ok := f.handlers[in.Type+"/"+in.Object.Type]; ok && in.Object.Type != "" {
		return h(ctx, r)
	}
	if h, ok := f.handlers[in.Type]; ok {
		return h(ctx, r)
	}
	return ErrIgnored
}

// subHandler runs the handler registered for key, or ignores the activity.
func (f *Federation) subHandler(ctx context.Context, key string, r *Received) error {
	if h, ok := f.handlers[key]; ok {
		return h(ctx, r)
	}
	return ErrIgnored
}

// errNotForUs is an activity about something that is not the node's.
func errNotForUs(what string) error {
	return &spaces.Error{Kind: spaces.KindNotFound, Code: "not_found", Message: fmt.Sprintf("%s is not on this node", what)}
}

// batchKey is the queue's Key: what processing a received activity changes
// first of all — the post a reply answers, else the object the activity is
// about (the post of a Like or an Announce, the activity an Undo takes
// back, a new post itself) — and else its actor.
func batchKey(it *db.InboxItem) string {
	var act map[string]any
	if json.Unmarshal([]byte(it.Body), &act) != nil {
		return it.ActorURI
	}
	if obj, ok := act["object"].(map[string]any); ok {
		if parent := activitystreams.IRIOf(obj["inReplyTo"]); parent != "" {
			return parent
		}
	}
	if iri := activitystreams.IRIOf(act["object"]); iri != "" {
		return iri
	}
	return it.ActorURI
}
