package federation_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestMembersSpaceStaysWithMembers: a members-only space on A, with a member
// invited from B; C hosts a follower of the space's owner but no member.
// Nothing of the space reaches C — no delivery, no stored post — and its
// Group, posts, collections, activities and files answer 404 to unsigned
// fetches and to C's signed ones, while B's server and B's member read them.
func TestMembersSpaceStaysWithMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b, c := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		olga := a.Member(t, "olga", spaces.RoleMember)
		bea := b.Member(t, "bea", spaces.RoleMember)
		carl := c.Member(t, "carl", spaces.RoleMember)
		members, invite, name := spaces.VisibilityMembers, spaces.JoinInvite, "Projet interministériel"
		if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "projet", SpaceSettings: spaces.SpaceSettings{
			Name: &name, Visibility: &members, JoinPolicy: &invite}}); err != nil {
			t.Fatal(err)
		}
		group := a.URL + "/spaces/projet"
		// carl follows olga: C is a follower's server, not a member's.
		if _, err := c.Spaces.FollowAccount(ctx, carl, resolve(t, c, a, "olga"), ""); err != nil {
			t.Fatal(err)
		}
		// The space cannot be found by name from outside.
		if resp, err := http.Get(a.URL + "/.well-known/webfinger?resource=acct:projet@" + host(a)); err != nil || resp.StatusCode != 404 {
			t.Fatalf("webfinger of a members-only space: %v %v", resp, err)
		}

		// olga invites bea; B learns of the space by the Group's Invite, and
		// bea joins: her request goes to the Group, which knows the invitation.
		if _, _, err := a.Spaces.InviteToSpace(ctx, olga, "projet", spaces.SpaceInvite{Handle: "bea@" + host(b)}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		handle := "projet@" + host(a)
		if _, err := b.Spaces.JoinSpace(ctx, bea, handle, "", ""); err != nil {
			t.Fatalf("bea joins after the invitation: %v", err)
		}
		nodetest.Drain(t, a, b, c)
		if got := membershipState(t, b, bea, handle); got != spaces.StateActive {
			t.Fatalf("on B, bea's membership is %s", got)
		}

		// olga posts, with a file; bea comments.
		file, err := a.Spaces.UploadMedia(ctx, olga, bytes.NewReader(pdf), "plan.pdf", "")
		if err != nil {
			t.Fatal(err)
		}
		post, err := a.Spaces.CreatePost(ctx, olga, "projet", spaces.PostInput{Body: "Réunion jeudi, ordre du jour joint.", Attachments: []string{file.ID}})
		if err != nil {
			t.Fatal(err)
		}
		iri := a.URL + "/posts/" + post.ID
		nodetest.Drain(t, a, b, c)
		onB := copyOf(t, b, iri)
		if onB.Visibility != spaces.VisibilityMembers {
			t.Fatalf("B keeps the post as %s", onB.Visibility)
		}
		assertCachedPDF(t, b, onB.Attachments[0])
		if _, err := b.Spaces.CreateComment(ctx, bea, onB.ID, spaces.PostInput{Body: "Je serai là."}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if copyOf(t, a, iri).CommentCount != 1 {
			t.Fatal("the comment did not reach the Group")
		}

		// Nothing reached C.
		if n := count(t, c, "posts"); n != 0 {
			t.Fatalf("C stores %d posts of a members-only space", n)
		}
		toC, err := a.DB.Bun().NewSelect().Table("deliveries").Where("host = ?", host(c)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var announce db.Activity
		if err := a.DB.Bun().NewSelect().Model(&announce).Where("type = 'Announce'").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		// The follow of olga and its Accept are C's only traffic from A.
		if toC != 1 {
			t.Fatalf("A made %d deliveries to C", toC)
		}

		// Fetches: unsigned and from C, 404; from B's server and bea, 200.
		unsigned := sender{}
		fromC, fromB, beaKey := senderOf(t, c, "actor"), senderOf(t, b, "actor"), senderOf(t, b, "bea")
		for _, url := range []string{group, group + "/members", group + "/outbox", group + "/featured", iri,
			a.URL + "/posts/" + post.ID + "/context", a.URL + "/files/" + file.ID, announce.URI} {
			for who, s := range map[string]sender{"unsigned": unsigned, "C's server": fromC} {
				if status, _ := s.get(t, url); status != http.StatusNotFound {
					t.Errorf("%s GET %s: %d, want 404", who, url, status)
				}
			}
			for who, s := range map[string]sender{"B's server": fromB, "bea": beaKey} {
				if status, body := s.get(t, url); status != http.StatusOK {
					t.Errorf("%s GET %s: %d %s", who, url, status, body)
				}
			}
		}
		status, body := fromB.get(t, group+"/members?page=true")
		var page map[string]any
		json.Unmarshal(body, &page)
		if items, _ := page["orderedItems"].([]any); status != 200 || len(items) != 2 ||
			!strings.Contains(string(body), b.URL+"/users/bea") {
			t.Fatalf("the members collection as B reads it: %d %s", status, body)
		}

		// The space is deleted: B's copy goes; C never heard of it.
		toC, _ = a.DB.Bun().NewSelect().Table("deliveries").Where("host = ?", host(c)).Count(ctx)
		if err := a.Spaces.DeleteSpace(ctx, olga, "projet"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if got := remote(t, b, group); got.Status != spaces.StatusDeleted {
			t.Fatalf("B keeps the deleted space's Group as %s", got.Status)
		}
		if _, err := b.Spaces.Space(ctx, spaces.Console, handle); err == nil {
			t.Fatal("B still shows the deleted space")
		}
		if now, _ := a.DB.Bun().NewSelect().Table("deliveries").Where("host = ?", host(c)).Count(ctx); now != toC {
			t.Fatal("A told C of the deletion of a space C never knew")
		}
		assertSettled(t, []*nodetest.Node{a, b, c})
	})
}

// TestNetworkSpaceOnlyToAllowedNodes: a network space on A, whose allowlist
// names B. C hosts an invited member, but is outside the network: A never
// delivers the space's posts there, and C's fetches of them get 404.
func TestNetworkSpaceOnlyToAllowedNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b, c := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		a := nodetest.New(t, d.Dialect(), federationConfig(func(f *config.Federation) { f.Allowlist = []string{host(b)} }))
		olga := a.Member(t, "olga", spaces.RoleMember)
		bea, chloe := b.Member(t, "bea", spaces.RoleMember), c.Member(t, "chloe", spaces.RoleMember)
		network, name := spaces.VisibilityNetwork, "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{
			Name: &name, Visibility: &network}}); err != nil {
			t.Fatal(err)
		}
		handle := "reseau@" + host(a)
		joinRemote(t, b, a, bea, "reseau") // B is in the network: it reads the space and joins
		if _, err := c.Federation.ResolveHandle(ctx, "reseau", host(a)); err == nil {
			t.Fatal("C, outside the network, could read the space")
		}
		if _, _, err := a.Spaces.InviteToSpace(ctx, olga, "reseau", spaces.SpaceInvite{Handle: "chloe@" + host(c)}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		if _, err := c.Spaces.JoinSpace(ctx, chloe, handle, "", ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b, c)
		for _, m := range []struct {
			n *nodetest.Node
			a *spaces.Account
		}{{b, bea}, {c, chloe}} {
			if got := membershipState(t, m.n, m.a, handle); got != spaces.StateActive {
				t.Fatalf("%s's membership is %s", m.a.Username, got)
			}
		}
		toC, _ := a.DB.Bun().NewSelect().Table("deliveries").Where("host = ?", host(c)).Count(ctx)
		post, err := a.Spaces.CreatePost(ctx, olga, "reseau", spaces.PostInput{Body: "Pour le réseau seulement"})
		if err != nil {
			t.Fatal(err)
		}
		iri := a.URL + "/posts/" + post.ID
		nodetest.Drain(t, a, b, c)
		if copyOf(t, b, iri).Visibility != spaces.VisibilityNetwork {
			t.Fatal("B's copy lost its visibility")
		}
		if n := count(t, c, "posts"); n != 0 {
			t.Fatalf("C, outside the network, stores %d posts", n)
		}
		if now, _ := a.DB.Bun().NewSelect().Table("deliveries").Where("host = ?", host(c)).Count(ctx); now != toC {
			t.Fatalf("A delivered %d more activities to C", now-toC)
		}
		if status, _ := senderOf(t, c, "actor").get(t, iri); status != http.StatusNotFound {
			t.Fatalf("C's server fetches a network post: %d", status)
		}
		if status, _ := senderOf(t, b, "actor").get(t, iri); status != http.StatusOK {
			t.Fatalf("B's server fetches a network post: %d", status)
		}
		assertSettled(t, []*nodetest.Node{a, b, c})
	})
}
