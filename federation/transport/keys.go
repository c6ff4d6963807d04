package transport

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// keyBits is the size of the RSA keys the node makes: Mastodon verifies RSA
// only, and 2048 bits is what the fediverse uses.
const keyBits = 2048

// GenerateKeyPEM makes an RSA key pair and returns its private half (PKCS#8)
// and public half (PKIX) as PEM. It costs tens of milliseconds: keys are made
// once per actor, outside any transaction, never per request.
func GenerateKeyPEM() (private, public string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", "", err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), nil
}

// ParsePublicKeyPEM reads a PKIX (RSA or Ed25519) or PKCS#1 RSA public key.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k := k.(type) {
		case *rsa.PublicKey:
			return k, checkRSASize(k)
		case ed25519.PublicKey:
			return k, nil
		}
		return nil, fmt.Errorf("unsupported key type %T", k)
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		return k, checkRSASize(k)
	}
	return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
}

// checkRSASize refuses RSA keys shorter than 2048 bits, which can be
// factored by whoever wants to sign as their owner.
func checkRSASize(k *rsa.PublicKey) error {
	if k.N.BitLen() < 2048 {
		return errors.New("RSA key shorter than 2048 bits")
	}
	return nil
}

// ParsePrivateKeyPEM reads a PKCS#8 private key.
func ParsePrivateKeyPEM(s string) (crypto.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParsePKCS8PrivateKey(block.Bytes)
}

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

// ParseMultikey decodes a publicKeyMultibase value: an Ed25519 key, or an
// RSA key of at least 2048 bits.
func ParseMultikey(s string) (crypto.PublicKey, error) {
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

// MultikeyOf writes a public key (Ed25519 or RSA) as a Multikey's
// publicKeyMultibase.
func MultikeyOf(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return multibaseOf(multicodecEd25519, k), nil
	case *rsa.PublicKey:
		return multibaseOf(multicodecRSA, x509.MarshalPKCS1PublicKey(k)), nil
	}
	return "", fmt.Errorf("no Multikey for a %T", pub)
}

// multibaseOf writes prefix and body as a publicKeyMultibase value
// (TestParseMultikey checks it against Fedify's output).
func multibaseOf(code uint64, body []byte) string {
	b := append(binary.AppendUvarint(nil, code), body...)
	return "z" + encodeBase58(b)
}

func encodeBase58(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	var digits []byte // base 58, least significant first
	for _, c := range b[zeros:] {
		carry := int(c)
		for j := range digits {
			carry += int(digits[j]) << 8
			digits[j] = byte(carry % 58)
			carry /= 58
		}
		for ; carry > 0; carry /= 58 {
			digits = append(digits, byte(carry%58))
		}
	}
	out := strings.Repeat("1", zeros)
	for i := len(digits) - 1; i >= 0; i-- {
		out += string(alphabet[digits[i]])
	}
	return out
}
