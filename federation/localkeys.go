package federation

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/queue"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// The keys of local actors.
//
// Making an RSA-2048 key pair takes tens of milliseconds, hundreds on a busy
// machine. Made inside the transaction that creates its actor, it held
// SQLite's single write lock all that time, and every other write of the node
// — the inbox, posts — waited. So no key is made with a transaction open:
//
//   - the creation of an actor stores the actor only, and makes its key
//     once the transaction has committed (makeKeyAfterCommit), in the same
//     call: when a member's creation returns, the member has a key;
//   - every reader of a local key that runs outside a transaction (signing,
//     the actor documents) goes through localKey, which makes the key if it
//     is missing. A crash between the actor's commit and its key's insert
//     leaves an actor without a key only until the key is first needed;
//   - the key is inserted if absent (the keyId is unique) and read back, so
//     requests or processes racing to make one actor's key all use the one
//     stored first;
//   - the writers of an actor's document inside a transaction (an Update of
//     the actor, written with the change) cannot make a missing key there:
//     they do their work once the transaction has committed and the key is
//     made (whenKeyed).
//
// A pool of keys made ahead in the background would keep the key in the
// actor's transaction, but it can run dry and then needs all of the above
// anyway; this is the simpler whole.

// keyGenerationHook, when set (by tests), is called by every key
// generation, just before it.
var keyGenerationHook atomic.Pointer[func()]

// generateKey makes a key pair for a local actor.
func generateKey() (private, public string, err error) {
	if h := keyGenerationHook.Load(); h != nil {
		(*h)()
	}
	return transport.GenerateKeyPEM()
}

// localKey returns the key of the local actor a, making it if a has none.
// It reads and writes outside any transaction: never call it with one open
// (on SQLite it would wait for the lock its caller holds).
func (f *Federation) localKey(ctx context.Context, a *spaces.Account) (*db.Key, error) {
	k, err := f.store.KeyOfAccount(ctx, a.ID)
	if !errors.Is(err, db.ErrNotFound) {
		if err != nil {
			return nil, fmt.Errorf("key of %s: %w", a.Username, err)
		}
		return k, nil
	}
	if err := queue.Alone(ctx); err != nil {
		return nil, err
	}
	priv, pub, err := generateKey()
	if err != nil {
		return nil, fmt.Errorf("make the key of %s: %w", a.Username, err)
	}
	if _, err := f.store.InsertKeyIfAbsent(ctx, &db.Key{
		ID: ulid.Make().String(), KeyID: f.keyID(a), AccountID: a.ID,
		PublicKeyPEM: pub, PrivateKeyPEM: priv, CreatedAt: f.clock(),
	}); err != nil {
		return nil, fmt.Errorf("store the key of %s: %w", a.Username, err)
	}
	// Ours, or the one another request stored first.
	k, err = f.store.KeyOfAccount(ctx, a.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fmt.Errorf("the keyId %s of %s is another account's", f.keyID(a), a.Username)
	}
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", a.Username, err)
	}
	return k, nil
}

// makeKeyAfterCommit makes the key of the local actor a, created in the
// transaction ctx carries, once it has committed. A failure is only logged: the key is then made when
// first needed.
func (f *Federation) makeKeyAfterCommit(ctx context.Context, a *spaces.Account) {
	ctx = context.WithoutCancel(ctx) // the actor is stored: its key must follow
	f.store.AfterCommit(ctx, func() {
		if _, err := f.localKey(ctx, a); err != nil {
			f.log.Warn("key of a new actor not made, it will be when first needed", "actor", a.Username, "err", err)
		}
	})
}

// keyInTx reads the key of the local actor a in the transaction ctx carries,
// for a writer of a's document. When a has no key yet, it returns nil and no
// error, and arranges for fn to run in a transaction of its own once that
// one has committed and the key is made: the caller returns, and fn does its
// work again.
//
// The deferred work is lost if the process stops before it runs. It is an
// Update of an actor whose key was missing, which no other server can have
// read (reading an actor makes its key): the next Update carries the same.
func (f *Federation) keyInTx(ctx context.Context, a *spaces.Account, fn func(ctx context.Context) error) (*db.Key, error) {
	k, err := f.store.KeyOfAccount(ctx, a.ID)
	switch {
	case err == nil:
		return k, nil
	case !errors.Is(err, db.ErrNotFound):
		return nil, fmt.Errorf("key of %s: %w", a.Username, err)
	}
	ctx = context.WithoutCancel(ctx)
	f.store.AfterCommit(ctx, func() {
		if _, err := f.localKey(ctx, a); err != nil {
			f.log.Warn("key not made, update not sent", "actor", a.Username, "err", err)
			return
		}
		if err := f.store.Tx(ctx, fn); err != nil {
			f.log.Warn("update not sent", "actor", a.Username, "err", err)
		}
	})
	return nil, nil
}
