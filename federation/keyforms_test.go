package federation_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// docServer is another server on loopback: it serves the documents a test
// puts at its paths, and counts the GETs of each path.
type docServer struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string]map[string]any
	gets map[string]int
}

func newDocServer(t testing.TB) *docServer {
	s := &docServer{docs: map[string]map[string]any{}, gets: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusAccepted) // deliveries to the actors' inboxes
			return
		}
		s.mu.Lock()
		s.gets[r.URL.Path]++
		doc, ok := s.docs[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", activitystreams.MediaType)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(s.Close)
	return s
}

// put publishes doc at the path of iri, an IRI of this server.
func (s *docServer) put(iri string, doc map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[strings.TrimPrefix(iri, s.URL)] = doc
}

// fetched tells how many times the path of iri was read.
func (s *docServer) fetched(iri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[strings.TrimPrefix(iri, s.URL)]
}

// fetchedAny tells whether any document of this server was read.
func (s *docServer) fetchedAny() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.gets) > 0
}

// person is the document of an actor: its keys in publicKey (key objects)
// and assertionMethod (Multikeys), either may be nil.
func person(id string, publicKey, assertionMethod any) map[string]any {
	doc := map[string]any{
		"@context": []any{activitystreams.NSActivityStreams, activitystreams.NSSecurity, "https://w3id.org/security/multikey/v1"},
		"id":       id, "type": "Person", "preferredUsername": id[strings.LastIndex(id, "/")+1:], "inbox": id + "/inbox",
	}
	if publicKey != nil {
		doc["publicKey"] = publicKey
	}
	if assertionMethod != nil {
		doc["assertionMethod"] = assertionMethod
	}
	return doc
}

// stub is what GoToSocial serves at an actor's key URL: the actor's id, its
// name and its key, no inbox.
func stub(id string, key map[string]any) map[string]any {
	return map[string]any{
		"@context": []any{activitystreams.NSSecurity, activitystreams.NSActivityStreams},
		"id":       id, "type": "Person", "preferredUsername": id[strings.LastIndex(id, "/")+1:], "publicKey": key,
	}
}

func keyObject(id, owner string, pub crypto.PublicKey) map[string]any {
	return map[string]any{"id": id, "type": "CryptographicKey", "owner": owner, "publicKeyPem": pemOf(pub)}
}

func multikey(id, controller, multibase string) map[string]any {
	return map[string]any{"id": id, "type": "Multikey", "controller": controller, "publicKeyMultibase": multibase}
}

// standalone makes an embedded key a document of its own.
func standalone(key map[string]any, context string) map[string]any {
	doc := map[string]any{"@context": context}
	for k, v := range key {
		doc[k] = v
	}
	return doc
}

func pemOf(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedFollow posts actor's Follow of target to inbox, signed with key as
// keyID, and returns the status and the body of the answer.
func signedFollow(t testing.TB, inbox, target, actor, keyID string, key crypto.PrivateKey) (int, string) {
	t.Helper()
	origin := actor[:strings.Index(actor, "/users/")]
	body := activity(origin+"/follows/"+strings.NewReplacer("/", "-", "#", "-", ":", "-").Replace(keyID), "Follow", actor, target)
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", activitystreams.MediaType)
	if err := transport.SignRequest(req, keyID, key, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// TestKeyForms: a request signed with each keyId form in use verifies on
// first contact — the node never looked the sender up before — and stores
// the key, read from its owner's own document, as the owner's. The forms
// that point elsewhere are refused with their reason, and store nothing.
func TestKeyForms(t *testing.T) {
	rsa1, rsa2, rsa3, rsa4, liar := newRSAKey(t), newRSAKey(t), newRSAKey(t), newRSAKey(t), newRSAKey(t)
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		n.Member(t, "alice", spaces.RoleMember)
		alice, inbox := n.URL+"/users/alice", n.URL+"/users/alice/inbox"
		p, other := newDocServer(t), newDocServer(t)

		// accept checks that actor, unknown to the node, is accepted when
		// signing with key as keyID, and that the node then keeps the key
		// as actor's, with the public key pub.
		accept := func(form, actor, keyID string, key crypto.PrivateKey, pub crypto.PublicKey) {
			t.Helper()
			if _, err := n.DB.AccountByURI(ctx, actor); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("%s: the node knew %s before its first request (%v)", form, actor, err)
			}
			if status, body := signedFollow(t, inbox, alice, actor, keyID, key); status != http.StatusAccepted {
				t.Fatalf("%s: %d %s", form, status, body)
			}
			row, err := n.DB.KeyByKeyID(ctx, keyID)
			if err != nil {
				t.Fatalf("%s: the key is not stored: %v", form, err)
			}
			if owner := remote(t, n, actor); row.AccountID != owner.ID || row.PublicKeyPEM != pemOf(pub) {
				t.Fatalf("%s: stored %+v, want %s's key %s", form, row, actor, pemOf(pub))
			}
		}
		// refuse checks that the request is refused for the reason given
		// and that neither the key nor (unless it was known) its actor is
		// stored.
		refuse := func(form, actor, keyID string, key crypto.PrivateKey, reason string) {
			t.Helper()
			_, unknown := n.DB.AccountByURI(ctx, actor)
			status, body := signedFollow(t, inbox, alice, actor, keyID, key)
			if status != http.StatusUnauthorized || !strings.Contains(body, reason) {
				t.Errorf("%s: %d %q, want 401 saying %q", form, status, body, reason)
			}
			if _, err := n.DB.KeyByKeyID(ctx, keyID); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%s: the refused key is stored (%v)", form, err)
			}
			if _, err := n.DB.AccountByURI(ctx, actor); unknown != nil && !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%s: the actor of a refused key is stored (%v)", form, err)
			}
		}

		// Mastodon, Fedify, Lemmy, Misskey: the actor's IRI with a fragment.
		frag := p.URL + "/users/frag"
		p.put(frag, person(frag, keyObject(frag+"#main-key", frag, &rsa1.PublicKey), nil))
		accept("fragment", frag, frag+"#main-key", rsa1, &rsa1.PublicKey)

		// GoToSocial: the key's URL serves a stub of the actor; the key is
		// read from the actor's own document, one fetch more.
		gts := p.URL + "/users/gts"
		gtsKey := keyObject(gts+"/main-key", gts, &rsa2.PublicKey)
		p.put(gts, person(gts, gtsKey, nil))
		p.put(gts+"/main-key", stub(gts, gtsKey))
		accept("GoToSocial stub", gts, gts+"/main-key", rsa2, &rsa2.PublicKey)
		if p.fetched(gts+"/main-key") != 1 || p.fetched(gts) != 1 {
			t.Fatalf("GoToSocial stub: %d fetches of the key, %d of the actor; want one each", p.fetched(gts+"/main-key"), p.fetched(gts))
		}

		// A Key document of its own, naming its owner, who lists it back.
		kd, kdKey := p.URL+"/users/kd", p.URL+"/keys/kd"
		p.put(kd, person(kd, keyObject(kdKey, kd, &rsa3.PublicKey), nil))
		p.put(kdKey, standalone(keyObject(kdKey, kd, &rsa3.PublicKey), activitystreams.NSSecurity))
		accept("Key document", kd, kdKey, rsa3, &rsa3.PublicKey)

		// FEP-521a: an Ed25519 Multikey among the actor's assertionMethods,
		// named by a fragment, besides its RSA key.
		mk := p.URL + "/users/mk"
		p.put(mk, person(mk, keyObject(mk+"#main-key", mk, &rsa4.PublicKey),
			[]any{multikey(mk+"#ed25519-key", mk, mustMultikey(edPub))}))
		accept("Ed25519 Multikey by fragment", mk, mk+"#ed25519-key", edKey, edPub)

		// A Multikey document of its own, naming its controller.
		mkd, mkdKey := p.URL+"/users/mkd", p.URL+"/keys/mkd"
		mkdMultikey := multikey(mkdKey, mkd, mustMultikey(edPub))
		p.put(mkd, person(mkd, nil, mkdMultikey))
		p.put(mkdKey, standalone(mkdMultikey, "https://w3id.org/security/multikey/v1"))
		accept("Multikey document", mkd, mkdKey, edKey, edPub)

		// An RSA Multikey (multicodec 0x1205).
		rmk := p.URL + "/users/rmk"
		p.put(rmk, person(rmk, nil, []any{multikey(rmk+"#rsa-key", rmk, mustMultikey(&rsa1.PublicKey))}))
		accept("RSA Multikey", rmk, rmk+"#rsa-key", rsa1, &rsa1.PublicKey)

		// Attacks.

		// A key document naming an owner on another origin, who even lists
		// it: the other origin is never asked.
		cross, crossKey, victim := p.URL+"/users/cross", p.URL+"/keys/cross", other.URL+"/users/victim"
		p.put(crossKey, standalone(keyObject(crossKey, victim, &liar.PublicKey), activitystreams.NSSecurity))
		other.put(victim, person(victim, keyObject(crossKey, victim, &liar.PublicKey), nil))
		refuse("key document of an owner on another origin", cross, crossKey, liar, "names an owner on another origin")
		// The same with a Multikey document.
		mkx := p.URL + "/keys/mkx"
		p.put(mkx, standalone(multikey(mkx, victim, mustMultikey(edPub)), "https://w3id.org/security/multikey/v1"))
		refuse("Multikey document of a controller on another origin", cross, mkx, edKey, "names an owner on another origin")
		// A stub whose id is an actor of another origin.
		sx := p.URL + "/users/sx"
		p.put(sx+"/main-key", stub(other.URL+"/users/sx", keyObject(sx+"/main-key", other.URL+"/users/sx", &liar.PublicKey)))
		other.put(other.URL+"/users/sx", person(other.URL+"/users/sx", keyObject(sx+"/main-key", other.URL+"/users/sx", &liar.PublicKey), nil))
		refuse("stub of an actor of another origin", sx, sx+"/main-key", liar, "on another origin")
		if other.fetchedAny() {
			t.Error("the node fetched documents of another origin than the keyId's")
		}

		// A key document whose owner does not list it.
		orph, orphKey := p.URL+"/users/orph", p.URL+"/keys/orph"
		p.put(orph, person(orph, keyObject(orph+"#main-key", orph, &rsa1.PublicKey), nil))
		p.put(orphKey, standalone(keyObject(orphKey, orph, &liar.PublicKey), activitystreams.NSSecurity))
		refuse("key document its owner does not list", orph, orphKey, liar, "does not list the key")
		// Any file of the origin (an upload, say) posing as an actor's stub:
		// the actor does not list it.
		upload := p.URL + "/media/evil.json"
		p.put(upload, stub(frag, keyObject(upload, frag, &liar.PublicKey)))
		refuse("a file posing as the stub of a known actor", frag, upload, liar, "does not list the key")
		// A Multikey document its controller does not list.
		mko := p.URL + "/keys/mko"
		p.put(mko, standalone(multikey(mko, orph, mustMultikey(edPub)), "https://w3id.org/security/multikey/v1"))
		refuse("Multikey document its controller does not list", orph, mko, edKey, "does not list the key")
		// A copy of a key document served at another URL.
		cp := p.URL + "/keys/copy"
		p.put(cp, standalone(keyObject(kdKey, kd, &rsa3.PublicKey), activitystreams.NSSecurity))
		refuse("a key document copied to another URL", kd, cp, rsa3, "has the id")

		// A stub that lends the actor another key than the actor's own: the
		// node keeps the actor's key, and the stub's does not verify.
		lie := p.URL + "/users/lie"
		p.put(lie, person(lie, keyObject(lie+"/main-key", lie, &rsa2.PublicKey), nil))
		p.put(lie+"/main-key", stub(lie, keyObject(lie+"/main-key", lie, &liar.PublicKey)))
		if status, body := signedFollow(t, inbox, alice, lie, lie+"/main-key", liar); status != http.StatusUnauthorized {
			t.Errorf("a stub lending its own key: %d %s", status, body)
		}
		if row, err := n.DB.KeyByKeyID(ctx, lie+"/main-key"); err != nil || row.PublicKeyPEM != pemOf(&rsa2.PublicKey) {
			t.Errorf("a stub lending its own key: the node keeps %+v (%v), want the actor's key", row, err)
		}

		// Multikeys the node cannot read.
		bad := mustMultikey(edPub)
		for i, c := range []struct{ multibase, reason string }{
			{bad[:10] + "0" + bad[11:], "not a base58 character"},
			{"u" + bad[1:], "not base58btc"},
			{mustMultikey(edPub[:31]), "Ed25519 Multikey has 31 bytes"},
			{"z" + strings.Repeat("2", 40), "multicodec"},
		} {
			badmk := p.URL + "/users/badmk" + string(rune('a'+i))
			p.put(badmk, person(badmk, nil, multikey(badmk+"#ed25519-key", badmk, c.multibase)))
			refuse("bad multibase "+c.multibase, badmk, badmk+"#ed25519-key", edKey, c.reason)
		}
	})
}

// mustMultikey is transport.MultikeyOf for keys the test made.
func mustMultikey(pub crypto.PublicKey) string {
	s, err := transport.MultikeyOf(pub)
	if err != nil {
		panic(err)
	}
	return s
}
