package activitystreams

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Activity is an activity the node sends.
type Activity struct {
	ID    string
	Type  string // Follow, Accept, Reject, Undo, Update, Delete, …
	Actor string
	// Object is an IRI (string) or an embedded document (map[string]any, as
	// built by Actor.Document or Activity.Document).
	Object any
	Target string
	To, Cc []string
	// Audience is the Group an activity about a space's content belongs to
	// (FEP-1b12).
	Audience  string
	Published time.Time
	// Verbatim embeds Object exactly as it is, @context included: a Group
	// announces another server's activity as it received it (FEP-1b12).
	Verbatim bool
}

// activityType is what go-fed's activity types share.
type activityType interface {
	vocab.Type
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
	SetActivityStreamsTarget(vocab.ActivityStreamsTargetProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
}

var activityTypes = map[string]func() activityType{
	"Follow":   func() activityType { return streams.NewActivityStreamsFollow() },
	"Accept":   func() activityType { return streams.NewActivityStreamsAccept() },
	"Reject":   func() activityType { return streams.NewActivityStreamsReject() },
	"Undo":     func() activityType { return streams.NewActivityStreamsUndo() },
	"Update":   func() activityType { return streams.NewActivityStreamsUpdate() },
	"Delete":   func() activityType { return streams.NewActivityStreamsDelete() },
	"Create":   func() activityType { return streams.NewActivityStreamsCreate() },
	"Announce": func() activityType { return streams.NewActivityStreamsAnnounce() },
	"Like":     func() activityType { return streams.NewActivityStreamsLike() },
	"Join":     func() activityType { return streams.NewActivityStreamsJoin() },
	"Leave":    func() activityType { return streams.NewActivityStreamsLeave() },
	"Add":      func() activityType { return streams.NewActivityStreamsAdd() },
	"Remove":   func() activityType { return streams.NewActivityStreamsRemove() },
	"Block":    func() activityType { return streams.NewActivityStreamsBlock() },
	"Flag":     func() activityType { return streams.NewActivityStreamsFlag() },
	"Invite":   func() activityType { return streams.NewActivityStreamsInvite() },
}

// Document returns the activity's JSON document, with its @context.
func (a Activity) Document() (map[string]any, error) {
	newType, ok := activityTypes[a.Type]
	if !ok {
		return nil, fmt.Errorf("activity type %q is not supported", a.Type)
	}
	t := newType()
	if err := setID(t.(identified), a.ID); err != nil {
		return nil, err
	}
	actor, err := parseIRI(a.Actor)
	if err != nil {
		return nil, err
	}
	ap := streams.NewActivityStreamsActorProperty()
	ap.AppendIRI(actor)
	t.SetActivityStreamsActor(ap)
	var embedded map[string]any
	switch o := a.Object.(type) {
	case string:
		u, err := parseIRI(o)
		if err != nil {
			return nil, err
		}
		op := streams.NewActivityStreamsObjectProperty()
		op.AppendIRI(u)
		t.SetActivityStreamsObject(op)
	case map[string]any:
		embedded = o
	case nil:
	default:
		return nil, fmt.Errorf("activity object of type %T", a.Object)
	}
	if a.Target != "" {
		u, err := parseIRI(a.Target)
		if err != nil {
			return nil, err
		}
		tp := streams.NewActivityStreamsTargetProperty()
		tp.AppendIRI(u)
		t.SetActivityStreamsTarget(tp)
	}
	if len(a.To) > 0 {
		to := streams.NewActivityStreamsToProperty()
		for _, s := range a.To {
			u, err := url.Parse(s)
			if err != nil {
				return nil, err
			}
			to.AppendIRI(u)
		}
		t.SetActivityStreamsTo(to)
	}
	if len(a.Cc) > 0 {
		cc := streams.NewActivityStreamsCcProperty()
		for _, s := range a.Cc {
			u, err := url.Parse(s)
			if err != nil {
				return nil, err
			}
			cc.AppendIRI(u)
		}
		t.SetActivityStreamsCc(cc)
	}
	if !a.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(a.Published.UTC().Truncate(time.Second))
		t.SetActivityStreamsPublished(p)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", a.Type, err)
	}
	m["@context"] = Context()
	// go-fed writes a one-element to/cc as a bare string; Mastodon reads
	// either, but arrays keep the documents uniform for every reader.
	for _, k := range []string{"to", "cc"} {
		if s, ok := m[k].(string); ok {
			m[k] = []any{s}
		}
	}
	if a.Audience != "" {
		if _, err := parseIRI(a.Audience); err != nil {
			return nil, err
		}
		m["audience"] = a.Audience
	}
	if embedded != nil {
		obj := make(map[string]any, len(embedded))
		for k, v := range embedded {
			if k != "@context" || a.Verbatim {
				obj[k] = v
			}
		}
		m["object"] = obj
	}
	return m, nil
}
