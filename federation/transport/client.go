package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned when a request would reach an address the
// node must not talk to: loopback, private, link-local, multicast and the
// like. The check runs when the connection is dialled, on the address the name
// resolved to, so a name that resolves to 127.0.0.1 (or is rebound to it
// between two lookups) is refused just the same.
var ErrForbiddenAddress = errors.New("refusing to connect to a non-public address")

// ErrTooLarge is returned when a response body exceeds the limit.
var ErrTooLarge = errors.New("response body too large")

// maxRedirects bounds the redirects a request follows; each new target is
// dialled through the same guard.
const maxRedirects = 3

// ClientOptions configure the guarded client.
type ClientOptions struct {
	// AllowPrivate lets requests reach non-public addresses: for tests on
	// loopback only (config federation.allow_private_addresses).
	AllowPrivate bool
	// Timeout bounds a whole request, body included.
	Timeout   time.Duration
	UserAgent string
	// Allow, when set, is asked before each request, with its context: an
	// error refuses the request. The protocol refuses the requests made
	// while a transaction of the queue's holds the database.
	Allow func(ctx context.Context) error
}

// Client is the one HTTP client for every request to other servers.
type Client struct {
	http      *http.Client
	userAgent string
	allow     func(ctx context.Context) error
}

// NewClient returns a guarded client.
func NewClient(o ClientOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = guardDial
	}
	transport := &http.Transport{
		Proxy:                  nil, // never through a proxy from the environment: it would bypass the guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  o.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Client{
		userAgent: o.UserAgent,
		allow:     o.Allow,
		http: &http.Client{
			Transport: transport,
			Timeout:   o.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return fmt.Errorf("stopped after %d redirects", maxRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
				}
				return nil
			},
		},
	}
}

// guardDial refuses connections to non-public addresses. It sees the address
// after name resolution, just before the socket connects.
func guardDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !IsPublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// nonPublic are the ranges netip's predicates do not cover that are still
// not the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated): [::7f00:1] is 127.0.0.1 to some stacks
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated: embeds an IPv4 address
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may embed any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("100::/64"),        // discard
}

// IsPublicAddr tells whether the node may connect to a.
func IsPublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Do sends req with the node's User-Agent.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if c.allow != nil {
		if err := c.allow(req.Context()); err != nil {
			return nil, err
		}
	}
	req.Header.Set("User-Agent", c.userAgent)
	return c.http.Do(req)
}

// ReadBody reads at most max bytes of a response body; more is ErrTooLarge.
func ReadBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

// MaxFetchBody bounds a remote document the client reads: past it, the
// answer is not read (ErrTooLarge).
const MaxFetchBody = 1 << 20

// Get fetches url with the given Accept header, signed by sign when not nil,
// and returns the body if the status is 200.
func (c *Client) Get(ctx context.Context, url, accept string, sign func(*http.Request) error) ([]byte, error) {
	return c.GetN(ctx, url, accept, sign, MaxFetchBody)
}

// Open fetches url like Get but hands over the body of a 200 answer unread,
// for the caller to stream (and bound) and close.
func (c *Client) Open(ctx context.Context, url, accept string, sign func(*http.Request) error) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if sign != nil {
		if err := sign(req); err != nil {
			return nil, err
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, &StatusError{URL: url, Status: resp.StatusCode}
	}
	return resp.Body, nil
}

// GetN is Get with its own bound on the body: ErrTooLarge past max bytes.
func (c *Client) GetN(ctx context.Context, url, accept string, sign func(*http.Request) error, max int64) ([]byte, error) {
	body, err := c.Open(ctx, url, accept, sign)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return ReadBody(body, max)
}

// StatusError is a remote answer other than the one expected.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: status %d", e.URL, e.Status) }

// StatusOf returns the HTTP status of a StatusError, or 0.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}
