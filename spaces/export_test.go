package spaces_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func TestNotificationChoices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, alice, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")

		// Alice keeps replies but turns likes and mentions off.
		a, err := s.SetNotifications(ctx, alice, []string{spaces.NotifyReply, spaces.NotifyJoinRequest})
		if err != nil {
			t.Fatal(err)
		}
		if spaces.NotificationOn(a, spaces.NotifyLike) || !spaces.NotificationOn(a, spaces.NotifyReply) {
			t.Fatalf("choices: %q", a.User.NotificationsOff)
		}
		p := mustPost(t, s, alice, "club", "Hello")
		if _, err := s.LikePost(ctx, bob, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "Hi @alice"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "And again"}); err != nil {
			t.Fatal(err)
		}
		ns, _ := s.Notifications(ctx, alice, spaces.NotificationPage{})
		var kinds []string
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
		}
		if strings.Join(kinds, " ") != "reply" {
			t.Fatalf("alice was notified of %v, want only the reply", kinds)
		}
		// Bob, who chose nothing, gets everything.
		mustPost(t, s, alice, "club", "Ping @bob")
		if n, _ := s.UnreadCount(ctx, bob); n != 1 {
			t.Fatalf("bob's unread: %d", n)
		}

		_, err = s.SetNotifications(ctx, alice, []string{"spam"})
		wantCode(t, err, "notification_kind_invalid")
		if a, _ := s.LocalAccount(ctx, "alice"); spaces.NotificationOn(a, spaces.NotifyLike) {
			t.Fatal("a refused choice changed the settings")
		}
		if _, err := s.SetNotifications(ctx, nil, nil); err == nil {
			t.Fatal("an anonymous visitor set choices")
		}
	})
}

func TestExportData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, bob, "club", spaces.SpaceSettings{Name: str("The club")})
		mustJoin(t, s, alice, "club")
		if _, err := s.FollowAccount(ctx, alice, bob, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FollowAccount(ctx, bob, alice, ""); err != nil {
			t.Fatal(err)
		}
		pdf, err := s.UploadMedia(ctx, alice, bytes.NewReader([]byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n")), "checklist.pdf", "A checklist")
		if err != nil {
			t.Fatal(err)
		}
		art, err := s.CreatePost(ctx, alice, "club", spaces.PostInput{Kind: spaces.KindArticle, Language: "fr", Title: "Allergies",
			Body: "Le **texte**", Themes: []string{"health"}, Attachments: []string{pdf.ID},
			Translations: []spaces.TranslationInput{{Language: "en", Title: "Allergies", Body: "The text"}}})
		if err != nil {
			t.Fatal(err)
		}
		theirs := mustPost(t, s, bob, "club", "Bob's own post")
		if _, err := s.CreateComment(ctx, alice, theirs.ID, spaces.PostInput{Body: "My comment"}); err != nil {
			t.Fatal(err)
		}
		gone := mustPost(t, s, alice, "club", "Deleted later")
		if err := s.DeletePost(ctx, alice, gone.ID); err != nil {
			t.Fatal(err)
		}
		// bob's event, which alice goes to; bob's poll, in which she votes.
		meeting, err := s.CreatePost(ctx, bob, "club", eventInput("Club meeting", clk.now().Add(time.Hour), 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.JoinEvent(ctx, alice, meeting.ID); err != nil {
			t.Fatal(err)
		}
		poll, err := s.CreatePost(ctx, bob, "club", spaces.PostInput{Body: "Which day?",
			Poll: &spaces.PollInput{Options: []string{"Mon", "Tue", "Wed"}, Multiple: true, ExpiresIn: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Vote(ctx, alice, poll.ID, []int{2, 0}); err != nil {
			t.Fatal(err)
		}

		x, err := s.ExportData(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if x.Account.Username != "alice" || x.Account.Email != "alice@example.org" {
			t.Fatalf("account: %+v", x.Account)
		}
		if len(x.Posts) != 2 || x.Posts[0].ID != art.ID || x.Posts[1].InReplyTo != theirs.ID {
			t.Fatalf("posts: %+v", x.Posts)
		}
		a := x.Posts[0]
		if a.Space != "club" || len(a.Translations) != 2 || a.Translations[0].Markdown != "Le **texte**" ||
			len(a.Attachments) != 1 || a.Attachments[0].Name != "checklist.pdf" || strings.Join(a.Themes, ",") != "health" {
			t.Fatalf("article: %+v", a)
		}
		if len(x.Spaces) != 1 || x.Spaces[0].Space != "club" || x.Spaces[0].Name != "The club" {
			t.Fatalf("spaces: %+v", x.Spaces)
		}
		if len(x.Following) != 1 || x.Following[0].Handle != "bob" || len(x.Followers) != 1 {
			t.Fatalf("follows: %+v %+v", x.Following, x.Followers)
		}
		if len(x.Registrations) != 1 || x.Registrations[0].Post != meeting.ID || x.Registrations[0].Title != "Club meeting" ||
			x.Registrations[0].State != spaces.RegistrationGoing {
			t.Fatalf("registrations: %+v", x.Registrations)
		}
		if len(x.Votes) != 1 || x.Votes[0].Post != poll.ID || strings.Join(x.Votes[0].Choices, ",") != "Mon,Wed" {
			t.Fatalf("votes: %+v", x.Votes)
		}
		mine, err := s.ExportData(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		var organised, asked int
		for _, p := range mine.Posts {
			if p.Event != nil && p.Event.Going == 1 && p.Event.TimeZone == "Europe/Paris" {
				organised++
			}
			if p.Poll != nil && strings.Join(p.Poll.Options, ",") == "Mon,Tue,Wed" && p.Poll.VotersCount == 1 {
				asked++
			}
		}
		if organised != 1 || asked != 1 {
			t.Fatalf("bob's export: %d events, %d polls", organised, asked)
		}
		raw, _ := json.Marshal(x)
		for _, secret := range []string{"argon2", alice.User.PasswordHash, "Bob's own post", "Deleted later"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("the export holds %q", secret)
			}
		}
		if _, err := s.ExportData(ctx, nil); err == nil {
			t.Fatal("an anonymous export")
		}
	})
}

func TestPreviewFollowOfAndPeople(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{PublicURL: "https://ville-a.example"})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		if _, err := s.UpdateProfile(ctx, bob, spaces.ProfileUpdate{DisplayName: str("Bérénice Martin"), Locked: boolPtr(true)}); err != nil {
			t.Fatal(err)
		}
		remoteAccount(t, d, "martine")

		html, err := s.Preview(ctx, alice, "**Bonjour** @bob #Cantine <script>alert(1)</script>")
		if err != nil || !strings.Contains(html, "<strong>Bonjour</strong>") || !strings.Contains(html, `href="https://ville-a.example/users/bob"`) ||
			!strings.Contains(html, "/tags/cantine") || unsafe(html) {
			t.Fatalf("preview: %s %v", html, err)
		}
		_, err = s.Preview(ctx, alice, strings.Repeat("a", 100_001))
		wantCode(t, err, "body_too_long")
		if _, err := s.Preview(ctx, nil, "x"); err == nil {
			t.Fatal("an anonymous preview")
		}

		if f, err := s.FollowOf(ctx, alice, bob); err != nil || f != nil {
			t.Fatalf("no follow yet: %v %v", f, err)
		}
		bob, _ = s.LocalAccount(ctx, "bob")
		if _, err := s.FollowAccount(ctx, alice, bob, ""); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.FollowOf(ctx, alice, bob); f == nil || f.State != spaces.FollowStatePending {
			t.Fatalf("follow of a locked account: %+v", f)
		}

		r, err := s.Search(ctx, alice, "MART", spaces.SearchAccounts, spaces.Page{})
		if err != nil || len(r.Accounts) != 2 || r.Accounts[0].Username != "bob" || r.Accounts[1].Domain != "remote.example" {
			t.Fatalf("people: %+v %v", r, err)
		}
		if r, _ := s.Search(ctx, alice, "example.org", spaces.SearchAccounts, spaces.Page{}); len(r.Accounts) != 0 {
			t.Fatal("people are found by their email address")
		}
	})
}

func boolPtr(b bool) *bool { return &b }
