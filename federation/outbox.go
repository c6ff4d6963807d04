package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// CollectionExpander turns a collection IRI of this node into the accounts
// in it, for delivery (a space's members, say). It reports ok=false for an
// IRI that is not one of its collections. It runs inside the transaction of
// the change being announced.
type CollectionExpander func(ctx context.Context, iri string) (members []*spaces.Account, ok bool, err error)

// ExpandCollection teaches delivery a kind of collection. Followers
// collections of local actors are known already.
func (f *Federation) ExpandCollection(e CollectionExpander) { f.collections = append(f.collections, e) }

// Send writes an activity of a local actor in the transaction ctx carries —
// that of the change it announces, so both commit or neither does — and queues one
// delivery per inbox of its recipients. Recipients are IRIs: remote actors
// (delivered to their own inbox), collections (the actor's followers, or one
// an expander knows: delivered to shared inboxes, each once) and as:Public
// (nobody to deliver to). The activity's id and actor are set here.
// Recipients the node has not met yet are resolved by the worker.
func (f *Federation) Send(ctx context.Context, from *spaces.Account, act activitystreams.Activity, recipients ...string) (*db.Activity, error) {
	if !from.IsLocal() {
		return nil, errors.New("send: only local actors send activities")
	}
	id := ulid.Make().String()
	now := f.clock()
	act.ID, act.Actor = f.ActivityIRI(id), f.ActorIRI(from)
	if act.Published.IsZero() && act.Type != "Follow" && act.Type != "Accept" && act.Type != "Reject" && act.Type != "Undo" {
		act.Published = now
	}
	doc, err := act.Document()
	if err != nil {
		return nil, fmt.Errorf("send %s: %w", act.Type, err)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	row := &db.Activity{
		ID: id, URI: act.ID, Type: act.Type, ActorID: from.ID, ObjectURI: activitystreams.IRIOf(act.Object),
		Public: slices.Contains(act.To, activitystreams.Public) || slices.Contains(act.Cc, activitystreams.Public),
		Body:   string(body), CreatedAt: now,
	}
	err = f.store.Tx(ctx, func(ctx context.Context) error {
		inboxes, unresolved, err := f.expand(ctx, from, recipients)
		if err != nil {
			return fmt.Errorf("send %s: recipients: %w", act.Type, err)
		}
		row.Unresolved = strings.Join(unresolved, "\n")
		if err := f.store.InsertActivity(ctx, row); err != nil {
			return err
		}
		return f.queue.Enqueue(ctx, row, inboxes)
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// expand turns recipients into inboxes (deduplicated, hosts the node does
// not federate with left out) and the IRIs it could not resolve yet.
func (f *Federation) expand(ctx context.Context, from *spaces.Account, recipients []string) (inboxes, unresolved []string, err error) {
	allowed, err := f.policy(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	add := func(a *spaces.Account, shared bool) {
		if a.IsLocal() || a.Status != spaces.StatusActive {
			return
		}
		in := inboxOf(a, shared)
		if in != "" && !seen[in] && allowed(activitystreams.Host(in)) {
			seen[in] = true
			inboxes = append(inboxes, in)
		}
	}
	for _, iri := range recipients {
		switch {
		case iri == "" || iri == activitystreams.Public:
		case iri == f.FollowersIRI(from):
			followers, err := f.allFollows(ctx, from.ID, true)
			if err != nil {
				return nil, nil, err
			}
			for _, a := range followers {
				add(a, true)
			}
		case activitystreams.SameOrigin(iri, f.origin):
			members, ok, err := f.expandLocal(ctx, iri)
			if err != nil {
				return nil, nil, err
			}
			for _, a := range members {
				add(a, ok)
			}
		default:
			a, err := f.rows.AccountByURI(ctx, iri)
			switch {
			case errors.Is(err, db.ErrNotFound):
				if allowed(activitystreams.Host(iri)) && !slices.Contains(unresolved, iri) {
					unresolved = append(unresolved, iri)
				}
			case err != nil:
				return nil, nil, err
			default:
				add(a, false)
			}
		}
	}
	return inboxes, unresolved, nil
}

// expandLocal asks the registered expanders about a collection of this node.
func (f *Federation) expandLocal(ctx context.Context, iri string) ([]*spaces.Account, bool, error) {
	for _, e := range f.collections {
		members, ok, err := e(ctx, iri)
		if err != nil || ok {
			return members, ok, err
		}
	}
	return nil, false, nil // a local actor: nothing to deliver
}

// allFollows lists every accepted follow of id (followers, or followed
// accounts), page by page.
func (f *Federation) allFollows(ctx context.Context, id string, followers bool) ([]*spaces.Account, error) {
	var out []*spaces.Account
	page := db.FollowPage{State: spaces.FollowStateAccepted, Limit: 500}
	for {
		var list []*db.Follow
		var err error
		if followers {
			list, err = f.rows.ListFollowers(ctx, id, page)
		} else {
			list, err = f.rows.ListFollowing(ctx, id, page)
		}
		if err != nil {
			return nil, err
		}
		for _, fl := range list {
			if followers {
				out = append(out, fl.Follower)
			} else {
				out = append(out, fl.Target)
			}
		}
		if len(list) < page.Limit {
			return out, nil
		}
		page.Before = list[len(list)-1].ID
	}
}

// policy returns the node's federation policy as a predicate on hosts,
// reading the blocks once.
func (f *Federation) policy(ctx context.Context) (func(host string) bool, error) {
	blocks, allowed, err := f.rules(ctx)
	if err != nil {
		return nil, err
	}
	return func(host string) bool {
		for _, b := range blocks {
			if hostMatches(host, b.Domain) {
				return false
			}
		}
		if f.cfg.Federation.Mode == config.FederationAllowlist {
			return onList(allowed, host)
		}
		return true
	}, nil
}

// sendAnswer sends an Accept or a Reject of a remote actor's Follow
// (followID) of a local account.
func (f *Federation) sendAnswer(ctx context.Context, typ string, target, follower *spaces.Account, followID string) error {
	follow := map[string]any{"id": followID, "type": "Follow", "actor": follower.URI, "object": f.ActorIRI(target)}
	if followID == "" {
		delete(follow, "id")
	}
	_, err := f.Send(ctx, target, activitystreams.Activity{Type: typ, Object: follow, To: []string{follower.URI}}, follower.URI)
	return err
}
