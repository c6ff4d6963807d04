package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// The streaming API, so that apps update live: GET /api/v1/streaming is a
// WebSocket whose streams are chosen by its query (stream, list) and by
// subscribe and unsubscribe messages; /api/v1/streaming/user and the other
// paths below it are one stream each, as server-sent events. Messages are
// Mastodon's: an event name and a payload, the entity's JSON (a Status, a
// Notification) or, for a deletion, the status id.

const (
	// heartbeat is how often a connection is pinged (WebSocket) or sent a
	// comment (server-sent events), so that proxies keep it open.
	heartbeat = 30 * time.Second
	// recheckEvery is how many heartbeats pass between two checks of the
	// token (each touches the token's row): a revoked token, or a
	// suspended member, ends the stream within five minutes.
	recheckEvery = 10
	// writeTimeout bounds the sending of one message: a client that reads
	// slower is dropped.
	writeTimeout = 10 * time.Second
)

func (m *API) mountStreaming(r *mux.Router) {
	member := need{member: true} // each stream asks its own scope (streamOf)
	m.route(r, http.MethodGet, "/api/v1/streaming/health", public, streamingHealth)
	for path, name := range map[string]string{
		"/api/v1/streaming/user":              "user",
		"/api/v1/streaming/user/notification": "user:notification",
		"/api/v1/streaming/list":              "list",
		"/api/v1/streaming/public":            "public",
		"/api/v1/streaming/public/local":      "public:local",
	} {
		m.route(r, http.MethodGet, path, member, func(w http.ResponseWriter, r *http.Request) error {
			return m.eventStream(w, r, name)
		})
	}
	m.route(r, http.MethodGet, "/api/v1/streaming", member, m.streaming)
	m.route(r, http.MethodGet, "/api/v1/streaming/", member, m.streaming)
}

func streamingHealth(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte("OK"))
	return err
}

var errUnknownStream = errStatus(http.StatusBadRequest, "Unknown stream type")

// streamOf checks that the caller may have the stream named name (list: of
// the list id given) and returns it.
func (m *API) streamOf(ctx context.Context, c *caller, name, list string) (stream, error) {
	var n need
	switch name {
	case "user", "public", "public:local":
		n = scope("read:statuses")
	case "user:notification":
		n = scope("read:notifications")
	case "list":
		n = scope("read:statuses", "read:lists")
	default:
		return stream{}, errUnknownStream
	}
	if err := c.meets(n); err != nil {
		return stream{}, err
	}
	if name != "list" {
		return stream{name: name}, nil
	}
	if err := m.ownList(ctx, c.account, list); err != nil {
		return stream{}, err
	}
	return stream{name: name, list: list}, nil
}

// ownList checks that id is a list of the member: a space they belong to.
func (m *API) ownList(ctx context.Context, member *spaces.Account, id string) error {
	notFound := errStatus(http.StatusNotFound, "Record not found")
	if id == "" {
		return notFound
	}
	a, err := m.spaces.AccountByID(ctx, member, id)
	if spaces.KindOf(err) == spaces.KindNotFound || (err == nil && a.Type != spaces.TypeGroup) {
		return notFound
	}
	if err != nil {
		return err
	}
	sp, err := m.spaces.Space(ctx, member, acct(a))
	if spaces.KindOf(err) == spaces.KindNotFound {
		return notFound
	}
	if err != nil {
		return err
	}
	ms, err := m.spaces.Membership(ctx, member, sp)
	if err != nil {
		return err
	}
	if ms == nil || ms.State != spaces.StateActive {
		return notFound
	}
	return nil
}

// message is one message of a stream, as Mastodon's WebSocket sends it.
type message struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

var postEvents = map[changeKind]string{postCreated: "update", postEdited: "status.update", postDeleted: "delete"}

// messagesOf is what c means to sub on its streams: nothing unless the
// domain says the post is in the stream's feed for the member (which
// includes that they may see it), or the notification is shown to apps.
func (m *API) messagesOf(ctx context.Context, sub *subscriber, c change, streams []stream) ([]message, error) {
	slices.SortFunc(streams, func(a, b stream) int { return strings.Compare(a.name+" "+a.list, b.name+" "+b.list) })
	viewer := sub.member
	payload := ""
	render := func() (bool, error) {
		if payload != "" {
			return true, nil
		}
		if c.kind == notified {
			out, err := m.notifications(ctx, viewer, []*spaces.Notification{c.notification})
			if err != nil || len(out) == 0 {
				return false, err
			}
			return true, encode(&payload, out[0])
		}
		if c.kind == postDeleted {
			payload = c.postID
			return true, nil
		}
		p, err := m.spaces.GetPost(ctx, viewer, c.postID)
		if k := spaces.KindOf(err); k == spaces.KindNotFound || k == spaces.KindGone {
			return false, nil // deleted since, or no longer visible
		}
		if err != nil {
			return false, err
		}
		st, err := m.statusOf(ctx, viewer, p)
		if err != nil {
			return false, err
		}
		return true, encode(&payload, st)
	}
	var out []message
	for _, s := range streams {
		event, ok, err := m.eventOn(ctx, viewer, s, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if ok, err := render(); err != nil || !ok {
			return nil, err
		}
		out = append(out, message{Stream: s.names(), Event: event, Payload: payload})
	}
	return out, nil
}

// eventOn is the event c makes on stream s of viewer, if any.
func (m *API) eventOn(ctx context.Context, viewer *spaces.Account, s stream, c change) (string, bool, error) {
	if c.kind == notified {
		ok := (s.name == "user" || s.name == "user:notification") && c.notification.AccountID == viewer.ID
		return "notification", ok, nil
	}
	var f spaces.FeedRef
	switch s.name {
	case "user":
		f.Home = true
	case "list":
		if s.list != c.spaceID {
			return "", false, nil
		}
		f.SpaceID = s.list
	case "public":
		f.Public = true
	case "public:local":
		f.Public, f.Local = true, true
	default:
		return "", false, nil
	}
	ok, err := m.spaces.FeedHolds(ctx, viewer, f, c.postID)
	return postEvents[c.kind], ok, err
}

func encode(out *string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	*out = string(b)
	return nil
}

// token is the request's bearer token, wherever it came (see authenticate).
func token(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	if t := strings.TrimSpace(r.URL.Query().Get("access_token")); t != "" {
		return t
	}
	return protocolToken(r)
}

// protocolToken is the token a browser's WebSocket sends as its protocol
// (it cannot set headers), as Mastodon accepts it.
func protocolToken(r *http.Request) string {
	if !isWebSocket(r) {
		return ""
	}
	first, _, _ := strings.Cut(r.Header.Get("Sec-WebSocket-Protocol"), ",")
	return strings.TrimSpace(first)
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// stillValid tells, on the beat-th heartbeat, whether the stream's token
// still authenticates its member (checked every recheckEvery beats only).
func (m *API) stillValid(ctx context.Context, sub *subscriber, tok string, beat int) bool {
	if beat%recheckEvery != 0 {
		return true
	}
	a, _, err := m.spaces.AuthenticateToken(ctx, tok)
	return err == nil && a != nil && a.ID == sub.member.ID
}

// noDeadlines lifts the server's read and write timeouts, made for requests,
// off a connection that streams.
func noDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// streaming: GET /api/v1/streaming, a WebSocket (a plain GET with a stream
// parameter is that stream as server-sent events).
func (m *API) streaming(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if !isWebSocket(r) {
		return m.eventStream(w, r, q.Get("stream"))
	}
	c := callerOf(r)
	var first []stream
	if name := q.Get("stream"); name != "" {
		s, err := m.streamOf(r.Context(), c, name, q.Get("list"))
		if err != nil {
			return err
		}
		first = append(first, s)
	}
	sub, err := m.hub.subscribe(c.account)
	if err != nil {
		return err
	}
	defer m.hub.unsubscribe(sub)
	for _, s := range first {
		if err := m.hub.add(sub, s); err != nil {
			return err
		}
	}
	// Any origin: the token, never a cookie, says who connects (see the
	// package comment).
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true}
	if p := protocolToken(r); p != "" {
		opts.Subprotocols = []string{p}
	}
	noDeadlines(w)
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return nil // Accept answered
	}
	defer conn.CloseNow()
	conn.SetReadLimit(4 << 10)
	m.serveWebSocket(context.WithoutCancel(r.Context()), conn, c, sub, token(r))
	return nil
}

// serveWebSocket sends sub's messages on conn, and reads the client's
// subscriptions, until either side ends.
func (m *API) serveWebSocket(ctx context.Context, conn *websocket.Conn, c *caller, sub *subscriber, tok string) {
	log := httpx.Logger(ctx)
	ctx, cancel := context.WithCancel(ctx)
	var reader sync.WaitGroup
	defer reader.Wait() // the reader returns once ctx is done: Read closes the connection
	defer cancel()
	reader.Go(func() {
		defer cancel()
		m.readSubscriptions(ctx, conn, c, sub)
	})
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, done := context.WithTimeout(ctx, writeTimeout)
		defer done()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for beat := 1; ; {
		select {
		case <-ctx.Done():
			return
		case <-sub.dropped:
			conn.Close(websocket.StatusTryAgainLater, "too slow, or the node stops")
			return
		case <-tick.C:
			pctx, done := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pctx)
			done()
			if err != nil {
				return
			}
			if beat++; !m.stillValid(ctx, sub, tok, beat) {
				conn.Close(websocket.StatusPolicyViolation, "the access token is no longer valid")
				return
			}
		case ch := <-sub.changes:
			msgs, err := m.messagesOf(ctx, sub, ch, m.hub.streamsOf(sub))
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("streaming: change not sent", "err", err)
				}
				continue
			}
			for _, msg := range msgs {
				if err := send(msg); err != nil {
					return
				}
			}
		}
	}
}

// wsRequest is a client's message: {"type":"subscribe","stream":"list","list":"ID"}.
type wsRequest struct {
	Type   string `json:"type"`
	Stream string `json:"stream"`
	List   string `json:"list"`
}

// wsError is Mastodon's answer to a message it refuses.
type wsError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// readSubscriptions reads the client's messages until the connection ends.
func (m *API) readSubscriptions(ctx context.Context, conn *websocket.Conn, c *caller, sub *subscriber) {
	refuse := func(status int, msg string) error {
		b, _ := json.Marshal(wsError{Error: msg, Status: status})
		wctx, done := context.WithTimeout(ctx, writeTimeout)
		defer done()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var req wsRequest
		if typ != websocket.MessageText || json.Unmarshal(data, &req) != nil {
			if refuse(http.StatusBadRequest, "Invalid message") != nil {
				return
			}
			continue
		}
		if err := m.subscription(ctx, c, sub, req); err != nil {
			status, msg := http.StatusInternalServerError, "Internal error"
			if se := (*statusError)(nil); errors.As(err, &se) {
				status, msg = se.status, se.message
			} else if de := spaces.AsError(err); de.Kind != spaces.KindInternal {
				status, msg = statusOfKind[de.Kind], de.Message
			} else {
				httpx.Logger(ctx).Error("streaming: subscription", "err", err)
			}
			if refuse(status, msg) != nil {
				return
			}
		}
	}
}

// subscription applies a subscribe or unsubscribe message.
func (m *API) subscription(ctx context.Context, c *caller, sub *subscriber, req wsRequest) error {
	switch req.Type {
	case "subscribe":
		s, err := m.streamOf(ctx, c, req.Stream, req.List)
		if err != nil {
			return err
		}
		if err := m.hub.add(sub, s); err != nil {
			return errStatus(http.StatusBadRequest, "Too many streams on one connection")
		}
		return nil
	case "unsubscribe":
		m.hub.remove(sub, stream{name: req.Stream, list: req.List})
		return nil
	default:
		return errStatus(http.StatusBadRequest, fmt.Sprintf("Unknown message type %q", req.Type))
	}
}

// eventStream serves the stream named name as server-sent events.
func (m *API) eventStream(w http.ResponseWriter, r *http.Request, name string) error {
	c := callerOf(r)
	s, err := m.streamOf(r.Context(), c, name, r.URL.Query().Get("list"))
	if err != nil {
		return err
	}
	sub, err := m.hub.subscribe(c.account)
	if err != nil {
		return err
	}
	defer m.hub.unsubscribe(sub)
	if err := m.hub.add(sub, s); err != nil {
		return err
	}
	noDeadlines(w)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would hold the events back
	w.WriteHeader(http.StatusOK)
	write := func(text string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write([]byte(text)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if write(":)\n\n") != nil {
		return nil
	}
	ctx, log := r.Context(), httpx.Logger(r.Context())
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for beat := 1; ; {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.dropped:
			return nil
		case <-tick.C:
			if beat++; !m.stillValid(ctx, sub, token(r), beat) || write(":thump\n\n") != nil {
				return nil
			}
		case ch := <-sub.changes:
			msgs, err := m.messagesOf(ctx, sub, ch, []stream{s})
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("streaming: change not sent", "err", err)
				}
				continue
			}
			for _, msg := range msgs {
				if write("event: "+msg.Event+"\ndata: "+msg.Payload+"\n\n") != nil {
					return nil
				}
			}
		}
	}
}
