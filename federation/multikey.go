package federation

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/ruche-social/ruche/activitystreams"
)

// A Multikey (FEP-521a) carries its public key as multibase text: "z", then
// the base58btc encoding of a multicodec prefix — an unsigned varint naming
// the key's type — followed by the key's bytes.
const (
	multicodecEd25519 = 0xed   // ed25519-pub: the key's 32 raw bytes
	multicodecRSA     = 0x1205 // rsa-pub: the key as PKCS#1 DER
	// maxMultibase bounds the text decoded, since base58 decoding takes time
	// quadratic in its length. The longest key in use, RSA-4096, takes about
	// 720 characters; RSA-8192 about 1,430.
	maxMultibase = 1500
)

// parseMultikey decodes a publicKeyMultibase value: an Ed25519 key, or an
// RSA key of at least 2048 bits.
func parseMultikey(s string) (crypto.PublicKey, error) {
	if len(s) > maxMultibase {
		return nil, fmt.Errorf("publicKeyMultibase is longer than %d characters", maxMultibase)
	}
	enc, ok := strings.CutPrefix(s, "z")
	if !ok {
		return nil, errors.New(`publicKeyMultibase is not base58btc (it must start with "z")`)
	}
	b, err := decodeBase58(enc)
	if err != nil {
		return nil, fmt.Errorf("publicKeyMultibase: %w", err)
	}
	code, n := binary.Uvarint(b)
	// Multicodec prefixes are minimal varints: a longer spelling of the
	// same number is malformed, not another name for it.
	if n <= 0 || n != len(binary.AppendUvarint(nil, code)) {
		return nil, errors.New("publicKeyMultibase has no valid multicodec prefix")
	}
	raw := b[n:]
	switch code {
	case multicodecEd25519:
		if len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("an Ed25519 Multikey has %d bytes, not %d", len(raw), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(raw), nil
	case multicodecRSA:
		k, err := x509.ParsePKCS1PublicKey(raw)
		if err != nil {
			return nil, fmt.Errorf("an RSA Multikey: %w", err)
		}
		return k, checkRSASize(k)
	}
	return nil, fmt.Errorf("multicodec 0x%x is not a key type the node verifies (Ed25519 0xed, RSA 0x1205)", code)
}

// base58Digits maps the bitcoin alphabet (no 0, O, I, l) to digit values;
// every other byte maps to -1.
var base58Digits = func() (d [256]int8) {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	for i := range d {
		d[i] = -1
	}
	for i := range len(alphabet) {
		d[alphabet[i]] = int8(i)
	}
	return d
}()

// decodeBase58 decodes base58btc text. Each leading "1" stands for a leading
// zero byte; the rest is a big-endian number in base 58.
func decodeBase58(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	var num []byte // the number so far, in base 256, least significant byte first
	for i := zeros; i < len(s); i++ {
		d := base58Digits[s[i]]
		if d < 0 {
			return nil, fmt.Errorf("%q is not a base58 character", s[i])
		}
		carry := int(d)
		for j := range num {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		for ; carry > 0; carry >>= 8 {
			num = append(num, byte(carry))
		}
	}
	out := make([]byte, zeros+len(num))
	for i, b := range num {
		out[len(out)-1-i] = b
	}
	return out, nil
}

// publicKeyOf decodes a key an actor publishes, and returns it with the PEM
// the node stores for it: the published PEM, or for a Multikey, which has
// none, its PKIX encoding — so that a stored key reads the same whatever
// form it came in.
func publicKeyOf(k activitystreams.PublicKey) (crypto.PublicKey, string, error) {
	if k.Multibase == "" {
		key, err := parsePublicKeyPEM(k.PEM)
		return key, k.PEM, err
	}
	key, err := parseMultikey(k.Multibase)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, "", err
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
