package spaces_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// remoteActor stores an account of another server: a Person, a Group or the
// server's own Application actor.
func remoteActor(t *testing.T, d *db.DB, typ, name, domain string) *spaces.Account {
	t.Helper()
	now := time.Now().UTC()
	a := &spaces.Account{ID: "r-" + name + "-" + domain, Type: typ, Username: name, Domain: domain,
		Status: spaces.StatusActive, URI: "https://" + domain + "/" + name, CreatedAt: now, UpdatedAt: now}
	if err := d.InsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRemoteGroupAnnounces: the calls the federation layer makes when the
// Group of a remote space speaks — its space recorded, its posts received
// (once), its invitation leading to a request it still answers.
func TestRemoteGroupAnnounces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		group := remoteActor(t, d, spaces.TypeGroup, "forum", "asso.example")
		group.Locked = true
		sp, err := s.SaveRemoteSpace(ctx, group, spaces.RemoteSpace{Visibility: "secret", Posting: spaces.PostingModerators})
		if err != nil || sp.Visibility != spaces.VisibilityPublic || sp.JoinPolicy != spaces.JoinApproval || sp.Posting != spaces.PostingModerators {
			t.Fatalf("a remote space with unknown values: %+v %v", sp, err)
		}
		if _, err := s.SaveRemoteSpace(ctx, alice, spaces.RemoteSpace{}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a local account's space: %v", err)
		}

		// The Group invites alice: her request still waits for the Group.
		if _, _, err := s.InviteToSpace(ctx, group, "forum@asso.example", spaces.SpaceInvite{Handle: "alice"}); err != nil {
			t.Fatal(err)
		}
		m, err := s.JoinSpace(ctx, alice, "forum@asso.example", "", "")
		if err != nil || m.State != spaces.StatePending {
			t.Fatalf("an invited member of a remote space: %+v %v", m, err)
		}
		if _, err := s.AnswerJoinRequest(ctx, group, "forum@asso.example", "alice", true); err != nil {
			t.Fatal(err)
		}

		// Posts the Group announces: stored once, comments in the same space.
		bob := remoteActor(t, d, spaces.TypePerson, "bob", "ville-b.example")
		in := spaces.PostInput{HTML: true, URI: "https://ville-b.example/posts/1", Body: "<p>Bonjour</p>"}
		p, err := s.ReceiveGroupPost(ctx, group, bob, "", in)
		if err != nil || p.SpaceID != group.ID || p.AccountID != bob.ID {
			t.Fatalf("an announced post: %+v %v", p, err)
		}
		again, err := s.ReceiveGroupPost(ctx, group, bob, "", in)
		if err != nil || again.ID != p.ID {
			t.Fatalf("the same post announced again: %+v %v", again, err)
		}
		home, err := s.HomeFeed(ctx, alice, spaces.Page{})
		if err != nil || len(home) != 1 {
			t.Fatalf("alice's home feed: %d %v", len(home), err)
		}
		c, err := s.ReceiveGroupPost(ctx, group, bob, p.ID, spaces.PostInput{HTML: true, URI: "https://ville-b.example/posts/2", Body: "<p>Re</p>"})
		if err != nil || c.InReplyToID != p.ID {
			t.Fatalf("an announced comment: %+v %v", c, err)
		}
		other := remoteActor(t, d, spaces.TypeGroup, "other", "asso.example")
		if _, err := s.SaveRemoteSpace(ctx, other, spaces.RemoteSpace{}); err != nil {
			t.Fatal(err)
		}
		_, err = s.ReceiveGroupPost(ctx, other, bob, p.ID, spaces.PostInput{HTML: true, URI: "https://ville-b.example/posts/3", Body: "<p>x</p>"})
		wantCode(t, err, "parent_elsewhere")
		_, err = s.ReceiveGroupPost(ctx, bob, bob, "", spaces.PostInput{HTML: true, URI: "https://ville-b.example/posts/4", Body: "<p>x</p>"})
		wantCode(t, err, "not_remote_group")
		_, err = s.ReceiveGroupPost(ctx, group, alice, "", spaces.PostInput{Body: "mine"})
		wantCode(t, err, "author_local")

		// A remote file of the post, cached: the accepted types only.
		if err := d.InsertMedia(ctx, &spaces.Media{ID: "f1", AccountID: bob.ID, PostID: p.ID, URI: "https://ville-b.example/f.pdf",
			MediaType: "application/pdf", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CacheRemoteMedia(ctx, "f1", bytes.NewReader([]byte("<html><script>x</script></html>"))); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("HTML passed for a PDF: %v", err)
		}
		got, err := s.CacheRemoteMedia(ctx, "f1", bytes.NewReader([]byte("%PDF-1.4\n%%EOF\n")))
		if err != nil || got.Path == "" || got.MediaType != "application/pdf" {
			t.Fatalf("a cached PDF: %+v %v", got, err)
		}
		if _, f, err := s.OpenMedia(ctx, alice, "f1"); err != nil {
			t.Fatalf("alice opens the cached file: %v", err)
		} else {
			f.Close()
		}
	})
}

// TestServerReader: another server reading as itself (its own actor) sees
// what one of its accounts may see as a member, and the posts of the spaces
// it hosts; nothing more.
func TestServerReader(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		mustSpace(t, s, owner, "secret", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)})
		post := mustPost(t, s, owner, "secret", "for members")
		memberNode := remoteActor(t, d, spaces.TypeApplication, "actor", "member.example")
		otherNode := remoteActor(t, d, spaces.TypeApplication, "actor", "other.example")
		member := remoteActor(t, d, spaces.TypePerson, "m", "member.example")
		for _, a := range []*spaces.Account{memberNode, otherNode} {
			if ok, _ := s.CanSee(ctx, a, post.ID); ok {
				t.Fatalf("%s sees the post before any member", a.Domain)
			}
		}
		if _, _, err := s.InviteToSpace(ctx, owner, "secret", spaces.SpaceInvite{Handle: "m@member.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Space(ctx, memberNode, "secret"); err != nil {
			t.Fatalf("the invited account's server reads the space: %v", err)
		}
		if _, err := s.JoinSpace(ctx, member, "secret", "", "https://member.example/follows/1"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.CanSee(ctx, memberNode, post.ID); !ok {
			t.Fatal("the member's server does not see the post")
		}
		if ok, _ := s.CanSee(ctx, otherNode, post.ID); ok {
			t.Fatal("another server sees the post")
		}
		if _, err := s.Space(ctx, otherNode, "secret"); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("another server reads the space: %v", err)
		}
		// A person of the member's server is not its server: it reads as itself.
		stranger := remoteActor(t, d, spaces.TypePerson, "s", "member.example")
		if ok, _ := s.CanSee(ctx, stranger, post.ID); ok {
			t.Fatal("a non-member of the member's server sees the post")
		}
	})
}
