package spaces_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestJoinPolicies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		carol := mustMember(t, s, "carol", spaces.RoleMember)
		mustSpace(t, s, owner, "open", spaces.SpaceSettings{})
		mustSpace(t, s, owner, "club", spaces.SpaceSettings{JoinPolicy: str("approval")})
		mustSpace(t, s, owner, "board", spaces.SpaceSettings{JoinPolicy: str("invite"), Visibility: str("members")})
		s.Listen(rec)

		if m := mustJoin(t, s, bob, "open"); m.State != spaces.StateActive {
			t.Fatalf("open space: %+v", m)
		}
		if again := mustJoin(t, s, bob, "open"); again.State != spaces.StateActive {
			t.Fatal("joining twice must return the membership")
		}
		if m := mustJoin(t, s, bob, "club"); m.State != spaces.StatePending {
			t.Fatalf("approval space: %+v", m)
		}
		if _, err := s.AnswerJoinRequest(ctx, carol, "club", "bob", true); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a non-moderator approves: %v", err)
		}
		reqs, err := s.SpaceMembers(ctx, owner, "club", spaces.MemberPage{State: spaces.StatePending})
		if err != nil || len(reqs) != 1 || reqs[0].Account.Username != "bob" {
			t.Fatalf("requests: %v %v", reqs, err)
		}
		if _, err := s.SpaceMembers(ctx, carol, "club", spaces.MemberPage{State: spaces.StatePending}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a non-moderator lists the requests: %v", err)
		}
		if m, err := s.AnswerJoinRequest(ctx, owner, "club", "bob", true); err != nil || m.State != spaces.StateActive {
			t.Fatalf("approve: %+v %v", m, err)
		}
		mustJoin(t, s, carol, "club")
		if _, err := s.AnswerJoinRequest(ctx, owner, "club", "carol", false); err != nil {
			t.Fatalf("reject: %v", err)
		}
		if m, _ := s.Membership(ctx, carol, mustGetSpace(t, s, owner, "club")); m != nil {
			t.Fatalf("a rejected request stays: %+v", m)
		}
		// Invite-only, members-only: invisible and closed to those not invited.
		if _, err := s.JoinSpace(ctx, bob, "board", "", ""); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("join a hidden space: %v", err)
		}
		if _, err := s.Space(ctx, bob, "board"); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("see a hidden space: %v", err)
		}
		if _, _, err := s.InviteToSpace(ctx, bob, "board", spaces.SpaceInvite{Handle: "carol"}); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("an outsider invites: %v", err)
		}
		inv, _, err := s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: "bob"})
		if err != nil || inv.AccountID != bob.ID {
			t.Fatalf("invite bob: %+v %v", inv, err)
		}
		if _, err := s.Space(ctx, bob, "board"); err != nil {
			t.Fatalf("an invited member sees the space: %v", err)
		}
		if m := mustJoin(t, s, bob, "board"); m.State != spaces.StateActive {
			t.Fatalf("join with an invitation: %+v", m)
		}
		_, err = s.JoinSpace(ctx, carol, "board", "", "")
		if !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("carol is not invited: %v", err)
		}
		// Link invitations, for outsiders.
		_, token, err := s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Link: true, MaxUses: 1})
		if err != nil || token == "" {
			t.Fatalf("invite link: %v", err)
		}
		if sp, err := s.SpaceOfInvitation(ctx, token); err != nil || sp.Slug() != "board" {
			t.Fatalf("space of a link: %v", err)
		}
		if _, err := s.JoinSpace(ctx, carol, "board", "wrong", ""); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("a wrong token: %v", err)
		}
		if m, err := s.JoinSpace(ctx, carol, "board", token, ""); err != nil || m.State != spaces.StateActive {
			t.Fatalf("join by link: %v", err)
		}
		dave := mustMember(t, s, "dave", spaces.RoleMember)
		_, err = s.JoinSpace(ctx, dave, "board", token, "")
		wantCode(t, err, "invite_used")
		if _, _, err := s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: "nobody"}); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("invite an unknown member: %v", err)
		}
		// A remote handle the node does not know yet is kept for federation.
		inv, _, err = s.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: "@Expert@Other.example"})
		if err != nil || inv.Handle != "expert@other.example" || inv.AccountID != "" {
			t.Fatalf("invite a remote handle: %+v %v", inv, err)
		}
		want := "spaces.MemberJoined spaces.MembershipRequested spaces.MembershipAccepted spaces.MembershipRequested spaces.MembershipRejected " +
			"spaces.SpaceInvited spaces.MemberJoined spaces.MemberJoined spaces.AccountCreated spaces.SpaceInvited"
		if eventNames(rec) != want {
			t.Fatalf("events\n%s\nwant\n%s", eventNames(rec), want)
		}
	})
}

func mustGetSpace(t *testing.T, s *spaces.Service, viewer *spaces.Account, slug string) *spaces.Space {
	t.Helper()
	sp, err := s.Space(context.Background(), viewer, slug)
	if err != nil {
		t.Fatalf("space %s: %v", slug, err)
	}
	return sp
}

func TestModeration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		mod := mustMember(t, s, "mod", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		carol := mustMember(t, s, "carol", spaces.RoleMember)
		mustSpace(t, s, owner, "town", spaces.SpaceSettings{})
		for _, a := range []*spaces.Account{mod, bob, carol} {
			mustJoin(t, s, a, "town")
		}
		if _, err := s.SetMemberRole(ctx, mod, "town", "mod", spaces.SpaceRoleModerator); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member promotes themself: %v", err)
		}
		if _, err := s.SetMemberRole(ctx, owner, "town", "mod", spaces.SpaceRoleModerator); err != nil {
			t.Fatal(err)
		}
		// Moderators remove and ban members, not owners.
		if err := s.RemoveMember(ctx, mod, "town", "owner"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a moderator removes the owner: %v", err)
		}
		if err := s.RemoveMember(ctx, bob, "town", "carol"); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member removes a member: %v", err)
		}
		if err := s.RemoveMember(ctx, mod, "town", "carol"); err != nil {
			t.Fatal(err)
		}
		mustJoin(t, s, carol, "town") // removal is not a ban
		if _, err := s.BanMember(ctx, mod, "town", "carol"); err != nil {
			t.Fatal(err)
		}
		_, err := s.JoinSpace(ctx, carol, "town", "", "")
		wantCode(t, err, "banned")
		_, err = s.CreatePost(ctx, carol, "town", spaces.PostInput{Body: "let me in"})
		wantCode(t, err, "banned")
		banned, _ := s.SpaceMembers(ctx, owner, "town", spaces.MemberPage{State: spaces.StateBanned})
		if len(banned) != 1 || banned[0].Account.Username != "carol" {
			t.Fatalf("bans: %v", banned)
		}
		if err := s.UnbanMember(ctx, mod, "town", "carol"); err != nil {
			t.Fatal(err)
		}
		mustJoin(t, s, carol, "town")
		// The last owner stays.
		wantCode(t, s.LeaveSpace(ctx, owner, "town"), "last_owner")
		_, err = s.SetMemberRole(ctx, owner, "town", "owner", spaces.SpaceRoleMember)
		wantCode(t, err, "last_owner")
		if _, err := s.SetMemberRole(ctx, owner, "town", "bob", spaces.SpaceRoleOwner); err != nil {
			t.Fatal(err)
		}
		if err := s.LeaveSpace(ctx, owner, "town"); err != nil {
			t.Fatalf("an owner leaves when another remains: %v", err)
		}
		if n, _ := s.MemberCount(ctx, mustGetSpace(t, s, bob, "town")); n != 3 {
			t.Fatalf("members: %d", n)
		}
		// Node admins moderate local spaces.
		admin := mustMember(t, s, "root_admin", spaces.RoleAdmin)
		if err := s.RemoveMember(ctx, admin, "town", "carol"); err != nil {
			t.Fatalf("an admin removes: %v", err)
		}
	})
}

// A remote account joins, is refused, posts and leaves through the same
// functions as local members.
func TestRemoteMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		owner := mustMember(t, s, "owner", spaces.RoleMember)
		mustSpace(t, s, owner, "club", spaces.SpaceSettings{JoinPolicy: str("approval")})
		zed := remoteAccount(t, d, "zed")
		yan := remoteAccount(t, d, "yan")

		m, err := s.JoinSpace(ctx, zed, "club", "", "https://remote.example/follows/9")
		if err != nil || m.State != spaces.StatePending || m.URI != "https://remote.example/follows/9" {
			t.Fatalf("remote join: %+v %v", m, err)
		}
		// A remote non-member's post is refused and nothing is stored.
		_, err = s.CreatePost(ctx, zed, "club", spaces.PostInput{Body: "<p>hi</p>", HTML: true, URI: "https://remote.example/notes/1"})
		wantCode(t, err, "not_member")
		if _, err := d.PostByURI(ctx, "https://remote.example/notes/1"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a refused post was stored: %v", err)
		}
		if _, err := s.AnswerJoinRequest(ctx, owner, "club", "zed@remote.example", true); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePost(ctx, zed, "club", spaces.PostInput{Body: `<p>hi <script>alert(1)</script><a href="javascript:x()">x</a></p>`, HTML: true, URI: "https://remote.example/notes/1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Local || p.URI != "https://remote.example/notes/1" || p.Content != "<p>hi x</p>" {
			t.Fatalf("remote post: local=%v uri=%q content=%q", p.Local, p.URI, p.Content)
		}
		_, err = s.CreatePost(ctx, zed, "club", spaces.PostInput{Body: "<p>again</p>", HTML: true, URI: "https://remote.example/notes/1"})
		wantCode(t, err, "post_exists")
		_, err = s.CreatePost(ctx, zed, "club", spaces.PostInput{Body: "markdown"})
		wantCode(t, err, "remote_post_fields")
		_, err = s.CreatePost(ctx, yan, "club", spaces.PostInput{Body: "<p>x</p>", HTML: true, URI: "https://remote.example/notes/2"})
		wantCode(t, err, "not_member")
		// Comments, likes, edits and deletes from the remote member, through
		// the same functions; events carry what federation needs.
		rec := &recorder{}
		s.Listen(rec)
		local := mustPost(t, s, owner, "club", "local post")
		c, err := s.CreateComment(ctx, zed, local.ID, spaces.PostInput{Body: "<p>remote comment</p>", HTML: true, URI: "https://remote.example/notes/2"})
		if err != nil || c.InReplyToID != local.ID || c.Local {
			t.Fatalf("remote comment: %+v %v", c, err)
		}
		if _, err := s.LikePost(ctx, zed, local.ID, "https://remote.example/likes/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EditPost(ctx, zed, p.ID, spaces.PostInput{Body: "edited", HTML: false}); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("a remote edit in Markdown: %v", err)
		}
		ed, err := s.EditPost(ctx, zed, p.ID, spaces.PostInput{Body: "<p>edited</p>", HTML: true, URI: p.URI})
		if err != nil || ed.Content != "<p>edited</p>" || ed.EditedAt.IsZero() {
			t.Fatalf("remote edit: %+v %v", ed, err)
		}
		if err := s.DeletePost(ctx, zed, p.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.PostByURI(ctx, nil, "https://remote.example/notes/2"); err != nil || got.ID != c.ID {
			t.Fatalf("find a remote comment by its IRI: %v", err)
		}
		want := "spaces.PostCreated spaces.CommentCreated spaces.PostLiked spaces.PostUpdated spaces.PostDeleted"
		if eventNames(rec) != want {
			t.Fatalf("events %s, want %s", eventNames(rec), want)
		}
		if err := s.LeaveSpace(ctx, zed, "club"); err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateComment(ctx, zed, local.ID, spaces.PostInput{Body: "<p>after leaving</p>", HTML: true, URI: "https://remote.example/notes/3"})
		wantCode(t, err, "not_member")
	})
}

// A local member joins a space of another node: the request waits for the
// remote Group's answer, which enters through the same functions with the
// Group as the one who acts; the Group also moderates its mirrored space.
func TestRemoteSpace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		now := alice.CreatedAt
		group := &spaces.Account{ID: "remote-group", Type: spaces.TypeGroup, Username: "forum", Domain: "remote.example",
			DisplayName: "Forum", Status: spaces.StatusActive, URI: "https://remote.example/spaces/forum", CreatedAt: now, UpdatedAt: now}
		if err := d.InsertAccount(ctx, group); err != nil {
			t.Fatal(err)
		}
		if err := d.InsertSpace(ctx, &spaces.Space{AccountID: group.ID, Visibility: "public", JoinPolicy: "open",
			Posting: "members", Languages: "en", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		s.Listen(rec)
		m, err := s.JoinSpace(ctx, alice, "forum@remote.example", "", "")
		if err != nil || m.State != spaces.StatePending {
			t.Fatalf("join a remote space: %+v %v", m, err)
		}
		_, err = s.CreatePost(ctx, alice, "forum@remote.example", spaces.PostInput{Body: "too early"})
		wantCode(t, err, "not_member")
		zed := remoteAccount(t, d, "zed")
		if _, err := s.AnswerJoinRequest(ctx, zed, "forum@remote.example", "alice", true); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("another remote account answers for the Group: %v", err)
		}
		if m, err = s.AnswerJoinRequest(ctx, group, "forum@remote.example", "alice", true); err != nil || m.State != spaces.StateActive {
			t.Fatalf("the Group accepts: %+v %v", m, err)
		}
		p := mustPost(t, s, alice, "forum@remote.example", "hello forum")
		if err := s.DeletePost(ctx, group, p.ID); err != nil {
			t.Fatalf("the Group removes a post: %v", err)
		}
		if err := s.RemoveMember(ctx, group, "forum@remote.example", "alice"); err != nil {
			t.Fatalf("the Group removes a member: %v", err)
		}
		want := "spaces.MembershipRequested spaces.MembershipAccepted spaces.PostCreated spaces.PostRemoved spaces.MemberRemoved"
		if eventNames(rec) != want {
			t.Fatalf("events %s, want %s", eventNames(rec), want)
		}
	})
}
