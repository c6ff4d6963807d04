// Package mail sends the node's few mails (password reset links) through an
// SMTP server the admin names. It holds no queue: a mail that cannot be sent
// is an error for the caller, who logs it; the member can ask again.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Message is one plain-text mail to one recipient.
type Message struct {
	To      string // an address, e.g. claire@ville-a.example
	Subject string
	Text    string
}

// Sender sends mail through one SMTP server.
type Sender struct {
	host     string // host:port
	implicit bool   // smtps: TLS from the first byte
	user     *url.Userinfo
	from     netmail.Address
	timeout  time.Duration
	// TLS is the client configuration for smtps and STARTTLS; nil verifies
	// the server's certificate against the system roots.
	TLS *tls.Config
}

// New returns a sender for smtpURL — smtp://[user:password@]host[:port]
// (STARTTLS when the server offers it, port 587 by default) or
// smtps://[user:password@]host[:port] (TLS from the start, port 465) — that
// writes from the address from.
func New(smtpURL, from string) (*Sender, error) {
	u, err := ParseURL(smtpURL)
	if err != nil {
		return nil, err
	}
	addr, err := ParseFrom(from)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	return &Sender{host: net.JoinHostPort(u.Hostname(), port), implicit: u.Scheme == "smtps", user: u.User,
		from: *addr, timeout: 30 * time.Second}, nil
}

// ParseURL checks an SMTP server's URL, as New takes it.
func ParseURL(smtpURL string) (*url.URL, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("want smtp://[user:password@]host[:port] or smtps://…")
	}
	return u, nil
}

// ParseFrom checks a sender's address, as New takes it.
func ParseFrom(from string) (*netmail.Address, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, errors.New("want a sender address, e.g. Ruche <ruche@ville-a.example>")
	}
	return addr, nil
}

// Send delivers m to the SMTP server, within ctx and the sender's timeout.
func (s *Sender) Send(ctx context.Context, m Message) error {
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mail to %q: %w", m.To, err)
	}
	body, err := s.compose(m, to, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.host)
	if err != nil {
		return fmt.Errorf("connect to the mail server: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(s.host)
	tlsConfig := s.tlsConfig(host)
	if s.implicit {
		conn = tls.Client(conn, tlsConfig)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail server: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicit {
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("mail server STARTTLS: %w", err)
		}
	}
	if s.user != nil {
		password, _ := s.user.Password()
		// PlainAuth refuses to send the password in the clear, except to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.user.Username(), password, host)); err != nil {
			return fmt.Errorf("mail server authentication: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail server MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail server RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail server DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("mail server DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail server refused the mail: %w", err)
	}
	return c.Quit()
}

func (s *Sender) tlsConfig(host string) *tls.Config {
	if s.TLS != nil {
		return s.TLS
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

// compose writes the mail: UTF-8 text, quoted-printable, with the headers a
// receiving server expects of an automatic mail. Header values cannot carry
// line breaks, so no text of the caller can add a header.
func (s *Sender) compose(m Message, to *netmail.Address, now time.Time) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail subject has a line break")
	}
	id := make([]byte, 16)
	rand.Read(id)
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", s.from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
	return b.Bytes(), nil
}
