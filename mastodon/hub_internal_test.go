package mastodon

import (
	"testing"

	"github.com/ruche-social/ruche/spaces"
)

// A subscriber that falls behind is dropped, never waited for; limits hold.
func TestHubDropsSlowSubscribers(t *testing.T) {
	h := newHub(nil)
	alice, bob := &spaces.Account{ID: "alice"}, &spaces.Account{ID: "bob"}
	slow, err := h.subscribe(alice)
	if err != nil {
		t.Fatal(err)
	}
	h.add(slow, stream{name: "public"})
	listed, _ := h.subscribe(bob)
	h.add(listed, stream{name: "list", list: "space-1"})

	for i := range queueSize + 1 {
		h.publish([]change{{kind: postCreated, postID: string(rune('a' + i%26)), spaceID: "space-2", public: true}})
	}
	select {
	case <-slow.dropped:
	default:
		t.Fatal("a full queue did not drop its subscriber")
	}
	if len(listed.changes) != 0 {
		t.Fatalf("another space's posts reached a list: %d", len(listed.changes))
	}
	h.unsubscribe(slow) // as its connection does, once ended
	if h.perMember["alice"] != 0 || len(h.subs) != 1 {
		t.Fatalf("the dropped subscriber is still counted: %v %d", h.perMember, len(h.subs))
	}

	h.publish([]change{{kind: notified, notification: &spaces.Notification{AccountID: "alice"}}})
	if len(listed.changes) != 0 {
		t.Fatal("someone else's notification reached a stream")
	}

	for range maxStreamsPerMember - 1 {
		if _, err := h.subscribe(bob); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.subscribe(bob); err != errTooManyStreams {
		t.Fatalf("a member beyond the limit: %v", err)
	}
	for i := range maxSubscriptions - 1 {
		if err := h.add(listed, stream{name: "list", list: string(rune('A' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.add(listed, stream{name: "public"}); err == nil {
		t.Fatal("a connection beyond the streams' limit")
	}
	h.closeAll()
	select {
	case <-listed.dropped:
	default:
		t.Fatal("closeAll left a connection")
	}
	if len(h.subs) != 0 || len(h.perMember) != 0 {
		t.Fatalf("after closeAll: %d %v", len(h.subs), h.perMember)
	}
}
