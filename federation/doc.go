// Package federation connects the node to the fediverse over ActivityPub:
// WebFinger and NodeInfo discovery, HTTP signatures, actor and collection
// endpoints, the inbox pipeline, the delivery queue and the guarded HTTP client.
package federation
