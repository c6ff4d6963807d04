package activitystreams_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/internal/golden"
)

const testPEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest\n-----END PUBLIC KEY-----\n"

var published = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func person() activitystreams.Actor {
	return activitystreams.Actor{
		ID: "https://ville-a.example/users/alice", Type: "Person", PreferredUsername: "alice",
		Name: "Alice Martin", Summary: activitystreams.TextToHTML("Cheffe de projet <numérique>\nVille A"),
		URL: "https://ville-a.example/@alice", Inbox: "https://ville-a.example/users/alice/inbox",
		Outbox: "https://ville-a.example/users/alice/outbox", Followers: "https://ville-a.example/users/alice/followers",
		Following: "https://ville-a.example/users/alice/following", SharedInbox: "https://ville-a.example/inbox",
		Published: published, ManuallyApprovesFollowers: true, Discoverable: true, Indexable: true,
		PublicKey: activitystreams.PublicKey{ID: "https://ville-a.example/users/alice#main-key", Owner: "https://ville-a.example/users/alice", PEM: testPEM},
	}
}

func TestGoldenDocuments(t *testing.T) {
	p, err := person().Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "person", p)

	app, err := activitystreams.Actor{
		ID: "https://ville-a.example/actor", Type: "Application", PreferredUsername: "ville-a.example",
		Name: "Ville A", Inbox: "https://ville-a.example/actor/inbox", Outbox: "https://ville-a.example/actor/outbox",
		SharedInbox: "https://ville-a.example/inbox", URL: "https://ville-a.example/",
		PublicKey: activitystreams.PublicKey{ID: "https://ville-a.example/actor#main-key", Owner: "https://ville-a.example/actor", PEM: testPEM},
	}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "application", app)
	golden.JSON(t, "tombstone", activitystreams.Tombstone("https://ville-a.example/users/bob", "Person", published))

	coll, err := activitystreams.Collection{ID: "https://ville-a.example/users/alice/followers", TotalItems: 3,
		First: "https://ville-a.example/users/alice/followers?page=true"}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "collection", coll)
	page, err := activitystreams.Page{ID: "https://ville-a.example/users/alice/followers?page=true",
		PartOf: "https://ville-a.example/users/alice/followers",
		Next:   "https://ville-a.example/users/alice/followers?page=true&before=01J0000000000000000000000",
		Items:  []any{"https://ville-b.example/users/bob", "https://mastodon.example/users/carol"}}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "page", page)
	one, _ := activitystreams.Page{ID: "https://ville-a.example/users/alice/following?page=true",
		PartOf: "https://ville-a.example/users/alice/following", Items: []any{"https://ville-b.example/users/bob"}}.Document()
	golden.JSON(t, "page_one_item", one)
	empty, _ := activitystreams.Page{ID: "https://ville-a.example/users/alice/outbox?page=true",
		PartOf: "https://ville-a.example/users/alice/outbox"}.Document()
	golden.JSON(t, "page_empty", empty)

	follow := activitystreams.Activity{ID: "https://ville-a.example/activities/01JFOLLOW", Type: "Follow",
		Actor: "https://ville-a.example/users/alice", Object: "https://ville-b.example/users/bob",
		To: []string{"https://ville-b.example/users/bob"}}
	fd, err := follow.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "follow", fd)
	accept, err := activitystreams.Activity{ID: "https://ville-b.example/activities/01JACCEPT", Type: "Accept",
		Actor: "https://ville-b.example/users/bob", Object: fd, To: []string{"https://ville-a.example/users/alice"}}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "accept", accept)
	update, err := activitystreams.Activity{ID: "https://ville-a.example/activities/01JUPDATE", Type: "Update",
		Actor: "https://ville-a.example/users/alice", Object: p, Published: published,
		To: []string{activitystreams.Public}, Cc: []string{"https://ville-a.example/users/alice/followers"}}.Document()
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "update_person", update)

	note := map[string]any{"id": "https://ville-a.example/posts/01J", "type": "Article"}
	activitystreams.SetLangText(note, "content", "fr", map[string]string{"fr": "<p>Bonjour</p>", "en": "<p>Hello</p>"})
	golden.JSON(t, "langtext", note)
}

func TestParseActivity(t *testing.T) {
	in, err := activitystreams.ParseActivity([]byte(`{"@context":"https://www.w3.org/ns/activitystreams",
		"id":"https://b.example/activities/1","type":"Undo","actor":{"id":"https://b.example/users/bob"},
		"object":{"id":"https://b.example/follows/1","type":"Follow","actor":"https://b.example/users/bob","object":"https://a.example/users/alice"},
		"to":["as:Public","https://a.example/users/alice"],"cc":"https://b.example/users/bob/followers"}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.Type != "Undo" || in.Actor != "https://b.example/users/bob" || in.Object.Type != "Follow" ||
		in.Object.Actor != "https://b.example/users/bob" || in.Object.Object != "https://a.example/users/alice" {
		t.Fatalf("parsed %+v", in)
	}
	if len(in.To) != 2 || in.To[0] != activitystreams.Public || len(in.Cc) != 1 {
		t.Fatalf("addressing %v %v", in.To, in.Cc)
	}

	for name, c := range map[string]struct {
		body string
		want error
	}{
		"not json":       {`<html>`, activitystreams.ErrNotJSON},
		"array":          {`[{"id":"https://b.example/a"}]`, activitystreams.ErrNotObject},
		"trailing":       {`{"id":"https://b.example/a"} {}`, activitystreams.ErrNotJSON},
		"no id":          {`{"type":"Follow","actor":"https://b.example/u"}`, activitystreams.ErrNoID},
		"relative id":    {`{"id":"/a/1","type":"Follow","actor":"https://b.example/u"}`, activitystreams.ErrNoID},
		"javascript id":  {`{"id":"javascript:alert(1)","type":"Follow","actor":"https://b.example/u"}`, activitystreams.ErrNoID},
		"no type":        {`{"id":"https://b.example/a","actor":"https://b.example/u"}`, activitystreams.ErrNoType},
		"no actor":       {`{"id":"https://b.example/a","type":"Follow"}`, activitystreams.ErrNoActor},
		"two actors":     {`{"id":"https://b.example/a","type":"Follow","actor":["https://b.example/u","https://c.example/u"]}`, activitystreams.ErrNoActor},
		"deeply nested":  {`{"id":"https://b.example/a","type":"Note","actor":"https://b.example/u","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, activitystreams.ErrTooDeep},
		"userinfo actor": {`{"id":"https://b.example/a","type":"Follow","actor":"https://evil@b.example/u"}`, activitystreams.ErrNoActor},
	} {
		if _, err := activitystreams.ParseActivity([]byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func TestActorFrom(t *testing.T) {
	m, err := activitystreams.ParseObject([]byte(`{"id":"https://b.example/users/bob","type":"Person",
		"preferredUsername":"bob","name":"Bob <script>x</script>","summary":"<p>Hi &amp; <b>bye</b></p><p>two</p>",
		"inbox":"https://b.example/users/bob/inbox","endpoints":{"sharedInbox":"https://b.example/inbox"},
		"url":[{"type":"Link","href":"https://b.example/@bob","mediaType":"text/html"}],
		"icon":{"type":"Image","url":"https://b.example/a.png"},
		"publicKey":[{"id":"https://b.example/users/bob#main-key","owner":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"},
		             {"id":"https://evil.example/k","owner":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----y"},
		             {"id":"https://b.example/users/eve#main-key","owner":"https://b.example/users/eve","publicKeyPem":"-----BEGIN PUBLIC KEY-----z"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := activitystreams.ActorFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Bob" || a.Summary != "Hi & bye\ntwo" || a.SharedInbox != "https://b.example/inbox" ||
		a.URL != "https://b.example/@bob" || a.Icon != "https://b.example/a.png" {
		t.Fatalf("actor %+v", a)
	}
	if len(a.Keys) != 1 || a.Keys[0].ID != "https://b.example/users/bob#main-key" {
		t.Fatalf("keys of another origin or owner must be dropped: %+v", a.Keys)
	}
	m["inbox"] = "https://evil.example/inbox"
	if _, err := activitystreams.ActorFrom(m); !errors.Is(err, activitystreams.ErrNotAnActor) {
		t.Fatalf("inbox on another host: %v", err)
	}
}

// TestActorKeys: an actor's keys are read from publicKey and from the
// Multikeys among its assertionMethods (FEP-521a), as Fedify publishes them:
// the main key twice under one id (kept once, as first listed), an Ed25519
// Multikey. Keys of another controller or origin, references and other
// verification methods are dropped.
func TestActorKeys(t *testing.T) {
	m, err := activitystreams.ParseObject([]byte(`{"id":"https://b.example/users/bob","type":"Person",
		"preferredUsername":"bob","inbox":"https://b.example/users/bob/inbox",
		"publicKey":{"id":"https://b.example/users/bob#main-key","type":"CryptographicKey","owner":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"},
		"assertionMethod":[
			{"id":"https://b.example/users/bob#main-key","type":"Multikey","controller":"https://b.example/users/bob","publicKeyMultibase":"zRSA"},
			{"id":"https://b.example/users/bob#key-2","type":"Multikey","controller":"https://b.example/users/bob","publicKeyMultibase":"z6Mk"},
			{"id":"https://b.example/users/bob#eve","type":"Multikey","controller":"https://b.example/users/eve","publicKeyMultibase":"z6Mk"},
			{"id":"https://evil.example/k","type":"Multikey","controller":"https://b.example/users/bob","publicKeyMultibase":"z6Mk"},
			{"id":"https://b.example/users/bob#jwk","type":"JsonWebKey","controller":"https://b.example/users/bob","publicKeyMultibase":"z6Mk"},
			{"id":"https://b.example/users/bob#empty","type":"Multikey","controller":"https://b.example/users/bob"},
			"https://b.example/users/bob#ref"]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := activitystreams.ActorFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []activitystreams.PublicKey{
		{ID: "https://b.example/users/bob#main-key", Owner: "https://b.example/users/bob", PEM: "-----BEGIN PUBLIC KEY-----x"},
		{ID: "https://b.example/users/bob#key-2", Owner: "https://b.example/users/bob", Multibase: "z6Mk"},
	}
	if len(a.Keys) != len(want) || a.Keys[0] != want[0] || a.Keys[1] != want[1] {
		t.Fatalf("keys %+v, want %+v", a.Keys, want)
	}
	if k, ok := a.Key("https://b.example/users/bob#key-2"); !ok || k != want[1] {
		t.Fatalf("Key(#key-2) = %+v, %v", k, ok)
	}
	if _, ok := a.Key("https://b.example/users/bob#eve"); ok {
		t.Fatal("Key finds a key the actor does not own")
	}

	// One Multikey, not in an array, is read too.
	m["assertionMethod"] = map[string]any{"id": "https://b.example/users/bob#ed", "type": "Multikey",
		"controller": "https://b.example/users/bob", "publicKeyMultibase": "z6Mk"}
	delete(m, "publicKey")
	if a, err = activitystreams.ActorFrom(m); err != nil || len(a.Keys) != 1 || a.Keys[0].Multibase != "z6Mk" {
		t.Fatalf("a lone Multikey: %+v %v", a, err)
	}

	// However many keys a document lists, a few are kept.
	var many []any
	for i := range 100 {
		many = append(many, map[string]any{"id": "https://b.example/users/bob#k" + strings.Repeat("x", i), "type": "Multikey",
			"controller": "https://b.example/users/bob", "publicKeyMultibase": "z6Mk"})
	}
	m["assertionMethod"] = many
	if a, err = activitystreams.ActorFrom(m); err != nil || len(a.Keys) == 0 || len(a.Keys) > 10 {
		t.Fatalf("100 keys listed, %d kept (%v)", len(a.Keys), err)
	}
}

// TestKeyFrom reads key documents of both forms: a CryptographicKey with
// its owner and PEM, and a Multikey with its controller and multibase value.
func TestKeyFrom(t *testing.T) {
	for name, c := range map[string]struct {
		doc  string
		want activitystreams.PublicKey
		ok   bool
	}{
		"CryptographicKey": {`{"id":"https://b.example/keys/1","type":"CryptographicKey","owner":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"}`,
			activitystreams.PublicKey{ID: "https://b.example/keys/1", Owner: "https://b.example/users/bob", PEM: "-----BEGIN PUBLIC KEY-----x"}, true},
		"untyped key": {`{"id":"https://b.example/keys/1","owner":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"}`,
			activitystreams.PublicKey{ID: "https://b.example/keys/1", Owner: "https://b.example/users/bob", PEM: "-----BEGIN PUBLIC KEY-----x"}, true},
		"Multikey": {`{"id":"https://b.example/keys/2","type":"Multikey","controller":"https://b.example/users/bob","publicKeyMultibase":"z6Mk"}`,
			activitystreams.PublicKey{ID: "https://b.example/keys/2", Owner: "https://b.example/users/bob", Multibase: "z6Mk"}, true},
		"Multikey with an owner, not a controller": {`{"id":"https://b.example/keys/2","type":"Multikey","owner":"https://b.example/users/bob","publicKeyMultibase":"z6Mk"}`,
			activitystreams.PublicKey{}, false},
		"Multikey with a PEM": {`{"id":"https://b.example/keys/2","type":"Multikey","controller":"https://b.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"}`,
			activitystreams.PublicKey{}, false},
		"key without owner": {`{"id":"https://b.example/keys/1","publicKeyPem":"-----BEGIN PUBLIC KEY-----x"}`, activitystreams.PublicKey{}, false},
	} {
		m, err := activitystreams.ParseObject([]byte(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		k, ok := activitystreams.KeyFrom(m)
		if ok != c.ok || (ok && k != c.want) {
			t.Errorf("%s: %+v %v, want %+v %v", name, k, ok, c.want, c.ok)
		}
	}
}

func TestSanitizeHTML(t *testing.T) {
	got := activitystreams.SanitizeHTML(`<p onclick="x()">Hi <a href="javascript:alert(1)">x</a> <a href="https://ok.example/">ok</a><script>alert(1)</script><img src=x onerror=alert(1)></p>`)
	for _, bad := range []string{"onclick", "javascript:", "<script", "<img", "onerror"} {
		if strings.Contains(got, bad) {
			t.Fatalf("sanitised HTML keeps %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, `href="https://ok.example/"`) || !strings.Contains(got, "nofollow") {
		t.Fatalf("safe link lost: %s", got)
	}
}

func TestContentNegotiation(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/activity+json": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/ld+json": true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": false,
		"application/json": false,
		`application/ld+json; profile="https://x.example"`: false,
		"": false,
	} {
		if got := activitystreams.WantsAS(accept); got != want {
			t.Errorf("WantsAS(%q) = %v, want %v", accept, got, want)
		}
	}
}
