package spaces_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// xssCorpus are payloads that must never come out of the sanitiser alive.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<svg onload=alert(1)>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<a href="  JaVaScRiPt:alert(1)">x</a>`,
	`"><script>alert(1)</script>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<object data="x.swf"></object>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`[link](javascript:alert(1))`,
	`![img](x" onerror="alert(1))`,
	`<form action="https://evil.example"><input name=x></form>`,
	`<body onload=alert(1)>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
}

// unsafe tells whether sanitised HTML still carries something executable: an
// element or attribute that runs script or loads foreign content. Payloads
// that end up as escaped text are harmless.
func unsafe(s string) bool {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "iframe", "svg", "object", "form", "style", "body", "math", "embed", "input":
				return true
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				val := strings.ToLower(strings.TrimSpace(string(v)))
				if strings.HasPrefix(string(k), "on") || string(k) == "style" ||
					strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "data:") {
					return true
				}
			}
		}
	}
}

func TestArticlesAndNotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{PublicURL: "https://ville-a.example"})
		rec := &recorder{}
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		remoteAccount(t, d, "zed")
		mustSpace(t, s, alice, "catering", spaces.SpaceSettings{Languages: []string{"fr", "en"}})
		mustJoin(t, s, bob, "catering")
		s.Listen(rec)

		p, err := s.CreatePost(ctx, bob, "catering", spaces.PostInput{
			Kind: "article", Title: "Allergies à la cantine", Summary: "Une méthode",
			Body:         "Bonjour @alice et @zed@remote.example, voir **ceci** #Santé https://example.org",
			Translations: []spaces.TranslationInput{{Language: "en", Title: "Allergies in the canteen", Summary: "A method", Body: "Hello #health"}},
			Themes:       []string{"catering", "Health"}, AppliesTo: "secondary schools",
		})
		if err != nil {
			t.Fatal(err)
		}
		if p.Language != "fr" || p.Kind != "article" || p.ThreadID != p.ID || !p.Local {
			t.Fatalf("article: %+v", p)
		}
		for _, want := range []string{
			`<strong>ceci</strong>`,
			`<a href="https://ville-a.example/users/alice" class="u-url mention"`,
			`<a href="https://remote.example/users/zed" class="u-url mention"`,
			`<a href="https://ville-a.example/tags/sant%C3%A9" class="mention hashtag"`,
			`<a href="https://example.org" rel="nofollow noreferrer">https://example.org</a>`,
		} {
			if !strings.Contains(p.Content, want) {
				t.Fatalf("content lacks %s:\n%s", want, p.Content)
			}
		}
		if len(p.Translations) != 2 || p.Translations[0].Language != "en" || p.Translations[1].Title != "Allergies à la cantine" {
			t.Fatalf("translations: %+v", p.Translations)
		}
		var tags []string
		for _, tg := range p.Tags {
			tags = append(tags, tg.Kind+":"+tg.Tag)
		}
		if strings.Join(tags, " ") != "hashtag:health hashtag:santé theme:catering theme:health" {
			t.Fatalf("tags: %v", tags)
		}
		if len(p.Mentions) != 2 || p.Mentions[0].AccountID == "" || p.Mentions[1].AccountID == "" {
			t.Fatalf("mentions: %+v", p.Mentions)
		}
		ns, _ := s.Notifications(ctx, alice, spaces.NotificationPage{})
		var kinds []string
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
		}
		// alice watches the space she created, and is mentioned
		if strings.Join(kinds, " ") != "new_post mention" && strings.Join(kinds, " ") != "mention new_post" {
			t.Fatalf("alice's notifications: %v", kinds)
		}

		// Comments, one level deep, by members only.
		c, err := s.CreateComment(ctx, alice, p.ID, spaces.PostInput{Body: "Merci !", Language: "fr"})
		if err != nil || c.InReplyToID != p.ID || c.ThreadID != p.ID {
			t.Fatalf("comment: %+v %v", c, err)
		}
		reply, err := s.CreateComment(ctx, bob, c.ID, spaces.PostInput{Body: "De rien"})
		if err != nil || reply.ThreadID != p.ID || reply.InReplyToID != c.ID {
			t.Fatalf("reply to a comment: %+v %v", reply, err)
		}
		outsider := mustMember(t, s, "outsider", spaces.RoleMember)
		_, err = s.CreateComment(ctx, outsider, p.ID, spaces.PostInput{Body: "me too"})
		wantCode(t, err, "not_member")
		cs, err := s.Comments(ctx, nil, p.ID, "", 10)
		if err != nil || len(cs) != 2 || cs[0].ID != c.ID {
			t.Fatalf("comments: %v %v", cs, err)
		}

		// Likes.
		if _, err := s.LikePost(ctx, alice, p.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LikePost(ctx, alice, p.ID, ""); err != nil {
			t.Fatalf("liking twice: %v", err)
		}
		got, _ := s.GetPost(ctx, nil, p.ID)
		if got.LikeCount != 1 || got.CommentCount != 2 {
			t.Fatalf("counts: likes %d comments %d", got.LikeCount, got.CommentCount)
		}
		if err := s.UnlikePost(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.UnlikePost(ctx, alice, p.ID); !errors.Is(err, spaces.ErrNotFound) {
			t.Fatalf("unliking twice: %v", err)
		}

		// Edits by the author only.
		if _, err := s.EditPost(ctx, alice, p.ID, spaces.PostInput{Title: "x", Body: "y"}); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("someone else edits: %v", err)
		}
		ed, err := s.EditPost(ctx, bob, p.ID, spaces.PostInput{Title: "Allergies", Body: "Nouveau texte", Themes: []string{"health"}})
		if err != nil || ed.EditedAt.IsZero() || ed.Title != "Allergies" || len(ed.Translations) != 1 || len(ed.Attachments) != 0 {
			t.Fatalf("edit: %+v %v", ed, err)
		}

		// Pins by moderators.
		if _, err := s.PinPost(ctx, bob, p.ID, true); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("a member pins: %v", err)
		}
		if _, err := s.PinPost(ctx, alice, c.ID, true); !errors.Is(err, spaces.ErrInvalid) {
			t.Fatalf("pin a comment: %v", err)
		}
		if _, err := s.PinPost(ctx, alice, p.ID, true); err != nil {
			t.Fatal(err)
		}
		pinned, _ := s.PinnedPosts(ctx, nil, "catering")
		if len(pinned) != 1 || pinned[0].ID != p.ID {
			t.Fatalf("pinned: %v", pinned)
		}

		// A moderator removes a comment; the author deletes the post.
		if err := s.DeletePost(ctx, outsider, reply.ID); !errors.Is(err, spaces.ErrForbidden) {
			t.Fatalf("an outsider deletes: %v", err)
		}
		if err := s.DeletePost(ctx, alice, reply.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePost(ctx, bob, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPost(ctx, bob, p.ID); !errors.Is(err, spaces.ErrGone) {
			t.Fatalf("a deleted post: %v", err)
		}
		tomb, _ := d.PostByID(ctx, p.ID)
		if tomb.Content != "" || tomb.Title != "" || len(tomb.Translations) != 0 || tomb.DeletedAt.IsZero() {
			t.Fatalf("tombstone keeps content: %+v", tomb)
		}
		_, err = s.LikePost(ctx, alice, p.ID, "")
		wantCode(t, err, "post_deleted")
		_, err = s.CreateComment(ctx, alice, p.ID, spaces.PostInput{Body: "late"})
		wantCode(t, err, "post_deleted")

		want := "spaces.PostCreated spaces.CommentCreated spaces.CommentCreated spaces.AccountCreated spaces.PostLiked spaces.PostUnliked " +
			"spaces.PostUpdated spaces.PostPinned spaces.PostRemoved spaces.PostDeleted"
		if eventNames(rec) != want {
			t.Fatalf("events\n%s\nwant\n%s", eventNames(rec), want)
		}
	})
}

func TestBadPosts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, alice, "town", spaces.SpaceSettings{})
		mustSpace(t, s, alice, "news", spaces.SpaceSettings{Posting: str("moderators")})
		mustJoin(t, s, bob, "news")

		_, err := s.CreatePost(ctx, alice, "nowhere", spaces.PostInput{Body: "x"})
		wantCode(t, err, "space_not_found")
		_, err = s.CreatePost(ctx, bob, "town", spaces.PostInput{Body: "x"})
		wantCode(t, err, "not_member")
		_, err = s.CreatePost(ctx, bob, "news", spaces.PostInput{Body: "x"})
		wantCode(t, err, "moderators_only")
		if _, err := s.CreatePost(ctx, nil, "town", spaces.PostInput{Body: "x"}); !errors.Is(err, spaces.ErrUnauthorized) {
			t.Fatalf("anonymous post: %v", err)
		}
		for name, in := range map[string]spaces.PostInput{
			"empty":            {Body: "   "},
			"too long":         {Body: strings.Repeat("a", 5001)},
			"article no title": {Kind: "article", Body: "x"},
			"title on note":    {Title: "t", Body: "x"},
			"bad kind":         {Kind: "poll", Body: "x"},
			"bad language":     {Language: "français", Body: "x"},
			"same language":    {Kind: "article", Title: "t", Body: "x", Language: "fr", Translations: []spaces.TranslationInput{{Language: "fr", Body: "y"}}},
			"bad theme":        {Kind: "article", Title: "t", Body: "x", Themes: []string{"a b"}},
			"control chars":    {Kind: "article", Title: "t\x07", Body: "x"},
			"bad attachment":   {Body: "x", Attachments: []string{"01NOPE"}},
			"remote fields":    {Body: "x", URI: "https://x.example/1"},
			"only raw html":    {Body: "<script>alert(1)</script>"},
		} {
			if _, err := s.CreatePost(ctx, alice, "town", in); !errors.Is(err, spaces.ErrInvalid) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		feed, _ := s.SpaceFeed(ctx, alice, "town", spaces.Page{})
		if len(feed) != 0 {
			t.Fatalf("bad posts were stored: %d", len(feed))
		}

		// Injection in every text field: HTML is sanitised, plain text kept as
		// text (the doors escape it).
		for _, x := range xssCorpus {
			p, err := s.CreatePost(ctx, alice, "town", spaces.PostInput{Kind: "article", Title: "T " + x, Summary: x, Body: "ok " + x,
				AppliesTo: "a", Translations: []spaces.TranslationInput{{Language: "en", Title: x, Body: "en " + x}}})
			if err != nil {
				t.Fatalf("%s: %v", x, err)
			}
			for _, tr := range p.Translations {
				if unsafe(tr.Content) {
					t.Fatalf("payload %s survived in %s: %s", x, tr.Language, tr.Content)
				}
			}
			c, err := s.CreateComment(ctx, alice, p.ID, spaces.PostInput{Body: "c " + x})
			if err != nil || unsafe(c.Content) {
				t.Fatalf("comment with %s: %q %v", x, c.Content, err)
			}
			r, err := s.CreatePost(ctx, alice, "", spaces.PostInput{Body: "r " + x})
			if err != nil || unsafe(r.Content) {
				t.Fatalf("profile post with %s: %v", x, err)
			}
			if strings.Contains(x, "<") && unsafe(spaces.SanitizeHTML(x)) {
				t.Fatalf("remote HTML %s survives", x)
			}
		}
	})
}

// TestContentWarnings: a note or comment may hide behind a content warning,
// kept, changed or taken off by an edit; articles may not; a remote warning
// is reduced to plain text; a deleted post keeps none.
func TestContentWarnings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{PublicURL: "https://ville-a.example"})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		zed := remoteAccount(t, d, "zed")
		mustSpace(t, s, alice, "series", spaces.SpaceSettings{Languages: []string{"en"}})
		mustJoin(t, s, bob, "series")
		stored := func(id string) *spaces.Post {
			t.Helper()
			p, err := d.PostByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}

		p, err := s.CreatePost(ctx, bob, "series", spaces.PostInput{Body: "The twist: the cook did it.",
			Warning: &spaces.ContentWarning{Text: "  Spoilers: season 2  "}})
		if err != nil {
			t.Fatal(err)
		}
		if got := stored(p.ID); !got.Sensitive || got.Warning != "Spoilers: season 2" {
			t.Fatalf("stored warning: %v %q", got.Sensitive, got.Warning)
		}
		res, err := s.Search(ctx, alice, "season", "posts", spaces.Page{})
		if err != nil || len(res.Posts) != 1 || res.Posts[0].ID != p.ID {
			t.Fatalf("search by the warning's words: %v %v", res, err)
		}
		// Sensitive without a text; no warning asked, none given.
		c, err := s.CreateComment(ctx, alice, p.ID, spaces.PostInput{Body: "Noooo", Warning: &spaces.ContentWarning{Sensitive: true}})
		if err != nil || !stored(c.ID).Sensitive || stored(c.ID).Warning != "" {
			t.Fatalf("sensitive comment: %+v %v", c, err)
		}
		plain, err := s.CreatePost(ctx, bob, "series", spaces.PostInput{Body: "Nothing to hide", Warning: &spaces.ContentWarning{}})
		if err != nil || stored(plain.ID).Sensitive {
			t.Fatalf("a post without a warning: %+v %v", plain, err)
		}

		// Edits: no warning given keeps it; another text changes it; an
		// empty one takes it off.
		for _, e := range []struct {
			in        *spaces.ContentWarning
			sensitive bool
			text      string
		}{
			{nil, true, "Spoilers: season 2"},
			{&spaces.ContentWarning{Text: "Spoilers: the finale"}, true, "Spoilers: the finale"},
			{nil, true, "Spoilers: the finale"},
			{&spaces.ContentWarning{}, false, ""},
		} {
			if _, err := s.EditPost(ctx, bob, p.ID, spaces.PostInput{Body: "The twist, edited.", Warning: e.in}); err != nil {
				t.Fatal(err)
			}
			if got := stored(p.ID); got.Sensitive != e.sensitive || got.Warning != e.text {
				t.Fatalf("after an edit with %+v: %v %q, want %v %q", e.in, got.Sensitive, got.Warning, e.sensitive, e.text)
			}
		}

		// What the domain refuses.
		for name, e := range map[string]struct {
			in   spaces.PostInput
			code string
		}{
			"on an article": {spaces.PostInput{Kind: "article", Title: "T", Body: "x", Warning: &spaces.ContentWarning{Text: "cw"}}, "warning_notes_only"},
			"sensitive article": {spaces.PostInput{Kind: "article", Title: "T", Body: "x", Warning: &spaces.ContentWarning{Sensitive: true}},
				"warning_notes_only"},
			"too long":  {spaces.PostInput{Body: "x", Warning: &spaces.ContentWarning{Text: strings.Repeat("é", 501)}}, "content_warning_too_long"},
			"two lines": {spaces.PostInput{Body: "x", Warning: &spaces.ContentWarning{Text: "one\ntwo"}}, "content_warning_invalid"},
			"bad UTF-8": {spaces.PostInput{Body: "x", Warning: &spaces.ContentWarning{Text: "\xff"}}, "content_warning_invalid"},
		} {
			_, err := s.CreatePost(ctx, bob, "series", e.in)
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			wantCode(t, err, e.code)
		}
		if _, err := s.CreatePost(ctx, bob, "series", spaces.PostInput{Body: "x", Warning: &spaces.ContentWarning{Text: strings.Repeat("é", 500)}}); err != nil {
			t.Fatalf("500 characters: %v", err)
		}

		// A remote warning comes as HTML: it is kept as plain text.
		r, err := s.CreatePost(ctx, zed, "", spaces.PostInput{HTML: true, URI: "https://remote.example/notes/1", Body: "<p>hidden</p>",
			Warning: &spaces.ContentWarning{Text: "<b>Food</b> &amp; <script>alert(1)</script>allergies\n"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := stored(r.ID); !got.Sensitive || got.Warning != "Food & allergies" {
			t.Fatalf("remote warning: %v %q", got.Sensitive, got.Warning)
		}

		// A deleted post keeps no text, its warning neither.
		if err := s.DeletePost(ctx, alice, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePost(ctx, zed, r.ID); err != nil {
			t.Fatal(err)
		}
		if got := stored(r.ID); got.Sensitive || got.Warning != "" {
			t.Fatalf("tombstone keeps its warning: %v %q", got.Sensitive, got.Warning)
		}
	})
}
