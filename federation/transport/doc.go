// Package transport is what crosses the wire, without knowing what it
// carries: the guarded HTTP client every remote fetch and delivery goes
// through (it refuses non-public addresses at dial time, bounds bodies,
// redirects and time), HTTP signatures in and out (draft-cavage, over
// go-fed/httpsig, with the checks httpsig leaves out: signed headers, Date
// window, Digest), the key formats (PEM, Multikey) and a cache of the keys
// that signed recent requests. It imports nothing of the node: the protocol
// layer (package federation) decides whose keys they are and what an
// activity means.
package transport
