package mastodon_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPollsArticlesAndProfile: what apps do besides reading and posting.
func TestPollsArticlesAndProfile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		ctx := context.Background()
		alice := n.Member(t, "alice", spaces.RoleMember)
		n.Member(t, "bob", spaces.RoleMember)
		a := signIn(t, n, "alice", "read write")
		b := signIn(t, n, "bob", "read write")

		// A poll, voted from another app.
		st := a.must(a.json("POST", "/api/v1/statuses", `{"status":"Quel jour ?","poll":{"options":["lundi","mardi"],"expires_in":3600}}`), 200).object(t)
		poll := st["poll"].(map[string]any)
		if len(poll["options"].([]any)) != 2 || poll["expired"] != false {
			t.Fatalf("poll: %v", poll)
		}
		voted := b.must(b.json("POST", "/api/v1/polls/"+poll["id"].(string)+"/votes", `{"choices":["1"]}`), 200).object(t)
		if voted["voted"] != true || voted["votes_count"].(float64) != 1 {
			t.Fatalf("vote: %v", voted)
		}
		b.must(b.json("POST", "/api/v1/polls/"+poll["id"].(string)+"/votes", `{"choices":["0"]}`), 422)

		// An article shows its title, summary and a link to the whole.
		art, err := n.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Kind: spaces.KindArticle, Title: "Réduire le papier",
			Summary: "Comment la mairie a divisé sa consommation par deux.", Body: "Le texte entier, long.", Language: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		got := b.must(b.get("/api/v1/statuses/"+art.ID), 200).object(t)
		content := got["content"].(string)
		if !strings.Contains(content, "Réduire le papier") || !strings.Contains(content, "divisé") || !strings.Contains(content, "/posts/"+art.ID) || strings.Contains(content, "texte entier") {
			t.Fatalf("article as a status: %s", content)
		}

		// Alternative text after upload; a new avatar; mention completion.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "dot.png")
		fw.Write(pngDot)
		mw.Close()
		media := a.must(a.do("POST", "/api/v2/media", mw.FormDataContentType(), &buf), 200).object(t)
		described := a.must(a.json("PUT", "/api/v1/media/"+media["id"].(string), `{"description":"un point"}`), 200).object(t)
		if described["description"] != "un point" {
			t.Fatalf("describe: %v", described)
		}
		b.must(b.json("PUT", "/api/v1/media/"+media["id"].(string), `{"description":"not mine"}`), 404)

		buf.Reset()
		mw = multipart.NewWriter(&buf)
		mw.WriteField("display_name", "Alice Martin")
		fw, _ = mw.CreateFormFile("avatar", "me.png")
		fw.Write(pngDot)
		mw.Close()
		me := a.must(a.do("PATCH", "/api/v1/accounts/update_credentials", mw.FormDataContentType(), &buf), 200).object(t)
		if me["display_name"] != "Alice Martin" || !strings.Contains(me["avatar"].(string), "/media/") {
			t.Fatalf("update_credentials: %v", me)
		}
		found := b.must(b.get("/api/v1/accounts/search?q=ali"), 200).list(t)
		if len(found) != 1 || found[0]["acct"] != "alice" {
			t.Fatalf("accounts/search: %v", found)
		}
		b.must(b.json("POST", "/api/v1/statuses/"+st["id"].(string)+"/reblog", ``), 422)
	})
}
