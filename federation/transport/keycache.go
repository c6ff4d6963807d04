package transport

import (
	"sync"
	"time"
)

// KeyCache keeps the keys that signed recent requests, parsed, with whatever
// the protocol layer knows of them (T: the key and its owner), so that a busy
// inbox does not read the same key from the database for every activity it
// accepts (half of the cost of accepting one). An entry lasts KeyCacheTTL.
// The keys of an owner that the node stores, changes or deletes are
// forgotten at once (ForgetOwner); a change made by another process of the
// node shows within KeyCacheTTL.
type KeyCache[T any] struct {
	mu      sync.Mutex
	entries map[string]keyCacheEntry[T] // by keyId
}

type keyCacheEntry[T any] struct {
	v     T
	owner string
	at    time.Time
}

const (
	KeyCacheTTL = time.Minute
	// keyCacheMax bounds the cache; when it is full it starts afresh, which
	// costs one database read per key.
	keyCacheMax = 10000
)

// Get returns the value cached for keyID less than KeyCacheTTL before now.
func (c *KeyCache[T]) Get(keyID string, now time.Time) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[keyID]
	if !ok || now.Sub(e.at) >= KeyCacheTTL || now.Before(e.at) {
		var zero T
		return zero, false
	}
	return e.v, true
}

// Put caches v for keyID, whose owner is owner, read at now.
func (c *KeyCache[T]) Put(keyID, owner string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= keyCacheMax {
		c.entries = map[string]keyCacheEntry[T]{}
	}
	c.entries[keyID] = keyCacheEntry[T]{v: v, owner: owner, at: now}
}

// ForgetOwner drops the keys of an owner.
func (c *KeyCache[T]) ForgetOwner(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.owner == owner {
			delete(c.entries, id)
		}
	}
}
