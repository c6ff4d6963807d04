package federation_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestGuardedClient: with private addresses not allowed, the client refuses
// loopback, link-local (cloud metadata), IPv6 loopback and a name that
// resolves to loopback — at dial time, so no connection is made.
func TestGuardedClient(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	c := transport.NewClient(transport.ClientOptions{Timeout: 2 * time.Second, UserAgent: "test"})
	for _, target := range []string{
		srv.URL,
		"http://localhost:" + port,
		"http://[::1]:" + port,
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/",
		"http://0.0.0.0:" + port,
	} {
		_, err := c.Get(context.Background(), target, "application/activity+json", nil)
		if !errors.Is(err, transport.ErrForbiddenAddress) {
			t.Errorf("%s: got %v, want the address refused", target, err)
		}
	}
	// A redirect from an allowed server to a forbidden one is caught at the
	// redirect's dial too: the same guard applies to every connection.
	redirecting := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirecting.Close()
	open := transport.NewClient(transport.ClientOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	if _, err := open.Get(context.Background(), redirecting.URL, "*/*", nil); err != nil {
		t.Fatalf("with private addresses allowed: %v", err)
	}
	if hits != 1 {
		t.Fatalf("the guarded client reached the server %d times", hits-1)
	}
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "::1": false, "169.254.169.254": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "100.64.0.1": false, "fd00::1": false, "fe80::1": false, "::ffff:127.0.0.1": false,
		"64:ff9b::7f00:1": false, "::7f00:1": false, "::a00:1": false, "::ffff:0:7f00:1": false, "224.0.0.1": false, "0.0.0.0": false, "255.255.255.255": false,
		"93.184.216.34": true, "2606:2800:220:1::1": true,
	} {
		if got := transport.IsPublicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("transport.IsPublicAddr(%s) = %v", addr, got)
		}
	}
}

// TestInboxRefusesPrivateKeyFetch: a node that may not reach private
// addresses cannot fetch the key of a sender on loopback, so a signed
// activity from there is refused and nothing is stored. The answer says the
// key could not be obtained, and nothing of why: the fetch's error (an
// address, a refused port) would make the inbox a probe of the network.
func TestInboxRefusesPrivateKeyFetch(t *testing.T) {
	a := nodetest.New(t, db.SQLite, func(c *config.Config, _ *node.Options) { c.Federation.AllowPrivateAddresses = false })
	b := nodetest.New(t, db.SQLite)
	a.Member(t, "alice", spaces.RoleMember)
	b.Member(t, "bob", spaces.RoleMember)
	bob := senderOf(t, b, "bob")
	got, answer := bob.send(t, a.URL+"/users/alice/inbox", activity(b.URL+"/activities/1", "Follow", bob.actor, a.URL+"/users/alice"), time.Now(), nil)
	if got != http.StatusUnauthorized || strings.TrimSpace(answer) != "the signing key cannot be obtained" {
		t.Fatalf("answer %d %q, want 401 saying only that the key cannot be obtained", got, answer)
	}
	if n := count(t, a, "inbox_items") + count(t, a, "keys"); n != 2 { // alice's and the node's own keys
		t.Fatalf("something was stored: %d rows", n)
	}
}
