package federation_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestTwoNodes is the life of a follow between two complete nodes: WebFinger,
// follows of an open and a locked account, accept, reject, profile update,
// key rotation, unfollow and account deletion — real keys, real signatures,
// real HTTP, on each database.
func TestTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		carol := a.Member(t, "carol", spaces.RoleMember)
		locked := true
		if _, err := a.Spaces.UpdateProfile(ctx, carol, spaces.ProfileUpdate{Locked: &locked}); err != nil {
			t.Fatal(err)
		}
		bob := b.Member(t, "bob", spaces.RoleMember)
		dave := b.Member(t, "dave", spaces.RoleMember)

		// WebFinger across nodes, case-insensitive, to the actor document.
		aliceOnB := resolve(t, b, a, "ALICE")
		if aliceOnB.URI != a.URL+"/users/alice" || aliceOnB.Username != "alice" || aliceOnB.Domain != host(a) ||
			aliceOnB.InboxURI != a.URL+"/users/alice/inbox" || aliceOnB.SharedInboxURI != a.URL+"/inbox" {
			t.Fatalf("alice as B knows her: %+v", aliceOnB)
		}
		carolOnB := resolve(t, b, a, "carol")
		if !carolOnB.Locked {
			t.Fatal("carol's manuallyApprovesFollowers was lost")
		}

		// Follow an open account: accepted by A at once, B learns it by Accept.
		if f, err := b.Spaces.FollowAccount(ctx, bob, aliceOnB, ""); err != nil || f.State != spaces.FollowStatePending {
			t.Fatalf("bob follows alice: %+v %v", f, err)
		}
		nodetest.Drain(t, a, b)
		bobOnA := remote(t, a, b.URL+"/users/bob")
		if got := followState(t, a, bobOnA, alice); got != spaces.FollowStateAccepted {
			t.Fatalf("on A, bob's follow of alice is %s", got)
		}
		if got := followState(t, b, bob, aliceOnB); got != spaces.FollowStateAccepted {
			t.Fatalf("on B, bob's follow of alice is %s", got)
		}

		// Follow a locked account: pending until carol decides.
		if _, err := b.Spaces.FollowAccount(ctx, bob, carolOnB, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Spaces.FollowAccount(ctx, dave, carolOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		reqs, err := a.Spaces.Followers(ctx, carol, carol, spaces.FollowPage{State: spaces.FollowStatePending})
		if err != nil || len(reqs) != 2 {
			t.Fatalf("carol's requests: %d %v", len(reqs), err)
		}
		if got := followState(t, b, bob, carolOnB); got != spaces.FollowStatePending {
			t.Fatalf("bob's request to carol is %s before she decides", got)
		}
		if _, err := a.Spaces.AcceptFollow(ctx, carol, bobOnA); err != nil {
			t.Fatal(err)
		}
		daveOnA := remote(t, a, b.URL+"/users/dave")
		if _, err := a.Spaces.RejectFollow(ctx, carol, daveOnA); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, b, bob, carolOnB); got != spaces.FollowStateAccepted {
			t.Fatalf("carol accepted bob, B says %s", got)
		}
		if got := followState(t, b, dave, carolOnB); got != "none" {
			t.Fatalf("carol rejected dave, B says %s", got)
		}

		// Collections show it.
		status, doc := getAS(t, a.URL+"/users/carol/followers")
		if status != 200 || doc["totalItems"] != float64(1) {
			t.Fatalf("carol's followers: %d %v", status, doc)
		}
		_, page := getAS(t, fmt.Sprint(doc["first"]))
		if items, _ := page["orderedItems"].([]any); len(items) != 1 || items[0] != b.URL+"/users/bob" {
			t.Fatalf("carol's followers page: %v", page)
		}
		_, following := getAS(t, b.URL+"/users/bob/following")
		if following["totalItems"] != float64(2) {
			t.Fatalf("bob's following: %v", following)
		}

		// A profile change, name and avatar, reaches the followers' nodes;
		// the avatar is a file anyone may fetch.
		name := "Alice Martin"
		img, err := a.Spaces.UploadMedia(ctx, alice, bytes.NewReader(png), "alice.png", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name, AvatarID: &img.ID}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		got := remote(t, b, aliceOnB.URI)
		if got.DisplayName != name || got.IconURL != a.URL+"/files/"+img.ID {
			t.Fatalf("B's copy of alice: %q, icon %q", got.DisplayName, got.IconURL)
		}
		if resp, err := http.Get(got.IconURL); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("fetch the avatar: %v %v", resp, err)
		}
		// B keeps its own copy of the picture, which its pages show.
		b.Federation.WaitCopies()
		got = remote(t, b, aliceOnB.URI)
		if got.AvatarID == "" {
			t.Fatal("B has no copy of alice's picture")
		}
		if m, err := b.DB.MediaByID(ctx, got.AvatarID); err != nil || m.URI != got.IconURL || m.Path == "" || m.MediaType != "image/png" {
			t.Fatalf("B's copy: %+v %v", m, err)
		}
		if resp, err := http.Get(b.URL + "/media/" + got.AvatarID); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("B serves its copy: %v %v", resp, err)
		}
		// Alice removes her picture: B drops its copy.
		none := ""
		if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{AvatarID: &none}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		b.Federation.WaitCopies()
		if got := remote(t, b, aliceOnB.URI); got.AvatarID != "" || got.IconURL != "" {
			t.Fatalf("B still shows a picture: %q %q", got.AvatarID, got.IconURL)
		}
		if _, err := b.DB.MediaByID(ctx, got.AvatarID); err == nil {
			t.Fatal("B keeps the former picture's file")
		}

		// Key rotation: the Update that carries the new key is signed with it,
		// so B, holding the old key, refuses it (401) until its refetch gap
		// has passed; A retries later, B refetches the key, and both the
		// Update and what alice signs next verify.
		if _, err := a.Federation.RotateKey(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		clock.Advance(2 * time.Minute)
		nodetest.Drain(t, a, b)
		bobOnAfromA := remote(t, a, b.URL+"/users/bob")
		if _, err := a.Spaces.FollowAccount(ctx, alice, bobOnAfromA, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, a, alice, bobOnAfromA); got != spaces.FollowStateAccepted {
			t.Fatalf("after rotation alice's follow of bob is %s", got)
		}
		// Unfollow.
		if err := b.Spaces.Unfollow(ctx, bob, aliceOnB); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, a, bobOnA, alice); got != "none" {
			t.Fatalf("bob unfollowed alice, A says %s", got)
		}

		// A rotation B does not hear of (alice has no follower there now):
		// B's cached key is stale, the next signature fails with it, and B
		// refetches the key once — the refetch gap has passed — and verifies.
		if _, err := a.Federation.RotateKey(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		clock.Advance(2 * time.Minute)
		if err := a.Spaces.Unfollow(ctx, alice, bobOnAfromA); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, b, aliceOnB, bob); got != "none" {
			t.Fatalf("alice's Undo signed with her new key was not taken: %s", got)
		}

		// Deleting carol tells B: her copy there is deleted, bob's follow gone.
		carolSigns := senderOf(t, a, "carol")
		if err := a.Spaces.DeleteMember(ctx, spaces.Console, "carol"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := remote(t, b, carolOnB.URI); got.Status != spaces.StatusDeleted {
			t.Fatalf("B's copy of carol is %s", got.Status)
		}
		// B verified her Delete with her key, then forgot the key with her:
		// what is signed with it afterwards is refused.
		late := activity(a.URL+"/activities/after-delete", "Follow", carolSigns.actor, b.URL+"/users/bob")
		if status := carolSigns.post(t, b.URL+"/inbox", late, clock.Now(), nil); status != http.StatusUnauthorized {
			t.Fatalf("an activity signed with a deleted actor's key: %d, want 401", status)
		}
		if got := followState(t, b, bob, carolOnB); got != "none" {
			t.Fatalf("bob still follows deleted carol: %s", got)
		}
		status, doc = getAS(t, a.URL+"/users/carol")
		if status != 410 || doc["type"] != "Tombstone" {
			t.Fatalf("deleted carol's actor: %d %v", status, doc)
		}
		assertNoDeadWork(t, a, b)
	})
}

// assertNoDeadWork fails if any node gave up a delivery or an activity.
func assertNoDeadWork(t testing.TB, nodes ...*nodetest.Node) {
	t.Helper()
	for _, n := range nodes {
		st, err := n.Federation.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range st.DeadDelivered {
			t.Errorf("%s: dead delivery to %s: %s", n.URL, d.Inbox, d.LastError)
		}
		for _, it := range st.DeadInbox {
			t.Errorf("%s: dead activity %s: %s", n.URL, it.ActivityURI, it.LastError)
		}
		for _, c := range st.Inbox {
			if c.State == db.JobFailed || c.State == db.JobPending {
				t.Errorf("%s: %d received activities %s", n.URL, c.N, c.State)
			}
		}
	}
}
