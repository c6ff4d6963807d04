package federation_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// notifiedOf lists the kinds of a member's notifications about post id.
func notifiedOf(t testing.TB, n *nodetest.Node, member *spaces.Account, postID string) []string {
	t.Helper()
	list, err := n.Spaces.Notifications(ctx, member, spaces.NotificationPage{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, x := range list {
		if x.PostID == postID {
			kinds = append(kinds, x.Kind)
		}
	}
	return kinds
}

// TestMentionsReceived: a member of another server whom nobody here follows
// writes to alice — publicly, unlisted, for their followers, directly, and
// directly without a Mention tag (alice only in to). Each post is kept with
// the visibility its addressing gives, alice is notified and sees it, and
// nobody else sees what is not for them. A post that names nobody here from
// an author nobody follows is not kept.
func TestMentionsReceived(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		bob := a.Member(t, "bob", spaces.RoleMember)
		b.Member(t, "mallory", spaces.RoleMember)
		mallory := senderOf(t, b, "mallory")
		followers := mallory.actor + "/followers"
		aliceIRI := a.URL + "/users/alice"
		mention := []any{map[string]any{"type": "Mention", "href": aliceIRI, "name": "@alice@" + host(a)}}

		cases := []struct {
			name       string
			to, cc     []string
			tag        []any
			visibility string // "" : not kept
			bobSees    bool
			anonSees   bool
		}{
			{"public", []string{activitystreams.Public}, []string{followers, aliceIRI}, mention, spaces.VisibilityPublic, true, true},
			{"unlisted", []string{followers}, []string{activitystreams.Public, aliceIRI}, mention, spaces.VisibilityUnlisted, true, true},
			{"followers", []string{followers}, []string{aliceIRI}, mention, spaces.VisibilityFollowers, false, false},
			{"direct", []string{aliceIRI}, nil, mention, spaces.VisibilityDirect, false, false},
			{"direct-untagged", []string{aliceIRI}, nil, nil, spaces.VisibilityDirect, false, false},
			{"nobody-here", []string{activitystreams.Public}, []string{followers}, nil, "", false, false},
		}
		for i, c := range cases {
			note := map[string]any{"id": fmt.Sprintf("%s/posts/m%d", b.URL, i), "type": "Note",
				"attributedTo": mallory.actor, "content": "<p>Hello alice, " + c.name + "</p>",
				"to": c.to, "cc": c.cc, "published": time.Now().UTC().Format(time.RFC3339)}
			if c.tag != nil {
				note["tag"] = c.tag
			}
			body, _ := json.Marshal(map[string]any{"@context": activitystreams.NSActivityStreams,
				"id": fmt.Sprintf("%s/activities/m%d", b.URL, i), "type": "Create", "actor": mallory.actor,
				"object": note, "to": c.to, "cc": c.cc})
			if status := mallory.post(t, aliceIRI+"/inbox", body, time.Now(), nil); status != 202 {
				t.Fatalf("%s: inbox answered %d", c.name, status)
			}
			nodetest.Drain(t, a)
			stored, err := a.DB.PostByURI(ctx, note["id"].(string))
			if c.visibility == "" {
				if err == nil {
					t.Fatalf("%s: kept a post that names nobody here from an author nobody here follows", c.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: not kept: %v", c.name, err)
			}
			if stored.Visibility != c.visibility {
				t.Fatalf("%s: kept as %s, want %s", c.name, stored.Visibility, c.visibility)
			}
			if kinds := notifiedOf(t, a, alice, stored.ID); !slices.Equal(kinds, []string{spaces.NotifyMention}) {
				t.Fatalf("%s: alice's notifications of it: %v", c.name, kinds)
			}
			for _, r := range []struct {
				who  string
				as   *spaces.Account
				sees bool
			}{{"alice", alice, true}, {"bob", bob, c.bobSees}, {"a visitor", nil, c.anonSees}} {
				_, err := a.Spaces.GetPost(ctx, r.as, stored.ID)
				if (err == nil) != r.sees {
					t.Fatalf("%s: %s sees it: %v, want %v", c.name, r.who, err == nil, r.sees)
				}
			}
			public, err := a.Spaces.PublicFeed(ctx, nil, false, spaces.Page{})
			if err != nil {
				t.Fatal(err)
			}
			listed := slices.ContainsFunc(public, func(p *spaces.Post) bool { return p.ID == stored.ID })
			if listed != (c.visibility == spaces.VisibilityPublic) {
				t.Fatalf("%s: in the public feed: %v", c.name, listed)
			}
		}
	})
}

// TestMentionsSent: alice mentions a member of another server whom this
// node has never met, in a public space's post and in a comment. The node
// finds them by WebFinger as the post is written, tags them, and alice's own
// Create reaches their server, which keeps the post and notifies them,
// though nobody there follows alice or the space. A post of a members-only
// space that mentions them does not leave the node.
func TestMentionsSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		mallory := b.Member(t, "mallory", spaces.RoleMember)
		for _, sp := range []struct{ slug, visibility string }{{"forum", spaces.VisibilityPublic}, {"team", spaces.VisibilityMembers}} {
			name, vis := sp.slug, sp.visibility
			if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: sp.slug, SpaceSettings: spaces.SpaceSettings{Name: &name, Visibility: &vis}}); err != nil {
				t.Fatal(err)
			}
		}
		handle := "@mallory@" + host(b)
		post, err := a.Spaces.CreatePost(ctx, alice, "forum", spaces.PostInput{Body: "Welcome " + handle + "!"})
		if err != nil {
			t.Fatal(err)
		}
		if len(post.Mentions) != 1 || post.Mentions[0].AccountID == "" || !strings.Contains(post.Content, `href="`+b.URL+`/users/mallory"`) {
			t.Fatalf("the mention was not resolved: %+v %q", post.Mentions, post.Content)
		}
		comment, err := a.Spaces.CreateComment(ctx, alice, post.ID, spaces.PostInput{Body: "And " + handle + " again"})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := a.Spaces.CreatePost(ctx, alice, "team", spaces.PostInput{Body: "Not for " + handle})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		for _, p := range []*spaces.Post{post, comment} {
			got, err := b.DB.PostByURI(ctx, a.URL+"/posts/"+p.ID)
			if err != nil {
				t.Fatalf("mallory's server did not keep %q: %v", p.Content, err)
			}
			if kinds := notifiedOf(t, b, mallory, got.ID); !slices.Equal(kinds, []string{spaces.NotifyMention}) {
				t.Fatalf("mallory's notifications of %q: %v", p.Content, kinds)
			}
		}
		if _, err := b.DB.PostByURI(ctx, a.URL+"/posts/"+secret.ID); err == nil {
			t.Fatal("a members-only post reached a mentioned non-member")
		}
	})
}

// TestEditDeleteByAuthor: a post in a local space, boosted by the Group to a
// remote follower's server, is edited then deleted. Besides the Group's
// announces, the author's own Update and Delete go to that server's inbox —
// what Mastodon-family servers act on — and the server applies each once.
func TestEditDeleteByAuthor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		mallory := b.Member(t, "mallory", spaces.RoleMember)
		name := "Forum"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, mallory, "forum")
		nodetest.Drain(t, a, b)
		post, err := a.Spaces.CreatePost(ctx, alice, "forum", spaces.PostInput{Body: "First version"})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		iri := a.URL + "/posts/" + post.ID

		// authorSent returns alice's newest activity, which must be of type
		// typ and go to b's inbox.
		authorSent := func(typ string) {
			t.Helper()
			acts, err := a.DB.ListPublicActivities(ctx, alice.ID, db.ActivityPage{Limit: 1})
			if err != nil || len(acts) != 1 || acts[0].Type != typ || acts[0].ObjectURI != iri {
				t.Fatalf("alice's newest activity: %+v %v, want her %s of the post", acts, err, typ)
			}
			deliveries, err := a.DB.DeliveriesOfActivity(ctx, acts[0].ID)
			if err != nil || !slices.ContainsFunc(deliveries, func(x *db.Delivery) bool { return strings.HasPrefix(x.Inbox, b.URL+"/") }) {
				t.Fatalf("alice's %s is not delivered to the follower's server: %+v %v", typ, deliveries, err)
			}
		}

		if _, err := a.Spaces.EditPost(ctx, alice, post.ID, spaces.PostInput{Body: "Second version"}); err != nil {
			t.Fatal(err)
		}
		authorSent("Update")
		nodetest.Drain(t, a, b)
		got, err := b.DB.PostByURI(ctx, iri)
		if err != nil || !strings.Contains(got.Content, "Second version") {
			t.Fatalf("the follower's server holds %+v (%v)", got, err)
		}

		if err := a.Spaces.DeletePost(ctx, alice, post.ID); err != nil {
			t.Fatal(err)
		}
		authorSent("Delete")
		nodetest.Drain(t, a, b)
		if got, err := b.DB.PostByURI(ctx, iri); err != nil || !got.IsDeleted() {
			t.Fatalf("the follower's server still shows the post: %+v (%v)", got, err)
		}
		st, err := b.Federation.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.DeadInbox) > 0 {
			t.Fatalf("the follower's server gave up on received activities: %+v", st.DeadInbox[0])
		}
	})
}

// TestFollowByHandle: a member follows, through the JSON API, a person of
// another server by handle alone, though this node never met them: the node
// finds them by WebFinger. They approve followers, so the follow stays
// pending until their Accept arrives.
func TestFollowByHandle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a, b := nodetest.New(t, d.Dialect()), nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		mallory := b.Member(t, "mallory", spaces.RoleMember)
		locked := true
		if _, err := b.Spaces.UpdateProfile(ctx, mallory, spaces.ProfileUpdate{Locked: &locked}); err != nil {
			t.Fatal(err)
		}
		c := a.Client(t)
		apiCall := func(url, body string) map[string]any {
			t.Helper()
			resp, err := c.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != 200 {
				t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
			}
			return out
		}
		apiCall(a.URL+"/api/ruche/v1/auth/login", `{"username":"alice","password":"`+nodetest.Password+`"}`)
		follow := apiCall(a.URL+"/api/ruche/v1/accounts/mallory@"+host(b)+"/follow", `{}`)
		if follow["state"] != spaces.FollowStatePending {
			t.Fatalf("the follow of a locked remote account: %v", follow)
		}
		nodetest.Drain(t, a, b)
		remoteMallory := remote(t, a, b.URL+"/users/mallory")
		if got := followState(t, a, alice, remoteMallory); got != spaces.FollowStatePending {
			t.Fatalf("before mallory's answer, alice's follow is %s", got)
		}
		if _, err := b.Spaces.AcceptFollow(ctx, mallory, remote(t, b, a.URL+"/users/alice")); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, a, alice, remoteMallory); got != spaces.FollowStateAccepted {
			t.Fatalf("after mallory's Accept, alice's follow is %s", got)
		}
	})
}
