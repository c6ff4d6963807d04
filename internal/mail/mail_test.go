package mail

import (
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url, from string
		host      string
		implicit  bool
	}{
		{"smtp://mail.ville-a.example", "Ruche <ruche@ville-a.example>", "mail.ville-a.example:587", false},
		{"smtps://user:secret@mail.ville-a.example", "ruche@ville-a.example", "mail.ville-a.example:465", true},
		{"smtp://127.0.0.1:2525", "ruche@localhost", "127.0.0.1:2525", false},
	} {
		s, err := New(tc.url, tc.from)
		if err != nil || s.host != tc.host || s.implicit != tc.implicit {
			t.Errorf("New(%q) = %+v, %v", tc.url, s, err)
		}
	}
	for _, bad := range [][2]string{
		{"http://mail.example", "a@b.example"},
		{"smtp://", "a@b.example"},
		{"smtp://mail.example/path", "a@b.example"},
		{"smtp://mail.example", "not an address"},
		{"smtp://mail.example", ""},
	} {
		if _, err := New(bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestCompose(t *testing.T) {
	s, err := New("smtp://127.0.0.1:25", "Ruche de Lyon <ruche@ville-a.example>")
	if err != nil {
		t.Fatal(err)
	}
	to, _ := netmail.ParseAddress("Zoë <zoe@ville-b.example>")
	text := "Bonjour Zoë,\n\nVoici le lien : https://ville-a.example/password/reset?token=" + strings.Repeat("x", 90) + "\n"
	raw, err := s.compose(Message{To: "zoe@ville-b.example", Subject: "Réinitialiser votre mot de passe", Text: text}, to, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("a line of %d characters", len(line))
		}
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Réinitialiser votre mot de passe" {
		t.Fatalf("subject %q %v", subject, err)
	}
	if msg.Header.Get("Auto-Submitted") != "auto-generated" || !strings.HasSuffix(msg.Header.Get("Message-ID"), "@ville-a.example>") {
		t.Fatalf("headers: %v", msg.Header)
	}
	if from, err := msg.Header.AddressList("From"); err != nil || from[0].Address != "ruche@ville-a.example" {
		t.Fatalf("from: %v %v", from, err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if strings.ReplaceAll(string(body), "\r\n", "\n") != text {
		t.Fatalf("body %q", body)
	}

	// No text of the caller can add a header.
	if _, err := s.compose(Message{Subject: "Hi\r\nBcc: x@evil.example"}, to, time.Now()); err == nil {
		t.Fatal("a subject with a line break was accepted")
	}
	if err := s.Send(t.Context(), Message{To: "x@evil.example\r\nBcc: y@evil.example", Subject: "Hi"}); err == nil {
		t.Fatal("a recipient with a line break was accepted")
	}
}
