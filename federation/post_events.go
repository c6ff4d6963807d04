package federation

import (
	"context"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// What the node sends when posts change. The author's server sends the
// author's activity (Create, Update, Delete, Like, Undo): to the Group of a
// remote space, to the followers for a profile post. The Group of a local
// space then announces it to the space's audience (FEP-1b12): the activity
// of a local author as written here, that of a remote author exactly as its
// server sent it. A new top-level public post is announced a second time by
// its IRI alone, which Mastodon shows as a boost (it ignores
// Announce(Create)). A moderator's removal is a Delete by the Group,
// announced. A member's revision of a wiki page of a remote space that
// another wrote is his own Update of it, to the space's Group
// (onWikiEditSent). Receivers deduplicate by object id.

type receivedKey struct{}

// withReceived marks ctx as the handling of a received activity, so that the
// events it causes can announce it verbatim.
func withReceived(ctx context.Context, r *Received) context.Context {
	return context.WithValue(ctx, receivedKey{}, r)
}

// receivedFrom returns the received activity being handled, if any.
func receivedFrom(ctx context.Context) *Received {
	r, _ := ctx.Value(receivedKey{}).(*Received)
	return r
}

// received returns the activity being handled if it is of type typ and
// about object, for a Group to announce as it came.
func received(ctx context.Context, typ, object string) map[string]any {
	r := receivedFrom(ctx)
	if r == nil || r.Type != typ || (object != "" && r.Object.ID != object && r.Object.Object != object) {
		return nil
	}
	return r.Raw
}

// authorRecipients is where an author's activity about p goes. A profile
// post goes where it is addressed: the author's followers and the accounts
// it mentions. A post in a remote space goes to the space's Group, which
// announces it; in a local space the Group announces it itself. In any
// space, the remote accounts the post mentions who may see it get the
// author's activity too: Mastodon-family servers notify a mention only when
// the author's own Create reaches them. With all set (an edit or a
// deletion), a local space's audience gets the author's activity as well:
// those servers ignore the Group's Announce(Update) and Announce(Delete),
// and apply only the author's own to a post the Group boosted.
func (f *Federation) authorRecipients(ctx context.Context, p *spaces.Post, sp *spaces.Space, o activitystreams.Object, all bool) ([]string, error) {
	if sp == nil {
		return append(append([]string{}, o.To...), o.Cc...), nil // as:Public is nobody; followers expand
	}
	var out []string
	switch {
	case !localSpace(sp):
		out = append(out, sp.Account.URI)
	case all:
		out = append(out, f.postAudience(p))
	}
	for _, m := range p.Mentions {
		if m.AccountID == "" || m.Domain == "" {
			continue
		}
		a, err := f.rows.AccountByID(ctx, m.AccountID)
		if err != nil {
			return nil, err
		}
		if a.Status != spaces.StatusActive || a.URI == "" {
			continue
		}
		ok, err := f.mayReceive(ctx, a, sp, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a.URI)
		}
	}
	return out, nil
}

// onPostCreated sends a new post or comment.
func (f *Federation) onPostCreated(ctx context.Context, p *spaces.Post, top bool) error {
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	var inner map[string]any
	verbatim := false
	switch {
	case p.Author.IsLocal():
		row, err := f.sendPost(ctx, sp, p, "Create", p.CreatedAt)
		if err != nil || !localSpace(sp) {
			return err
		}
		if inner, err = bodyOf(row); err != nil {
			return err
		}
	case localSpace(sp):
		if inner = received(ctx, "Create", f.PostIRI(p)); inner == nil {
			f.log.Warn("a remote post entered a local space without its Create: not announced", "post", p.URI)
			return nil
		}
		verbatim = true
	default:
		return nil // a remote post in a remote space or on a profile: its servers speak for it
	}
	if err := f.announce(ctx, sp, p, inner, verbatim); err != nil {
		return err
	}
	if !top || p.Visibility != spaces.VisibilityPublic {
		return nil
	}
	to, cc := f.groupAddressing(sp)
	_, err = f.Send(ctx, sp.Account, activitystreams.Activity{Type: "Announce", Object: f.PostIRI(p), To: to, Cc: cc,
		Audience: f.ActorIRI(sp.Account)}, f.postAudience(p))
	return err
}

// sendPost sends a local post, as its author's Create or Update of it,
// addressed as the post is, and returns the activity sent.
func (f *Federation) sendPost(ctx context.Context, sp *spaces.Space, p *spaces.Post, typ string, published time.Time) (*db.Activity, error) {
	o, err := f.objectOf(ctx, p)
	if err != nil {
		return nil, err
	}
	doc, err := o.Document()
	if err != nil {
		return nil, err
	}
	recipients, err := f.authorRecipients(ctx, p, sp, o, typ != "Create")
	if err != nil {
		return nil, err
	}
	return f.Send(ctx, p.Author, activitystreams.Activity{Type: typ, Object: doc, To: o.To, Cc: o.Cc,
		Audience: o.Audience, Published: published}, recipients...)
}

// announceSent has the Group of a local space announce an activity this node
// just sent about a post in it; a remote space's own server announces there.
func (f *Federation) announceSent(ctx context.Context, sp *spaces.Space, p *spaces.Post, row *db.Activity) error {
	if !localSpace(sp) {
		return nil
	}
	inner, err := bodyOf(row)
	if err != nil {
		return err
	}
	return f.announce(ctx, sp, p, inner, false)
}

// announce sends a Group's Announce of an activity about p to those of the
// space's audience who may see p.
func (f *Federation) announce(ctx context.Context, sp *spaces.Space, p *spaces.Post, inner map[string]any, verbatim bool, extra ...string) error {
	to, cc := f.groupAddressing(sp)
	_, err := f.Send(ctx, sp.Account, activitystreams.Activity{Type: "Announce", Object: inner, Verbatim: verbatim,
		To: to, Cc: cc, Audience: f.ActorIRI(sp.Account)}, append([]string{f.postAudience(p)}, extra...)...)
	return err
}

// onPostUpdated sends an edit.
func (f *Federation) onPostUpdated(ctx context.Context, p *spaces.Post) error {
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	switch {
	case p.Author.IsLocal():
		row, err := f.sendPost(ctx, sp, p, "Update", time.Time{})
		if err != nil {
			return err
		}
		if inner := received(ctx, "Update", f.PostIRI(p)); inner != nil && localSpace(sp) {
			// a member of another node revised a page written here: the
			// author's Update goes out as for any revision, and the Group
			// announces the member's own, which names who made it
			return f.announce(ctx, sp, p, inner, true)
		}
		return f.announceSent(ctx, sp, p, row)
	case localSpace(sp):
		if inner := received(ctx, "Update", f.PostIRI(p)); inner != nil {
			return f.announce(ctx, sp, p, inner, true)
		}
	}
	return nil
}

// onWikiEditSent sends the edit by a member here of a page of a space of
// another node: his Update of the Page as he edited it (its new name,
// text, Markdown source, parent, and wikiRevision the revision it makes,
// one more than the one it was based on), to the space's Group alone. The
// space's node takes it or refuses it; its Group announces the revision
// back, which this node then takes as any mirror would.
func (f *Federation) onWikiEditSent(ctx context.Context, p *spaces.Post, by *spaces.Account) error {
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	if sp == nil || localSpace(sp) {
		return nil
	}
	o, err := f.objectOf(ctx, p)
	if err != nil {
		return err
	}
	doc, err := o.Document()
	if err != nil {
		return err
	}
	_, err = f.Send(ctx, by, activitystreams.Activity{Type: "Update", Object: doc, To: o.To, Cc: o.Cc,
		Audience: o.Audience}, sp.Account.URI)
	return err
}

// onPostDeleted sends a deletion: by its author (by nil), or a removal by a
// moderator (by), which the Group of a local space sends itself.
func (f *Federation) onPostDeleted(ctx context.Context, p *spaces.Post, by *spaces.Account) error {
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	tomb := f.tombstoneOf(p)
	delete(tomb, "@context")
	o := activitystreams.Object{To: []string{activitystreams.Public}}
	if sp != nil {
		o.To, o.Cc = f.groupAddressing(sp)
	} else {
		o.Cc = []string{f.FollowersIRI(p.Author)}
		for _, m := range p.Mentions { // kept in memory by the deletion
			if m.AccountID != "" && m.Domain != "" {
				if a, err := f.rows.AccountByID(ctx, m.AccountID); err == nil && a.URI != "" {
					o.Cc = append(o.Cc, a.URI)
				}
			}
		}
	}
	to, cc := o.To, o.Cc
	removal := by != nil && by.ID != p.AccountID
	var extra []string
	if !p.Author.IsLocal() {
		extra = append(extra, p.Author.URI) // the author's server learns of a removal even when they are no member now
	}
	switch {
	case removal && !by.IsLocal():
		return nil // a remote space's Group removed it, and told its audience
	case removal && localSpace(sp):
		doc, err := f.record(ctx, sp.Account, activitystreams.Activity{Type: "Delete", Object: tomb, To: to, Cc: cc,
			Audience: f.ActorIRI(sp.Account)})
		if err != nil {
			return err
		}
		return f.announce(ctx, sp, p, doc, false, extra...)
	case p.Author.IsLocal():
		// the author deleted it, or this node's staff removed a member's post
		// elsewhere: the author's server speaks for its author
		recipients, err := f.authorRecipients(ctx, p, sp, o, true)
		if err != nil {
			return err
		}
		row, err := f.Send(ctx, p.Author, activitystreams.Activity{Type: "Delete", Object: tomb, To: to, Cc: cc}, recipients...)
		if err != nil {
			return err
		}
		return f.announceSent(ctx, sp, p, row)
	case localSpace(sp):
		if inner := received(ctx, "Delete", f.PostIRI(p)); inner != nil {
			return f.announce(ctx, sp, p, inner, true)
		}
	}
	return nil
}

// onLiked sends a like or its undoing.
func (f *Federation) onLiked(ctx context.Context, l *spaces.Like, like bool) error {
	p := l.Post
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	if p.Author == nil {
		if p.Author, err = f.rows.AccountByID(ctx, p.AccountID); err != nil {
			return err
		}
	}
	switch {
	case l.Account.IsLocal():
		var recipients []string
		if !p.Author.IsLocal() {
			recipients = append(recipients, p.Author.URI)
		}
		if sp != nil && !localSpace(sp) {
			recipients = append(recipients, sp.Account.URI)
		}
		audience := ""
		if sp != nil {
			audience = f.ActorIRI(sp.Account)
		}
		act := activitystreams.Activity{Type: "Like", Object: f.PostIRI(p), To: []string{f.ActorIRI(p.Author)}, Audience: audience}
		if !like {
			liked := map[string]any{"type": "Like", "actor": f.ActorIRI(l.Account), "object": f.PostIRI(p)}
			if l.URI != "" {
				liked["id"] = l.URI
			}
			act = activitystreams.Activity{Type: "Undo", Object: liked, To: act.To, Audience: audience}
		}
		row, err := f.Send(ctx, l.Account, act, recipients...)
		if err != nil {
			return err
		}
		if like {
			if err := f.rows.SetLikeURI(ctx, l.ID, row.URI); err != nil {
				return err
			}
		}
		return f.announceSent(ctx, sp, p, row)
	case localSpace(sp):
		typ := "Like"
		if !like {
			typ = "Undo"
		}
		if inner := received(ctx, typ, ""); inner != nil {
			return f.announce(ctx, sp, p, inner, true)
		}
	}
	return nil
}

// onPinned tells a local space's audience, or a member's followers, that
// its featured collection changed (Add or Remove of the post).
func (f *Federation) onPinned(ctx context.Context, p *spaces.Post, typ string) error {
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return err
	}
	if sp == nil && p.Author != nil && p.Author.IsLocal() {
		followers := f.FollowersIRI(p.Author)
		_, err = f.Send(ctx, p.Author, activitystreams.Activity{Type: typ, Object: f.PostIRI(p),
			Target: f.ActorIRI(p.Author) + "/featured", To: []string{followers}}, followers)
		return err
	}
	if !localSpace(sp) {
		return nil
	}
	to, cc := f.groupAddressing(sp)
	g := f.ActorIRI(sp.Account)
	_, err = f.Send(ctx, sp.Account, activitystreams.Activity{Type: typ, Object: f.PostIRI(p), Target: g + "/featured",
		To: to, Cc: cc, Audience: g}, f.postAudience(p))
	return err
}
