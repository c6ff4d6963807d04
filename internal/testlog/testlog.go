// Package testlog collects what a node or a child process logs while a test
// reads it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer is a log that several writers (a process's two streams, a node's
// goroutines) may write while the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
