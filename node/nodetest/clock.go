package nodetest

import (
	"sync"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/node"
)

// Clock is a settable clock that several nodes of a test can share, so that
// a test makes retries due by moving time instead of waiting.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to the real current time.
func NewClock() *Clock { return &Clock{t: time.Now().UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// WithClock runs a node on c.
func WithClock(c *Clock) Option {
	return func(_ *config.Config, o *node.Options) { o.Now = c.Now }
}
