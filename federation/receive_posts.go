package federation

import (
	"context"
	"errors"
	"slices"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Received posts, comments, edits, deletions and likes. They reach the node
// two ways:
//
//   - from their author's server: a Create addressed to a local space's
//     Group (audience, to or cc) enters through CreatePost or CreateComment
//     with the author as the one who acts — the domain checks membership and
//     posting rights, and refuses non-members (nothing stored, nothing
//     announced); edits, deletions and likes likewise. A Create of a profile
//     post is kept when a member here follows its author.
//   - from the Group of a remote space this node mirrors, in an Announce:
//     the Group vouches for what happens in its space (it checked the
//     author's rights), so its posts enter through ReceiveGroupPost. The
//     embedded activity is taken as the Group sent it; an object given by
//     its IRI alone is fetched from its own server.

// onCreate: a post from its author's server.
func (f *Federation) onCreate(ctx context.Context, r *Received) error {
	if r.Object.Embedded != nil && !activitystreams.PostTypes[r.Object.Type] {
		return ErrIgnored
	}
	o, err := f.remoteObject(ctx, r.Object, true)
	if err != nil {
		return err
	}
	if o.AttributedTo != r.From.URI {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author", Message: "a post is created by its author"}
	}
	if _, err := f.db.PostByURI(ctx, o.ID); err == nil {
		return nil // received already
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	var parent *spaces.Post
	if o.InReplyTo != "" {
		if parent, err = f.postByIRI(ctx, o.InReplyTo); err != nil {
			return ignoreNotFound(mapNotFound(err)) // a reply to a post this node does not hold
		}
	}
	in := postInput(o)
	ctx = withReceived(ctx, r)
	var p *spaces.Post
	switch g := f.addressedGroup(ctx, o, r); {
	case parent != nil:
		if parent.SpaceID != "" && !f.isLocalAccount(ctx, parent.SpaceID) {
			return ErrIgnored // a comment in a remote space: its Group announces it
		}
		p, err = f.spaces.CreateComment(ctx, r.From, parent.ID, in)
	case g != nil:
		p, err = f.spaces.CreatePost(ctx, r.From, g.Username, in)
	default:
		followed, ferr := f.followedHere(ctx, r.From)
		if ferr != nil {
			return ferr
		}
		if !followed {
			return ErrIgnored // nobody here asked for this author's posts
		}
		in.Visibility = spaces.VisibilityFollowers
		if slices.Contains(o.To, activitystreams.Public) || slices.Contains(o.Cc, activitystreams.Public) {
			in.Visibility = spaces.VisibilityPublic
		}
		p, err = f.spaces.CreatePost(ctx, r.From, "", in)
	}
	if err != nil {
		return f.receivedTwice(ctx, o.ID, err)
	}
	f.cacheFiles(ctx, p)
	return nil
}

// receivedTwice turns the domain's refusal of a post stored already (the
// same post received by two ways at once) into success, and keeps any other
// error.
func (f *Federation) receivedTwice(ctx context.Context, iri string, err error) error {
	if codeOf(err) == "post_exists" {
		if _, gerr := f.db.PostByURI(ctx, iri); gerr == nil {
			return nil
		}
	}
	return err
}

// isLocalAccount tells whether the account id (a space's) lives on this node.
func (f *Federation) isLocalAccount(ctx context.Context, id string) bool {
	a, err := f.db.AccountByID(ctx, id)
	return err == nil && a.IsLocal()
}

// mapNotFound turns the store's not-found into the domain's.
func mapNotFound(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return spaces.ErrNotFound
	}
	return err
}

// addressedGroup returns the local space's Group a post or its activity is
// addressed to (audience first, then to and cc), or nil.
func (f *Federation) addressedGroup(ctx context.Context, o *activitystreams.RemoteObject, r *Received) *spaces.Account {
	for _, list := range [][]string{o.Audience, o.To, o.Cc, r.To, r.Cc} {
		for _, iri := range list {
			if g, ok := f.localGroup(ctx, iri); ok {
				return g
			}
		}
	}
	return nil
}

// followedHere tells whether a local account follows a.
func (f *Federation) followedHere(ctx context.Context, a *spaces.Account) (bool, error) {
	page := db.FollowPage{State: spaces.FollowStateAccepted, Limit: 200}
	for {
		list, err := f.db.ListFollowers(ctx, a.ID, page)
		if err != nil {
			return false, err
		}
		for _, fl := range list {
			if fl.Follower.IsLocal() {
				return true, nil
			}
		}
		if len(list) < page.Limit {
			return false, nil
		}
		page.Before = list[len(list)-1].ID
	}
}

// onUpdateObject: an author edits a post.
func (f *Federation) onUpdateObject(ctx context.Context, r *Received) error {
	if r.Object.Embedded != nil && !activitystreams.PostTypes[r.Object.Type] {
		return ErrIgnored
	}
	o, err := f.remoteObject(ctx, r.Object, true)
	if err != nil {
		return err
	}
	if o.AttributedTo != r.From.URI {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author", Message: "a post is edited by its author"}
	}
	return f.applyEdit(withReceived(ctx, r), r.From, o)
}

// applyEdit replaces the text of a stored post with a newer version.
func (f *Federation) applyEdit(ctx context.Context, author *spaces.Account, o *activitystreams.RemoteObject) error {
	p, err := f.db.PostByURI(ctx, o.ID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	if p.IsDeleted() || (!o.Updated.IsZero() && !p.EditedAt.IsZero() && !o.Updated.After(p.EditedAt)) {
		return nil // deleted since, or an edit older than the one kept
	}
	_, err = f.spaces.EditPost(ctx, author, p.ID, editInput(o))
	return err
}

// onDeleteObject: an author deletes a post, or a server's own actor
// deletes one of its spaces' Groups.
func (f *Federation) onDeleteObject(ctx context.Context, r *Received) error {
	if g, err := f.db.AccountByURI(ctx, r.Object.ID); err == nil && g.Type == spaces.TypeGroup {
		if r.From.Type != spaces.TypeApplication && r.From.Type != "Service" {
			return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_server", Message: "a Group is deleted by its server's actor"}
		}
		return f.spaces.RemoteAccountDeleted(ctx, g) // the object is on the sender's origin: checked at the inbox
	}
	return f.deleteBy(withReceived(ctx, r), r.From, r.Object.ID)
}

// deleteBy deletes the post iri as by (its author, or the Group of its space).
func (f *Federation) deleteBy(ctx context.Context, by *spaces.Account, iri string) error {
	p, err := f.postByIRI(ctx, iri)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	if p.IsDeleted() {
		return nil
	}
	err = f.spaces.DeletePost(ctx, by, p.ID)
	if errors.Is(err, spaces.ErrGone) {
		return nil
	}
	return err
}

// onLikeReceived: someone likes a post this node holds.
func (f *Federation) onLikeReceived(ctx context.Context, r *Received) error {
	return f.likeBy(withReceived(ctx, r), r.From, r.Object.ID, r.ID)
}

func (f *Federation) likeBy(ctx context.Context, by *spaces.Account, iri, likeID string) error {
	id, err := f.postIDByIRI(ctx, iri)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	_, err = f.spaces.LikePost(ctx, by, id, likeID)
	if codeOf(err) == "already_liked" {
		return nil
	}
	return err
}

// onUndoLike: someone takes back a like.
func (f *Federation) onUndoLike(ctx context.Context, r *Received) error {
	return f.unlikeBy(withReceived(ctx, r), r.From, r.Object.ID, r.Object.Object)
}

func (f *Federation) unlikeBy(ctx context.Context, by *spaces.Account, likeID, object string) error {
	postID := ""
	if likeID != "" {
		l, err := f.db.LikeByURI(ctx, likeID)
		switch {
		case err == nil:
			if l.AccountID != by.ID {
				return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_liker", Message: "only the one who liked undoes a like"}
			}
			postID = l.PostID
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
	}
	if postID == "" && object != "" {
		id, err := f.postIDByIRI(ctx, object)
		if err != nil {
			return ignoreNotFound(mapNotFound(err))
		}
		postID = id
	}
	if postID == "" {
		return ErrIgnored
	}
	return ignoreNotFound(f.spaces.UnlikePost(ctx, by, postID))
}
