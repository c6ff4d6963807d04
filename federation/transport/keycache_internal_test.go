package transport

import (
	"fmt"
	"testing"
	"time"
)

// TestKeyCache: a key is served for KeyCacheTTL after it was read, the keys
// of an owner are forgotten together, and a full cache starts afresh.
func TestKeyCache(t *testing.T) {
	var c KeyCache[string]
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	type key struct{ id, owner string }
	get := func(k key, now time.Time) string {
		v, ok := c.Get(k.id, now)
		if ok != (v != "") {
			t.Fatalf("Get(%s) = %q, %v", k.id, v, ok)
		}
		return v
	}
	alice1 := key{"https://b.example/users/alice#main-key", "A"}
	alice2 := key{"https://b.example/users/alice#new-key", "A"}
	bob := key{"https://c.example/users/bob#main-key", "B"}
	for _, k := range []key{alice1, alice2, bob} {
		c.Put(k.id, k.owner, k.id, at)
	}
	if got := get(alice1, at.Add(KeyCacheTTL-time.Second)); got != alice1.id {
		t.Fatalf("within the TTL: %q", got)
	}
	if get(alice1, at.Add(KeyCacheTTL)) != "" {
		t.Fatal("served after the TTL")
	}
	if get(alice1, at.Add(-time.Second)) != "" {
		t.Fatal("served before it was read (the clock went back)")
	}
	c.ForgetOwner("A")
	if get(alice1, at) != "" || get(alice2, at) != "" {
		t.Fatal("an owner's keys outlive ForgetOwner")
	}
	if get(bob, at) != bob.id {
		t.Fatal("ForgetOwner dropped another owner's key")
	}
	for i := range keyCacheMax {
		c.Put(fmt.Sprintf("https://d.example/users/u%d#main-key", i), fmt.Sprint(i), "k", at)
	}
	if n := len(c.entries); n > keyCacheMax {
		t.Fatalf("%d entries, more than %d", n, keyCacheMax)
	}
}
