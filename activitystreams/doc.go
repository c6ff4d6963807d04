// Package activitystreams converts between domain values and ActivityStreams 2.0
// JSON. It is the only place that knows the wire format: the domain never sees
// a go-fed type, and remote HTML is sanitised here before it enters.
package activitystreams
