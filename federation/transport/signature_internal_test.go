package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseSignature(t *testing.T) {
	p, err := ParseSignature(`keyId="https://b.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`)
	if err != nil || p.KeyID != "https://b.example/users/bob#main-key" || len(p.Headers) != 4 || p.Algorithm != "rsa-sha256" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{
		``,
		`keyId="k"`,
		`keyId="k",signature="AAAA"`, // no headers: httpsig would default to date only
		`keyId="k",keyId="j",headers="date",signature="AAAA"`,
		`keyId="k,j",headers="date",signature="AAAA"`,
		`keyId="k",headers="date",signature="not base64!"`,
		`keyId=k,headers="date",signature="AAAA"`,
		`keyId="k",headers="date",signature="AAAA",created=abc`,
		`keyId="k",headers="` + strings.Repeat("x ", 40) + `",signature="AAAA"`,
		`keyId="k", headers="date",signature="AAAA"`,      // httpsig ignores " headers"
		`keyId="k",headers="date  host",signature="AAAA"`, // httpsig reads a header named ""
		"keyId=\"k\",headers=\"date\thost\",signature=\"AAAA\"",
		"keyId=\"k\",headers=\"d\xe2te\",signature=\"AAAA\"", // lowercased, \xe2 becomes U+FFFD
		"keyId=\"https://caf\u00e9.example/a\",headers=\"date\",signature=\"AAAA\"",
	} {
		if _, err := ParseSignature(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// A signature over the Date alone must not pass for one over the request:
// go-fed/httpsig ignores a parameter written after ", " and then verifies
// the Date only, while the headers the node reads say that the request
// target, the host and the body's digest are signed too.
func TestSignatureHeadersReadAsHTTPSigReadsThem(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	body := []byte(`{"type":"Delete"}`)
	sum := sha256.Sum256(body)
	r := httptest.NewRequest(http.MethodPost, "https://a.example/inbox", bytes.NewReader(body))
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte("date: "+r.Header.Get("Date"))))
	r.Header.Set("Signature", `keyId="https://b.example/users/bob#ed25519-key",signature="`+sig+`", headers="(request-target) host date digest"`)
	p, err := ParseSignature(r.Header.Get("Signature"))
	if err != nil {
		return
	}
	if CheckRequest(r, p, body, now, time.Hour) == nil && Verify(r, p, key.Public()) == nil {
		t.Fatal("a signature over the Date alone authenticates the whole request")
	}
}
