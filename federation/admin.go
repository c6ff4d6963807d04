package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Status is what an admin sees of the federation queues.
type Status = spaces.FederationStatus

var _ spaces.FederationAdmin = (*Federation)(nil)

// Status reads the state of the queues, with the last ten dead jobs of each.
func (f *Federation) Status(ctx context.Context) (*Status, error) {
	s, err := f.queue.Status(ctx, 10)
	if err != nil {
		return nil, err
	}
	return (*Status)(s), nil
}

// Policy says with whom the node federates: its mode, and the allowlist
// (the configuration's hosts, then those admins added).
func (f *Federation) Policy(ctx context.Context) (spaces.FederationPolicy, error) {
	p := spaces.FederationPolicy{Mode: f.cfg.Federation.Mode}
	for _, h := range f.cfg.Federation.Allowlist {
		p.Allowlist = append(p.Allowlist, spaces.AllowedHost{Host: strings.ToLower(h), Configured: true})
	}
	added, err := f.store.ListAllowedHosts(ctx)
	if err != nil {
		return p, err
	}
	for _, h := range added {
		p.Allowlist = append(p.Allowlist, spaces.AllowedHost{Host: h.Host, Note: h.Note, CreatedAt: h.CreatedAt})
	}
	return p, nil
}

// RetryHost makes every pending or dead delivery to host due now and
// forgets its failures, for when an admin knows it is back.
func (f *Federation) RetryHost(ctx context.Context, host string) (int, error) {
	h, err := config.NormalizeHost(host)
	if err != nil {
		return 0, spaces.ErrDomainInvalid.On("host").With(err)
	}
	return f.queue.RetryHost(ctx, h)
}

// RotateKey gives a local actor (a member by username, or the node's actor
// for "") a new key pair and tells its followers with an Update. The keyId
// stays the same: servers that cached the old key refetch it when a
// signature fails to verify with it.
func (f *Federation) RotateKey(ctx context.Context, username string) (*spaces.Account, error) {
	if username == "" {
		username = InstanceUsername
	}
	a, err := f.spaces.LocalAccount(ctx, username)
	if err != nil {
		return nil, err
	}
	if a.Status != spaces.StatusActive {
		return nil, fmt.Errorf("%s is %s: its key is not in use", a.Username, a.Status)
	}
	priv, pub, err := generateKey()
	if err != nil {
		return nil, err
	}
	err = f.store.Tx(ctx, func(ctx context.Context) error {
		k, err := f.store.KeyOfAccount(ctx, a.ID)
		switch {
		case errors.Is(err, db.ErrNotFound): // never made (see localKey): the new key is the first
			err = f.store.InsertKey(ctx, &db.Key{ID: ulid.Make().String(), KeyID: f.keyID(a), AccountID: a.ID,
				PublicKeyPEM: pub, PrivateKeyPEM: priv, CreatedAt: f.clock()})
		case err == nil:
			k.PrivateKeyPEM, k.PublicKeyPEM, k.CreatedAt = priv, pub, f.clock()
			err = f.store.UpdateKey(ctx, k, "private_key_pem", "public_key_pem", "created_at")
		}
		if err != nil {
			return err
		}
		if a.Type == spaces.TypeApplication {
			return nil // the node's actor has no followers
		}
		return f.sendActorUpdate(ctx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("rotate the key of %s: %w", a.Username, err)
	}
	return a, nil
}
