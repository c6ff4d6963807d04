package activitystreams

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Actor is what the node publishes about one of its actors.
type Actor struct {
	ID                string // the actor's IRI
	Type              string // Person, Group or Application
	PreferredUsername string
	Name              string
	Summary           string // HTML
	URL               string // the profile page
	Icon              string // avatar URL, if any
	IconMediaType     string
	Inbox             string
	Outbox            string
	Followers         string
	Following         string
	SharedInbox       string
	Published         time.Time
	// ManuallyApprovesFollowers: follow requests wait for approval (a locked account).
	ManuallyApprovesFollowers bool
	Discoverable              bool // may be listed in directories
	Indexable                 bool // public posts may be indexed by search
	PublicKey                 PublicKey

	// Groups (spaces, FEP-1b12).
	Featured     string // the pinned posts (Mastodon's featured collection)
	AttributedTo string // the moderators collection
	Members      string // the members collection (Ruche)
	Image        string // banner URL, if any
	// PostingRestrictedToMods: only moderators start threads (Lemmy's term).
	PostingRestrictedToMods bool
	Visibility              string // public, network or members (Ruche)
	JoinPolicy              string // open, approval or invite (Ruche)
	// Tools: the tools the space has on (Ruche), such as events; nil for
	// an actor that is no space.
	Tools []string
	// DocumentAdding: who adds documents, members or moderators (Ruche).
	DocumentAdding string
}

// PublicKey is an actor's key as published in its document: a key object
// (CryptographicKey) with its PEM, or a Multikey (FEP-521a) with its
// multibase value. The node publishes the first form only.
type PublicKey struct {
	ID    string // keyId: the actor's IRI with #main-key
	Owner string // the actor's IRI: a key's owner, a Multikey's controller
	PEM   string // PKIX ("PUBLIC KEY") PEM
	// Multibase is a Multikey's publicKeyMultibase, read as it came (PEM is
	// then empty): decoding it is the business of whoever verifies with it.
	Multibase string
}

// actorType is what go-fed's actor types (Person, Group, Application) share.
type actorType interface {
	vocab.Type
	SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
}

func newActorType(typ string) (actorType, error) {
	switch typ {
	case "Person":
		return streams.NewActivityStreamsPerson(), nil
	case "Group":
		return streams.NewActivityStreamsGroup(), nil
	case "Application":
		return streams.NewActivityStreamsApplication(), nil
	case "Service":
		return streams.NewActivityStreamsService(), nil
	}
	return nil, fmt.Errorf("actor type %q is not supported", typ)
}

// Document returns the actor's JSON document.
func (a Actor) Document() (map[string]any, error) {
	t, err := newActorType(a.Type)
	if err != nil {
		return nil, err
	}
	if err := setID(t, a.ID); err != nil {
		return nil, err
	}
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(a.PreferredUsername)
	t.SetActivityStreamsPreferredUsername(pu)
	if a.Name != "" {
		n := streams.NewActivityStreamsNameProperty()
		n.AppendXMLSchemaString(a.Name)
		t.SetActivityStreamsName(n)
	}
	if a.Summary != "" {
		s := streams.NewActivityStreamsSummaryProperty()
		s.AppendXMLSchemaString(a.Summary)
		t.SetActivityStreamsSummary(s)
	}
	iri := func(s string) (*url.URL, error) { return parseIRI(s) }
	for _, set := range []struct {
		value string
		apply func(*url.URL)
	}{
		{a.Inbox, func(u *url.URL) {
			p := streams.NewActivityStreamsInboxProperty()
			p.SetIRI(u)
			t.SetActivityStreamsInbox(p)
		}},
		{a.Outbox, func(u *url.URL) {
			p := streams.NewActivityStreamsOutboxProperty()
			p.SetIRI(u)
			t.SetActivityStreamsOutbox(p)
		}},
		{a.Followers, func(u *url.URL) {
			p := streams.NewActivityStreamsFollowersProperty()
			p.SetIRI(u)
			t.SetActivityStreamsFollowers(p)
		}},
		{a.Following, func(u *url.URL) {
			p := streams.NewActivityStreamsFollowingProperty()
			p.SetIRI(u)
			t.SetActivityStreamsFollowing(p)
		}},
		{a.URL, func(u *url.URL) {
			p := streams.NewActivityStreamsUrlProperty()
			p.AppendIRI(u)
			t.SetActivityStreamsUrl(p)
		}},
	} {
		if set.value == "" {
			continue
		}
		u, err := iri(set.value)
		if err != nil {
			return nil, err
		}
		set.apply(u)
	}
	if a.Icon != "" {
		u, err := iri(a.Icon)
		if err != nil {
			return nil, err
		}
		img := streams.NewActivityStreamsImage()
		up := streams.NewActivityStreamsUrlProperty()
		up.AppendIRI(u)
		img.SetActivityStreamsUrl(up)
		if a.IconMediaType != "" {
			mt := streams.NewActivityStreamsMediaTypeProperty()
			mt.Set(a.IconMediaType)
			img.SetActivityStreamsMediaType(mt)
		}
		ip := streams.NewActivityStreamsIconProperty()
		ip.AppendActivityStreamsImage(img)
		t.SetActivityStreamsIcon(ip)
	}
	if !a.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(a.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(p)
	}
	if err := setPublicKey(t, a.PublicKey); err != nil {
		return nil, err
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize actor: %w", err)
	}
	// What go-fed's vocabulary lacks, or writes in a form Mastodon misreads.
	m["@context"] = Context()
	m["manuallyApprovesFollowers"] = a.ManuallyApprovesFollowers
	m["discoverable"] = a.Discoverable
	m["indexable"] = a.Indexable
	if a.Featured != "" {
		m["featured"] = a.Featured
	}
	if a.SharedInbox != "" {
		m["endpoints"] = map[string]any{"sharedInbox": a.SharedInbox}
	}
	if a.Type == "Group" {
		a.groupFields(m)
	}
	return m, nil
}

// groupFields writes what a Group publishes besides a Person's fields.
func (a Actor) groupFields(m map[string]any) {
	for k, v := range map[string]string{"attributedTo": a.AttributedTo,
		"members": a.Members, "visibility": a.Visibility, "joinPolicy": a.JoinPolicy, "documentAdding": a.DocumentAdding} {
		if v != "" {
			m[k] = v
		}
	}
	if a.Tools != nil {
		m["tools"] = a.Tools
	}
	if a.Image != "" {
		m["image"] = map[string]any{"type": "Image", "url": a.Image}
	}
	m["postingRestrictedToMods"] = a.PostingRestrictedToMods
}

func setPublicKey(t actorType, k PublicKey) error {
	if k.ID == "" {
		return nil
	}
	key := streams.NewW3IDSecurityV1PublicKey()
	kid, err := parseIRI(k.ID)
	if err != nil {
		return err
	}
	id := streams.NewJSONLDIdProperty()
	id.Set(kid)
	key.SetJSONLDId(id)
	owner, err := parseIRI(k.Owner)
	if err != nil {
		return err
	}
	op := streams.NewW3IDSecurityV1OwnerProperty()
	op.SetIRI(owner)
	key.SetW3IDSecurityV1Owner(op)
	pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pem.Set(k.PEM)
	key.SetW3IDSecurityV1PublicKeyPem(pem)
	p := streams.NewW3IDSecurityV1PublicKeyProperty()
	p.AppendW3IDSecurityV1PublicKey(key)
	t.SetW3IDSecurityV1PublicKey(p)
	return nil
}

// identified is any go-fed value with an id.
type identified interface {
	SetJSONLDId(vocab.JSONLDIdProperty)
}

func setID(t identified, s string) error {
	u, err := parseIRI(s)
	if err != nil {
		return err
	}
	id := streams.NewJSONLDIdProperty()
	id.Set(u)
	t.SetJSONLDId(id)
	return nil
}

// parseIRI parses an absolute http(s) IRI the node is about to publish.
func parseIRI(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) IRI", s)
	}
	return u, nil
}

// Tombstone is the document of an actor or object that is gone.
func Tombstone(id, formerType string, deleted time.Time) map[string]any {
	m := map[string]any{
		"@context":   Context(),
		"id":         id,
		"type":       "Tombstone",
		"formerType": formerType,
	}
	if !deleted.IsZero() {
		m["deleted"] = deleted.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return m
}
