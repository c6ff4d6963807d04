package spaces

import (
	"sync"
	"time"
)

// Sign-in limits: past them, attempts are refused until the window moves on.
// The per-account limit stops guessing one member's password from many
// addresses; the per-address limit stops one address guessing many accounts.
const (
	loginWindow        = 15 * time.Minute
	loginFailsPerIdent = 5
	loginFailsPerIP    = 20
)

// throttle counts recent failures per key in memory. Each process counts its
// own: with several web processes an attacker gets that many times the limit,
// which still turns a brute force into a crawl.
type throttle struct {
	mu    sync.Mutex
	fails map[string][]time.Time // recent failure times, oldest first
}

func newThrottle() *throttle { return &throttle{fails: map[string][]time.Time{}} }

// limited is a key and the number of attempts it may fail in the window.
type limited struct {
	key   string
	limit int
}

// reserve counts an attempt at now against every key, as a failure until
// proved otherwise (release), and returns 0 — or, when a key has reached its
// limit, records nothing and returns how long to wait. Counting before the
// slow password check, not after it, is what stops many attempts sent at
// once: each must get a place under the limit before it may try.
func (t *throttle) reserve(now time.Time, keys ...limited) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if recent := t.recent(k.key, now); len(recent) >= k.limit {
			wait = max(wait, recent[len(recent)-k.limit].Add(loginWindow).Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		t.fails[k.key] = append(t.fails[k.key], now)
	}
	if len(t.fails) > 100_000 {
		t.sweep(now)
	}
	return 0
}

// release takes back the attempt reserved for key at now: it succeeded.
func (t *throttle) release(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	times := t.fails[key]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(now) {
			t.fails[key] = append(times[:i:i], times[i+1:]...)
			return
		}
	}
}

// reset forgets the failures of key (after a successful sign-in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// recent returns the failures of key inside the window; t.mu must be held.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	times := t.fails[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= loginWindow {
		i++
	}
	if i == len(times) {
		delete(t.fails, key)
		return nil
	}
	// keep at most as many entries as the largest limit needs
	if n := len(times) - i; n > loginFailsPerIP {
		i = len(times) - loginFailsPerIP
	}
	t.fails[key] = times[i:]
	return times[i:]
}

// sweep drops every key whose failures all left the window; t.mu must be held.
func (t *throttle) sweep(now time.Time) {
	for k := range t.fails {
		t.recent(k, now)
	}
}
