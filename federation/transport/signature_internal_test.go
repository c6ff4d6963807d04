package transport

import (
	"strings"
	"testing"
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
	} {
		if _, err := ParseSignature(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// FuzzParseSignature: any Signature header parses to complete parameters or
// fails; it never panics, and what it accepts has a keyId, headers and a
// base64 signature.
func FuzzParseSignature(f *testing.F) {
	f.Add(`keyId="https://b.example/users/bob#main-key",algorithm="hs2019",headers="(request-target) host date digest content-type",signature="c2lnbmF0dXJl"`)
	f.Add(`keyId="k",headers="date",signature="AAAA",created=1700000000,expires=1700000600`)
	f.Add(`keyId="",signature=""`)
	f.Add(`,,,,=`)
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignature(h)
		if err != nil {
			return
		}
		if p.KeyID == "" || len(p.Headers) == 0 || p.Signature == "" {
			t.Fatalf("incomplete parameters accepted: %+v", p)
		}
	})
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
