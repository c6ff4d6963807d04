package interop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestFedifyMastodonLoop: the core loop as a member of a Mastodon-family
// server lives it, asserted from the peer's side (what its inbox received
// and read), twice: as "peer", which signs as Mastodon does (keyId
// actor#main-key), and as "gts", which signs as GoToSocial does (keyId
// actor/main-key, serving a stub of the actor there) and whom Ruche meets
// for the first time by that key. On each database.
func TestFedifyMastodonLoop(t *testing.T) {
	p := startPeer(t)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, as := range []string{"peer", "gts"} {
			t.Run(as, func(t *testing.T) { mastodonLoop(t, p, nodetest.New(t, d.Dialect()), as) })
		}
	})
}

func mastodonLoop(t *testing.T, p *peer, n *nodetest.Node, as string) {
	ctx := context.Background()
	olga := n.Member(t, "olga", spaces.RoleMember)
	alice := n.Member(t, "alice", spaces.RoleMember)
	bob := n.Member(t, "bob", spaces.RoleMember)
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	group, olgaIRI, aliceIRI := n.URL+"/spaces/forum", n.URL+"/users/olga", n.URL+"/users/alice"
	me := p.origin + "/users/" + as
	peerHost := strings.TrimPrefix(p.origin, "http://")
	isEvent := func(typ, actor, object string) func(map[string]any) bool {
		return func(e map[string]any) bool { return e["event"] == typ && e["actor"] == actor && e["object"] == object }
	}

	// The peer finds the space by WebFinger and follows it.
	if wf := p.call(t, "webfinger", map[string]any{"resource": group}); wf["self"] != group {
		t.Fatalf("WebFinger of the space: %v", wf)
	}
	sent := p.call(t, "follow", map[string]any{"url": group, "as": as})
	drain(t, n)
	p.eventWhere(t, "the Accept of its Follow", func(e map[string]any) bool { return e["event"] == "Accept" && e["object"] == sent["sent"] })

	// A post of the space that mentions the peer's actor: a boost of the
	// post, and olga's own Create with the Mention, which is what makes a
	// Mastodon-family server notify the one mentioned.
	post, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Language: "fr", Body: "Bienvenue @" + as + "@" + peerHost})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + post.ID
	drain(t, n)
	boost := p.eventWhere(t, "the Group's boost", isEvent("Announce", group, iri))
	if boost["postType"] != "Note" || !strings.Contains(fmt.Sprint(boost["content"]), "Bienvenue") {
		t.Fatalf("the boost as the peer read it: %v", boost)
	}
	create := p.eventWhere(t, "olga's Create of her post", isEvent("Create", olgaIRI, iri))
	if !slices.Contains(anyStrings(create["mentions"]), me) || !slices.Contains(anyStrings(create["cc"]), me) {
		t.Fatalf("olga's Create does not mention %s: %v", me, create)
	}

	// Its reply becomes a comment, its favourite a like.
	reply := p.call(t, "reply", map[string]any{"post": iri, "text": "Merci !", "as": as})
	p.call(t, "like", map[string]any{"post": iri, "as": as})
	drain(t, n)
	comment, err := n.DB.PostByURI(ctx, fmt.Sprint(reply["note"]))
	if err != nil || comment.InReplyToID != post.ID {
		t.Fatalf("the reply as Ruche keeps it: %+v (%v)", comment, err)
	}
	if got, _ := n.Spaces.GetPost(ctx, spaces.Console, post.ID); got.LikeCount != 1 || got.CommentCount != 1 {
		t.Fatalf("the post has %d likes and %d comments, want 1 and 1", got.LikeCount, got.CommentCount)
	}

	// An edit, then a deletion: olga's own Update and Delete.
	if _, err := n.Spaces.EditPost(ctx, olga, post.ID, spaces.PostInput{Language: "fr", Body: "Bienvenue à toutes et à tous"}); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	update := p.eventWhere(t, "olga's Update", isEvent("Update", olgaIRI, iri))
	if !strings.Contains(fmt.Sprint(update["content"]), "toutes et à tous") {
		t.Fatalf("the Update as the peer read it: %v", update)
	}
	if err := n.Spaces.DeletePost(ctx, olga, post.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	p.eventWhere(t, "olga's Delete", isEvent("Delete", olgaIRI, iri))

	// An article shows with its title, and no content warning: not marked
	// sensitive, its summary readable in its text. (That GoToSocial, which
	// takes an untagged summary for a warning, finds none is checked on the
	// JSON itself, in federation's golden tests.)
	article, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Kind: spaces.KindArticle, Language: "fr",
		Title: "Allergies à la cantine", Summary: "Ce que chaque cuisine doit savoir", Body: "Le protocole, pas à pas."})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	read := p.eventWhere(t, "the boost of the article", isEvent("Announce", group, n.URL+"/posts/"+article.ID))
	if read["postType"] != "Article" || read["name"] != "Allergies à la cantine" || read["sensitive"] == true ||
		!strings.Contains(fmt.Sprint(read["content"]), "Ce que chaque cuisine doit savoir") {
		t.Fatalf("the article as the peer read it: %v", read)
	}

	// The peer writes directly to alice, who does not follow it: Ruche keeps
	// it for her alone and notifies her.
	direct := p.call(t, "note", map[string]any{"to": aliceIRI, "text": "Bonjour Alice", "visibility": "direct", "as": as})
	drain(t, n)
	dm, err := n.DB.PostByURI(ctx, fmt.Sprint(direct["note"]))
	if err != nil || dm.Visibility != spaces.VisibilityDirect {
		t.Fatalf("the direct note as Ruche keeps it: %+v (%v)", dm, err)
	}
	if _, err := n.Spaces.GetPost(ctx, alice, dm.ID); err != nil {
		t.Fatalf("alice does not see the note to her: %v", err)
	}
	if _, err := n.Spaces.GetPost(ctx, bob, dm.ID); err == nil {
		t.Fatal("bob sees a direct note to alice")
	}
	notes, err := n.Spaces.Notifications(ctx, alice, spaces.NotificationPage{})
	if err != nil || !slices.ContainsFunc(notes, func(x *spaces.Notification) bool { return x.PostID == dm.ID && x.Kind == spaces.NotifyMention }) {
		t.Fatalf("alice is not notified of the note to her (%v)", err)
	}

	// Alice follows the peer's actor by its handle, which the node resolves;
	// the peer accepts, and its posts to its followers reach her home.
	target, err := n.Spaces.Account(ctx, alice, as+"@"+peerHost, false)
	if err != nil {
		t.Fatalf("alice finds %s@%s: %v", as, peerHost, err)
	}
	if _, err := n.Spaces.FollowAccount(ctx, alice, target, ""); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	p.eventWhere(t, "alice's Follow", func(e map[string]any) bool { return e["event"] == "Follow" && e["actor"] == aliceIRI })
	drain(t, n)
	if f, err := n.Spaces.FollowOf(ctx, alice, target); err != nil || f == nil || f.State != spaces.FollowStateAccepted {
		t.Fatalf("alice's follow of the peer: %+v (%v)", f, err)
	}
	public := p.call(t, "note", map[string]any{"to": aliceIRI, "text": "Des nouvelles", "mention": false, "as": as})
	drain(t, n)
	home, err := n.Spaces.HomeFeed(ctx, alice, spaces.Page{})
	if err != nil || !slices.ContainsFunc(home, func(x *spaces.Post) bool { return x.URI == public["note"] }) {
		t.Fatalf("the peer's post is not in alice's home (%v)", err)
	}
}

// anyStrings reads a JSON list of strings.
func anyStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
