package federation

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Who receives what a space's Group sends. Recipients are named by two
// audience IRIs that are never published — a fragment on the space's or the
// post's id — and expanded here, inside the transaction of the change:
//
//   - {space}#audience: the space's remote followers and remote active
//     members who may see the space (the visibility rule on each: for a
//     members-only space, its members; for a network space, accounts of the
//     network);
//   - {post}#audience: the same people, each checked with the visibility
//     rule against the post itself (CanSee, read in the transaction that
//     wrote it). A public post is visible to everyone, so no check is made;
//     a deleted one is no longer visible to anyone, so the space's rule
//     stands in (who could see it before).
//
// Delivery goes to shared inboxes, one per server: a server receives a
// members-only post only when it hosts a member who may see it.

const audienceFragment = "#audience"

func (f *Federation) spaceAudience(g *spaces.Account) string { return f.ActorIRI(g) + audienceFragment }

func (f *Federation) postAudience(p *spaces.Post) string {
	return f.origin + "/posts/" + p.ID + audienceFragment
}

// expandAudience is the CollectionExpander of the audience IRIs.
func (f *Federation) expandAudience(ctx context.Context, iri string) ([]*spaces.Account, bool, error) {
	base, ok := strings.CutSuffix(iri, audienceFragment)
	if !ok {
		return nil, false, nil
	}
	kind, name := f.localUsernameOf(base)
	switch kind {
	case "spaces":
		sp, err := f.rows.SpaceBySlug(ctx, name, "")
		if err != nil {
			return nil, true, err
		}
		out, err := f.spaceReaders(ctx, sp, nil)
		return out, true, err
	case "posts":
		p, err := f.rows.PostByID(ctx, name)
		if err != nil {
			return nil, true, err
		}
		if p.SpaceID == "" {
			return nil, true, nil
		}
		sp, err := f.rows.SpaceByAccountID(ctx, p.SpaceID)
		if err != nil {
			return nil, true, err
		}
		out, err := f.spaceReaders(ctx, sp, p)
		return out, true, err
	}
	return nil, false, nil
}

// spaceReaders lists the remote followers and active members of a space who
// may see it, or (p set) the post.
func (f *Federation) spaceReaders(ctx context.Context, sp *spaces.Space, p *spaces.Post) ([]*spaces.Account, error) {
	candidates, err := f.allFollows(ctx, sp.AccountID, true)
	if err != nil {
		return nil, err
	}
	page := db.MemberPage{State: spaces.StateActive, Limit: 500}
	for {
		list, err := f.rows.ListMemberships(ctx, sp.AccountID, page)
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			candidates = append(candidates, m.Account)
		}
		if len(list) < page.Limit {
			break
		}
		page.After = list[len(list)-1].ID
	}
	seen := map[string]bool{}
	var out []*spaces.Account
	for _, a := range candidates {
		if a == nil || a.IsLocal() || a.Status != spaces.StatusActive || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		ok, err := f.mayReceive(ctx, a, sp, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// mayReceive applies the visibility rule to one recipient.
func (f *Federation) mayReceive(ctx context.Context, a *spaces.Account, sp *spaces.Space, p *spaces.Post) (bool, error) {
	reader := f.spaces.Reader(a)
	switch {
	case p != nil && !p.IsDeleted() && p.Visibility == spaces.VisibilityPublic:
		return true, nil
	case p != nil && !p.IsDeleted():
		_, err := f.rows.VisiblePost(ctx, reader, p.ID)
		if errors.Is(err, db.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	case sp.Visibility == spaces.VisibilityPublic:
		return true, nil
	}
	return f.rows.SpaceVisible(ctx, reader, sp.AccountID)
}
