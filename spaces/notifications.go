package spaces

import (
	"context"
	"slices"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// Kinds of notifications.
const (
	NotifyMention      = "mention"
	NotifyReply        = "reply"
	NotifyLike         = "like"
	NotifyJoinRequest  = "join_request"
	NotifyJoinAccepted = "join_accepted"
	NotifyInvitation   = "invitation"
	NotifyNewPost      = "new_post" // in a space the member watches
	// NotifyEventReminder: an event the member goes to starts within a day.
	NotifyEventReminder = "event_reminder"
	// NotifyEventPlace: a place freed up; the member, who waited, goes.
	NotifyEventPlace = "event_place"
	// NotifyPollEnded: a poll the member voted in, or wrote, has ended.
	NotifyPollEnded = "poll_ended"
	// NotifyFAQAnswered: a question the member proposed for a space's FAQ
	// was answered there.
	NotifyFAQAnswered = "faq_answered"
	// NotifyWikiEdited: someone else edited a wiki page the member wrote.
	NotifyWikiEdited = "wiki_edited"
)

// NotificationKinds are the kinds of notifications, each of which a member
// may turn off.
var NotificationKinds = []string{NotifyMention, NotifyReply, NotifyLike, NotifyJoinRequest, NotifyJoinAccepted, NotifyInvitation, NotifyNewPost, NotifyEventReminder, NotifyEventPlace, NotifyPollEnded, NotifyFAQAnswered, NotifyWikiEdited}

// NotificationOn tells whether the member receives notifications of kind.
func NotificationOn(a *Account, kind string) bool {
	return a == nil || a.User == nil || !slices.Contains(strings.Fields(a.User.NotificationsOff), kind)
}

// SetNotifications chooses which kinds of notifications the member receives:
// those in on; every other kind is turned off.
func (s *Service) SetNotifications(ctx context.Context, by *Account, on []string) (*Account, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	for _, k := range on {
		if !slices.Contains(NotificationKinds, k) {
			return nil, invalid("notifications", "notification_kind_invalid", "no such kind of notification")
		}
	}
	var off []string
	for _, k := range NotificationKinds {
		if !slices.Contains(on, k) {
			off = append(off, k)
		}
	}
	var out *Account
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := tx.AccountByID(ctx, by.ID)
		if err != nil {
			return err
		}
		a.User.NotificationsOff, a.User.UpdatedAt = strings.Join(off, " "), s.now()
		out = a
		return tx.UpdateUser(ctx, a.User, "notifications_off", "updated_at")
	})
	if err != nil {
		return nil, internal("set notifications", err)
	}
	return out, nil
}

// notify records one notification of kind for each local recipient but the
// actor, inside the change's transaction.
func (s *Service) notify(ctx context.Context, tx *db.DB, kind string, actor *Account, post *Post, space *Space, recipients ...*Account) error {
	ids := make([]string, 0, len(recipients))
	for _, r := range recipients {
		if r != nil && r.IsLocal() && r.Type == TypePerson {
			ids = append(ids, r.ID)
		}
	}
	return s.notifyIDs(ctx, tx, kind, actor, post, space, ids)
}

// notifyIDs is notify for recipients known to be local members.
func (s *Service) notifyIDs(ctx context.Context, tx *db.DB, kind string, actor *Account, post *Post, space *Space, ids []string) error {
	off, err := tx.NotificationsOff(ctx, ids, kind)
	if err != nil {
		return err
	}
	var ns []*Notification
	seen := map[string]bool{}
	now := s.now()
	for _, id := range ids {
		if seen[id] || off[id] || (actor != nil && id == actor.ID) {
			continue
		}
		seen[id] = true
		n := &Notification{ID: newID(), AccountID: id, Kind: kind, CreatedAt: now}
		if actor != nil && actor != Console {
			n.ActorID, n.Actor = actor.ID, actor
		}
		if post != nil {
			n.PostID = post.ID
		}
		if space != nil {
			n.SpaceID, n.Space = space.AccountID, space.Account
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil
	}
	if err := tx.InsertNotifications(ctx, ns); err != nil {
		return err
	}
	return s.emit(ctx, tx, Notified{Notifications: ns})
}

// NotificationPage selects a page of notifications, newest first.
type NotificationPage = db.NotificationPage

// Notifications lists the member's notifications.
func (s *Service) Notifications(ctx context.Context, by *Account, p NotificationPage) ([]*Notification, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	p.Limit = pageSize(p.Limit)
	out, err := s.db.ListNotifications(ctx, by.ID, p)
	if err != nil {
		return nil, internal("notifications", err)
	}
	return out, nil
}

// UnreadCount counts the member's unread notifications.
func (s *Service) UnreadCount(ctx context.Context, by *Account) (int, error) {
	if !canAct(by) || by.User == nil {
		return 0, errUnauthenticated
	}
	n, err := s.db.CountUnread(ctx, by.ID)
	if err != nil {
		return 0, internal("count unread", err)
	}
	return n, nil
}

// MarkNotificationsRead marks the member's notifications read: those listed,
// or (ids empty) every one up to and including upTo, or all when upTo is empty.
// Ids of other members' notifications are ignored.
func (s *Service) MarkNotificationsRead(ctx context.Context, by *Account, ids []string, upTo string) (int, error) {
	if !canAct(by) || by.User == nil {
		return 0, errUnauthenticated
	}
	if len(ids) > 500 {
		return 0, invalid("ids", "too_many_ids", "at most 500 ids at once")
	}
	n, err := s.db.MarkNotificationsRead(ctx, by.ID, ids, upTo, s.now())
	if err != nil {
		return 0, internal("mark read", err)
	}
	return n, nil
}
