package federation

import (
	"sync"
	"time"
)

// keyCache keeps the remote keys that signed recent requests, parsed, with
// their owners, so that a busy inbox does not read the same key from the
// database for every activity it accepts (half of the cost of accepting
// one). An entry lasts keyCacheTTL. The keys of an actor this process
// stores, changes or deletes are forgotten at once; a change made by another
// process of the node shows within keyCacheTTL.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]keyCacheEntry // by keyId
}

type keyCacheEntry struct {
	k  *remoteKey
	at time.Time
}

const (
	keyCacheTTL = time.Minute
	// keyCacheMax bounds the cache; when it is full it starts afresh, which
	// costs one database read per key.
	keyCacheMax = 10000
)

// get returns the key with keyID if it was cached less than keyCacheTTL
// before now.
func (c *keyCache) get(keyID string, now time.Time) *remoteKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[keyID]
	if !ok || now.Sub(e.at) >= keyCacheTTL || now.Before(e.at) {
		return nil
	}
	return e.k
}

// put caches k, read from the database or its server at now.
func (c *keyCache) put(k *remoteKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= keyCacheMax {
		c.entries = map[string]keyCacheEntry{}
	}
	c.entries[k.row.KeyID] = keyCacheEntry{k: k, at: now}
}

// forgetOwner drops the keys of an account.
func (c *keyCache) forgetOwner(accountID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.k.row.AccountID == accountID {
			delete(c.entries, id)
		}
	}
}
