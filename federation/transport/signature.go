package transport

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Outgoing requests are signed as Mastodon expects (draft-cavage-12):
// rsa-sha256 over (request-target), host and date, plus digest and
// content-type for a POST, whose body carries a SHA-256 Digest.
var (
	getHeaders  = []string{httpsig.RequestTarget, "host", "date"}
	postHeaders = []string{httpsig.RequestTarget, "host", "date", "digest", "content-type"}
)

// SignRequest signs r as keyID. body is the exact body of a POST, nil for a
// GET. go-fed/httpsig signers are not safe for concurrent use, so each request
// gets its own; the Host header must be set before signing, since the client
// only fills it in when sending.
func SignRequest(r *http.Request, keyID string, key crypto.PrivateKey, body []byte, now time.Time) error {
	r.Host = r.URL.Host
	r.Header.Set("Host", r.URL.Host)
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	headers := getHeaders
	if body != nil {
		headers = postHeaders
		r.Header.Del("Digest")
	}
	algo := httpsig.RSA_SHA256
	if _, ok := key.(ed25519.PrivateKey); ok {
		algo = httpsig.ED25519
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{algo}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	if err := signer.SignRequest(key, keyID, r, body); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	// httpsig always writes algorithm="hs2019". The algorithm parameter is not
	// covered by the signature; naming the real one serves the servers that
	// still check it.
	r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="`+string(algo)+`"`, 1))
	return nil
}

// Params are the parameters of a Signature header.
type Params struct {
	KeyID     string
	Algorithm string
	Headers   []string
	Signature string
	Created   int64
	Expires   int64
}

// Signature errors; each makes the request unauthenticated (401).
var (
	ErrNoSignature      = errors.New("the request is not signed")
	ErrBadSignature     = errors.New("the Signature header is malformed")
	ErrSignedHeaders    = errors.New("the signature does not cover (request-target), host, date and, for a POST, digest")
	ErrDate             = errors.New("the Date header is missing or outside the allowed window")
	ErrDigest           = errors.New("the Digest header does not match the body")
	ErrAlgorithm        = errors.New("the signature algorithm does not match the key")
	ErrVerify           = errors.New("the signature does not verify")
	sigParamPattern     = regexp.MustCompile(`^([a-zA-Z]+)=(?:"([^"]*)"|([0-9]+))$`)
	maxSignatureHeader  = 8 << 10
	maxSignedHeaderList = 32
)

// ParseSignature reads a Signature header strictly: every parameter once,
// quoted values without commas, no space around a parameter, signed header
// names separated by one space (go-fed/httpsig, which verifies afterwards,
// splits on commas and spaces naively and ignores a parameter whose name
// starts with a space, falling back to signing the Date alone: rejecting what
// it would misread keeps both parsers in agreement about what was signed,
// which CheckRequest relies on). A header value is printable ASCII: any
// other byte comes from no server, and lowercasing it (both parsers lowercase
// header names) would turn it into something else.
func ParseSignature(h string) (*Params, error) {
	if h == "" {
		return nil, ErrNoSignature
	}
	if len(h) > maxSignatureHeader || strings.ContainsFunc(h, func(r rune) bool { return r < ' ' || r > '~' }) {
		return nil, ErrBadSignature
	}
	p := &Params{}
	seen := map[string]bool{}
	for _, part := range strings.Split(h, ",") {
		m := sigParamPattern.FindStringSubmatch(part)
		if m == nil {
			return nil, ErrBadSignature
		}
		k, v := m[1], m[2]
		if m[3] != "" {
			v = m[3]
		}
		if seen[k] {
			return nil, ErrBadSignature
		}
		seen[k] = true
		switch k {
		case "keyId":
			p.KeyID = v
		case "algorithm":
			p.Algorithm = strings.ToLower(v)
		case "headers":
			p.Headers = strings.Split(strings.ToLower(v), " ")
			if slices.Contains(p.Headers, "") {
				return nil, ErrBadSignature
			}
		case "signature":
			p.Signature = v
		case "created", "expires":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, ErrBadSignature
			}
			if k == "created" {
				p.Created = n
			} else {
				p.Expires = n
			}
		}
	}
	if p.KeyID == "" || p.Signature == "" || len(p.Headers) == 0 || len(p.Headers) > maxSignedHeaderList {
		return nil, ErrBadSignature
	}
	if _, err := base64.StdEncoding.DecodeString(p.Signature); err != nil {
		return nil, ErrBadSignature
	}
	return p, nil
}

// covers tells whether the signed headers include every one of want.
func (p *Params) covers(want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range p.Headers {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CheckRequest checks what the signature's verification does not: the signed
// headers, the Date window and, for a request with a body, the Digest (which
// go-fed/httpsig does not compare with the body).
func CheckRequest(r *http.Request, p *Params, body []byte, now time.Time, skew time.Duration) error {
	want := []string{"(request-target)", "host", "date"}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		want = append(want, "digest")
	}
	if !p.covers(want...) {
		return ErrSignedHeaders
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || date.Before(now.Add(-skew)) || date.After(now.Add(skew)) {
		return ErrDate
	}
	if p.Expires != 0 && now.Unix() > p.Expires {
		return ErrDate
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return checkDigest(r.Header.Values("Digest"), body)
	}
	return nil
}

// checkDigest compares a Digest header (RFC 3230: one or more algo=base64
// pairs) with the body. At least one known algorithm must be present, and
// every known one must match.
func checkDigest(values []string, body []byte) error {
	matched := false
	for _, v := range values {
		for _, pair := range strings.Split(v, ",") {
			algo, enc, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return ErrDigest
			}
			var sum []byte
			switch strings.ToUpper(algo) {
			case "SHA-256":
				s := sha256.Sum256(body)
				sum = s[:]
			case "SHA-512":
				s := sha512.Sum512(body)
				sum = s[:]
			default:
				continue
			}
			got, err := base64.StdEncoding.DecodeString(enc)
			if err != nil || subtle.ConstantTimeCompare(got, sum) != 1 {
				return ErrDigest
			}
			matched = true
		}
	}
	if !matched {
		return ErrDigest
	}
	return nil
}

// algorithmFor picks the verification algorithm: hs2019 (or none) takes it
// from the key's type; a named algorithm must agree with the key.
func algorithmFor(named string, key crypto.PublicKey) (httpsig.Algorithm, error) {
	var fromKey httpsig.Algorithm
	switch key.(type) {
	case *rsa.PublicKey:
		fromKey = httpsig.RSA_SHA256
	case ed25519.PublicKey:
		fromKey = httpsig.ED25519
	default:
		return "", ErrAlgorithm
	}
	switch named {
	case "", "hs2019", string(fromKey):
		return fromKey, nil
	}
	return "", ErrAlgorithm
}

// Verify verifies r's signature with key.
func Verify(r *http.Request, p *Params, key crypto.PublicKey) error {
	algo, err := algorithmFor(p.Algorithm, key)
	if err != nil {
		return err
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return ErrBadSignature
	}
	if v.KeyId() != p.KeyID {
		return ErrBadSignature // the two parsers disagree: refuse rather than guess
	}
	if err := v.Verify(key, algo); err != nil {
		return ErrVerify
	}
	return nil
}
