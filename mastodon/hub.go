package mastodon

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/ruche-social/ruche/spaces"
)

// The hub of the streaming API. It listens to the domain's events and, once
// a change has committed (never for one rolled back), hands what may concern
// each subscriber to the subscriber's queue: a post created, edited or
// deleted, or a notification. The hub only sorts by cheap facts (whose
// notification, which space, public or not); whether the subscriber may see
// the post and whether it is in their feed is asked of the domain by the
// subscriber's own goroutine (the connection's), so that a change's commit
// never waits for a query per subscriber, nor for a slow client: a
// subscriber whose queue is full is dropped, and its client reconnects.
//
// The hub lives in the process: a node that runs its web and worker roles in
// separate processes streams the changes made in the web process (what its
// members do), not those the worker makes.

// Limits of the streaming API.
const (
	maxStreamsPerMember = 16   // connections of one member at once
	maxStreamsPerNode   = 4096 // connections of the node
	maxSubscriptions    = 32   // streams one WebSocket carries
	queueSize           = 64   // changes waiting for one subscriber
)

var (
	errTooManyStreams = errStatus(http.StatusTooManyRequests, "Too many streaming connections")
	errStreamsFull    = errStatus(http.StatusServiceUnavailable, "The streaming API is full, try again later")
)

// What a change is.
type changeKind int

const (
	postCreated changeKind = iota
	postEdited
	postDeleted
	notified
)

// change is one thing that happened, as subscribers are told of it: the
// facts of a post (not the post, which each reads as it may see it), or a
// notification (a copy, its actor too).
type change struct {
	kind         changeKind
	postID       string
	spaceID      string
	public       bool
	local        bool
	notification *spaces.Notification
}

// stream is one of Mastodon's streams: user, user:notification, list (with
// the list's id, a space's account id), public, public:local.
type stream struct {
	name string
	list string
}

// names is the stream as Mastodon names it in a WebSocket message.
func (s stream) names() []string {
	if s.name == "list" {
		return []string{s.name, s.list}
	}
	return []string{s.name}
}

// subscriber is one connection of a member.
type subscriber struct {
	member  *spaces.Account
	changes chan change   // bounded: a full queue drops the subscriber
	dropped chan struct{} // closed when the hub drops the subscriber

	// guarded by the hub's mu
	streams map[stream]bool
	gone    bool
}

// hub fans changes out to subscribers.
type hub struct {
	spaces *spaces.Service

	mu        sync.Mutex
	subs      map[*subscriber]bool
	perMember map[string]int
}

var _ spaces.Listener = (*hub)(nil)

func newHub(s *spaces.Service) *hub {
	return &hub{spaces: s, subs: map[*subscriber]bool{}, perMember: map[string]int{}}
}

// subscribe adds a subscriber for member, within the limits.
func (h *hub) subscribe(member *spaces.Account) (*subscriber, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= maxStreamsPerNode {
		return nil, errStreamsFull
	}
	if h.perMember[member.ID] >= maxStreamsPerMember {
		return nil, errTooManyStreams
	}
	sub := &subscriber{member: member, changes: make(chan change, queueSize), dropped: make(chan struct{}), streams: map[stream]bool{}}
	h.subs[sub] = true
	h.perMember[member.ID]++
	return sub, nil
}

// unsubscribe removes sub; removing it twice is harmless.
func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(sub)
}

func (h *hub) removeLocked(sub *subscriber) {
	if sub.gone {
		return
	}
	sub.gone = true
	delete(h.subs, sub)
	if h.perMember[sub.member.ID]--; h.perMember[sub.member.ID] <= 0 {
		delete(h.perMember, sub.member.ID)
	}
}

// dropLocked removes sub and tells its connection to end.
func (h *hub) dropLocked(sub *subscriber) {
	if !sub.gone {
		h.removeLocked(sub)
		close(sub.dropped)
	}
}

// closeAll ends every connection, for the node to stop: clients reconnect
// to another process, or to this one once it is back.
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		h.dropLocked(sub)
	}
}

var errTooManySubscriptions = errors.New("too many streams on one connection")

// add subscribes sub to s.
func (h *hub) add(sub *subscriber, s stream) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !sub.streams[s] && len(sub.streams) >= maxSubscriptions {
		return errTooManySubscriptions
	}
	sub.streams[s] = true
	return nil
}

// remove unsubscribes sub from s.
func (h *hub) remove(sub *subscriber, s stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(sub.streams, s)
}

// streamsOf is a copy of sub's streams.
func (h *hub) streamsOf(sub *subscriber) []stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]stream, 0, len(sub.streams))
	for s := range sub.streams {
		out = append(out, s)
	}
	return out
}

// HandleEvent turns the domain's events into changes, published once the
// change commits. It runs inside the change's transaction, and does nothing
// while nobody is subscribed.
func (h *hub) HandleEvent(ctx context.Context, ev spaces.Event) error {
	h.mu.Lock()
	idle := len(h.subs) == 0
	h.mu.Unlock()
	if idle {
		return nil
	}
	var cs []change
	switch e := ev.(type) {
	case spaces.PostCreated:
		cs = postChange(postCreated, e.Post)
	case spaces.PostUpdated:
		cs = postChange(postEdited, e.Post)
	case spaces.PostDeleted:
		cs = postChange(postDeleted, e.Post)
	case spaces.PostRemoved:
		cs = postChange(postDeleted, e.Post)
	case spaces.Notified:
		for _, n := range e.Notifications {
			if _, ok := notificationTypes[n.Kind]; !ok || n.Actor == nil {
				continue // apps are never shown it (see notifications)
			}
			c, actor := *n, *n.Actor
			c.Actor, c.Space = &actor, nil
			cs = append(cs, change{kind: notified, notification: &c})
		}
	}
	if len(cs) > 0 {
		h.spaces.AfterCommit(ctx, func() { h.publish(cs) })
	}
	return nil
}

// postChange is the change of a top-level post (feeds hold no comment).
func postChange(kind changeKind, p *spaces.Post) []change {
	if p == nil || p.InReplyToID != "" {
		return nil
	}
	return []change{{kind: kind, postID: p.ID, spaceID: p.SpaceID, public: p.Visibility == "public", local: p.Local}}
}

// publish queues the changes for the subscribers they may concern. It never
// blocks: a subscriber whose queue is full is dropped.
func (h *hub) publish(cs []change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		for _, c := range cs {
			if !sub.concerned(c) {
				continue
			}
			select {
			case sub.changes <- c:
			default:
				h.dropLocked(sub)
			}
			if sub.gone {
				break
			}
		}
	}
}

// concerned tells whether c may concern one of sub's streams (the hub's mu
// held); the subscriber's goroutine decides for each.
func (sub *subscriber) concerned(c change) bool {
	if c.kind == notified {
		return c.notification.AccountID == sub.member.ID && (sub.streams[stream{name: "user"}] || sub.streams[stream{name: "user:notification"}])
	}
	for s := range sub.streams {
		switch s.name {
		case "user":
			return true
		case "list":
			if s.list == c.spaceID {
				return true
			}
		case "public":
			if c.public {
				return true
			}
		case "public:local":
			if c.public && c.local {
				return true
			}
		}
	}
	return false
}
