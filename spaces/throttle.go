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

// wait returns how long the key must wait before its next attempt, or 0.
func (t *throttle) wait(key string, limit int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(key, now)
	if len(recent) < limit {
		return 0
	}
	return recent[len(recent)-limit].Add(loginWindow).Sub(now)
}

// fail records a failure of key at now.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails[key] = append(t.recent(key, now), now)
	if len(t.fails) > 100_000 {
		t.sweep(now)
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
