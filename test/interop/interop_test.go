// Package interop runs Ruche against independent ActivityPub
// implementations on loopback (Node 20): a peer built on Fedify (peer.mjs),
// whose actors sign as Mastodon, GoToSocial and Multikey servers do, and an
// activitypub-bot server (apbot-peer.mjs); and against an SMTP server.
// It needs `npm ci` in this directory first; `make test` does that and sets
// RUCHE_INTEROP=1, so in CI the suite runs or fails — it never skips.
package interop

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// peer is the running Fedify peer.
type peer struct {
	origin  string
	stdin   io.WriteCloser
	mu      sync.Mutex
	nextID  int
	replies chan map[string]any
	events  chan map[string]any
	backlog []map[string]any // events received while waiting for others
}

// startScript runs `node script`, which needs the npm package pkg, until
// the test ends (closing its stdin asks it to stop). Without RUCHE_INTEROP
// the test skips; with it, a missing package fails it.
func startScript(t *testing.T, script, pkg, what string) (stdin io.WriteCloser, stdout io.Reader) {
	t.Helper()
	requireNode(t, pkg, what)
	cmd := exec.Command("node", script)
	cmd.Stderr = os.Stderr
	stdin, _ = cmd.StdinPipe()
	stdout, _ = cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the %s: %v", what, err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	return stdin, stdout
}

// requireNode skips the test without RUCHE_INTEROP, and fails it when the
// npm package pkg, which its script needs, is not installed.
func requireNode(t *testing.T, pkg, what string) {
	t.Helper()
	if os.Getenv("RUCHE_INTEROP") == "" {
		t.Skip("RUCHE_INTEROP is not set: run `make test` (npm ci in test/interop, then this suite)")
	}
	if _, err := os.Stat("node_modules/" + pkg); err != nil {
		t.Fatalf("the %s is not installed (npm ci in test/interop): %v", what, err)
	}
}

func startPeer(t *testing.T) *peer {
	t.Helper()
	stdin, stdout := startScript(t, "peer.mjs", "@fedify/fedify", "Fedify peer")
	p := &peer{stdin: stdin, replies: make(chan map[string]any, 16), events: make(chan map[string]any, 64)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				continue
			}
			switch {
			case m["ready"] != nil:
				ready <- fmt.Sprint(m["ready"])
			case m["event"] != nil:
				p.events <- m
			default:
				p.replies <- m
			}
		}
	}()
	select {
	case p.origin = <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the Fedify peer did not start")
	}
	return p
}

// call sends a command and waits for its reply.
func (p *peer) call(t *testing.T, cmd string, args map[string]any) map[string]any {
	t.Helper()
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.mu.Unlock()
	args["id"], args["cmd"] = id, cmd
	b, _ := json.Marshal(args)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-p.replies:
		if r["error"] != nil {
			t.Fatalf("peer %s: %v", cmd, r["error"])
		}
		return r
	case <-time.After(60 * time.Second):
		t.Fatalf("peer %s: no reply", cmd)
	}
	return nil
}

// event waits for the peer's inbox to accept an activity of type typ.
func (p *peer) event(t *testing.T, typ string) map[string]any {
	t.Helper()
	return p.eventWhere(t, typ, func(e map[string]any) bool { return e["event"] == typ })
}

// eventWhere waits for an event that match accepts; others are kept for
// later calls, in order.
func (p *peer) eventWhere(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for i, e := range p.backlog {
		if match(e) {
			p.backlog = append(p.backlog[:i], p.backlog[i+1:]...)
			return e
		}
	}
	for {
		select {
		case e := <-p.events:
			if match(e) {
				return e
			}
			p.backlog = append(p.backlog, e)
		case <-time.After(30 * time.Second):
			t.Fatalf("the peer received no %s (received meanwhile: %v)", what, p.backlog)
		}
	}
}

func drain(t *testing.T, n *nodetest.Node) {
	t.Helper()
	for range 10 {
		k, err := n.Federation.RunUntilIdle(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// TestFedifyPeer: the Fedify peer finds a Ruche member by WebFinger, reads
// her actor with a signed GET (which Ruche verifies), follows her and gets
// Ruche's signed Accept (which Fedify verifies), then unfollows.
func TestFedifyPeer(t *testing.T) {
	ctx := context.Background()
	p := startPeer(t)
	n := nodetest.New(t, db.SQLite)
	alice := n.Member(t, "alice", spaces.RoleMember)
	host := strings.TrimPrefix(n.URL, "http://")
	actor := n.URL + "/users/alice"

	// WebFinger.
	wf := p.call(t, "webfinger", map[string]any{"resource": actor})
	if wf["subject"] != "acct:alice@"+host || wf["self"] != actor {
		t.Fatalf("webfinger: %v", wf)
	}

	// Signed GET of the actor; Fedify parses it as JSON-LD.
	got := p.call(t, "lookup", map[string]any{"url": actor})
	if got["id"] != actor || got["preferredUsername"] != "alice" || got["inbox"] != actor+"/inbox" ||
		got["sharedInbox"] != n.URL+"/inbox" || got["keyId"] != actor+"#main-key" || got["keyOwner"] != actor {
		t.Fatalf("the actor as Fedify reads it: %v", got)
	}
	// Ruche verified the GET's signature: to do so it fetched the peer's key.
	if _, err := n.DB.KeyByKeyID(ctx, fmt.Sprint(got["peerKeyId"])); err != nil {
		t.Fatalf("Ruche did not verify the signed GET (the peer's key is unknown to it): %v", err)
	}

	// Follow → Accept.
	sent := p.call(t, "follow", map[string]any{"url": actor})
	drain(t, n)
	accept := p.event(t, "Accept")
	if accept["actor"] != actor || accept["object"] != sent["sent"] {
		t.Fatalf("Accept: %v (follow %v)", accept, sent)
	}
	if followers, _, _ := n.Spaces.FollowCounts(ctx, alice); followers != 1 {
		t.Fatalf("alice has %d followers after the peer's follow", followers)
	}

	// Undo(Follow).
	p.call(t, "unfollow", map[string]any{"url": actor})
	drain(t, n)
	if followers, _, _ := n.Spaces.FollowCounts(ctx, alice); followers != 0 {
		t.Fatalf("alice has %d followers after the peer's unfollow", followers)
	}

	// A post of alice's reaches her follower: a signed Create(Note) that
	// Fedify verifies, and reads in both languages.
	p.call(t, "follow", map[string]any{"url": actor})
	drain(t, n)
	p.event(t, "Accept")
	post, err := n.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Language: "fr", Body: "Bonjour",
		Translations: []spaces.TranslationInput{{Language: "en", Body: "Hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	create := p.event(t, "Create")
	if create["actor"] != actor || create["object"] != n.URL+"/posts/"+post.ID || create["postType"] != "Note" ||
		fmt.Sprint(create["languages"]) != "[en fr]" || !strings.Contains(fmt.Sprint(create["content"]), "Bonjour") {
		t.Fatalf("the Create as Fedify read it: %v", create)
	}
	// The Create(Note) the peer sends, which Ruche verifies, is in
	// TestFedifyPeerInSpace.
}

// TestFedifyPeerInSpace: the peer and a second actor of it follow a public
// space (joining it); a new post in the space reaches them as the Group's
// Announce in both forms — of the Create, and of the post by its IRI (a
// boost) — each verified by Fedify; the peer posts into the space with
// audience, a signed Create(Note) that Ruche verifies, stores and announces
// to the space's followers.
func TestFedifyPeerInSpace(t *testing.T) {
	ctx := context.Background()
	p := startPeer(t)
	n := nodetest.New(t, db.SQLite)
	olga := n.Member(t, "olga", spaces.RoleMember)
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{
		Name: &name, Languages: []string{"fr", "en"}}}); err != nil {
		t.Fatal(err)
	}
	group := n.URL + "/spaces/forum"

	for _, as := range []string{"peer", "peer2"} {
		sent := p.call(t, "follow", map[string]any{"url": group, "as": as})
		if sent["targetType"] != "Group" {
			t.Fatalf("Fedify reads the space as %v", sent["targetType"])
		}
		drain(t, n)
		accept := p.event(t, "Accept")
		if accept["actor"] != group || accept["object"] != sent["sent"] {
			t.Fatalf("Accept of %s's follow: %v", as, accept)
		}
	}
	if members, err := n.Spaces.MemberCount(ctx, mustSpace(t, n, "forum")); err != nil || members != 3 {
		t.Fatalf("the space has %d members (%v), want olga and the two peers", members, err)
	}

	// A new post: Announce(Create) and Announce(object), both verified.
	post, err := n.Spaces.CreatePost(ctx, olga, "forum", spaces.PostInput{Language: "fr", Body: "Bienvenue au forum",
		Translations: []spaces.TranslationInput{{Language: "en", Body: "Welcome to the forum"}}})
	if err != nil {
		t.Fatal(err)
	}
	iri := n.URL + "/posts/" + post.ID
	drain(t, n)
	ofCreate := p.eventWhere(t, "Announce(Create)", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["objectType"] == "Create"
	})
	if ofCreate["actor"] != group || ofCreate["innerObject"] != iri || ofCreate["innerActor"] != n.URL+"/users/olga" ||
		ofCreate["audience"] != group || fmt.Sprint(ofCreate["languages"]) != "[en fr]" {
		t.Fatalf("Announce(Create) as Fedify read it: %v", ofCreate)
	}
	boost := p.eventWhere(t, "Announce(Note)", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["objectType"] == "Note"
	})
	if boost["actor"] != group || boost["object"] != iri || fmt.Sprint(boost["languages"]) != "[en fr]" ||
		!strings.Contains(fmt.Sprint(boost["content"]), "Bienvenue") {
		t.Fatalf("Announce(Note) as Fedify read it: %v", boost)
	}

	// The peer posts into the space.
	sent := p.call(t, "post", map[string]any{"group": group, "texts": map[string]string{"en": "<p>Hello from Fedify</p>", "fr": "<p>Bonjour de Fedify</p>"}})
	drain(t, n)
	stored, err := n.DB.PostByURI(ctx, fmt.Sprint(sent["note"]))
	if err != nil {
		t.Fatalf("Ruche did not store the peer's post: %v", err)
	}
	if sp := mustSpace(t, n, "forum"); stored.SpaceID != sp.AccountID || len(stored.Translations) != 2 {
		t.Fatalf("the peer's post as Ruche keeps it: %+v", stored)
	}
	relayed := p.eventWhere(t, "the Announce of the peer's post", func(e map[string]any) bool {
		return e["event"] == "Announce" && e["innerObject"] == sent["note"]
	})
	if relayed["actor"] != group || relayed["object"] != sent["sent"] {
		t.Fatalf("the Group's Announce of the peer's post: %v", relayed)
	}
}

// TestFedifyKeyForms: an actor of the peer for each keyId form in use
// follows a Ruche member, on first contact — Ruche has never looked it up —
// and is accepted: Ruche fetches the key as the form wants (GoToSocial's key
// URL serving a stub of the actor, a CryptographicKey document, an Ed25519
// Multikey by fragment or as a document of its own, an RSA Multikey), takes
// it from the actor's document, verifies the Follow, stores the key as the
// actor's and sends its Accept, which Fedify verifies. One of them then
// posts into a space, signed the same way. Both databases.
func TestFedifyKeyForms(t *testing.T) {
	p := startPeer(t)
	// One peer for both databases: each node is new, and meets the actors
	// for the first time.
	dbtest.Each(t, func(t *testing.T, d *db.DB) { keyForms(t, p, nodetest.New(t, d.Dialect())) })
}

func keyForms(t *testing.T, p *peer, n *nodetest.Node) {
	ctx := context.Background()
	alice := n.Member(t, "alice", spaces.RoleMember)
	actor := n.URL + "/users/alice"
	for i, c := range []struct {
		as, keyID string
		ed25519   bool // the key is Ed25519 (else RSA)
	}{
		{"gts", p.origin + "/users/gts/main-key", false},
		{"keydoc", p.origin + "/keys/keydoc", false},
		{"ed", p.origin + "/users/ed#key-2", true},
		{"edkey", p.origin + "/keys/edkey", true},
		{"rsamk", p.origin + "/users/rsamk#key-2", false},
	} {
		iri := p.origin + "/users/" + c.as
		if _, err := n.DB.AccountByURI(ctx, iri); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("%s: Ruche knew the actor before its Follow (%v)", c.as, err)
		}
		// The peer reports an error, with Ruche's answer, if the Follow is refused.
		sent := p.call(t, "follow", map[string]any{"url": actor, "as": c.as})
		if sent["keyId"] != c.keyID {
			t.Fatalf("%s: the peer signed with %v, want %s", c.as, sent["keyId"], c.keyID)
		}
		row, err := n.DB.KeyByKeyID(ctx, c.keyID)
		if err != nil {
			t.Fatalf("%s: Ruche did not store the key: %v", c.as, err)
		}
		if owner, err := n.DB.AccountByURI(ctx, iri); err != nil || row.AccountID != owner.ID {
			t.Fatalf("%s: the key is not stored as the actor's (%v)", c.as, err)
		}
		if key := publicKey(t, row.PublicKeyPEM); isEd25519(key) != c.ed25519 {
			t.Fatalf("%s: stored a %T, want Ed25519: %v", c.as, key, c.ed25519)
		}
		drain(t, n)
		accept := p.eventWhere(t, "the Accept of "+c.as, func(e map[string]any) bool {
			return e["event"] == "Accept" && e["object"] == sent["sent"]
		})
		if accept["actor"] != actor {
			t.Fatalf("%s: Accept %v", c.as, accept)
		}
		if followers, _, _ := n.Spaces.FollowCounts(ctx, alice); followers != i+1 {
			t.Fatalf("after %s's follow alice has %d followers, want %d", c.as, followers, i+1)
		}
	}

	// An Ed25519-signed Create(Note) into a space, by a member of it.
	name := "Forum"
	if _, err := n.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
		t.Fatal(err)
	}
	group := n.URL + "/spaces/forum"
	joined := p.call(t, "follow", map[string]any{"url": group, "as": "edkey"})
	drain(t, n)
	p.eventWhere(t, "the Accept of edkey's join", func(e map[string]any) bool { return e["event"] == "Accept" && e["object"] == joined["sent"] })
	sent := p.call(t, "post", map[string]any{"group": group, "as": "edkey", "texts": map[string]string{"en": "<p>Signed with a Multikey</p>"}})
	drain(t, n)
	stored, err := n.DB.PostByURI(ctx, fmt.Sprint(sent["note"]))
	if err != nil || sent["keyId"] != p.origin+"/keys/edkey" {
		t.Fatalf("Ruche did not store edkey's post (signed with %v): %v", sent["keyId"], err)
	}
	if sp := mustSpace(t, n, "forum"); stored.SpaceID != sp.AccountID {
		t.Fatalf("edkey's post as Ruche keeps it: %+v", stored)
	}
}

// publicKey parses a stored public key (PKIX PEM).
func publicKey(t *testing.T, s string) any {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		t.Fatalf("not PEM: %q", s)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func isEd25519(k any) bool { _, ok := k.(ed25519.PublicKey); return ok }

func mustSpace(t *testing.T, n *nodetest.Node, slug string) *spaces.Space {
	t.Helper()
	sp, err := n.Spaces.Space(context.Background(), spaces.Console, slug)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}
