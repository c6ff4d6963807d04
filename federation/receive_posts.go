package federation

import (
	"cmp"
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
	if v, ok := activitystreams.VoteOf(r.Object.Embedded); ok {
		return f.onVote(ctx, r, v)
	}
	if r.Object.Embedded != nil && !activitystreams.PostTypes[r.Object.Type] {
		return ErrIgnored
	}
	o, err := f.remoteObject(ctx, r.Object, true)
	if codeOf(err) == "object_unavailable" && r.Object.Embedded == nil {
		// a direct post is served only to the accounts it addresses: ask
		// again as a member here whom the Create addresses
		if m := f.addressedMember(ctx, r); m != nil {
			o, err = f.remoteObjectAs(ctx, r.Object, true, m)
		}
	}
	if err != nil {
		return err
	}
	if o.AttributedTo != r.From.URI {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author", Message: "a post is created by its author"}
	}
	if _, err := f.rows.PostByURI(ctx, o.ID); err == nil {
		return nil // received already
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	in := f.postInput(o)
	in.Mentioned = f.mentionedIn(ctx, o)
	parent, err := f.parentOf(ctx, o, in)
	if err != nil {
		return err
	}
	ctx = withReceived(ctx, r)
	var p *spaces.Post
	switch g := f.addressedGroup(ctx, o, r); {
	case parent != nil:
		p, err = f.spaces.CreateComment(ctx, r.From, parent.ID, in)
	case g != nil:
		p, err = f.spaces.CreatePost(ctx, r.From, g.Username, in)
	default:
		in.Visibility = visibilityOf(o, r, r.From)
		keep, kerr := f.keepProfilePost(ctx, r.From, in)
		if kerr != nil || !keep {
			return cmp.Or(kerr, ErrIgnored)
		}
		p, err = f.spaces.CreatePost(ctx, r.From, "", in)
	}
	if err != nil {
		return f.receivedTwice(ctx, o.ID, err)
	}
	f.cacheFiles(ctx, p)
	return nil
}

// parentOf returns the post a received reply answers, when the reply is to
// be kept as its comment: nil for a post that is no reply, and for a reply
// that mentions a member here but whose parent this node does not hold (it
// may come later, or never) or whose remote space nobody here follows —
// such a reply is kept on its own, so that the member hears of it. Any other
// reply to a post the node does not hold, or in a remote space the node
// mirrors (whose Group announces it), is ignored.
func (f *Federation) parentOf(ctx context.Context, o *activitystreams.RemoteObject, in spaces.PostInput) (*spaces.Post, error) {
	if o.InReplyTo == "" {
		return nil, nil
	}
	forHere := slices.ContainsFunc(in.Mentioned, (*spaces.Account).IsLocal)
	parent, err := f.postByIRI(ctx, o.InReplyTo)
	switch {
	case errors.Is(err, db.ErrNotFound) && forHere:
		return nil, nil
	case err != nil:
		return nil, ignoreNotFound(mapNotFound(err))
	case parent.SpaceID == "" || f.isLocalAccount(ctx, parent.SpaceID):
		return parent, nil
	}
	group, err := f.rows.AccountByID(ctx, parent.SpaceID)
	if err != nil {
		return nil, err
	}
	mirrored, err := f.followedHere(ctx, group)
	if err != nil || mirrored || !forHere {
		return nil, cmp.Or(err, ErrIgnored) // a comment in a remote space: its Group announces it
	}
	return nil, nil
}

// receivedTwice turns the domain's refusal of a post stored already (the
// same post received by two ways at once) into success, and keeps any other
// error.
func (f *Federation) receivedTwice(ctx context.Context, iri string, err error) error {
	if codeOf(err) == "post_exists" {
		if _, gerr := f.rows.PostByURI(ctx, iri); gerr == nil {
			return nil
		}
	}
	return err
}

// isLocalAccount tells whether the account id (a space's) lives on this node.
func (f *Federation) isLocalAccount(ctx context.Context, id string) bool {
	a, err := f.rows.AccountByID(ctx, id)
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

// keepProfilePost tells whether the node keeps a remote profile post: one
// that mentions or addresses a member here (who is notified, whoever its
// author), or that a member here follows its author for — except a direct
// post that names nobody here, which nobody here may read.
func (f *Federation) keepProfilePost(ctx context.Context, author *spaces.Account, in spaces.PostInput) (bool, error) {
	if slices.ContainsFunc(in.Mentioned, (*spaces.Account).IsLocal) {
		return true, nil
	}
	if in.Visibility == spaces.VisibilityDirect {
		return false, nil
	}
	return f.followedHere(ctx, author)
}

// visibilityOf reads a remote profile post's addressing as Mastodon writes
// it: as:Public in to is public, in cc only unlisted; the author's followers
// without as:Public is followers-only; anything else is direct (to the
// accounts it names). The object's addressing counts, else its activity's.
func visibilityOf(o *activitystreams.RemoteObject, r *Received, author *spaces.Account) string {
	to, cc := o.To, o.Cc
	if len(to)+len(cc) == 0 {
		to, cc = r.To, r.Cc
	}
	switch {
	case slices.Contains(to, activitystreams.Public):
		return spaces.VisibilityPublic
	case slices.Contains(cc, activitystreams.Public):
		return spaces.VisibilityUnlisted
	case author.FollowersURI != "" && (slices.Contains(to, author.FollowersURI) || slices.Contains(cc, author.FollowersURI)):
		return spaces.VisibilityFollowers
	}
	return spaces.VisibilityDirect
}

// addressedMember returns an active local member a received activity
// addresses (to or cc), or nil.
func (f *Federation) addressedMember(ctx context.Context, r *Received) *spaces.Account {
	for _, iri := range append(append([]string{}, r.To...), r.Cc...) {
		if kind, _ := f.localUsernameOf(iri); kind != "users" {
			continue
		}
		if a, err := f.localAccountByIRI(ctx, iri); err == nil && a.Status == spaces.StatusActive {
			return a
		}
	}
	return nil
}

// mentionedIn returns the accounts a remote post mentions (its Mention tags)
// that the node knows — its members, and remote accounts it stored — and the
// members it addresses in to or cc without a tag (a direct message may name
// its recipients only there). Unknown remote accounts are not fetched: their
// own servers hear of the post from its author.
func (f *Federation) mentionedIn(ctx context.Context, o *activitystreams.RemoteObject) []*spaces.Account {
	var out []*spaces.Account
	seen := map[string]bool{}
	add := func(iri string, localOnly bool) {
		if seen[iri] {
			return
		}
		seen[iri] = true
		var a *spaces.Account
		var err error
		if kind, _ := f.localUsernameOf(iri); kind == "users" {
			a, err = f.localAccountByIRI(ctx, iri)
		} else if !localOnly && !activitystreams.SameOrigin(iri, f.origin) {
			a, err = f.spaces.RemoteAccountByURI(ctx, iri)
		} else {
			return
		}
		if err == nil && a.Status == spaces.StatusActive && a.Type == spaces.TypePerson {
			out = append(out, a)
		}
	}
	for _, iri := range o.Mentions {
		add(iri, false)
	}
	for _, iri := range append(append([]string{}, o.To...), o.Cc...) {
		add(iri, true)
	}
	return out
}

// followedHere tells whether a local account follows a.
func (f *Federation) followedHere(ctx context.Context, a *spaces.Account) (bool, error) {
	page := db.FollowPage{State: spaces.FollowStateAccepted, Limit: 200}
	for {
		list, err := f.rows.ListFollowers(ctx, a.ID, page)
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
		if o.Wiki != nil {
			return f.onWikiEdit(ctx, r, o)
		}
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author", Message: "a post is edited by its author"}
	}
	return f.applyEdit(withReceived(ctx, r), r.From, o)
}

// errNotPageAuthor refuses an Update of a wiki page by another than its
// author that does not come through the node keeping the page.
var errNotPageAuthor = &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author",
	Message: "a page is edited by another than its author through its space's node, whose Group announces the revision"}

// onWikiEdit: a member of a space on another server edits a page of its
// wiki that he did not write. Only the node of the space takes it, and
// only addressed to the space's Group: the domain checks that he may edit
// the wiki (mayEditWiki) and that the edit is based on the current
// revision, records the revision under him, and the Group announces it.
// Elsewhere (a mirror), such an Update is refused: there a page's
// revisions come from its author or from the Group of its space.
func (f *Federation) onWikiEdit(ctx context.Context, r *Received, o *activitystreams.RemoteObject) error {
	g := f.addressedGroup(ctx, o, r)
	if g == nil {
		return errNotPageAuthor
	}
	p, err := f.postByIRI(ctx, o.ID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	if p.Kind != spaces.KindPage || p.SpaceID != g.ID {
		return errNotPageAuthor
	}
	if p.IsDeleted() {
		return nil
	}
	in := f.editInput(o)
	in.Mentioned = f.mentionedIn(ctx, o)
	_, err = f.spaces.EditPost(withReceived(ctx, r), r.From, p.ID, in)
	return err
}

// applyEdit replaces the text of a stored post with a newer version.
func (f *Federation) applyEdit(ctx context.Context, author *spaces.Account, o *activitystreams.RemoteObject) error {
	p, err := f.rows.PostByURI(ctx, o.ID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrIgnored
	}
	if err != nil {
		return err
	}
	if p.IsDeleted() {
		return nil
	}
	if o.Poll != nil {
		// a poll's counts come as Updates that edit nothing else
		if err := f.spaces.UpdateRemotePoll(ctx, author, p.ID, *pollInput(o.Poll)); err != nil {
			return err
		}
		if o.Updated.IsZero() {
			return nil
		}
	}
	if !o.Updated.IsZero() && !p.EditedAt.IsZero() && !o.Updated.After(p.EditedAt) {
		return nil // an edit older than the one kept
	}
	in := f.editInput(o)
	in.Mentioned = f.mentionedIn(ctx, o)
	edited, err := f.spaces.EditPost(ctx, author, p.ID, in)
	if err != nil {
		return err
	}
	f.cacheFiles(ctx, edited) // a document's new version
	return nil
}

// onDeleteObject: an author deletes a post, or a server's own actor
// deletes one of its spaces' Groups.
func (f *Federation) onDeleteObject(ctx context.Context, r *Received) error {
	if g, err := f.rows.AccountByURI(ctx, r.Object.ID); err == nil && g.Type == spaces.TypeGroup {
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
		l, err := f.rows.LikeByURI(ctx, likeID)
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
