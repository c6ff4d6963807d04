package mastodon_test

import (
	"bytes"
	"context"
	"encoding/json"
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

// client calls the API with a member's token, as an app does.
type client struct {
	t     *testing.T
	base  string
	token string
}

type answer struct {
	status int
	header http.Header
	raw    []byte
}

func (a answer) object(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(a.raw, &out); err != nil {
		t.Fatalf("not a JSON object (%d): %s", a.status, a.raw)
	}
	return out
}

func (a answer) list(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(a.raw, &out); err != nil {
		t.Fatalf("not a JSON list (%d): %s", a.status, a.raw)
	}
	return out
}

func (c *client) do(method, path, contentType string, body io.Reader, header ...string) answer {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, raw: raw}
}

func (c *client) get(path string) answer { return c.do("GET", path, "", nil) }

func (c *client) json(method, path, body string, header ...string) answer {
	return c.do(method, path, "application/json", strings.NewReader(body), header...)
}

func (c *client) must(a answer, status int) answer {
	c.t.Helper()
	if a.status != status {
		c.t.Fatalf("got %d %s, want %d", a.status, a.raw, status)
	}
	return a
}

// signIn gives an app a token for username through the domain's OAuth
// steps (the pages and /oauth/token are tested on their own).
func signIn(t *testing.T, n *nodetest.Node, username, scopes string) *client {
	t.Helper()
	ctx := context.Background()
	acct, err := n.Spaces.LocalAccount(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	app, secret, err := n.Spaces.RegisterApp(ctx, spaces.NewApp{Name: "Test app", RedirectURIs: []string{spaces.OutOfBand}, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	code, err := n.Spaces.Authorize(ctx, acct, spaces.AuthorizationRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: spaces.OutOfBand, Scope: scopes})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := n.Spaces.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: code})
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: n.URL, token: tok.AccessToken}
}

func TestClientAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		ctx := context.Background()
		alice := n.Member(t, "alice", spaces.RoleMember)
		n.Member(t, "bob", spaces.RoleMember)
		name := "Urbanisme"
		if _, err := n.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "urbanisme", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		a := signIn(t, n, "alice", "read write follow")
		b := signIn(t, n, "bob", "read write follow")
		anon := &client{t: t, base: n.URL}
		readOnly := signIn(t, n, "bob", "read")

		// Who, and what the node is.
		me := a.must(a.get("/api/v1/accounts/verify_credentials"), 200).object(t)
		if me["username"] != "alice" || me["acct"] != "alice" || me["source"] == nil {
			t.Fatalf("verify_credentials: %v", me)
		}
		for _, img := range []string{me["avatar"].(string), me["header"].(string)} {
			if res := anon.get(strings.TrimPrefix(img, n.URL)); res.status != 200 || res.header.Get("Content-Type") != "image/png" {
				t.Fatalf("%s: %d %s", img, res.status, res.header.Get("Content-Type")) // apps show PNG, not SVG
			}
		}
		anon.must(anon.get("/api/v1/accounts/verify_credentials"), 401)
		a.must(anon.do("GET", "/api/v1/accounts/verify_credentials", "", nil, "Authorization", "Bearer forged"), 401)
		inst := anon.must(anon.get("/api/v2/instance"), 200).object(t)
		if !strings.HasPrefix(inst["domain"].(string), "127.0.0.1:") || !strings.Contains(inst["version"].(string), "Ruche") {
			t.Fatalf("instance: %v", inst)
		}
		anon.must(anon.get("/api/v1/instance"), 200)
		anon.must(anon.get("/api/v1/nothing/here"), 404)

		// Spaces are lists and group accounts; following one joins it.
		lists := a.must(a.get("/api/v1/lists"), 200).list(t)
		if len(lists) != 1 || lists[0]["title"] != "Urbanisme" {
			t.Fatalf("lists: %v", lists)
		}
		space := b.must(b.get("/api/v1/accounts/lookup?acct=urbanisme"), 200).object(t)
		if space["group"] != true {
			t.Fatalf("a space is a group account: %v", space)
		}
		readOnly.must(readOnly.json("POST", "/api/v1/accounts/"+space["id"].(string)+"/follow", `{}`), 403)
		rel := b.must(b.json("POST", "/api/v1/accounts/"+space["id"].(string)+"/follow", `{}`), 200).object(t)
		if rel["following"] != true {
			t.Fatalf("following an open space joins it: %v", rel)
		}

		// Posting into a space by mentioning it; Idempotency-Key.
		st := a.must(a.json("POST", "/api/v1/statuses", `{"status":"Bonjour @urbanisme, le PLU est en ligne #plu","language":"fr"}`, "Idempotency-Key", "k1"), 200).object(t)
		again := a.must(a.json("POST", "/api/v1/statuses", `{"status":"Bonjour @urbanisme, le PLU est en ligne #plu","language":"fr"}`, "Idempotency-Key", "k1"), 200).object(t)
		if again["id"] != st["id"] {
			t.Fatalf("the same Idempotency-Key made two statuses: %v %v", st["id"], again["id"])
		}
		feed := b.must(b.get("/api/v1/timelines/list/"+lists[0]["id"].(string)), 200).list(t)
		if len(feed) != 1 || feed[0]["id"] != st["id"] {
			t.Fatalf("the space's list timeline: %v", feed)
		}
		home := b.must(b.get("/api/v1/timelines/home"), 200)
		if h := home.list(t); len(h) != 1 || h[0]["id"] != st["id"] {
			t.Fatalf("home: %s", home.raw)
		}
		if link := home.header.Get("Link"); !strings.Contains(link, `max_id=`+st["id"].(string)) || !strings.Contains(link, `rel="prev"`) {
			t.Fatalf("Link: %q", link)
		}
		if got := b.must(b.get("/api/v1/timelines/home?since_id="+st["id"].(string)), 200).list(t); len(got) != 0 {
			t.Fatalf("since_id: %v", got)
		}
		if got := b.must(b.get("/api/v1/timelines/home?max_id="+st["id"].(string)), 200).list(t); len(got) != 0 {
			t.Fatalf("max_id: %v", got)
		}

		// Replies, context, favourites, notifications.
		reply := b.must(b.json("POST", "/api/v1/statuses", `{"status":"Merci @alice !","in_reply_to_id":"`+st["id"].(string)+`"}`), 200).object(t)
		if reply["in_reply_to_account_id"] != me["id"] {
			t.Fatalf("reply: %v", reply)
		}
		ctxt := a.must(a.get("/api/v1/statuses/"+st["id"].(string)+"/context"), 200).object(t)
		if d := ctxt["descendants"].([]any); len(d) != 1 {
			t.Fatalf("context: %v", ctxt)
		}
		fav := b.must(b.json("POST", "/api/v1/statuses/"+st["id"].(string)+"/favourite", ``), 200).object(t)
		if fav["favourited"] != true || fav["favourites_count"].(float64) != 1 {
			t.Fatalf("favourite: %v", fav)
		}
		notes := a.must(a.get("/api/v1/notifications"), 200).list(t)
		types := map[string]bool{}
		for _, nt := range notes {
			types[nt["type"].(string)] = true
		}
		if !types["mention"] || !types["favourite"] {
			t.Fatalf("notifications: %v", notes)
		}
		if got := a.must(a.get("/api/v1/notifications?types[]=favourite"), 200).list(t); len(got) != 1 {
			t.Fatalf("types[]: %v", got)
		}
		b.must(b.json("POST", "/api/v1/statuses/"+st["id"].(string)+"/unfavourite", ``), 200)

		// Search, edits, deletion.
		found := b.must(b.get("/api/v2/search?q=PLU&resolve=true"), 200).object(t)
		if s := found["statuses"].([]any); len(s) != 1 {
			t.Fatalf("search: %v", found)
		}
		edited := a.must(a.json("PUT", "/api/v1/statuses/"+st["id"].(string), `{"status":"Bonjour @urbanisme, le PLU révisé est en ligne"}`), 200).object(t)
		if edited["edited_at"] == nil || !strings.Contains(edited["content"].(string), "révisé") {
			t.Fatalf("edit: %v", edited)
		}
		b.must(b.json("PUT", "/api/v1/statuses/"+st["id"].(string), `{"status":"not mine"}`), 403)
		gone := b.must(b.do("DELETE", "/api/v1/statuses/"+reply["id"].(string), "", nil), 200).object(t)
		if gone["text"] != "Merci @alice !" {
			t.Fatalf("delete answers the source: %v", gone)
		}
		b.must(b.get("/api/v1/statuses/"+reply["id"].(string)), 404)

		// A profile post with a picture; a form body.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "dot.png")
		fw.Write(pngDot)
		mw.WriteField("description", "a dot")
		mw.Close()
		media := a.must(a.do("POST", "/api/v2/media", mw.FormDataContentType(), &buf), 200).object(t)
		if media["type"] != "image" || media["description"] != "a dot" {
			t.Fatalf("media: %v", media)
		}
		pic := a.must(a.do("POST", "/api/v1/statuses", "application/x-www-form-urlencoded",
			strings.NewReader("status=Une+image&media_ids[]="+media["id"].(string))), 200).object(t)
		att := pic["media_attachments"].([]any)
		if len(att) != 1 {
			t.Fatalf("status with media: %v", pic)
		}
		// An app loads the file without a session or a token: its key opens it.
		file := strings.TrimPrefix(att[0].(map[string]any)["url"].(string), n.URL)
		if res := anon.get(file); res.status != 200 || !bytes.Equal(res.raw, pngDot) {
			t.Fatalf("%s: %d", file, res.status)
		}
		if res := anon.get(file[:len(file)-4] + "0000"); res.status != 404 {
			t.Fatalf("a forged key: %d", res.status)
		}
		mine := anon.must(anon.get("/api/v1/accounts/"+me["id"].(string)+"/statuses"), 200).list(t)
		if prof := anon.must(anon.get("/api/v1/accounts/"+me["id"].(string)), 200).object(t); prof["statuses_count"].(float64) != 2 || prof["last_status_at"] == nil {
			t.Fatalf("profile counts: %v", prof)
		}
		if len(mine) != 2 || mine[0]["id"] != pic["id"] { // her posts in spaces too, as on her web profile
			t.Fatalf("profile statuses: %v", mine)
		}
		a.must(a.json("POST", "/api/v1/statuses", `{"status":""}`), 422)
		a.must(a.do("DELETE", "/api/v1/statuses/"+pic["id"].(string), "", nil), 200)
		if res := anon.get(file); res.status != 404 {
			t.Fatalf("a deleted post's file still opens with its key: %d", res.status)
		}
	})
}

// pngDot is a 1×1 PNG.
var pngDot = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
