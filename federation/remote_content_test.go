package federation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/xss"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestRemoteContentAndBadInput: a member of another server sends posts
// carrying the XSS corpus in every text field — content and contentMap,
// titles, summaries, appliesTo, hashtags, file names — and files that are too
// large or not what they claim. What the node stores is clean, and the bad
// files stay links. Then the refusals: a post to a space that does not exist,
// a like of a deleted post, a post into an archived space.
func TestRemoteContentAndBadInput(t *testing.T) {
	smallUploads := func(c *config.Config, _ *node.Options) { c.Media.MaxUploadMB = 1 }
	a := nodetest.New(t, db.SQLite, smallUploads)
	b := nodetest.New(t, db.SQLite)
	olga := a.Member(t, "olga", spaces.RoleMember)
	b.Member(t, "mallory", spaces.RoleMember)
	name := "Forum"
	if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	joinRemote(t, b, a, account(t, b, "mallory"), "forum")
	nodetest.Drain(t, a, b)
	group := a.URL + "/spaces/forum"
	mallory := senderOf(t, b, "mallory")

	files := http.NewServeMux()
	files.HandleFunc("/big.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(append(append([]byte{}, pdf...), make([]byte, 2<<20)...))
	})
	files.HandleFunc("/fake.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte(`<html><script>alert(1)</script></html>`))
	})
	files.HandleFunc("/ok.pdf", func(w http.ResponseWriter, r *http.Request) { w.Write(pdf) })
	fileServer := httptest.NewServer(files)
	t.Cleanup(fileServer.Close)

	send := func(id string, typ string, object any) int {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": b.URL + "/activities/" + id, "type": typ, "actor": mallory.actor, "object": object, "to": []string{group}})
		return mallory.post(t, group+"/inbox", body, time.Now(), nil)
	}
	for i, p := range xss.Payloads {
		attachments := []any{map[string]any{"type": "Document", "mediaType": "application/pdf", "url": fileServer.URL + "/ok.pdf", "name": p}}
		if i == 0 {
			attachments = append(attachments,
				map[string]any{"type": "Document", "mediaType": "application/pdf", "url": fileServer.URL + "/big.pdf"},
				map[string]any{"type": "Image", "mediaType": "image/png", "url": fileServer.URL + "/fake.png"})
		}
		note := map[string]any{"id": fmt.Sprintf("%s/notes/x%d", b.URL, i), "type": "Article", "attributedTo": mallory.actor,
			"audience": group, "to": []string{group},
			"content": "<p>ok</p>" + p, "contentMap": map[string]any{"fr": "<p>ok</p>" + p, "en": p + "<p>en</p>"},
			"name": "T" + p, "nameMap": map[string]any{"fr": "T" + p, "en": p + "T"}, "summary": p, "appliesTo": p,
			"tag":        []any{map[string]any{"type": "Hashtag", "name": "#" + p}, map[string]any{"type": "Hashtag", "name": "#ok"}},
			"attachment": attachments}
		if status := send(fmt.Sprintf("x%d", i), "Create", note); status != http.StatusAccepted {
			t.Fatalf("payload %d: %d", i, status)
		}
	}
	nodetest.Drain(t, a, b)
	for i, p := range xss.Payloads {
		post := copyOf(t, a, fmt.Sprintf("%s/notes/x%d", b.URL, i))
		if len(post.Translations) == 0 || post.Translations[len(post.Translations)-1].Language != "fr" {
			t.Errorf("payload %q: languages kept: %s", p, languages(post)) // an English text that was only the payload is dropped
		}
		for _, tr := range post.Translations {
			if bad := xss.Dangerous(tr.Content); bad != "" {
				t.Errorf("payload %q: %s content keeps %q: %s", p, tr.Language, bad, tr.Content)
			}
			if xss.Markup(tr.Title) || xss.Markup(tr.Summary) {
				t.Errorf("payload %q: %s title or summary keeps markup: %q %q", p, tr.Language, tr.Title, tr.Summary)
			}
		}
		if xss.Markup(post.AppliesTo) || xss.Markup(post.Attachments[0].Name) || tagsOf(post, "theme") != "ok" {
			t.Errorf("payload %q: appliesTo %q, file name %q, themes %q", p, post.AppliesTo, post.Attachments[0].Name, tagsOf(post, "theme"))
		}
	}
	// Files: the PDF is kept; the one past the upload limit and the HTML
	// claiming to be a PNG stay links to their server.
	files0 := copyOf(t, a, b.URL+"/notes/x0").Attachments
	if len(files0) != 3 || files0[0].Path == "" || files0[1].Path != "" || files0[2].Path != "" {
		t.Fatalf("files of the first post: %+v %+v %+v", files0[0], files0[1], files0[2])
	}

	// A post to a space that does not exist: 404 at the door, once the
	// activity is known to be well formed and signed (as for a hidden space).
	if status := mallory.post(t, a.URL+"/spaces/nope/inbox", activity(b.URL+"/activities/nope", "Follow", mallory.actor, a.URL+"/spaces/nope"), time.Now(), nil); status != http.StatusNotFound {
		t.Fatalf("a post to no space: %d", status)
	}
	// A like of a deleted post: refused, nothing counted.
	gone, err := a.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Body: "soon gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Spaces.DeletePost(ctx, olga, gone.ID); err != nil {
		t.Fatal(err)
	}
	nodetest.Drain(t, a, b)
	likes := count(t, a, "likes")
	send("like-gone", "Like", a.URL+"/posts/"+gone.ID)
	nodetest.Drain(t, a, b)
	if count(t, a, "likes") != likes || inboxState(t, a, b.URL+"/activities/like-gone") != db.JobFailed {
		t.Fatalf("a like of a deleted post: %s", inboxState(t, a, b.URL+"/activities/like-gone"))
	}
	// A post into an archived space: refused, not stored.
	if _, err := a.Spaces.ArchiveSpace(ctx, olga, "forum", true); err != nil {
		t.Fatal(err)
	}
	posts := count(t, a, "posts")
	send("late", "Create", map[string]any{"id": b.URL + "/notes/late", "type": "Note", "attributedTo": mallory.actor,
		"audience": group, "to": []string{group}, "content": "<p>too late</p>"})
	nodetest.Drain(t, a, b)
	if count(t, a, "posts") != posts || inboxState(t, a, b.URL+"/activities/late") != db.JobFailed {
		t.Fatal("a post into an archived space was stored")
	}
}
