package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-fed/httpsig"
)

// peers are the other servers of the network, run inside the harness: each
// is a real HTTP server on its own loopback port (its own host to the node),
// serving the documents of its actors and receiving deliveries into their
// inboxes. A delivery counts only once its HTTP signature verifies (go-fed's
// httpsig, the key fetched from the node like any server does) and its
// Digest matches the body; anything else is answered 401 and counted as bad.
type peers struct {
	hosts  []*peerHost
	client *http.Client

	keyMu sync.Mutex
	keys  map[string]crypto.PublicKey // keyId → key, fetched once

	mu      sync.Mutex
	got     map[string]map[string]int // inbox URL → activity id → times received
	arrived chan struct{}             // a delivery was counted
	bad     atomic.Int64
}

type peerHost struct {
	origin string
	srv    *http.Server
	actors map[string]*peerActor // by username
}

// peerActor is an actor of a peer: a Person with its own RSA key.
type peerActor struct {
	id, keyID string
	key       *rsa.PrivateKey
	doc       []byte
}

// startPeers starts n peer servers with actorsPerHost actors each (named
// a0, a1, …). Keys are made only when withKeys is set (senders need them,
// receivers do not).
func startPeers(n, actorsPerHost int, withKeys bool) (*peers, error) {
	p := &peers{keys: map[string]crypto.PublicKey{}, got: map[string]map[string]int{},
		arrived: make(chan struct{}, 1), client: &http.Client{Timeout: 10 * time.Second}}
	var key *rsa.PrivateKey
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.close()
			return nil, err
		}
		h := &peerHost{origin: "http://" + ln.Addr().String(), actors: map[string]*peerActor{}}
		for i := range actorsPerHost {
			name := fmt.Sprintf("a%d", i)
			a := &peerActor{id: h.origin + "/users/" + name}
			a.keyID = a.id + "#main-key"
			if withKeys {
				// Generating 2048-bit keys is slow (~50 ms): peers share a
				// few, as servers of one software release share nothing else.
				if key == nil || len(p.hosts)%8 == 0 && i == 0 {
					if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
						return nil, err
					}
				}
				a.key = key
			}
			a.doc = actorDoc(h.origin, name, a)
			h.actors[name] = a
		}
		h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(h, w, r) }),
			ReadHeaderTimeout: 10 * time.Second}
		go h.srv.Serve(ln)
		p.hosts = append(p.hosts, h)
	}
	return p, nil
}

func actorDoc(origin, name string, a *peerActor) []byte {
	doc := map[string]any{
		"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                a.id,
		"type":              "Person",
		"preferredUsername": name,
		"name":              "Peer " + name,
		"inbox":             a.id + "/inbox",
		"outbox":            a.id + "/outbox",
		"followers":         a.id + "/followers",
		"following":         a.id + "/following",
		"endpoints":         map[string]any{"sharedInbox": origin + "/inbox"},
	}
	if a.key != nil {
		der, _ := x509.MarshalPKIXPublicKey(&a.key.PublicKey)
		doc["publicKey"] = map[string]any{"id": a.keyID, "owner": a.id,
			"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	}
	b, _ := json.Marshal(doc)
	return b
}

func (p *peers) close() {
	for _, h := range p.hosts {
		h.srv.Close()
	}
}

// serve answers actor documents (GET /users/NAME) and deliveries (POST to
// /inbox or /users/NAME/inbox).
func (p *peers) serve(h *peerHost, w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		name := strings.TrimPrefix(r.URL.Path, "/users/")
		a, ok := h.actors[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(a.doc)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := p.verify(r, body); err != nil {
		p.bad.Add(1)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var act struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &act) != nil || act.ID == "" {
		p.bad.Add(1)
		http.Error(w, "not an activity", http.StatusBadRequest)
		return
	}
	inbox := h.origin + r.URL.Path
	p.mu.Lock()
	if p.got[inbox] == nil {
		p.got[inbox] = map[string]int{}
	}
	p.got[inbox][act.ID]++
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

// verify checks a delivery as a receiving server does: the Digest against
// the body, then the signature with the sender's key.
func (p *peers) verify(r *http.Request, body []byte) error {
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("digest does not match")
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return err
	}
	key, err := p.key(r.Context(), v.KeyId())
	if err != nil {
		return err
	}
	return v.Verify(key, httpsig.RSA_SHA256)
}

// key returns the public key named keyId, fetched from its owner's document
// the first time.
func (p *peers) key(ctx context.Context, keyID string) (crypto.PublicKey, error) {
	p.keyMu.Lock()
	defer p.keyMu.Unlock()
	if k, ok := p.keys[keyID]; ok {
		return k, nil
	}
	actor, _, _ := strings.Cut(keyID, "#")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, actor, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		PublicKey struct {
			ID  string `json:"id"`
			PEM string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("actor %s: %w", actor, err)
	}
	block, _ := pem.Decode([]byte(doc.PublicKey.PEM))
	if block == nil || doc.PublicKey.ID != keyID {
		return nil, fmt.Errorf("actor %s has no key %s", actor, keyID)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	p.keys[keyID] = k
	return k, nil
}

// reached counts the inboxes that received activity matching want (by id)
// at least once, and the extra copies they received.
func (p *peers) reached(want func(id string) bool) (inboxes, duplicates int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, acts := range p.got {
		hit := false
		for id, n := range acts {
			if want(id) {
				hit = true
				duplicates += n - 1
			}
		}
		if hit {
			inboxes++
		}
	}
	return inboxes, duplicates
}

// activities lists the activity ids received so far.
func (p *peers) activities() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for _, acts := range p.got {
		for id := range acts {
			out[id] = true
		}
	}
	return out
}

// waitReached waits until n inboxes have an activity matching want, or the
// timeout passes; it returns how many had it then.
func (p *peers) waitReached(ctx context.Context, n int, want func(string) bool, timeout time.Duration) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got, _ := p.reached(want); got >= n {
			return got
		}
		select {
		case <-p.arrived:
		case <-deadline.C:
			got, _ := p.reached(want)
			return got
		case <-ctx.Done():
			return 0
		}
	}
}

// sign signs a POST of body to url as actor a, the way the node expects
// (draft-cavage-12, rsa-sha256, Digest).
func (a *peerActor) sign(url string, body []byte, now time.Time) (http.Header, error) {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Set("Content-Type", "application/activity+json")
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest", "content-type"}, httpsig.Signature, 0)
	if err != nil {
		return nil, err
	}
	if err := signer.SignRequest(a.key, a.keyID, req, body); err != nil {
		return nil, err
	}
	return req.Header, nil
}
