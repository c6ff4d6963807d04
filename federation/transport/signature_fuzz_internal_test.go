package transport

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/go-fed/httpsig"
)

// FuzzParseSignature: any Signature header parses to complete parameters
// within the limits, or fails, never panics. What it accepts reads the same
// once written back, and go-fed/httpsig, which verifies the signature
// afterwards, reads it alike: a signature made over the headers
// ParseSignature lists (those CheckRequest requires) verifies there.
func FuzzParseSignature(f *testing.F) {
	for _, h := range []string{
		// Mastodon, GoToSocial and this node (rsa-sha256, hs2019)
		`keyId="https://b.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="c2lnbmF0dXJl"`,
		`keyId="https://b.example/users/bob#main-key",algorithm="hs2019",headers="(request-target) host date",signature="c2lnbmF0dXJl"`,
		`keyId="https://b.example/users/bob#ed25519-key",algorithm="ed25519",headers="(request-target) host date digest",signature="AAAA"`,
		`keyId="k",headers="date",signature="AAAA",created=1700000000,expires=1700000600`,
		`keyId="k",headers="(created) (expires) date",signature="AAAA",created="1700000000",expires="4102444800"`,
		`headers="Date Host",signature="AAAA",keyId="k"`,
		// what go-fed/httpsig would read otherwise
		`keyId="k", headers="(request-target) host date digest",signature="AAAA"`,
		`keyId="k",headers="date",signature="AAAA", created=1`,
		` keyId="k",headers="date",signature="AAAA"`,
		`keyId="k",headers="date  host",signature="AAAA"`,
		`keyId="a,b",headers="date",signature="AAAA"`,
		`keyId="k",headers="date",headers="host",signature="AAAA"`,
		`keyId="k",headers="date",signature="AA==",signature="BB=="`,
		`keyId="k",headers="` + strings.Repeat("h ", maxSignedHeaderList+1) + `",signature="AAAA"`,
		`keyId="k",headers="date",signature="AAAA",created=99999999999999999999`,
		`keyId="",signature=""`,
		`,,,,=`,
		``,
	} {
		f.Add(h)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignature(h)
		if err != nil {
			return
		}
		if p.KeyID == "" || strings.ContainsAny(p.KeyID, `",`) || p.Signature == "" || len(h) > maxSignatureHeader {
			t.Fatalf("accepted %+v from %q", p, h)
		}
		if _, err := base64.StdEncoding.DecodeString(p.Signature); err != nil {
			t.Fatalf("accepted signature %q, not base64", p.Signature)
		}
		if len(p.Headers) == 0 || len(p.Headers) > maxSignedHeaderList {
			t.Fatalf("accepted %d signed headers", len(p.Headers))
		}
		for _, name := range p.Headers {
			if name == "" || name != strings.ToLower(name) || strings.ContainsFunc(name, unicode.IsSpace) {
				t.Fatalf("accepted header name %q", name)
			}
		}
		again, err := ParseSignature(formatSignature(p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("%q reads as %+v, written back as %q, read again as %+v (%v)", h, p, formatSignature(p), again, err)
		}
		checkHTTPSigAgrees(t, h, p, key)
	})
}

// formatSignature writes parameters back as a Signature header.
func formatSignature(p *Params) string {
	parts := []string{`keyId="` + p.KeyID + `"`}
	if p.Algorithm != "" {
		parts = append(parts, `algorithm="`+p.Algorithm+`"`)
	}
	parts = append(parts, `headers="`+strings.Join(p.Headers, " ")+`"`, `signature="`+p.Signature+`"`)
	if p.Created != 0 {
		parts = append(parts, "created="+strconv.FormatInt(p.Created, 10))
	}
	if p.Expires != 0 {
		parts = append(parts, "expires="+strconv.FormatInt(p.Expires, 10))
	}
	return strings.Join(parts, ",")
}

// checkHTTPSigAgrees signs, with key, the signing string of the headers p
// lists, puts that signature in h in place of the one it carries, and
// checks that go-fed/httpsig verifies the result: if it read other headers,
// or another keyId, the signature would not be the one it checks. Headers
// that cannot be honoured (the Signature header signing itself) are left
// out; httpsig refusing the header outright is safe, and passes.
func checkHTTPSigAgrees(t *testing.T, h string, p *Params, key ed25519.PrivateKey) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://a.example/inbox?x=1", nil)
	var lines []string
	for _, name := range p.Headers {
		switch name {
		case "signature", "authorization":
			return
		case "(request-target)":
			lines = append(lines, name+": post /inbox?x=1")
		case "(created)", "(expires)":
			n := p.Created
			if name == "(expires)" {
				n = p.Expires
			}
			if n == 0 {
				return // httpsig refuses it, and CheckRequest never asks for it
			}
			lines = append(lines, name+": "+strconv.FormatInt(n, 10))
		default:
			r.Header[textproto.CanonicalMIMEHeaderKey(name)] = []string{"v"}
			lines = append(lines, name+": v")
		}
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(strings.Join(lines, "\n"))))
	parts := strings.Split(h, ",")
	i := slices.IndexFunc(parts, func(part string) bool { return strings.HasPrefix(strings.TrimSpace(part), "signature=") })
	lead := len(parts[i]) - len(strings.TrimLeft(parts[i], " \t"))
	trail := len(strings.TrimRight(parts[i], " \t"))
	parts[i] = parts[i][:lead] + `signature="` + sig + `"` + parts[i][trail:]
	signed := strings.Join(parts, ",")
	if q, err := ParseSignature(signed); err != nil || q.KeyID != p.KeyID || !slices.Equal(q.Headers, p.Headers) {
		return // not the same header but for its signature: nothing to compare
	}
	// net/http trims a header value as it reads it
	r.Header.Set("Signature", strings.Trim(signed, " \t"))
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return
	}
	if v.KeyId() != p.KeyID {
		t.Fatalf("%q: httpsig reads keyId %q, ParseSignature %q", signed, v.KeyId(), p.KeyID)
	}
	if err := v.Verify(key.Public(), httpsig.ED25519); err != nil {
		t.Fatalf("%q: a signature over %q does not verify with httpsig, which reads other headers (%v)", signed, p.Headers, err)
	}
}

// FuzzCheckDigest: the Digest check never panics and only accepts a header
// that matches the body.
func FuzzCheckDigest(f *testing.F) {
	f.Add("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", []byte(""))
	f.Add("sha-512=AAAA,SHA-256=BBBB", []byte("x"))
	f.Add("MD5=xyz", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if checkDigest([]string{header}, body) == nil && checkDigest([]string{header}, append(body, 'x')) == nil {
			t.Fatalf("a digest matched two different bodies: %q", header)
		}
	})
}
