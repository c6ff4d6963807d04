package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// signIn returns a client signed in as username.
func signIn(t *testing.T, n *nodetest.Node, username string) *http.Client {
	t.Helper()
	c := n.Client(t)
	want(t, post(t, c, n.URL+"/api/ruche/v1/auth/login", `{"username":"`+username+`","password":"`+nodetest.Password+`"}`), 200, "")
	return c
}

// raw calls the API and returns the status and the body as bytes.
func raw(t *testing.T, c *http.Client, method, url, contentType string, body io.Reader) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func items(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.body["items"].([]any)
	if !ok {
		t.Fatalf("no items in %v", r.body)
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

func upload(t *testing.T, c *http.Client, url, name string, content io.Reader) response {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("description", "a file")
		fw, _ := mw.CreateFormFile("file", name)
		_, err := io.Copy(fw, content)
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	status, b := raw(t, c, http.MethodPost, url+"/api/ruche/v1/media", mw.FormDataContentType(), pr)
	out := response{status: status}
	json.Unmarshal(b, &out.body)
	return out
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSpacesAPIStory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		n.Member(t, "bob", spaces.RoleMember)
		n.Member(t, "carol", spaces.RoleMember)
		alice, bob, carol, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), signIn(t, n, "carol"), n.Client(t)
		api := n.URL + "/api/ruche/v1"

		want(t, post(t, anon, api+"/spaces", `{"slug":"x","name":"x"}`), 401, "unauthenticated")
		r := post(t, alice, api+"/spaces", `{"slug":"catering","name":"School <b>catering</b>","languages":["fr","en"],"themes":["catering"],"join_policy":"approval"}`)
		want(t, r, 201, "")
		if r.body["acct"] != "catering" || r.body["membership"].(map[string]any)["role"] != "owner" || r.body["member_count"] != float64(1) {
			t.Fatalf("created space: %v", r.body)
		}
		want(t, post(t, bob, api+"/spaces", `{"slug":"catering","name":"again"}`), 409, "slug_taken")
		want(t, post(t, bob, api+"/spaces", `{"slug":"x","name":"x","visibility":"secret"}`), 422, "visibility_invalid")
		want(t, call(t, anon, "GET", api+"/spaces/nowhere", "", ""), 404, "space_not_found")
		if status, body := raw(t, anon, "GET", api+"/spaces/catering", "", nil); status != 200 || bytes.Contains(body, []byte("<b>")) {
			t.Fatalf("plain text must leave escaped (%d): %s", status, body)
		}

		// bob asks to join, alice accepts.
		r = post(t, bob, api+"/spaces/catering/membership", "")
		want(t, r, 200, "")
		if r.body["state"] != "pending" {
			t.Fatalf("join an approval space: %v", r.body)
		}
		want(t, call(t, bob, "GET", api+"/spaces/catering/members?state=pending", "", ""), 403, "not_moderator")
		r = call(t, alice, "GET", api+"/spaces/catering/members?state=pending", "", "")
		if got := items(t, r); len(got) != 1 {
			t.Fatalf("requests: %v", r.body)
		}
		want(t, post(t, alice, api+"/spaces/catering/requests/bob", `{"accept":true}`), 200, "")

		// bob uploads a PDF and posts a bilingual article with it.
		big := io.MultiReader(strings.NewReader("%PDF-1.4\n"), io.LimitReader(zeros{}, 50<<20))
		want(t, upload(t, bob, n.URL, "big.pdf", big), 413, "file_too_large")
		want(t, upload(t, bob, n.URL, "x.pdf", strings.NewReader("MZ\x90\x00 not a pdf")), 422, "file_type_not_allowed")
		up := upload(t, bob, n.URL, "checklist.pdf", strings.NewReader("%PDF-1.4\nchecklist"))
		want(t, up, 201, "")
		fileID := up.body["id"].(string)
		r = post(t, bob, api+"/spaces/catering/posts", fmt.Sprintf(`{"kind":"article","language":"fr","title":"Allergies <script>alert(1)</script>",
			"summary":"Résumé","body":"Voir la **liste** <img src=x onerror=alert(1)> @alice",
			"translations":[{"language":"en","title":"Allergies","body":"See the list"}],
			"themes":["health"],"attachments":[%q]}`, fileID))
		want(t, r, 201, "")
		postID := r.body["id"].(string)
		if len(r.body["translations"].([]any)) != 2 || len(r.body["attachments"].([]any)) != 1 || r.body["source"] == "" {
			t.Fatalf("article: %v", r.body)
		}
		status, body := raw(t, anon, "GET", api+"/posts/"+postID, "", nil)
		if status != 200 || bytes.Contains(body, []byte("<script")) || bytes.Contains(body, []byte("<img")) || bytes.Contains(body, []byte(`"source"`)) {
			t.Fatalf("post as a visitor sees it (%d): %s", status, body)
		}
		status, body = raw(t, anon, "GET", api+"/media/"+fileID, "", nil)
		if status != 200 || !bytes.HasPrefix(body, []byte("%PDF")) {
			t.Fatalf("attachment: %d", status)
		}
		want(t, post(t, carol, api+"/spaces/catering/posts", `{"body":"not a member"}`), 403, "not_member")

		// carol follows the space without joining, comments are for members.
		r = post(t, carol, api+"/spaces/catering/follow", "")
		want(t, r, 200, "")
		if r.body["state"] != "accepted" {
			t.Fatalf("follow: %v", r.body)
		}
		if got := items(t, call(t, carol, "GET", api+"/feeds/home", "", "")); len(got) != 1 || got[0]["id"] != postID {
			t.Fatalf("carol's home: %v", got)
		}
		want(t, post(t, carol, api+"/posts/"+postID+"/comments", `{"body":"hi"}`), 403, "not_member")
		want(t, post(t, alice, api+"/posts/"+postID+"/comments", `{"body":"Merci"}`), 201, "")
		r = call(t, alice, "PUT", api+"/posts/"+postID+"/like", "", "")
		want(t, r, 200, "")
		if r.body["liked"] != true || r.body["like_count"] != float64(1) {
			t.Fatalf("like: %v", r.body)
		}
		if got := items(t, call(t, anon, "GET", api+"/posts/"+postID+"/comments", "", "")); len(got) != 1 {
			t.Fatalf("comments: %v", got)
		}
		want(t, call(t, alice, "PUT", api+"/posts/"+postID+"/pin", "", ""), 200, "")
		if got := items(t, call(t, anon, "GET", api+"/spaces/catering/pinned", "", "")); len(got) != 1 {
			t.Fatalf("pinned: %v", got)
		}

		// Feeds, filters and search.
		if got := items(t, call(t, anon, "GET", api+"/feeds/articles?theme=health&language=en", "", "")); len(got) != 1 {
			t.Fatalf("articles: %v", got)
		}
		r = call(t, anon, "GET", api+"/search?q=resume", "", "")
		want(t, r, 200, "")
		if len(r.body["posts"].([]any)) != 1 {
			t.Fatalf("search: %v", r.body)
		}
		r = call(t, anon, "GET", api+"/search?q=CATERING&type=spaces", "", "")
		if len(r.body["spaces"].([]any)) != 1 {
			t.Fatalf("search spaces: %v", r.body)
		}
		want(t, call(t, anon, "GET", api+"/search?q=", "", ""), 422, "query_invalid")
		want(t, call(t, anon, "GET", api+"/feeds/home", "", ""), 401, "unauthenticated")
		want(t, call(t, anon, "GET", api+"/feeds/public?limit=1000", "", ""), 400, "limit_invalid")

		// Notifications.
		r = call(t, alice, "GET", api+"/notifications", "", "")
		kinds := []string{}
		for _, it := range items(t, r) {
			kinds = append(kinds, it["kind"].(string))
		}
		if strings.Join(kinds, " ") != "mention new_post join_request" && strings.Join(kinds, " ") != "new_post mention join_request" {
			t.Fatalf("alice's notifications: %v", kinds)
		}
		r = post(t, alice, api+"/notifications/read", `{}`)
		if r.body["marked"] != float64(3) {
			t.Fatalf("mark read: %v", r.body)
		}

		// Edits, deletes, tombstones.
		want(t, call(t, alice, "PATCH", api+"/posts/"+postID, "application/json", `{"title":"t","body":"b"}`), 403, "not_author")
		r = call(t, bob, "PATCH", api+"/posts/"+postID, "application/json", `{"title":"Allergies","body":"Nouveau"}`)
		want(t, r, 200, "")
		if r.body["edited_at"] == nil {
			t.Fatalf("edit: %v", r.body)
		}
		want(t, call(t, bob, "DELETE", api+"/posts/"+postID, "", ""), 204, "")
		want(t, call(t, anon, "GET", api+"/posts/"+postID, "", ""), 410, "post_deleted")
		want(t, call(t, alice, "PUT", api+"/posts/"+postID+"/like", "", ""), 410, "post_deleted")

		// Archive, then delete the space.
		want(t, call(t, bob, "PUT", api+"/spaces/catering/archive", "", ""), 403, "not_moderator")
		want(t, call(t, alice, "PUT", api+"/spaces/catering/archive", "", ""), 200, "")
		want(t, post(t, bob, api+"/spaces/catering/posts", `{"body":"late"}`), 403, "space_archived")
		want(t, call(t, alice, "DELETE", api+"/spaces/catering", "", ""), 204, "")
		want(t, call(t, alice, "GET", api+"/spaces/catering", "", ""), 404, "space_not_found")
	})
}

func TestFeedPagesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		alice := signIn(t, n, "alice")
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"town","name":"Town","visibility":"members"}`), 201, "")
		want(t, post(t, alice, api+"/spaces", `{"slug":"square","name":"Square"}`), 201, "")
		for i := range 7 {
			want(t, post(t, alice, api+"/spaces/square/posts", fmt.Sprintf(`{"body":"post %d"}`, i)), 201, "")
			want(t, post(t, alice, api+"/spaces/town/posts", fmt.Sprintf(`{"body":"secret %d"}`, i)), 201, "")
		}
		seen := map[string]bool{}
		url := api + "/feeds/public?limit=3"
		for url != "" {
			r := call(t, n.Client(t), "GET", url, "", "")
			want(t, r, 200, "")
			for _, it := range items(t, r) {
				if seen[it["id"].(string)] || strings.Contains(it["content"].(string), "secret") {
					t.Fatalf("page item: %v", it)
				}
				seen[it["id"].(string)] = true
			}
			url = ""
			if next, ok := r.body["next"].(string); ok {
				url = api + "/feeds/public?limit=3&before=" + next
			}
		}
		if len(seen) != 7 {
			t.Fatalf("paged %d posts, want 7", len(seen))
		}
		want(t, call(t, n.Client(t), "GET", api+"/spaces/town/posts", "", ""), 404, "space_not_found")
		want(t, call(t, n.Client(t), "DELETE", api+"/feeds/public", "", ""), 405, "method_not_allowed")
	})
}
