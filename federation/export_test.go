package federation

import "testing"

// RSASignRateForBench exposes the baseline to the external benchmarks.
var RSASignRateForBench = RSASignRate

// WaitCopies waits for the copies of remote files under way.
func (f *Federation) WaitCopies() { f.background.Wait() }

// OnKeyGeneration makes fn run at every key generation, until the test ends.
func OnKeyGeneration(t testing.TB, fn func()) {
	keyGenerationHook.Store(&fn)
	t.Cleanup(func() { keyGenerationHook.Store(nil) })
}

// HandlerOf returns the handler registered for key, for a test to wrap.
func (f *Federation) HandlerOf(key string) Handler { return f.handlers[key] }
