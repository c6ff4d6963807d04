package transport

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
)

// The keys below and their publicKeyMultibase values as Fedify 1.5
// (exportMultibaseKey) writes them: an independent encoder to read.
const (
	edVectorPEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=
-----END PUBLIC KEY-----
`
	edVectorMultibase = "z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
	rsaVectorPEM      = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvR7x5LMs1x2ijtaCU23s
MKUP2be2X/PUOa++zCxTPAkzjq/o3VnB17MnETMLeDP3kESKBOPaTd4dUJQtNuRs
RC7MyCBkK++uYvtJDJKCVB30Mf2rIbd4dJecuhSFWRlPPCBLkPEBAlNmFnlPrpph
vEHgCujJCQztLXnTRn2aI0/sF4RGN87qbF/1EdUGmiCMxoWk1NB+u67mb7+q+Vgn
lxkdEkWGv4ouKITnV4HRdAUDtelUyGc3n/FOZcNIGTnusyHTQbXznOtyrfTVV1n9
2smc/7mag/oV3e6zYQglO20WtxV6Vz1nhvZUY/xBQud6MqHP9n7cjA5Eqp+CbtSS
1QIDAQAB
-----END PUBLIC KEY-----
`
	rsaVectorMultibase = "z4MXj1wBzi9jUstyPcfV1FCpipxLjps7pZt8CP4D3YvovJr1x6NRmAyBTmVJKBWMGsZSDFCqiCjDnCJBSxRSPpfnaeavRPkXqR8RCVTyQS5nBMTGvKZytVNVxxGsiaLNCRT2YV3J5xPoEE4GT7xXvsdJ5geod7qnHAMLqMZxTstiqAnKjtNfXVb9fE6FiQomz757pD8Q9KTfmncHun3xjV6RWiL4yDpU8qdac67CoDB9kH2Yu6YuQxRMuP9CMBfyN9WYz4ViSMNkanEtSTiLvKeNwWx2D7qe3Z3SLn4pWJiYwBVVrue19581BY5AEYRheU439APjgeRuCv3y3w46JkyYrApukTUHZib7Bi9AAr8hmtmGTvU2t"
)

// TestParseMultikey: Fedify's Multikeys decode to the keys they encode, and
// a Multikey the node cannot use is refused with the reason.
func TestParseMultikey(t *testing.T) {
	for _, v := range []struct{ pem, multibase string }{{edVectorPEM, edVectorMultibase}, {rsaVectorPEM, rsaVectorMultibase}} {
		want, err := ParsePublicKeyPEM(v.pem)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseMultikey(v.multibase)
		if err != nil {
			t.Fatalf("%.20s…: %v", v.multibase, err)
		}
		if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
			t.Fatalf("%.20s… decodes to %v, want %v", v.multibase, got, want)
		}
	}
	edRaw := []byte(mustEd25519(t, edVectorPEM))
	rsaDER := x509.MarshalPKCS1PublicKey(mustRSA(t, rsaVectorPEM))
	if multibaseOf(multicodecEd25519, edRaw) != edVectorMultibase || multibaseOf(multicodecRSA, rsaDER) != rsaVectorMultibase {
		t.Fatal("the test encoder does not write what Fedify writes")
	}

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"empty":                   "",
		"base64url, not base58":   "u7QE" + strings.Repeat("A", 43),
		"no multibase prefix":     edVectorMultibase[1:],
		"not base58 (0, O, I, l)": "z6Mk0OIl" + edVectorMultibase[8:],
		"only the prefix":         multibaseOf(multicodecEd25519, nil),
		"Ed25519, 31 bytes":       multibaseOf(multicodecEd25519, edRaw[:31]),
		"Ed25519, 33 bytes":       multibaseOf(multicodecEd25519, append(edRaw, 0)),
		"P-256 (0x1200)":          multibaseOf(0x1200, append([]byte{2}, edRaw...)),
		"X25519 (0xec)":           multibaseOf(0xec, edRaw),
		"non-minimal varint":      "z" + encodeBase58(append([]byte{0xed, 0x81, 0x00}, edRaw...)),
		"RSA, not PKCS#1":         multibaseOf(multicodecRSA, edRaw),
		"RSA-1024":                multibaseOf(multicodecRSA, x509.MarshalPKCS1PublicKey(&small.PublicKey)),
		"too long":                "z" + strings.Repeat("2", maxMultibase),
	} {
		if k, err := ParseMultikey(bad); err == nil {
			t.Errorf("%s: accepted as %T", name, k)
		}
	}
}

func mustEd25519(t *testing.T, s string) ed25519.PublicKey {
	k, err := ParsePublicKeyPEM(s)
	if err != nil {
		t.Fatal(err)
	}
	return k.(ed25519.PublicKey)
}

func mustRSA(t *testing.T, s string) *rsa.PublicKey {
	k, err := ParsePublicKeyPEM(s)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PublicKey)
}

// FuzzParseMultikey: any text decodes to a usable key or fails, never
// panics; and base58 decoding reads back what the test encoder wrote.
func FuzzParseMultikey(f *testing.F) {
	f.Add(edVectorMultibase)
	f.Add(rsaVectorMultibase)
	f.Add("z111")
	f.Add("z")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseMultikey(s); err == nil {
			switch k := k.(type) {
			case ed25519.PublicKey:
			case *rsa.PublicKey:
				if k.N.BitLen() < 2048 {
					t.Fatalf("accepted a %d-bit RSA key", k.N.BitLen())
				}
			default:
				t.Fatalf("accepted a %T", k)
			}
		}
		b, err := decodeBase58(s)
		if err == nil && encodeBase58(b) != s {
			t.Fatalf("%q decodes to %x, which encodes to %q", s, b, encodeBase58(b))
		}
	})
}
