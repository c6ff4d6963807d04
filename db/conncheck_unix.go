//go:build unix

package db

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// errUnexpectedRead is data waiting on a connection between statements.
var errUnexpectedRead = errors.New("unexpected data on an idle connection")

// connCheck tells whether an idle connection is dead, without a round trip:
// one non-blocking read of its socket. Between statements the server sends
// nothing, so end of file (the server closed it) or data (the server's last
// word as it shut down: "terminating connection due to administrator
// command") both mean that the connection is of no more use.
func connCheck(conn net.Conn) error {
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS: the socket underneath
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var readErr error
	err = raw.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, err := syscall.Read(int(fd), buf[:])
		switch {
		case n == 0 && err == nil:
			readErr = io.EOF
		case n > 0:
			readErr = errUnexpectedRead
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			readErr = nil
		default:
			readErr = err
		}
		return true // one read, whatever it gave: never wait
	})
	if err != nil {
		return err
	}
	return readErr
}
