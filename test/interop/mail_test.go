package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// sink is a running SMTP server (smtp-sink.mjs) and the mails it received.
type sink struct {
	url   string
	mails chan sinkMail
}

type sinkMail struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Raw  string   `json:"raw"`
}

func startSink(t *testing.T) *sink {
	t.Helper()
	_, stdout := startScript(t, "smtp-sink.mjs", "smtp-server", "SMTP server")
	s := &sink{mails: make(chan sinkMail, 16)}
	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 2<<20)
		for sc.Scan() {
			var line struct {
				Ready int       `json:"ready"`
				Mail  *sinkMail `json:"mail"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			if line.Ready != 0 {
				ready <- line.Ready
			} else if line.Mail != nil {
				s.mails <- *line.Mail
			}
		}
	}()
	select {
	case port := <-ready:
		s.url = fmt.Sprintf("smtp://127.0.0.1:%d", port)
	case <-time.After(30 * time.Second):
		t.Fatal("the SMTP server did not start")
	}
	return s
}

func (s *sink) next(t *testing.T) sinkMail {
	t.Helper()
	select {
	case m := <-s.mails:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no mail arrived")
	}
	return sinkMail{}
}

// TestForgottenPasswordByMail: a member who forgot their password asks for a
// link on the sign-in pages, receives it in their language through a real
// SMTP server, and signs in with the password they chose. An unknown address
// gets the same answer and no mail.
func TestForgottenPasswordByMail(t *testing.T) {
	mails := startSink(t)
	n := nodetest.New(t, db.SQLite, func(c *config.Config, _ *node.Options) {
		c.Mail.SMTPURL, c.Mail.From = mails.url, "Ruche de Lyon <ruche@ville-a.example>"
		c.Node.Name = "Ruche de Lyon"
	})
	alice := n.Member(t, "alice", spaces.RoleMember)
	de := "de"
	if _, err := n.Spaces.UpdateProfile(t.Context(), alice, spaces.ProfileUpdate{Locale: &de}); err != nil {
		t.Fatal(err)
	}
	c := n.Client(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := c.Get(n.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		_, page := get(path)
		m := csrf.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no form on %s", path)
		}
		form.Set("csrf", m[1])
		resp, err := c.PostForm(n.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	status, page := get("/password/forgot")
	if status != http.StatusOK || !strings.Contains(page, "nous vous enverrons un lien") {
		t.Fatalf("the form: %d", status)
	}
	sent := "Consultez votre messagerie"
	if status, page := post("/password/forgot", url.Values{"login": {"nobody@example.org"}}); status != http.StatusOK || !strings.Contains(page, sent) {
		t.Fatalf("an unknown address: %d", status)
	}
	if status, page := post("/password/forgot", url.Values{"login": {"Alice@example.org"}}); status != http.StatusOK || !strings.Contains(page, sent) {
		t.Fatalf("alice's address: %d", status)
	}

	// The first mail to arrive is alice's: the unknown address sent none.
	m := mails.next(t)
	if m.From != "ruche@ville-a.example" || len(m.To) != 1 || m.To[0] != "alice@example.org" {
		t.Fatalf("envelope: %+v", m)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Wählen Sie ein neues Passwort auf Ruche de Lyon" {
		t.Fatalf("subject in alice's language: %q", subject)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	link := regexp.MustCompile(regexp.QuoteMeta(n.URL) + `/password/reset\?token=[A-Za-z0-9_%-]+`).FindString(string(body))
	if link == "" {
		t.Fatalf("no link in %q", body)
	}

	path := strings.TrimPrefix(link, n.URL)
	if status, page := get(path); status != http.StatusOK || !strings.Contains(page, "alice") {
		t.Fatalf("the link's form: %d", status)
	}
	token, _ := url.QueryUnescape(strings.TrimPrefix(path, "/password/reset?token="))
	if status, _ := post(path, url.Values{"token": {token}, "password": {"a brand new password"}}); status != http.StatusSeeOther && status != http.StatusFound {
		t.Fatalf("set the new password: %d", status)
	}
	if _, _, _, err := n.Spaces.Login(t.Context(), spaces.Credentials{Login: "alice", Password: "a brand new password", IP: "127.0.0.1"}); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if status, page := get(path); status == http.StatusOK && !strings.Contains(page, "bereits verwendet") && !strings.Contains(page, "déjà été utilisé") {
		t.Fatal("the link works twice")
	}
}
