package federation

import (
	"fmt"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
)

// TestKeyCache: a key is served for keyCacheTTL after it was read, the keys
// of an owner are forgotten together, and a full cache starts afresh.
func TestKeyCache(t *testing.T) {
	var c keyCache
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	key := func(id, owner string) *remoteKey { return &remoteKey{row: &db.Key{KeyID: id, AccountID: owner}} }
	alice1, alice2, bob := key("https://b.example/users/alice#main-key", "A"), key("https://b.example/users/alice#new-key", "A"), key("https://c.example/users/bob#main-key", "B")
	for _, k := range []*remoteKey{alice1, alice2, bob} {
		c.put(k, at)
	}
	if got := c.get(alice1.row.KeyID, at.Add(keyCacheTTL-time.Second)); got != alice1 {
		t.Fatalf("within the TTL: %v", got)
	}
	if got := c.get(alice1.row.KeyID, at.Add(keyCacheTTL)); got != nil {
		t.Fatal("served after the TTL")
	}
	if got := c.get(alice1.row.KeyID, at.Add(-time.Second)); got != nil {
		t.Fatal("served before it was read (the clock went back)")
	}
	c.forgetOwner("A")
	if c.get(alice1.row.KeyID, at) != nil || c.get(alice2.row.KeyID, at) != nil {
		t.Fatal("an owner's keys outlive forgetOwner")
	}
	if c.get(bob.row.KeyID, at) != bob {
		t.Fatal("forgetOwner dropped another owner's key")
	}
	for i := range keyCacheMax {
		c.put(key(fmt.Sprintf("https://d.example/users/u%d#main-key", i), fmt.Sprint(i)), at)
	}
	if n := len(c.entries); n > keyCacheMax {
		t.Fatalf("%d entries, more than %d", n, keyCacheMax)
	}
}
