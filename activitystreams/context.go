package activitystreams

import (
	"mime"
	"strings"
)

// Media types of ActivityStreams documents.
const (
	MediaType   = "application/activity+json"
	LDMediaType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// ContentType is what the node sends its documents as.
	ContentType = MediaType + "; charset=utf-8"
)

// Well-known IRIs.
const (
	NSActivityStreams = "https://www.w3.org/ns/activitystreams"
	NSSecurity        = "https://w3id.org/security/v1"
	// NSRuche names Ruche's few terms of its own (a space's members,
	// visibility and join policy, an article's appliesTo, an FAQ entry's
	// category and position); they are described
	// in docs/federation.md, which this IRI points to.
	NSRuche = "https://github.com/ruche-social/ruche/blob/main/docs/federation.md#"
	// Public is the special collection of everyone (as:Public).
	Public = "https://www.w3.org/ns/activitystreams#Public"
)

// Context is the @context of every document the node serves. The two
// standard contexts are ones every JSON-LD processor of the fediverse keeps
// preloaded; the terms they lack are defined inline, so nobody has to fetch a
// context document (Mastodon's namespace, for one, has none to fetch): those
// Mastodon and Lemmy use for actors, posts and groups, Mobilizon and
// schema.org for events, and Ruche's own.
func Context() []any {
	return []any{
		NSActivityStreams,
		NSSecurity,
		map[string]any{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"toot":                      "http://joinmastodon.org/ns#",
			"discoverable":              "toot:discoverable",
			"indexable":                 "toot:indexable",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"votersCount":               "toot:votersCount",
			"mz":                        "https://joinmobilizon.org/ns#",
			"sc":                        "http://schema.org/",
			"ical":                      "http://www.w3.org/2002/12/cal/ical#",
			"timezone":                  "mz:timezone",
			"joinMode":                  "mz:joinMode",
			"isOnline":                  "mz:isOnline",
			"participantCount":          "mz:participantCount",
			"maximumAttendeeCapacity":   "sc:maximumAttendeeCapacity",
			"remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
			"PostalAddress":             "sc:PostalAddress",
			"address":                   "sc:address",
			"streetAddress":             "sc:streetAddress",
			"lemmy":                     "https://join-lemmy.org/ns#",
			"postingRestrictedToMods":   "lemmy:postingRestrictedToMods",
			"ruche":                     NSRuche,
			"members":                   map[string]any{"@id": "ruche:members", "@type": "@id"},
			"visibility":                "ruche:visibility",
			"joinPolicy":                "ruche:joinPolicy",
			"appliesTo":                 "ruche:appliesTo",
			"tools":                     "ruche:tools",
			"faqCategory":               "ruche:faqCategory",
			"faqPosition":               "ruche:faqPosition",
			"documentAdding":            "ruche:documentAdding",
			"documentFolder":            "ruche:documentFolder",
			"documentVersion":           "ruche:documentVersion",
			"wikiRevision":              "ruche:wikiRevision",
			"wikiParent":                map[string]any{"@id": "ruche:wikiParent", "@type": "@id"},
		},
	}
}

// IsASMediaType tells whether a Content-Type names an ActivityStreams
// document: application/activity+json, or application/ld+json without a
// profile or with the ActivityStreams one.
func IsASMediaType(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		p, ok := params["profile"]
		return !ok || hasProfile(p)
	}
	return false
}

// hasProfile tells whether a profile parameter (a space-separated list of
// IRIs) names ActivityStreams.
func hasProfile(p string) bool {
	for _, f := range strings.Fields(p) {
		if f == NSActivityStreams {
			return true
		}
	}
	return false
}

// WantsAS tells whether an Accept header asks for an ActivityStreams document
// rather than a page: one of its media ranges is an ActivityStreams type.
// Browsers ask for text/html first and never name these types.
func WantsAS(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if IsASMediaType(strings.TrimSpace(part)) {
			return true
		}
	}
	return false
}
