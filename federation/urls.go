package federation

import (
	"net/url"
	"strings"

	"github.com/ruche-social/ruche/spaces"
)

// The node's IRIs (DESIGN §2): members at /users/{name}, spaces at
// /spaces/{slug}, the node itself at /actor, activities at /activities/{id}.

// ActorIRI is the id of an account: a local one's from public_url, a remote
// one's as its server gave it.
func (f *Federation) ActorIRI(a *spaces.Account) string {
	if !a.IsLocal() {
		return a.URI
	}
	switch a.Type {
	case spaces.TypeApplication:
		return f.origin + "/actor"
	case spaces.TypeGroup:
		return f.origin + "/spaces/" + url.PathEscape(a.Username)
	}
	return f.origin + "/users/" + url.PathEscape(a.Username)
}

// FollowersIRI is the followers collection of an account.
func (f *Federation) FollowersIRI(a *spaces.Account) string {
	if !a.IsLocal() {
		return a.FollowersURI
	}
	return f.ActorIRI(a) + "/followers"
}

// keyID is the id of a local actor's key.
func (f *Federation) keyID(a *spaces.Account) string { return f.ActorIRI(a) + "#main-key" }

// ActivityIRI is the id of an activity the node sends.
func (f *Federation) ActivityIRI(id string) string { return f.origin + "/activities/" + id }

// profileURL is the HTML page of a local account (the web door serves it).
func (f *Federation) profileURL(a *spaces.Account) string {
	switch a.Type {
	case spaces.TypeApplication:
		return f.origin + "/"
	case spaces.TypeGroup:
		return f.origin + "/spaces/" + url.PathEscape(a.Username)
	}
	return f.origin + "/@" + url.PathEscape(a.Username)
}

// localAccountOf returns the local account an IRI of this node names (an
// actor's id), or nil.
func (f *Federation) localUsernameOf(iri string) (kind, name string) {
	rest, ok := strings.CutPrefix(iri, f.origin+"/")
	if !ok {
		return "", ""
	}
	if rest == "actor" {
		return "actor", InstanceUsername
	}
	kind, name, ok = strings.Cut(rest, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", ""
	}
	name, err := url.PathUnescape(name)
	if err != nil {
		return "", ""
	}
	return kind, name
}

// inboxOf returns where to deliver to a remote account: its shared inbox
// when shared is set and it has one, else its own.
func inboxOf(a *spaces.Account, shared bool) string {
	if shared && a.SharedInboxURI != "" {
		return a.SharedInboxURI
	}
	return a.InboxURI
}
