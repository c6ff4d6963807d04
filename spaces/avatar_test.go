package spaces_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// TestMemberAvatar: a member picks an image of their own as avatar, anyone
// may load it, and what is not their unused image is refused unchanged.
func TestMemberAvatar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		upload := func(by *spaces.Account, content []byte, name string) *spaces.Media {
			t.Helper()
			m, err := s.UploadMedia(ctx, by, bytes.NewReader(content), name, "")
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		img := upload(alice, pngHeader, "me.png")
		if _, _, err := s.OpenMedia(ctx, nil, img.ID); err == nil {
			t.Fatal("an unused upload is visible to anonymous visitors")
		}
		a, err := s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{AvatarID: &img.ID})
		if err != nil || a.AvatarID != img.ID {
			t.Fatalf("set avatar: %v %+v", err, a)
		}
		if a, _ := s.LocalAccount(ctx, "alice"); a.AvatarID != img.ID {
			t.Fatalf("stored avatar %q", a.AvatarID)
		}
		_, f, err := s.OpenMedia(ctx, nil, img.ID)
		if err != nil {
			t.Fatalf("anonymous visitor opens an avatar: %v", err)
		}
		f.Close()

		// Another member's image, a PDF and an unknown id are refused, and the
		// avatar stays.
		pdf := upload(alice, []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n"), "doc.pdf")
		for _, id := range []string{upload(bob, pngHeader, "bob.png").ID, pdf.ID, "01NOSUCHMEDIA0000000000000"} {
			_, err := s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{AvatarID: &id})
			wantCode(t, err, "image_invalid")
		}
		if a, _ := s.LocalAccount(ctx, "alice"); a.AvatarID != img.ID {
			t.Fatalf("a refused avatar changed it to %q", a.AvatarID)
		}
		// An image attached to a post is the post's, not an avatar.
		mustSpace(t, s, alice, "club", spaces.SpaceSettings{})
		pic := upload(alice, pngHeader, "photo.png")
		if _, err := s.CreatePost(ctx, alice, "club", spaces.PostInput{Body: "Photo", Attachments: []string{pic.ID}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{AvatarID: &pic.ID})
		wantCode(t, err, "image_invalid")

		none := ""
		if a, err := s.UpdateProfile(ctx, alice, spaces.ProfileUpdate{AvatarID: &none}); err != nil || a.AvatarID != "" {
			t.Fatalf("clear avatar: %v %+v", err, a)
		}
		if _, _, err := s.OpenMedia(ctx, nil, img.ID); err == nil {
			t.Fatal("a former avatar stays visible to anonymous visitors")
		}
	})
}
