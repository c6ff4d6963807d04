package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"time"
)

// signingRate measures RSA-2048 PKCS#1 v1.5 signatures of SHA-256 digests per
// second on one core: every delivery costs one, so it is the physical limit of
// fan-out, and the baseline the federation figures are read against.
func signingRate(d time.Duration) (signs, verifies float64, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, 0, err
	}
	digest := sha256.Sum256([]byte("(request-target): post /inbox\nhost: example\ndate: now\ndigest: SHA-256=x"))
	var sig []byte
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			return 0, 0, err
		}
		n++
	}
	signs = float64(n) / time.Since(start).Seconds()
	n, start = 0, time.Now()
	for time.Since(start) < d {
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			return 0, 0, err
		}
		n++
	}
	return signs, float64(n) / time.Since(start).Seconds(), nil
}

func signing(ctx context.Context, e *env, r *Report) error {
	signs, verifies, err := signingRate(2 * time.Second)
	if err != nil {
		return err
	}
	e.signRate = signs
	r.add(Figure{Section: "Signing limit", Name: "RSA-2048 signatures, one core", Value: signs, Unit: "sig/s",
		Baseline: "itself (the baseline of fan-out)", BaseVal: signs, BaseUnit: "sig/s"})
	r.add(Figure{Section: "Signing limit", Name: "RSA-2048 verifications, one core", Value: verifies, Unit: "ver/s",
		Baseline: "RSA-2048 signatures", BaseVal: signs, BaseUnit: "sig/s"})
	return nil
}
