package mastodon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// receiveTimeout bounds the wait for a message that must come: generous,
// for loaded machines; no test waits for one that must not come (the
// streams keep the changes' order, so a later message proves an earlier
// change was skipped).
const receiveTimeout = 30 * time.Second

// event is a message of a stream, its payload decoded when it is an entity.
type event struct {
	stream  []string
	name    string
	payload string
	entity  map[string]any
}

// id is the status id an event names.
func (e event) id() string {
	switch {
	case e.name == "delete":
		return e.payload
	case e.name == "notification":
		if st, ok := e.entity["status"].(map[string]any); ok {
			return st["id"].(string)
		}
		return ""
	default:
		return e.entity["id"].(string)
	}
}

// stream is a connection to the streaming API, WebSocket or server-sent
// events, that checks every event it reads against never.
type streamClient struct {
	t     *testing.T
	ws    *websocket.Conn
	sse   *bufio.Reader
	never map[string]bool // ids that must not be streamed
}

func (s *streamClient) next() event {
	s.t.Helper()
	var e event
	if s.ws != nil {
		ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
		defer cancel()
		_, data, err := s.ws.Read(ctx)
		if err != nil {
			s.t.Fatalf("websocket: %v", err)
		}
		var msg struct {
			Stream  []string `json:"stream"`
			Event   string   `json:"event"`
			Payload string   `json:"payload"`
			Error   string   `json:"error"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			s.t.Fatalf("websocket message %s: %v", data, err)
		}
		if msg.Error != "" {
			return event{name: "error", payload: msg.Error}
		}
		e = event{stream: msg.Stream, name: msg.Event, payload: msg.Payload}
	} else {
		for e.payload == "" {
			line, err := s.sse.ReadString('\n')
			if err != nil {
				s.t.Fatalf("server-sent events: %v", err)
			}
			line = strings.TrimSuffix(line, "\n")
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				e.name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				e.payload = v
			}
		}
	}
	if e.name != "delete" && strings.HasPrefix(e.payload, "{") {
		if err := json.Unmarshal([]byte(e.payload), &e.entity); err != nil {
			s.t.Fatalf("payload %s: %v", e.payload, err)
		}
	}
	if e.name != "error" && s.never[e.id()] {
		s.t.Fatalf("streamed what the member may not see: %s %s", e.name, e.payload)
	}
	return e
}

// await reads events until one named name about the status id comes.
func (s *streamClient) await(name, id string) event {
	s.t.Helper()
	for range 20 {
		if e := s.next(); e.name == name && e.id() == id {
			return e
		}
	}
	s.t.Fatalf("no %s of %s", name, id)
	return event{}
}

func (s *streamClient) send(v string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, []byte(v)); err != nil {
		s.t.Fatal(err)
	}
}

func dial(t *testing.T, url string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
	defer cancel()
	c, res, err := websocket.Dial(ctx, url, opts)
	if err == nil {
		t.Cleanup(func() { c.Close(websocket.StatusNormalClosure, "") })
	}
	return c, res, err
}

// eventSource opens a stream of server-sent events and reads its opening.
func eventSource(t *testing.T, c *client, path string) *streamClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("event stream %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(res.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("opening of the event stream: %q %v", line, err) // once read, the stream is subscribed
	}
	return &streamClient{t: t, sse: r}
}

func TestStreaming(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		ctx := context.Background()
		alice := n.Member(t, "alice", spaces.RoleMember)
		bob := n.Member(t, "bob", spaces.RoleMember)
		carol := n.Member(t, "carol", spaces.RoleMember)
		quartier, err := n.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "quartier", SpaceSettings: spaces.SpaceSettings{Name: ptr("Quartier")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.CreateSpace(ctx, carol, spaces.NewSpace{Slug: "secret", SpaceSettings: spaces.SpaceSettings{Name: ptr("Secret"), Visibility: ptr("members")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.JoinSpace(ctx, bob, "quartier", "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Spaces.FollowAccount(ctx, bob, alice, ""); err != nil {
			t.Fatal(err)
		}
		b := signIn(t, n, "bob", "read")
		notesOnly := signIn(t, n, "bob", "read:notifications")
		n.Spaces.Listen(failOn("rolled back"))
		anon := &client{t: t, base: n.URL}
		post := func(by *spaces.Account, space, body string) *spaces.Post {
			t.Helper()
			p, err := n.Spaces.CreatePost(ctx, by, space, spaces.PostInput{Body: body})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}

		// The instance says where the streams are.
		inst := anon.must(anon.get("/api/v1/instance"), 200).object(t)
		base := inst["urls"].(map[string]any)["streaming_api"].(string) + "/api/v1/streaming"
		if got := anon.must(anon.get("/api/v1/streaming/health"), 200); string(got.raw) != "OK" {
			t.Fatalf("health: %s", got.raw)
		}

		// A bad token, or none, is refused before the upgrade.
		for _, url := range []string{base + "?stream=user&access_token=forged", base + "?stream=user"} {
			if _, res, err := dial(t, url, nil); err == nil || res == nil || res.StatusCode != 401 {
				t.Fatalf("dial %s: %v %v", url, res, err)
			}
		}
		anon.must(anon.do("GET", "/api/v1/streaming/user", "", nil, "Authorization", "Bearer forged"), 401)
		b.must(b.get("/api/v1/streaming/nothing"), 404)
		notesOnly.must(notesOnly.get("/api/v1/streaming/user"), 403)
		if _, res, err := dial(t, base+"?stream=public&access_token="+notesOnly.token, nil); err == nil || res.StatusCode != 403 {
			t.Fatalf("a stream outside the token's scopes: %v %v", res, err)
		}
		b.must(b.get("/api/v1/streaming/list?list="+carol.ID), 404)

		// Bob's home and notifications on one WebSocket (token in the
		// header); the space's list on another (token as the protocol, as
		// browsers send it, subscribed by message); his home as events.
		conn, _, err := dial(t, base+"?stream=user", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + b.token}}})
		if err != nil {
			t.Fatal(err)
		}
		user := &streamClient{t: t, ws: conn, never: map[string]bool{}}
		conn, _, err = dial(t, base, &websocket.DialOptions{Subprotocols: []string{b.token}})
		if err != nil {
			t.Fatal(err)
		}
		if conn.Subprotocol() != b.token {
			t.Fatalf("the protocol is not echoed: %q", conn.Subprotocol())
		}
		list := &streamClient{t: t, ws: conn, never: map[string]bool{}}
		list.send(`{"type":"subscribe","stream":"list","list":"` + quartier.AccountID + `"}`)
		list.send(`{"type":"subscribe","stream":"hashtag:nothing"}`)
		if e := list.next(); e.name != "error" { // the messages are read in order: the list is subscribed
			t.Fatalf("unknown stream: %+v", e)
		}
		sse := eventSource(t, b, "/api/v1/streaming/user")
		notes := eventSource(t, notesOnly, "/api/v1/streaming/user/notification")

		// A change that rolls back is never streamed.
		if _, err := n.Spaces.CreatePost(ctx, alice, "quartier", spaces.PostInput{Body: "rolled back"}); err == nil {
			t.Fatal("the failing listener did not roll the post back")
		}

		// Carol's post in her members-only space reaches none of them:
		// each stream's next event is a later post.
		hidden := post(carol, "secret", "for members only")
		for _, s := range []*streamClient{user, list, sse} {
			s.never = map[string]bool{hidden.ID: true}
		}

		// A post of someone Bob follows is in his home, not in the list.
		profile := post(alice, "", "on my profile")
		if e := user.next(); e.name != "update" || e.id() != profile.ID || e.stream[0] != "user" || e.entity["content"] == nil {
			t.Fatalf("the first update is not the followed author's post: %+v", e)
		}
		if e := sse.next(); e.name != "update" || e.id() != profile.ID {
			t.Fatalf("the first event is not the followed author's post: %+v", e)
		}

		// A post in the space he joined: in his home and in the list.
		p := post(alice, "quartier", "Fête de quartier samedi")
		user.await("update", p.ID)
		if e := list.next(); e.name != "update" || e.id() != p.ID || strings.Join(e.stream, " ") != "list "+quartier.AccountID {
			t.Fatalf("the list's first event is not the space's post: %+v", e)
		}
		sse.await("update", p.ID)

		// A mention notifies him.
		mention := post(alice, "quartier", "Tu viens @bob ?")
		if e := user.await("notification", mention.ID); e.entity["type"] != "mention" {
			t.Fatalf("notification: %+v", e)
		}
		if e := notes.next(); e.name != "notification" || e.id() != mention.ID { // and nothing before
			t.Fatalf("the notifications' stream: %+v", e)
		}

		// Edits and deletions.
		if _, err := n.Spaces.EditPost(ctx, alice, p.ID, spaces.PostInput{Body: "Fête de quartier dimanche"}); err != nil {
			t.Fatal(err)
		}
		if e := user.await("status.update", p.ID); !strings.Contains(e.entity["content"].(string), "dimanche") {
			t.Fatalf("status.update: %+v", e)
		}
		list.await("status.update", p.ID)
		if err := n.Spaces.DeletePost(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		user.await("delete", p.ID)
		list.await("delete", p.ID)
		sse.await("delete", p.ID)

		// Unsubscribed, the list hears no more of the space.
		list.send(`{"type":"unsubscribe","stream":"list","list":"` + quartier.AccountID + `"}`)
		list.send(`{"type":"subscribe","stream":"public"}`)
		list.send(`{"type":"subscribe","stream":"hashtag:nothing"}`)
		if e := list.next(); e.name != "error" {
			t.Fatalf("unknown stream: %+v", e)
		}
		last := post(alice, "quartier", "Merci à tous")
		if e := list.next(); e.name != "update" || e.id() != last.ID || strings.Join(e.stream, " ") != "public" {
			t.Fatalf("after unsubscribing from the list: %+v", e)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// failOn is a listener that fails the creation of posts saying text, so
// that the change rolls back.
type failOn string

func (f failOn) HandleEvent(_ context.Context, ev spaces.Event) error {
	if e, ok := ev.(spaces.PostCreated); ok && e.Post.Source == string(f) {
		return errors.New("refused")
	}
	return nil
}
