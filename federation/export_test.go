package federation

// RSASignRateForBench exposes the baseline to the external benchmarks.
var RSASignRateForBench = RSASignRate

// WaitCopies waits for the copies of remote files under way.
func (f *Federation) WaitCopies() { f.background.Wait() }

// HandlerOf returns the handler registered for key, for a test to wrap.
func (f *Federation) HandlerOf(key string) Handler { return f.handlers[key] }
