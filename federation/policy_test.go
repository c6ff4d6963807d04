package federation_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestReceiverDownAndBack: deliveries to a node that is down wait and are
// retried with backoff; when it comes back, they arrive. Nothing is lost.
func TestReceiverDownAndBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		b.Member(t, "bob", spaces.RoleMember)
		bobOnA := resolve(t, a, b, "bob")

		b.Server.Close() // B goes down
		if _, err := a.Spaces.FollowAccount(ctx, alice, bobOnA, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a)
		st, _ := a.Federation.Status(ctx)
		if len(st.FailingHosts) != 1 || st.FailingHosts[0].Failures != 1 {
			t.Fatalf("the failure is not recorded: %+v", st.FailingHosts)
		}
		clock.Advance(20 * time.Second) // not yet due: backoff is about 30 s
		if n, _ := a.Federation.RunUntilIdle(ctx); n != 0 {
			t.Fatalf("a delivery was retried before its time (%d jobs)", n)
		}

		restartOnSameAddress(t, b) // B comes back
		clock.Advance(time.Minute)
		nodetest.Drain(t, a, b)
		if got := followState(t, a, alice, bobOnA); got != spaces.FollowStateAccepted {
			t.Fatalf("after B came back, alice's follow is %s", got)
		}
		st, _ = a.Federation.Status(ctx)
		if len(st.FailingHosts) != 0 {
			t.Fatalf("B is still failing: %+v", st.FailingHosts)
		}
		assertNoDeadWork(t, a, b)
	})
}

// TestAuthorizedFetch: in authorized-fetch mode an ActivityStreams GET needs
// a signature from a node that is not blocked; the node's own actor stays
// readable without one. Without the mode, unsigned reads work.
func TestAuthorizedFetch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := nodetest.New(t, d.Dialect(), federationConfig(func(f *config.Federation) { f.AuthorizedFetch = true }))
		b := nodetest.New(t, d.Dialect())
		a.Member(t, "alice", spaces.RoleMember)
		b.Member(t, "bob", spaces.RoleMember)

		for _, path := range []string{"/users/alice", "/users/alice/followers", "/users/alice/outbox"} {
			if status, _ := getAS(t, a.URL+path); status != http.StatusUnauthorized {
				t.Errorf("unsigned GET %s: %d, want 401", path, status)
			}
		}
		if status, doc := getAS(t, a.URL+"/actor"); status != http.StatusOK || doc["type"] != "Application" {
			t.Fatalf("the instance actor must stay readable: %d %v", status, doc)
		}
		// B's signed fetch (by its instance actor) is let in.
		aliceOnB := resolve(t, b, a, "alice")
		if aliceOnB.DisplayName != "alice" {
			t.Fatalf("signed fetch: %+v", aliceOnB)
		}
		// Blocked, B's signature no longer opens the door.
		if err := a.Federation.BlockDomain(ctx, host(b), "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Federation.ResolveActor(ctx, a.URL+"/users/ghost"); err == nil {
			t.Fatal("a blocked node fetched from an authorized-fetch node")
		}

		// Without the mode, anyone reads.
		if status, _ := getAS(t, b.URL+"/users/bob"); status != http.StatusOK {
			t.Fatalf("unsigned GET without authorized fetch: %d", status)
		}
	})
}

// TestAllowlistAndBlocks: a node in allowlist mode talks only to the listed
// nodes, and a blocked domain is refused (403) before anything is processed;
// nothing is delivered to either.
func TestAllowlistAndBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := nodetest.New(t, d.Dialect())
		c := nodetest.New(t, d.Dialect())
		a := nodetest.New(t, d.Dialect(), federationConfig(func(f *config.Federation) {
			f.Mode, f.Allowlist = config.FederationAllowlist, []string{host(b)}
		}))
		alice := a.Member(t, "alice", spaces.RoleMember)
		b.Member(t, "bob", spaces.RoleMember)
		c.Member(t, "carl", spaces.RoleMember)

		// C is not on A's list: A answers its Follow 403 and stores nothing.
		carl := senderOf(t, c, "carl")
		follow := activity(c.URL+"/activities/1", "Follow", carl.actor, a.URL+"/users/alice")
		if got := carl.post(t, a.URL+"/users/alice/inbox", follow, time.Now(), nil); got != http.StatusForbidden {
			t.Fatalf("follow from a node off the allowlist: %d", got)
		}
		if _, err := a.Federation.ResolveHandle(ctx, "carl", host(c)); err == nil {
			t.Fatal("A looked up an actor of a node off its allowlist")
		}
		// B is on it: the follow goes through.
		aliceOnB := resolve(t, b, a, "alice")
		bob := account(t, b, "bob")
		if _, err := b.Spaces.FollowAccount(ctx, bob, aliceOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := followState(t, b, bob, aliceOnB); got != spaces.FollowStateAccepted {
			t.Fatalf("allowed node's follow: %s", got)
		}

		// Block B: its traffic is refused before any processing, pending
		// deliveries to it are dropped, and nothing more is sent.
		if err := a.Federation.BlockDomain(ctx, host(b), "spam"); err != nil {
			t.Fatal(err)
		}
		bobS := senderOf(t, b, "bob")
		undo := activity(b.URL+"/activities/u1", "Undo", bobS.actor, b.URL+"/activities/x")
		if got := bobS.post(t, a.URL+"/users/alice/inbox", undo, time.Now(), nil); got != http.StatusForbidden {
			t.Fatalf("blocked node: %d", got)
		}
		name := "Alice"
		before := count(t, b, "inbox_items")
		if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := count(t, b, "inbox_items"); got != before {
			t.Fatal("a blocked node received an activity")
		}
		if blocks, _ := a.Federation.DomainBlocks(ctx); len(blocks) != 1 || blocks[0].Domain != host(b) {
			t.Fatalf("blocks: %v", blocks)
		}
		if err := a.Federation.UnblockDomain(ctx, host(b)); err != nil {
			t.Fatal(err)
		}
		if err := a.Federation.UnblockDomain(ctx, host(b)); err == nil {
			t.Fatal("unblocking twice must say it was not blocked")
		}
	})
}

// TestThreeNodes: two nodes follow a member of a third; her update reaches
// both, each once, and her deletion removes her everywhere.
func TestThreeNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b, c := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		for _, n := range []*nodetest.Node{b, c} {
			for _, name := range []string{"u1", "u2"} {
				u := n.Member(t, name, spaces.RoleMember)
				if _, err := n.Spaces.FollowAccount(ctx, u, resolve(t, n, a, "alice"), ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		nodetest.Drain(t, a, b, c)
		if n, _, _ := a.Spaces.FollowCounts(ctx, alice); n != 4 {
			for _, n := range []*nodetest.Node{a, b, c} {
				st, _ := n.Federation.Status(ctx)
				for _, q := range st.Inbox {
					t.Logf("%s inbox %s %d", n.URL, q.State, q.N)
				}
				for _, q := range st.Deliveries {
					t.Logf("%s delivery %s %s %d", n.URL, q.Host, q.State, q.N)
				}
				for _, h := range st.FailingHosts {
					t.Logf("%s failing %s: %s", n.URL, h.Host, h.LastError)
				}
			}
			t.Fatalf("alice has %d followers, want 4", n)
		}
		name := "Alice of A"
		if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		act, err := a.DB.ListPublicActivities(ctx, alice.ID, db.ActivityPage{Limit: 1})
		if err != nil || len(act) != 1 || act[0].Type != "Update" {
			t.Fatalf("alice's outbox: %v %v", act, err)
		}
		deliveries, _ := a.DB.DeliveriesOfActivity(ctx, act[0].ID)
		if len(deliveries) != 2 {
			t.Fatalf("the update goes to %d inboxes, want 2 shared inboxes", len(deliveries))
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{b, c} {
			if got := remote(t, n, a.URL+"/users/alice"); got.DisplayName != name {
				t.Fatalf("%s sees alice as %q", n.URL, got.DisplayName)
			}
		}
		status, outbox := getAS(t, a.URL+"/users/alice/outbox?page=true")
		if items, _ := outbox["orderedItems"].([]any); status != 200 || len(items) != 1 {
			t.Fatalf("alice's outbox page: %d %v", status, outbox)
		}
		if err := a.Spaces.DeleteMember(ctx, spaces.Console, "alice"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, n := range []*nodetest.Node{b, c} {
			if got := remote(t, n, a.URL+"/users/alice"); got.Status != spaces.StatusDeleted {
				t.Fatalf("%s still has alice as %s", n.URL, got.Status)
			}
		}
		assertNoDeadWork(t, a, b, c)
	})
}
