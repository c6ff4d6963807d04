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

// PostIRI is the id of a post: a local one's from public_url, a remote one's
// as its server gave it.
func (f *Federation) PostIRI(p *spaces.Post) string {
	if p.URI != "" {
		return p.URI
	}
	return f.origin + "/posts/" + p.ID
}

// postURL is the page of a post: for a local one the same URL as its id
// (the web door serves the page there to browsers).
func (f *Federation) postURL(p *spaces.Post) string {
	if p.URI != "" {
		return p.URL
	}
	return f.origin + "/posts/" + p.ID
}

// contextIRI is the thread of a post (FEP-7888): the context a remote thread
// came with, or the collection this node serves for a thread it holds.
func (f *Federation) contextIRI(p *spaces.Post) string {
	if p.ContextURI != "" {
		return p.ContextURI
	}
	return f.origin + "/posts/" + p.ThreadID + "/context"
}

// fileURL is where the node serves a stored file to other servers.
func (f *Federation) fileURL(m *spaces.Media) string {
	if m.Path == "" {
		return m.URI
	}
	return f.origin + "/files/" + m.ID
}

// tagURL is the page of a hashtag or theme.
func (f *Federation) tagURL(tag string) string { return f.origin + "/tags/" + url.PathEscape(tag) }

// localPostID returns the id of the local post an IRI of this node names.
func (f *Federation) localPostID(iri string) (string, bool) {
	kind, id := f.localUsernameOf(iri)
	return id, kind == "posts" && id != ""
}
