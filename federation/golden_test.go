package federation_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/golden"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestGoldenDiscovery pins the documents other servers read first: WebFinger,
// host-meta, NodeInfo and the actor. The node's address, keys, dates and
// version vary from run to run and are replaced by placeholders.
func TestGoldenDiscovery(t *testing.T) {
	a := nodetest.New(t, db.SQLite)
	alice := a.Member(t, "alice", spaces.RoleMember)
	bio, locked := "Cheffe de projet numérique\nVille A", true
	a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{Bio: &bio, Locked: &locked})

	normalize := func(b []byte) []byte {
		s := strings.ReplaceAll(string(b), a.URL, "https://node.example")
		s = strings.ReplaceAll(s, host(a), "node.example")
		s = regexp.MustCompile(`-----BEGIN PUBLIC KEY-----[^"]*-----END PUBLIC KEY-----\\n`).ReplaceAllString(s, "PEM")
		s = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`).ReplaceAllString(s, `"DATE"`)
		s = regexp.MustCompile(`("repository": "[^"]*",\s*"version": )"[^"]*"`).ReplaceAllString(s, `$1"VERSION"`)
		return []byte(s)
	}
	get := func(path, accept string) []byte {
		req, _ := http.NewRequest(http.MethodGet, a.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(path, "webfinger") || strings.Contains(path, "nodeinfo") || strings.Contains(path, "host-meta") {
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("GET %s: no CORS header", path)
			}
		}
		var v any
		if json.Unmarshal(body, &v) == nil {
			body, _ = json.MarshalIndent(v, "", "  ")
			body = append(body, '\n')
		}
		return normalize(body)
	}
	golden.Bytes(t, "webfinger.json", get("/.well-known/webfinger?resource=acct:Alice@"+host(a), "application/jrd+json"))
	golden.Bytes(t, "host-meta.xml", get("/.well-known/host-meta", "*/*"))
	golden.Bytes(t, "host-meta.json", get("/.well-known/host-meta.json", "*/*"))
	golden.Bytes(t, "nodeinfo-links.json", get("/.well-known/nodeinfo", "*/*"))
	golden.Bytes(t, "nodeinfo.json", get("/nodeinfo/2.1", "*/*"))
	golden.Bytes(t, "actor-person.json", get("/users/alice", "application/activity+json"))
	golden.Bytes(t, "actor-instance.json", get("/actor", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`))
	golden.Bytes(t, "followers.json", get("/users/alice/followers", "application/activity+json"))

	// Unknown names are 404; browsers are sent to the profile page.
	for _, res := range []string{"acct:nobody@" + host(a), "acct:alice@other.example", "https://other.example/users/alice"} {
		resp, _ := http.Get(a.URL + "/.well-known/webfinger?resource=" + res)
		if resp.StatusCode != 404 {
			t.Errorf("webfinger %s: %d", res, resp.StatusCode)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/users/Alice", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/@alice" || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Fatalf("browser on /users/Alice: %v %v", resp, err)
	}
}
