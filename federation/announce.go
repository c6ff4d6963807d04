package federation

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// What the Group of a remote space announces. The Announce is signed by the
// Group's server (the inbox checked it); the activity inside it is taken as
// the Group's statement about its own space, not as its author's word:
//
//   - a post or comment must be addressed to the Group (audience, to or cc)
//     or answer a post of its space, and be attributed to the actor of its
//     Create, on that actor's server; it enters with ReceiveGroupPost;
//   - an edit or a deletion is applied for the author of the post, a
//     deletion by the Group itself is a moderator's removal; likes count for
//     their actor;
//   - an Update of a wiki page by a member who is not its author is a
//     revision the space's node took: it is applied for that member (only
//     when the Group announces it: never from the member alone);
//   - an object announced by its IRI alone (Announce(Note), a boost) is
//     fetched from its own server; so is the parent of a comment that is not
//     here yet.
//
// Announces of people (boosts by Mastodon users) and of Groups this node
// does not mirror are stored and ignored. Anything about one of this node's
// own posts is ignored: this node is its source.

// maxParentDepth bounds how far up a thread the node fetches missing parents.
const maxParentDepth = 3

// onAnnounce: a remote space's Group distributes what happens in its space.
func (f *Federation) onAnnounce(ctx context.Context, r *Received) error {
	sp, err := f.mirroredSpace(ctx, r.From)
	if err != nil {
		return err
	}
	if r.Object.Embedded != nil && !activitystreams.PostTypes[r.Object.Type] {
		inner, err := activitystreams.ActivityFrom(r.Object.Embedded)
		if err != nil {
			return errObject(err)
		}
		return f.vouched(ctx, r.From, sp, inner)
	}
	return f.receiveVouchedObject(ctx, r.From, sp, r.Object, 0)
}

// goneAtOrigin checks a deletion a Group announces of a post of another
// server: its own server must say it is gone (404 or 410), or the Group's
// word alone would delete another server's post.
func (f *Federation) goneAtOrigin(ctx context.Context, g *spaces.Account, iri string) error {
	if activitystreams.SameOrigin(iri, g.URI) {
		return nil
	}
	_, err := f.fetchDocument(ctx, iri)
	switch s := transport.StatusOf(err); {
	case s == http.StatusNotFound || s == http.StatusGone:
		return nil
	case err == nil:
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_deleted", Message: "the post still stands on its server"}
	}
	return err
}

// errNotInSpace refuses what a Group announces about another space.
var errNotInSpace = &spaces.Error{Kind: spaces.KindForbidden, Code: "not_in_space", Message: "the Group announces only what happens in its space"}

// vouched applies an activity a Group announced.
func (f *Federation) vouched(ctx context.Context, g *spaces.Account, sp *spaces.Space, in *activitystreams.Incoming) error {
	if !activitystreams.SameOrigin(in.ID, in.Actor) {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "origin", Message: errOrigin.Error()}
	}
	_, local := f.localPostID(in.Object.ID)
	if local && (in.Type == "Create" || in.Type == "Update" || (in.Type == "Delete" && in.Actor != g.URI)) {
		return ErrIgnored // this node's own post: it is the source of what its author did
	}
	// An embedded object is taken as the Group sent it only when it lives on
	// the Group's own server: of another server's post, the Group's copy is
	// only its claim, so the post is read at its origin.
	trusted := in.Object.Embedded != nil && activitystreams.SameOrigin(in.Object.ID, g.URI)
	switch in.Type {
	case "Create", "Update":
		if in.Object.Embedded != nil && !activitystreams.PostTypes[in.Object.Type] {
			return ErrIgnored
		}
		if in.Type == "Create" {
			if _, err := f.rows.PostByURI(ctx, in.Object.ID); err == nil {
				return nil // received already
			}
		}
		if in.Type == "Update" && activitystreams.IsWikiPage(in.Object.Embedded) &&
			activitystreams.IRIOf(in.Object.Embedded["attributedTo"]) != in.Actor {
			return f.vouchedWikiEdit(ctx, g, sp, in)
		}
		o, err := f.remoteObject(ctx, in.Object, trusted)
		if err != nil {
			return err
		}
		if o.AttributedTo != in.Actor {
			return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author", Message: "a post is created and edited by its author"}
		}
		if in.Type == "Create" {
			return f.storeVouched(ctx, g, sp, o, 0)
		}
		if err := f.inSpace(ctx, sp, o.ID); err != nil {
			return err
		}
		author, err := f.resolveAuthor(ctx, in.Actor)
		if err != nil {
			return err
		}
		return f.applyEdit(ctx, author, o)
	case "Delete":
		if err := f.inSpace(ctx, sp, in.Object.ID); err != nil {
			return err
		}
		if in.Actor == g.URI {
			return f.deleteBy(ctx, g, in.Object.ID) // a moderator's removal
		}
		if !activitystreams.SameOrigin(in.Object.ID, in.Actor) {
			return &spaces.Error{Kind: spaces.KindForbidden, Code: "origin", Message: errOrigin.Error()}
		}
		if err := f.goneAtOrigin(ctx, g, in.Object.ID); err != nil {
			return err
		}
		author, err := f.resolveAuthor(ctx, in.Actor)
		if err != nil {
			return err
		}
		return f.deleteBy(ctx, author, in.Object.ID)
	case "Like", "Undo":
		target := in.Object.ID
		if in.Type == "Undo" {
			if in.Object.Type != "Like" {
				return ErrIgnored
			}
			target = in.Object.Object
		}
		if err := f.inSpace(ctx, sp, target); err != nil {
			return err
		}
		if _, ok := f.localPostID(target); ok {
			return ErrIgnored // a like of a post of this node reaches it from the one who likes
		}
		liker, err := f.resolveAuthor(ctx, in.Actor)
		if err != nil {
			return err
		}
		if in.Type == "Like" {
			err = f.likeBy(ctx, liker, target, in.ID)
		} else {
			err = f.unlikeBy(ctx, liker, in.Object.ID, target)
		}
		if errors.Is(err, spaces.ErrNotFound) {
			return ErrIgnored // a post this node's readers may not see
		}
		return err
	case "Add", "Remove":
		if in.Actor != g.URI || !strings.HasSuffix(in.Target, "/featured") {
			return ErrIgnored
		}
		return f.pinByGroup(ctx, &Received{Incoming: in, From: g}, in.Type == "Add")
	}
	return ErrIgnored
}

// inSpace checks that the post iri, when this node holds it, is in sp.
func (f *Federation) inSpace(ctx context.Context, sp *spaces.Space, iri string) error {
	p, err := f.postByIRI(ctx, iri)
	if errors.Is(err, db.ErrNotFound) {
		return nil // not here: nothing to change
	}
	if err != nil {
		return err
	}
	if p.SpaceID != sp.AccountID {
		return errNotInSpace
	}
	return nil
}

// receiveVouchedObject stores a post a Group announced or referenced by its
// IRI: the embedded copy when it is the Group's own server's, otherwise the
// one its server serves.
func (f *Federation) receiveVouchedObject(ctx context.Context, g *spaces.Account, sp *spaces.Space, ref activitystreams.Ref, depth int) error {
	if _, ok := f.localPostID(ref.ID); ok {
		return ErrIgnored
	}
	if _, err := f.rows.PostByURI(ctx, ref.ID); err == nil {
		return nil // received already
	}
	trusted := ref.Embedded != nil && activitystreams.SameOrigin(ref.ID, g.URI)
	o, err := f.remoteObject(ctx, ref, trusted)
	if err != nil {
		return err
	}
	return f.storeVouched(ctx, g, sp, o, depth)
}

// storeVouched stores a post of a remote space, after its parent (fetched
// when missing), and caches its files.
func (f *Federation) storeVouched(ctx context.Context, g *spaces.Account, sp *spaces.Space, o *activitystreams.RemoteObject, depth int) error {
	parentID := ""
	if o.InReplyTo != "" {
		parent, err := f.postByIRI(ctx, o.InReplyTo)
		if errors.Is(err, db.ErrNotFound) && depth < maxParentDepth {
			if err := f.receiveVouchedObject(ctx, g, sp, activitystreams.Ref{ID: o.InReplyTo}, depth+1); err != nil {
				return err
			}
			parent, err = f.postByIRI(ctx, o.InReplyTo)
		}
		if err != nil {
			return err
		}
		if parent.SpaceID != sp.AccountID {
			return errNotInSpace
		}
		parentID = parent.ID
	} else if !slices.Contains(o.Audience, g.URI) && !slices.Contains(o.To, g.URI) && !slices.Contains(o.Cc, g.URI) {
		return errNotInSpace
	}
	author, err := f.resolveAuthor(ctx, o.AttributedTo)
	if err != nil {
		return err
	}
	in := f.postInput(o)
	in.Mentioned = f.mentionedIn(ctx, o)
	p, err := f.spaces.ReceiveGroupPost(ctx, g, author, parentID, in)
	if err != nil {
		return f.receivedTwice(ctx, o.ID, err)
	}
	f.cacheFiles(ctx, p)
	return nil
}

// vouchedWikiEdit applies a revision of a wiki page that a member made of
// a page he did not write, which the Group of its space announced: the
// space's node keeps its wiki, took the edit (its rule, its current
// revision) and vouches for it. The page is read from the Update as the
// Group announced it, whatever its server; the revision is recorded under
// the member who made it.
func (f *Federation) vouchedWikiEdit(ctx context.Context, g *spaces.Account, sp *spaces.Space, in *activitystreams.Incoming) error {
	o, err := activitystreams.ObjectFrom(in.Object.Embedded)
	if err != nil {
		return errObject(err)
	}
	if o.Wiki == nil {
		return ErrIgnored
	}
	p, err := f.postByIRI(ctx, o.ID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored // not here: it comes with the page
	}
	if err != nil {
		return err
	}
	if p.SpaceID != sp.AccountID {
		return errNotInSpace
	}
	if p.IsDeleted() {
		return nil
	}
	editor, err := f.editorOf(ctx, in.Actor)
	if err != nil {
		return err
	}
	edit := f.editInput(o)
	edit.Mentioned = f.mentionedIn(ctx, o)
	_, err = f.spaces.ReceiveWikiRevision(ctx, g, editor, p.ID, edit)
	return err
}

// editorOf is the account of the member who made a revision a Group
// announced: a member here (whose edit the space's node took), or an
// account of another server.
func (f *Federation) editorOf(ctx context.Context, iri string) (*spaces.Account, error) {
	if kind, _ := f.localUsernameOf(iri); kind == "users" {
		a, err := f.localAccountByIRI(ctx, iri)
		return a, mapNotFound(err)
	}
	return f.resolveAuthor(ctx, iri)
}
