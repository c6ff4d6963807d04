package activitystreams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxDepth bounds the nesting of a document the node parses: legitimate
// activities nest a few levels (Undo → Follow → actor); a deeply nested one
// is an attack on the parser.
const MaxDepth = 24

// Parse errors, for the inbox to answer with the right status.
var (
	ErrNotJSON    = errors.New("the body is not JSON")
	ErrNotObject  = errors.New("the document is not a JSON object")
	ErrTooDeep    = fmt.Errorf("the document nests deeper than %d levels", MaxDepth)
	ErrNoID       = errors.New("the document has no valid id")
	ErrNoType     = errors.New("the document has no type")
	ErrNoActor    = errors.New("the activity has no single valid actor")
	ErrNotAnActor = errors.New("the document is not an actor")
)

// ParseObject parses a JSON document that must be one object, no deeper than
// MaxDepth.
func ParseObject(body []byte) (map[string]any, error) {
	if err := checkDepth(body, MaxDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, ErrNotJSON
	}
	if dec.More() {
		return nil, ErrNotJSON
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotObject
	}
	return m, nil
}

// checkDepth scans body for brackets outside strings and fails once they nest
// deeper than max, before any decoder builds the values.
func checkDepth(body []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// Incoming is an activity received from another server, with the fields the
// node acts on; Raw keeps the whole document.
type Incoming struct {
	ID     string
	Type   string
	Actor  string
	Object Ref
	Target string
	To, Cc []string
	Raw    map[string]any
}

// Ref is the object of an activity: an IRI, or an embedded document of which
// the node reads the id, the type and — for an embedded activity, such as the
// Follow inside an Undo or an Accept — its actor and object.
type Ref struct {
	ID       string
	Type     string
	Actor    string
	Object   string
	Embedded map[string]any // nil when the object was given by IRI
}

// ParseActivity parses and checks the shape of a received activity: a JSON
// object with an id, a type and one actor, each an absolute http(s) IRI.
func ParseActivity(body []byte) (*Incoming, error) {
	m, err := ParseObject(body)
	if err != nil {
		return nil, err
	}
	return ActivityFrom(m)
}

// ActivityFrom reads an activity from a parsed document.
func ActivityFrom(m map[string]any) (*Incoming, error) {
	in := &Incoming{Raw: m}
	if in.ID = IRIOf(m["id"]); in.ID == "" {
		return nil, ErrNoID
	}
	if in.Type = TypeOf(m); in.Type == "" {
		return nil, ErrNoType
	}
	actors := IRIs(m["actor"])
	if len(actors) != 1 {
		return nil, ErrNoActor
	}
	in.Actor = actors[0]
	in.Object = RefOf(m["object"])
	if t := IRIs(m["target"]); len(t) == 1 {
		in.Target = t[0]
	}
	in.To, in.Cc = IRIs(m["to"]), IRIs(m["cc"])
	return in, nil
}

// RefOf reads an object reference: an IRI, an embedded document, or a
// one-element array of either.
func RefOf(v any) Ref {
	if arr, ok := v.([]any); ok {
		if len(arr) != 1 {
			return Ref{}
		}
		v = arr[0]
	}
	switch o := v.(type) {
	case string:
		return Ref{ID: IRIOf(o)}
	case map[string]any:
		r := Ref{ID: IRIOf(o["id"]), Type: TypeOf(o), Embedded: o}
		if a := IRIs(o["actor"]); len(a) == 1 {
			r.Actor = a[0]
		}
		if obj := RefOf(o["object"]); obj.ID != "" {
			r.Object = obj.ID
		}
		return r
	}
	return Ref{}
}

// TypeOf returns a document's type: the type string, or the first string of a
// type array.
func TypeOf(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// IRIOf returns v as an absolute http(s) IRI, or "" when it is not one. An
// object with an id stands for its id.
func IRIOf(v any) string {
	switch s := v.(type) {
	case string:
		if u, err := url.Parse(s); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil {
			return s
		}
	case map[string]any:
		return IRIOf(s["id"])
	}
	return ""
}

// IRIs reads a property that holds one IRI or several (strings or objects
// with ids), dropping what is not an IRI. as:Public is kept in whichever of
// its spellings (as:Public, Public) normalised to its full IRI.
func IRIs(v any) []string {
	var out []string
	add := func(x any) {
		if s, ok := x.(string); ok && (s == "as:Public" || s == "Public") {
			out = append(out, Public)
			return
		}
		if s := IRIOf(x); s != "" {
			out = append(out, s)
		}
	}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			add(x)
		}
	} else if v != nil {
		add(v)
	}
	return out
}

// Host is the host (with port) of an IRI, lowercased; "" if it has none.
func Host(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// SameOrigin tells whether two IRIs share scheme and host.
func SameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" &&
		strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// RemoteActor is what the node keeps of another server's actor.
type RemoteActor struct {
	ID                        string
	Type                      string
	PreferredUsername         string
	Name                      string // plain text
	Summary                   string // plain text, from sanitised HTML
	URL                       string
	Icon                      string
	Inbox                     string
	SharedInbox               string
	Outbox                    string
	Followers                 string
	Following                 string
	ManuallyApprovesFollowers bool
	Keys                      []PublicKey // only keys owned by the actor, on its host; one per id

	// Groups: what a space announces of itself (Ruche's terms, Lemmy's
	// postingRestrictedToMods); empty for other servers' groups.
	Visibility              string
	JoinPolicy              string
	PostingRestrictedToMods bool
	// Tools are the tools a Ruche space has on; nil when it does not say.
	Tools []string
	// DocumentAdding is who adds a Ruche space's documents; "" when it
	// does not say.
	DocumentAdding string
}

// ActorTypes are the types of documents the node takes for actors.
var ActorTypes = map[string]bool{"Person": true, "Group": true, "Application": true, "Service": true, "Organization": true}

// ActorFrom reads an actor document. The inbox and the keys must live on the
// actor's own origin: a document cannot lend itself another server's key.
func ActorFrom(m map[string]any) (*RemoteActor, error) {
	a := &RemoteActor{ID: IRIOf(m["id"]), Type: TypeOf(m)}
	if a.ID == "" {
		return nil, ErrNoID
	}
	if !ActorTypes[a.Type] {
		return nil, ErrNotAnActor
	}
	a.PreferredUsername, _ = m["preferredUsername"].(string)
	if a.PreferredUsername == "" || len(a.PreferredUsername) > 200 || strings.ContainsAny(a.PreferredUsername, "@/ \t\r\n") {
		return nil, fmt.Errorf("%w: no valid preferredUsername", ErrNotAnActor)
	}
	name, _ := m["name"].(string)
	a.Name = PlainText(name)
	summary, _ := m["summary"].(string)
	a.Summary = PlainText(summary)
	a.Inbox = IRIOf(m["inbox"])
	if a.Inbox == "" || !SameOrigin(a.Inbox, a.ID) {
		return nil, fmt.Errorf("%w: no inbox on the actor's origin", ErrNotAnActor)
	}
	if ep, ok := m["endpoints"].(map[string]any); ok {
		if si := IRIOf(ep["sharedInbox"]); si != "" && SameOrigin(si, a.ID) {
			a.SharedInbox = si
		}
	}
	a.Outbox = IRIOf(m["outbox"])
	a.Followers = IRIOf(m["followers"])
	a.Following = IRIOf(m["following"])
	a.URL = urlOf(m["url"])
	if icon := RefOf(m["icon"]); icon.Embedded != nil {
		a.Icon = urlOf(icon.Embedded["url"])
	}
	a.ManuallyApprovesFollowers, _ = m["manuallyApprovesFollowers"].(bool)
	a.Keys = keysOf(a.ID, m["publicKey"], m["assertionMethod"])
	if a.Type == "Group" {
		a.Visibility, _ = m["visibility"].(string)
		a.JoinPolicy, _ = m["joinPolicy"].(string)
		a.PostingRestrictedToMods, _ = m["postingRestrictedToMods"].(bool)
		a.DocumentAdding, _ = m["documentAdding"].(string)
		if list, ok := m["tools"].([]any); ok {
			a.Tools = []string{}
			for _, v := range list {
				if s, ok := v.(string); ok && len(a.Tools) < 20 {
					a.Tools = append(a.Tools, s)
				}
			}
		}
	}
	return a, nil
}

// urlOf reads a url property: an IRI, a Link object (href), or an array of
// them, preferring an HTML page.
func urlOf(v any) string {
	var first string
	var visit func(x any) string
	visit = func(x any) string {
		switch o := x.(type) {
		case string:
			return IRIOf(o)
		case map[string]any:
			href := IRIOf(o["href"])
			if href == "" {
				href = IRIOf(o["url"])
			}
			if mt, _ := o["mediaType"].(string); mt == "text/html" && href != "" {
				return href
			}
			if first == "" {
				first = href
			}
		case []any:
			for _, y := range o {
				if s := visit(y); s != "" {
					if first == "" {
						first = s
					}
				}
			}
		}
		return ""
	}
	if s := visit(v); s != "" {
		return s
	}
	return first
}

// maxActorKeys bounds the keys kept of one actor document: servers publish
// one or two (an RSA key, an Ed25519 Multikey), and each kept key is a row
// written every time the actor is stored.
const maxActorKeys = 8

// keysOf reads the keys an actor publishes: its publicKey property (one key
// or several) and the Multikeys among its assertionMethods (FEP-521a; a
// reference to a key described elsewhere is skipped, its value being in
// another document). Only keys that the actor owns and that live on its
// origin are kept. A key listed twice under one id — Fedify lists its
// main key as a CryptographicKey and again as a Multikey — is kept once, as
// first listed.
func keysOf(actor string, publicKey, assertionMethod any) []PublicKey {
	var out []PublicKey
	seen := map[string]bool{}
	add := func(v any, multikeysOnly bool) {
		for _, it := range items(v) {
			m, ok := it.(map[string]any)
			if !ok || (multikeysOnly && TypeOf(m) != "Multikey") {
				continue
			}
			k, ok := KeyFrom(m)
			if !ok || k.Owner != actor || !SameOrigin(k.ID, actor) || seen[k.ID] || len(out) == maxActorKeys {
				continue
			}
			seen[k.ID] = true
			out = append(out, k)
		}
	}
	add(publicKey, false)
	add(assertionMethod, true)
	return out
}

// items reads a property that holds one value or an array of them.
func items(v any) []any {
	if arr, ok := v.([]any); ok {
		return arr
	}
	if v != nil {
		return []any{v}
	}
	return nil
}

// Key returns the key with id keyID among those the actor publishes.
func (a *RemoteActor) Key(keyID string) (PublicKey, bool) {
	for _, k := range a.Keys {
		if k.ID == keyID {
			return k, true
		}
	}
	return PublicKey{}, false
}

// KeyFrom reads a key document or an embedded key object: a Multikey
// (FEP-521a) names its controller and carries publicKeyMultibase; any other
// key (CryptographicKey, Key, or untyped, as older servers write it) names
// its owner and carries publicKeyPem. The key's value is read, not decoded.
func KeyFrom(m map[string]any) (PublicKey, bool) {
	k := PublicKey{ID: IRIOf(m["id"])}
	if TypeOf(m) == "Multikey" {
		k.Owner = IRIOf(m["controller"])
		k.Multibase, _ = m["publicKeyMultibase"].(string)
		return k, k.ID != "" && k.Owner != "" && k.Multibase != ""
	}
	k.Owner = IRIOf(m["owner"])
	k.PEM, _ = m["publicKeyPem"].(string)
	return k, k.ID != "" && k.Owner != "" && strings.Contains(k.PEM, "-----BEGIN")
}
