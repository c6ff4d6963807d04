package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/spaces"
)

// ResolveHandle finds the remote actor user@host: WebFinger on host, then
// the actor document its self link names. As Mastodon does, it checks that the
// actor's own name and server WebFinger back to the same actor, so a server
// cannot pass one of its actors off as another server's.
func (f *Federation) ResolveHandle(ctx context.Context, username, host string) (*spaces.Account, error) {
	h, err := config.NormalizeHost(host)
	if err != nil || username == "" || strings.ContainsAny(username, "@/ ") {
		return nil, fmt.Errorf("%q@%q is not a handle", username, host)
	}
	if h == f.host {
		return f.spaces.LocalAccount(ctx, username)
	}
	if err := f.hostAllowed(ctx, h); err != nil {
		return nil, err
	}
	iri, err := f.webfingerSelf(ctx, username, h)
	if err != nil {
		return nil, err
	}
	a, err := f.ResolveActor(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(a.Domain, h) || !strings.EqualFold(a.Username, username) {
		back, err := f.webfingerSelf(ctx, a.Username, a.Domain)
		if err != nil || back != a.URI {
			return nil, errors.New("the actor does not WebFinger back to itself")
		}
	}
	return a, nil
}

// webfingerSelf asks host for acct:username@host and returns the IRI of its
// ActivityStreams self link. It speaks https; nodes that may reach private
// addresses (tests, a lab) fall back to http.
func (f *Federation) webfingerSelf(ctx context.Context, username, host string) (string, error) {
	q := url.Values{"resource": {"acct:" + username + "@" + host}}.Encode()
	schemes := []string{"https"}
	if f.cfg.Federation.AllowPrivateAddresses {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, scheme := range schemes {
		ctx, cancel := context.WithTimeout(ctx, f.cfg.Federation.DeliveryTimeout)
		body, err := f.client.Get(ctx, scheme+"://"+host+"/.well-known/webfinger?"+q, "application/jrd+json, application/json", nil)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		doc, err := activitystreams.ParseObject(body)
		if err != nil {
			return "", fmt.Errorf("webfinger %s@%s: %w", username, host, err)
		}
		links, _ := doc["links"].([]any)
		for _, l := range links {
			m, _ := l.(map[string]any)
			rel, _ := m["rel"].(string)
			typ, _ := m["type"].(string)
			if rel == "self" && activitystreams.IsASMediaType(typ) {
				if href := activitystreams.IRIOf(m["href"]); href != "" && activitystreams.Host(href) == strings.ToLower(host) {
					return href, nil
				}
			}
		}
		return "", fmt.Errorf("webfinger %s@%s: no ActivityStreams self link on that host", username, host)
	}
	return "", fmt.Errorf("webfinger %s@%s: %w", username, host, lastErr)
}
