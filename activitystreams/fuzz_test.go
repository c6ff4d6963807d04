package activitystreams_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/internal/xss"
)

// The inbox reads whatever any server sends. These targets feed the readers
// documents of this node and of other servers, broken and hostile ones, and
// check what the rest of the node relies on in what they accept: ids that
// are absolute http(s) IRIs, authors and keys on the document's own origin,
// HTML that cannot run anything.

// foreignDocuments are documents as other servers write them, with the
// quirks the readers must take: arrays where one value is usual, embedded
// objects, language maps, as:Public spelt short.
var foreignDocuments = []string{
	// Mastodon: a Create with its Note embedded, a mention and a hashtag
	`{"@context":["https://www.w3.org/ns/activitystreams",{"sensitive":"as:sensitive"}],"id":"https://m.example/users/ann/statuses/1/activity","type":"Create","actor":"https://m.example/users/ann","published":"2026-01-02T03:04:05Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://m.example/users/ann/followers"],"object":{"id":"https://m.example/users/ann/statuses/1","type":"Note","summary":"cw: food","sensitive":true,"inReplyTo":null,"attributedTo":"https://m.example/users/ann","content":"<p><span class=\"h-card\"><a href=\"https://r.example/users/bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://m.example/tags/Lyon\" class=\"mention hashtag\" rel=\"tag\">#<span>Lyon</span></a></p>","contentMap":{"fr":"<p>salut</p>"},"tag":[{"type":"Mention","href":"https://r.example/users/bob","name":"@bob@r.example"},{"type":"Hashtag","href":"https://m.example/tags/lyon","name":"#Lyon"}],"attachment":[{"type":"Document","mediaType":"image/png","url":"https://m.example/media/1.png","name":"a <b>cat</b>"}]}}`,
	// Lemmy: a Page in a community, url as a Link, audience and as:Public spelt short
	`{"id":"https://l.example/post/9","type":"Page","attributedTo":["https://l.example/u/dan"],"name":"A thread","content":"<p>body</p>","mediaType":"text/html","source":{"content":"body","mediaType":"text/markdown"},"audience":"https://l.example/c/cantines","to":["https://l.example/c/cantines","as:Public"],"url":[{"type":"Link","href":"https://l.example/post/9","mediaType":"text/html"}],"published":"2026-01-02T03:04:05+01:00"}`,
	// Misskey-like: a type array, tag as one object, quote fields
	`{"id":"https://k.example/notes/a1","type":["Note","ex:Extra"],"attributedTo":{"id":"https://k.example/users/x","type":"Person"},"content":"<p>hi <a href=\"https://k.example/@y\">@y</a></p>","_misskey_content":"hi @y","quoteUrl":"https://k.example/notes/a0","tag":{"type":"Hashtag","name":"#Ruche"}}`,
	// An Undo of a Follow, embedded
	`{"id":"https://m.example/users/ann#follows/3/undo","type":"Undo","actor":"https://m.example/users/ann","object":{"id":"https://m.example/f/3","type":"Follow","actor":"https://m.example/users/ann","object":"https://ruche.example/spaces/cantines"}}`,
	// GoToSocial-like actor: publicKey as an array, a Multikey in assertionMethod, icon as an Image
	`{"id":"https://g.example/users/eve","type":"Person","preferredUsername":"eve","name":"Eve <b>E</b>","summary":"<p>bio</p><script>x</script>","inbox":"https://g.example/users/eve/inbox","outbox":"https://g.example/users/eve/outbox","followers":"https://g.example/users/eve/followers","endpoints":{"sharedInbox":"https://g.example/inbox"},"url":"https://g.example/@eve","icon":{"type":"Image","mediaType":"image/png","url":"https://g.example/a.png"},"manuallyApprovesFollowers":true,"publicKey":[{"id":"https://g.example/users/eve#main-key","owner":"https://g.example/users/eve","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}],"assertionMethod":[{"id":"https://g.example/users/eve#ed25519-key","type":"Multikey","controller":"https://g.example/users/eve","publicKeyMultibase":"z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}]}`,
	// A Group (a space) with what Ruche adds to it
	`{"id":"https://ruche.example/spaces/cantines","type":"Group","preferredUsername":"cantines","inbox":"https://ruche.example/spaces/cantines/inbox","visibility":"members","joinPolicy":"approval","postingRestrictedToMods":true}`,
}

// hostileDocuments try the checks one by one: ids that are not http(s)
// IRIs, another origin's author, inbox or key, deep nesting, wrong types.
var hostileDocuments = []string{
	`{"id":"javascript:alert(1)","type":"Note","attributedTo":"javascript:alert(1)","content":"x"}`,
	`{"id":"https://a.example/n/1","type":"Note","attributedTo":"https://b.example/u/x","content":"x"}`,
	`{"id":"https://u:p@a.example/n/1","type":"Note","attributedTo":"https://u:p@a.example/u","content":"x"}`,
	`{"id":"//a.example/n/1","type":"Note","attributedTo":"//a.example/u","content":"x"}`,
	`{"id":"HTTPS://A.EXAMPLE/n/1","type":"Note","attributedTo":"https://a.example/u","content":"<a href=\"java\tscript:x\">x</a>"}`,
	`{"id":"https://a.example/n/1","type":"Note","attributedTo":"https://a.example/u","content":{"x":1},"contentMap":{"en":7,"../../x":"y","e":"z"}}`,
	`{"id":"https://a.example/n/1","type":"Article","attributedTo":"https://a.example/u","name":"<script>x</script>T","summary":"&lt;script&gt;","content":"<p>T</p>x","url":"javascript:alert(1)","attachment":[{"type":"Image","url":"data:image/png;base64,AA"}]}`,
	`{"id":"https://a.example/users/m","type":"Person","preferredUsername":"m","inbox":"https://b.example/inbox","publicKey":{"id":"https://b.example/k","owner":"https://a.example/users/m","publicKeyPem":"-----BEGIN x"}}`,
	`{"id":"https://a.example/users/m","type":"Person","preferredUsername":"m@b.example","inbox":"https://a.example/inbox"}`,
	`{"id":"https://a.example/a/1","type":"Create","actor":["https://a.example/u/1","https://b.example/u/2"],"object":"https://a.example/n/1"}`,
	`{"id":"https://a.example/a/1","type":"Delete","actor":{"id":"https://a.example/u/1"},"object":[{"id":"https://a.example/n/1"}],"to":"as:Public","cc":[null,1,"Public",{"id":"x"}]}`,
	`{"id":1e999,"type":true,"actor":null}`,
	`{"a":` + strings.Repeat(`[`, activitystreams.MaxDepth+1) + strings.Repeat(`]`, activitystreams.MaxDepth+1) + `}`,
	`{"id":"https://a.example/1","type":"Note","content":"\"[{"}`,
	`{"id":"https://a.example/1"}{"id":"https://a.example/2"}`,
	`[{"id":"https://a.example/1"}]`,
	`{"id":"https://a.example/1","id":"javascript:x","type":"Note"}`,
	"{\"id\":\"https://a.example/1\",\"type\":\"Note\",\"content\":\"\xff\xfe\"}",
	`[1,2,3]`, `{"a":"\"{{{{"}`, `{"id":`, `null`, `"str"`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
}

// addSeeds gives a fuzz target the node's own documents (testdata), other
// servers' documents, hostile ones, and a post carrying each payload of the
// injection corpus in each of its text fields.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed documents in testdata: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, d := range append(slices.Clone(foreignDocuments), hostileDocuments...) {
		f.Add([]byte(d))
	}
	for _, p := range xss.Payloads {
		b, _ := json.Marshal(map[string]any{
			"id": "https://a.example/n/1", "type": "Article", "attributedTo": "https://a.example/u/x",
			"name": p, "summary": p, "content": p, "contentMap": map[string]any{"fr": p, "en": "<p>" + p + "</p>"},
			"url": p, "attachment": map[string]any{"type": "Document", "url": "https://a.example/f", "name": p},
		})
		f.Add(b)
	}
}

// FuzzParseActivity: a received activity is taken only with an id, a type
// and one actor that are absolute http(s) IRIs; every IRI read from it is
// one too, and the document never nests deeper than MaxDepth.
func FuzzParseActivity(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := activitystreams.ParseActivity(body)
		if err != nil {
			return
		}
		if d := depth(in.Raw); d > activitystreams.MaxDepth {
			t.Fatalf("a document nesting %d levels was parsed", d)
		}
		if in.Type == "" {
			t.Fatal("an activity without a type was taken")
		}
		mustIRI(t, "id", in.ID)
		mustIRI(t, "actor", in.Actor)
		mayIRI(t, "object", in.Object.ID)
		mayIRI(t, "object's actor", in.Object.Actor)
		mayIRI(t, "object's object", in.Object.Object)
		mayIRI(t, "target", in.Target)
		for _, a := range slices.Concat(in.To, in.Cc) {
			mustAudience(t, a)
		}
	})
}

// FuzzObjectFrom: whatever a server sends as a post, reading it never
// panics, and what is kept is a post of the object's own server whose every
// IRI is absolute http(s), whose HTML cannot run or load anything and is
// left as it is by a second pass of the sanitiser, and whose plain fields
// are as the node stores them.
func FuzzObjectFrom(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := activitystreams.ParseObject(body)
		if err != nil {
			return
		}
		o, err := activitystreams.ObjectFrom(m)
		if err != nil {
			return
		}
		mustIRI(t, "id", o.ID)
		if !activitystreams.PostTypes[o.Type] || o.Article != (o.Type == "Article" || o.Type == "Page") || (o.Poll != nil) != (o.Type == "Question") {
			t.Fatalf("type %q taken (article: %v)", o.Type, o.Article)
		}
		if !activitystreams.SameOrigin(o.AttributedTo, o.ID) {
			t.Fatalf("author %q is not on the origin of %q", o.AttributedTo, o.ID)
		}
		for name, v := range map[string]string{"url": o.URL, "context": o.Context, "inReplyTo": o.InReplyTo} {
			mayIRI(t, name, v)
		}
		for _, v := range slices.Concat(o.To, o.Cc, o.Audience) {
			mustAudience(t, v)
		}
		for _, v := range o.Mentions {
			mustIRI(t, "mention", v)
		}
		if len(o.Attachments) > activitystreams.MaxAttachments {
			t.Fatalf("%d attachments kept", len(o.Attachments))
		}
		for _, a := range o.Attachments {
			mustIRI(t, "attachment", a.URL)
		}
		for _, h := range o.Hashtags {
			if h == "" || h != strings.ToLower(h) || strings.HasPrefix(h, "#") {
				t.Fatalf("hashtag %q kept", h)
			}
		}
		if (o.Warning != "" && !o.Sensitive) || (o.Article && o.Warning != "") {
			t.Fatalf("warning %q, sensitive %v, article %v", o.Warning, o.Sensitive, o.Article)
		}
		checkTexts(t, o)
	})
}

var language = regexp.MustCompile(`^[a-z]{2,3}$`)

// checkTexts checks the texts of a post: at least one, each in its own
// language, with a body of safe, stable HTML.
func checkTexts(t *testing.T, o *activitystreams.RemoteObject) {
	if len(o.Texts) == 0 {
		t.Fatal("a post without text was taken")
	}
	seen := map[string]bool{}
	for i, tx := range o.Texts {
		if tx.Language != "" && !language.MatchString(tx.Language) || tx.Language == "" && i > 0 || seen[tx.Language] {
			t.Fatalf("text %d has language %q (texts: %+v)", i, tx.Language, o.Texts)
		}
		seen[tx.Language] = true
		if tx.Body == "" {
			t.Fatalf("text %d is empty", i)
		}
		if bad := xss.Unsafe(tx.Body); bad != "" {
			t.Fatalf("the body keeps %s: %q", bad, tx.Body)
		}
		if again := strings.TrimSpace(activitystreams.SanitizeHTML(tx.Body)); again != tx.Body {
			t.Fatalf("sanitising the body again changes it:\n%q\n%q", tx.Body, again)
		}
		if !o.Article && (tx.Title != "" || tx.Summary != "") {
			t.Fatalf("a note keeps a title or summary: %+v", tx)
		}
	}
}

// FuzzActorFrom: an actor is taken only with an absolute http(s) id, an
// actor type, a preferredUsername that is a plain name and an inbox on its
// own origin; the keys kept are the actor's own, on its origin, one per id.
func FuzzActorFrom(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := activitystreams.ParseObject(body)
		if err != nil {
			return
		}
		a, err := activitystreams.ActorFrom(m)
		if err != nil {
			return
		}
		mustIRI(t, "id", a.ID)
		if !activitystreams.ActorTypes[a.Type] {
			t.Fatalf("type %q taken for an actor", a.Type)
		}
		if a.PreferredUsername == "" || strings.ContainsAny(a.PreferredUsername, "@/ \t\r\n") {
			t.Fatalf("preferredUsername %q taken", a.PreferredUsername)
		}
		mustIRI(t, "inbox", a.Inbox)
		if !activitystreams.SameOrigin(a.Inbox, a.ID) || a.SharedInbox != "" && !activitystreams.SameOrigin(a.SharedInbox, a.ID) {
			t.Fatalf("inbox %q or shared inbox %q off the origin of %q", a.Inbox, a.SharedInbox, a.ID)
		}
		for name, v := range map[string]string{"outbox": a.Outbox, "followers": a.Followers, "following": a.Following, "url": a.URL, "icon": a.Icon} {
			mayIRI(t, name, v)
		}
		ids := map[string]bool{}
		for _, k := range a.Keys {
			if k.Owner != a.ID || !activitystreams.SameOrigin(k.ID, a.ID) || ids[k.ID] || (k.PEM == "") == (k.Multibase == "") {
				t.Fatalf("key %+v kept for %q (keys: %+v)", k, a.ID, a.Keys)
			}
			ids[k.ID] = true
		}
		if len(a.Keys) > 8 {
			t.Fatalf("%d keys kept", len(a.Keys))
		}
	})
}

// mustIRI fails unless v is an absolute http(s) IRI without credentials.
func mustIRI(t *testing.T, what, v string) {
	t.Helper()
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		t.Fatalf("%s %q is not an absolute http(s) IRI", what, v)
	}
}

// mustAudience is mustIRI for an addressee, which may also be as:Public.
func mustAudience(t *testing.T, v string) {
	t.Helper()
	if v != activitystreams.Public {
		mustIRI(t, "addressee", v)
	}
}

// mayIRI is mustIRI for an optional value.
func mayIRI(t *testing.T, what, v string) {
	t.Helper()
	if v != "" {
		mustIRI(t, what, v)
	}
}

// depth is how deep a decoded JSON value nests, counting objects and arrays.
func depth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	}
	return 0
}
