package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, xff, want string
	}{
		{"192.0.2.7:5555", "", "192.0.2.7"},
		{"192.0.2.7:5555", "203.0.113.9", "192.0.2.7"},             // untrusted peer: its header is ignored
		{"127.0.0.1:5555", "203.0.113.9", "203.0.113.9"},           // our proxy says who connected
		{"127.0.0.1:5555", "6.6.6.6, 203.0.113.9", "203.0.113.9"},  // the client's own claim is not believed
		{"127.0.0.1:5555", "203.0.113.9, 10.1.2.3", "203.0.113.9"}, // two proxies of ours
		{"127.0.0.1:5555", "garbage", "127.0.0.1"},
		{"[::ffff:127.0.0.1]:80", "198.51.100.1", "198.51.100.1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := ClientIP(r, trusted); got != c.want {
			t.Errorf("remote %s xff %q: got %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
