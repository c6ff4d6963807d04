package federation

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/federation/transport"
)

// TestPublicKeyOfMultikey: a Multikey is stored as its key's PKIX PEM, as
// if it had come so, so that a stored key reads the same whatever its form.
func TestPublicKeyOfMultikey(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := transport.MultikeyOf(pub)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	want := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if _, stored, err := publicKeyOf(activitystreams.PublicKey{Multibase: mb}); err != nil || stored != want {
		t.Fatalf("stored as %q (%v), want %q", stored, err, want)
	}
}
