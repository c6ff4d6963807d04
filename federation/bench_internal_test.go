package federation

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ruche-social/ruche/federation/transport"
)

// The benchmarks report, beside ns/op, how each figure compares with one
// RSA-2048 signature measured in the same run (x_rsa_sign: operations per
// second divided by RSA signatures per second), because machines differ and
// ratios much less.

var (
	rsaOnce  sync.Once
	rsaRate  float64
	benchKey *rsa.PrivateKey
)

// RSASignRate measures RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on
// one goroutine: the cost every delivery pays once.
func RSASignRate() float64 {
	rsaOnce.Do(func() {
		benchKey, _ = rsa.GenerateKey(rand.Reader, 2048)
		digest := sha256.Sum256([]byte("(request-target): post /inbox"))
		n, start := 0, time.Now()
		for time.Since(start) < 300*time.Millisecond {
			rsa.SignPKCS1v15(nil, benchKey, crypto.SHA256, digest[:])
			n++
		}
		rsaRate = float64(n) / time.Since(start).Seconds()
	})
	return rsaRate
}

func reportRatio(b *testing.B, opsPerSec float64) {
	b.ReportMetric(opsPerSec, "ops/s")
	b.ReportMetric(opsPerSec/RSASignRate(), "x_rsa_sign")
}

func BenchmarkRSASign(b *testing.B) {
	RSASignRate()
	digest := sha256.Sum256([]byte("x"))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		rsa.SignPKCS1v15(nil, benchKey, crypto.SHA256, digest[:])
	}
	reportRatio(b, float64(b.N)/time.Since(start).Seconds())
}

func signedPost(b *testing.B, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "https://node.example/users/alice/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := transport.SignRequest(req, "https://other.example/users/bob#main-key", benchKey, body, time.Now()); err != nil {
		b.Fatal(err)
	}
	return req
}

// BenchmarkSignRequest: signing one outgoing POST (digest, signature string,
// RSA signature, header).
func BenchmarkSignRequest(b *testing.B) {
	RSASignRate()
	body := bytes.Repeat([]byte("x"), 2000)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		signedPost(b, body)
	}
	reportRatio(b, float64(b.N)/time.Since(start).Seconds())
}

// BenchmarkVerifyRequest: checking one incoming POST (header parse, Digest,
// Date, RSA verification), the key already known.
func BenchmarkVerifyRequest(b *testing.B) {
	RSASignRate()
	body := bytes.Repeat([]byte("x"), 2000)
	req := signedPost(b, body)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		p, err := transport.ParseSignature(req.Header.Get("Signature"))
		if err != nil {
			b.Fatal(err)
		}
		if err := transport.CheckRequest(req, p, body, time.Now(), time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := transport.Verify(req, p, &benchKey.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
	reportRatio(b, float64(b.N)/time.Since(start).Seconds())
}
