package federation_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// sender signs requests as one of a node's actors, with its real key.
type sender struct {
	keyID string
	key   any
	actor string
}

func senderOf(t testing.TB, n *nodetest.Node, username string) sender {
	t.Helper()
	a := account(t, n, username)
	k, err := n.DB.KeyOfAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, err := transport.ParsePrivateKeyPEM(k.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return sender{keyID: k.KeyID, key: key, actor: n.URL + "/users/" + username}
}

// post sends body to url signed by s; edit may change the request after signing.
func (s sender) post(t testing.TB, url string, body []byte, when time.Time, edit func(*http.Request)) int {
	t.Helper()
	status, _ := s.send(t, url, body, when, edit)
	return status
}

// send is post, returning the answer's body too.
func (s sender) send(t testing.TB, url string, body []byte, when time.Time, edit func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", activitystreams.MediaType)
	if s.key != nil {
		if err := transport.SignRequest(req, s.keyID, s.key, body, when); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(answer)
}

func activity(id, typ, actor string, object any) []byte {
	b, _ := json.Marshal(map[string]any{"@context": activitystreams.NSActivityStreams, "id": id, "type": typ, "actor": actor, "object": object})
	return b
}

// TestSpoofing throws forged, tampered, replayed and malformed requests at an
// inbox. Every one is refused with its status, and nothing is stored or
// delivered.
func TestSpoofing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := nodetest.New(t, d.Dialect())
		b := nodetest.New(t, d.Dialect())
		a.Member(t, "alice", spaces.RoleMember)
		b.Member(t, "bob", spaces.RoleMember)
		b.Member(t, "eve", spaces.RoleMember)
		bob, eve := senderOf(t, b, "bob"), senderOf(t, b, "eve")
		inbox := a.URL + "/users/alice/inbox"
		alice := a.URL + "/users/alice"
		now := time.Now()
		follow := func(n int) []byte {
			return activity(b.URL+"/activities/f"+string(rune('a'+n)), "Follow", bob.actor, alice)
		}

		nested := []byte(`{"id":"` + b.URL + `/activities/deep","type":"Note","actor":"` + bob.actor + `","object":` +
			strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200) + `}`)
		big := append(follow(0)[:len(follow(0))-1], []byte(`,"pad":"`+strings.Repeat("x", federation.MaxInboxBody)+`"}`)...)
		cases := []struct {
			name string
			from sender
			body []byte
			when time.Time
			edit func(*http.Request)
			want int
		}{
			{"unsigned", sender{}, follow(1), now, nil, 401},
			{"bad signature", bob, follow(2), now, func(r *http.Request) {
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `signature="`, `signature="AAAA`, 1)) // 3 more bytes: never a valid signature
			}, 401},
			{"malformed signature header", bob, follow(3), now, func(r *http.Request) { r.Header.Set("Signature", `keyId=nope`) }, 401},
			{"wrong digest", bob, follow(4), now, func(r *http.Request) { r.Header.Set("Digest", "SHA-256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") }, 401},
			{"body changed after signing", bob, follow(5), now, func(r *http.Request) {
				changed := activity(b.URL+"/activities/f5", "Follow", bob.actor, a.URL+"/users/other")
				r.Body = io.NopCloser(bytes.NewReader(changed))
				r.ContentLength = int64(len(changed))
			}, 401},
			{"stale date", bob, follow(6), now.Add(-2 * time.Hour), nil, 401},
			{"date in the future", bob, follow(7), now.Add(2 * time.Hour), nil, 401},
			{"digest not signed", bob, follow(8), now, func(r *http.Request) {
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
			}, 401},
			{"key of bob on eve's activity", bob, activity(b.URL+"/activities/f9", "Follow", eve.actor, alice), now, nil, 401},
			{"key of another server", eve, activity(a.URL+"/activities/fake", "Follow", a.URL+"/users/alice", alice), now, nil, 401},
			{"object of another server", bob, activity(b.URL+"/activities/del", "Delete", bob.actor, alice), now, nil, 403},
			{"activity id of another server", bob, activity(a.URL+"/activities/x", "Follow", bob.actor, alice), now, nil, 403},
			{"undo of someone else's follow", bob, activity(b.URL+"/activities/u", "Undo", bob.actor,
				map[string]any{"id": b.URL + "/activities/ef", "type": "Follow", "actor": eve.actor, "object": alice}), now, nil, 403},
			{"1 MiB + 1", bob, big, now, nil, 413},
			{"not JSON", bob, []byte("<html>hello</html>"), now, nil, 400},
			{"JSON array", bob, []byte(`[` + string(follow(10)) + `]`), now, nil, 400},
			{"deeply nested", bob, nested, now, nil, 400},
			{"no actor", bob, []byte(`{"id":"` + b.URL + `/activities/n","type":"Follow","object":"` + alice + `"}`), now, nil, 400},
			{"wrong content type", bob, follow(11), now, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415},
		}
		for _, c := range cases {
			if got := c.from.post(t, inbox, c.body, c.when, c.edit); got != c.want {
				t.Errorf("%s: status %d, want %d", c.name, got, c.want)
			}
		}
		if n := count(t, a, "inbox_items"); n != 0 {
			t.Fatalf("refused requests stored %d activities", n)
		}
		nodetest.Drain(t, a, b)
		if n := count(t, a, "deliveries"); n != 0 {
			t.Fatalf("refused requests caused %d deliveries", n)
		}

		// The genuine request is taken; its replay is accepted and dropped.
		good := follow(20)
		for i := range 2 {
			if got := bob.post(t, inbox, good, time.Now(), nil); got != http.StatusAccepted {
				t.Fatalf("genuine follow, try %d: %d", i, got)
			}
		}
		if n := count(t, a, "inbox_items"); n != 1 {
			t.Fatalf("a replayed activity was stored %d times", n)
		}
		nodetest.Drain(t, a, b)
		if n := count(t, a, "deliveries"); n != 1 {
			t.Fatalf("one follow, %d deliveries (want one Accept)", n)
		}

		// hs2019 spelled out, as Mastodon and others send it, verifies too.
		hs := activity(b.URL+"/activities/hs", "Undo", bob.actor, b.URL+"/activities/fu")
		if got := bob.post(t, inbox, hs, time.Now(), func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hs2019"`, 1))
		}); got != http.StatusAccepted {
			t.Fatalf("hs2019: %d", got)
		}
		// A named algorithm that does not match the key is refused.
		if got := bob.post(t, inbox, activity(b.URL+"/activities/ed", "Undo", bob.actor, b.URL+"/activities/fv"), time.Now(), func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="ed25519"`, 1))
		}); got != http.StatusUnauthorized {
			t.Fatalf("an RSA signature claimed as ed25519: %d", got)
		}

		// Delete of an actor the node never knew: accepted, dropped, no fetch.
		ghost := b.URL + "/users/ghost"
		fetches := count(t, a, "keys")
		del := activity(b.URL+"/activities/ghostdel", "Delete", ghost, ghost)
		gs := sender{keyID: ghost + "#main-key", key: bob.key, actor: ghost}
		if got := gs.post(t, a.URL+"/inbox", del, time.Now(), nil); got != http.StatusAccepted {
			t.Fatalf("delete of an unknown actor: %d", got)
		}
		if n := count(t, a, "keys"); n != fetches {
			t.Fatal("the delete of an unknown actor fetched its key")
		}
	})
}

// TestEd25519Signatures: an actor whose key is Ed25519 (as newer servers
// publish) signs with hs2019; the node verifies it.
func TestEd25519Signatures(t *testing.T) {
	a := nodetest.New(t, db.SQLite)
	a.Member(t, "alice", spaces.RoleMember)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	var peer *httptest.Server
	peer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := peer.URL + "/u/ed"
		w.Header().Set("Content-Type", activitystreams.MediaType)
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []any{activitystreams.NSActivityStreams, activitystreams.NSSecurity},
			"id":       id, "type": "Person", "preferredUsername": "ed", "inbox": id + "/inbox",
			"publicKey": map[string]any{"id": id + "#key", "owner": id, "publicKeyPem": pemKey},
		})
	}))
	defer peer.Close()
	ed := sender{keyID: peer.URL + "/u/ed#key", key: priv, actor: peer.URL + "/u/ed"}
	body := activity(peer.URL+"/a/1", "Follow", ed.actor, a.URL+"/users/alice")
	if got := ed.post(t, a.URL+"/users/alice/inbox", body, time.Now(), nil); got != http.StatusAccepted {
		t.Fatalf("Ed25519 signature: %d", got)
	}
	forged := activity(peer.URL+"/a/2", "Follow", ed.actor, a.URL+"/users/alice")
	if got := ed.post(t, a.URL+"/users/alice/inbox", forged, time.Now(), func(r *http.Request) {
		sig := r.Header.Get("Signature")
		i := strings.Index(sig, `signature="`) + len(`signature="`)
		flipped := "A"
		if sig[i] == 'A' {
			flipped = "B"
		}
		r.Header.Set("Signature", sig[:i]+flipped+sig[i+1:])
	}); got != http.StatusUnauthorized {
		t.Fatalf("forged Ed25519 signature: %d", got)
	}
}
