package federation

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// RSASignRateForBench exposes the baseline to the external benchmarks.
var RSASignRateForBench = RSASignRate

// WaitCopies waits for the copies of remote files under way.
func (f *Federation) WaitCopies() { f.background.Wait() }

// MultikeyOf writes a public key (Ed25519 or RSA) as a Multikey's
// publicKeyMultibase, for the tests that play other servers.
func MultikeyOf(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return multibaseOf(multicodecEd25519, k)
	case *rsa.PublicKey:
		return multibaseOf(multicodecRSA, x509.MarshalPKCS1PublicKey(k))
	}
	panic(fmt.Sprintf("no Multikey for a %T", pub))
}
