// Package activitystreams converts between the node's values and
// ActivityStreams 2.0 JSON. It is the only place that knows the wire format:
// outgoing documents are built with go-fed's typed vocabulary (streams) and
// completed by hand where go-fed falls short (endpoints,
// manuallyApprovesFollowers, discoverable, contentMap beside content, and a
// @context that independent JSON-LD processors can load without fetching
// anything); incoming documents are parsed by hand, defensively — size and
// depth bounded, every IRI checked — because they come from anyone. Remote
// HTML is sanitised here before it enters the node.
package activitystreams
