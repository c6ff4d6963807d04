package federation_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestHostileKeyServers: activities signed with keys whose server answers
// slowly (past the node's timeout), with garbage, with a 10 MB document,
// with endless redirects or with a redirect to another origin's actor. Each
// is refused (401, with the generic reason only), nothing is stored, and the
// node goes on taking a genuine activity afterwards.
func TestHostileKeyServers(t *testing.T) {
	a := nodetest.New(t, db.SQLite, federationConfig(func(f *config.Federation) { f.DeliveryTimeout = time.Second }))
	b := nodetest.New(t, db.SQLite)
	a.Member(t, "alice", spaces.RoleMember)
	b.Member(t, "bob", spaces.RoleMember)
	release := make(chan struct{})
	var hostile *httptest.Server
	hostile = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		switch strings.Split(r.URL.Path, "/")[1] {
		case "slow":
			select { // longer than the node waits; released when the test ends
			case <-release:
			case <-time.After(30 * time.Second):
			}
		case "garbage":
			w.Write([]byte("\x00\xff{{{ not json"))
		case "huge":
			w.Write([]byte(`{"id":"` + hostile.URL + `/huge/actor","type":"Person","name":"`))
			w.Write(bytes.Repeat([]byte("a"), 10<<20))
			w.Write([]byte(`"}`))
		case "loop":
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		case "elsewhere":
			http.Redirect(w, r, b.URL+"/users/bob", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(release); hostile.Close() })

	priv, _, err := transport.GenerateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	key, err := transport.ParsePrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, a, "inbox_items") + count(t, a, "keys") + count(t, a, "accounts")
	for _, kind := range []string{"slow", "garbage", "huge", "loop", "elsewhere"} {
		actor := hostile.URL + "/" + kind + "/actor"
		s := sender{keyID: actor + "#main-key", key: key, actor: actor}
		status, answer := s.send(t, a.URL+"/users/alice/inbox", activity(hostile.URL+"/"+kind+"/follow", "Follow", actor, a.URL+"/users/alice"), time.Now(), nil)
		if status != http.StatusUnauthorized || strings.TrimSpace(answer) != "the signing key cannot be obtained" {
			t.Fatalf("%s: %d %q, want 401 with the generic reason", kind, status, answer)
		}
	}
	if after := count(t, a, "inbox_items") + count(t, a, "keys") + count(t, a, "accounts"); after != before {
		t.Fatalf("hostile servers left %d rows", after-before)
	}
	bob := senderOf(t, b, "bob")
	if status := bob.post(t, a.URL+"/users/alice/inbox", activity(b.URL+"/follows/1", "Follow", bob.actor, a.URL+"/users/alice"), time.Now(), nil); status != http.StatusAccepted {
		t.Fatalf("a genuine Follow after the hostile ones: %d", status)
	}
}
