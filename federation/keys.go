package federation

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// cachedKey is a parsed private key, kept while its PEM is unchanged.
type cachedKey struct {
	pem string
	key crypto.PrivateKey
}

// signingKey returns the private key and keyId a local actor signs with.
func (f *Federation) signingKey(ctx context.Context, a *spaces.Account) (crypto.PrivateKey, string, error) {
	k, err := f.localKey(ctx, a)
	if err != nil {
		return nil, "", err
	}
	if c, ok := f.signing.Load(a.ID); ok && c.(*cachedKey).pem == k.PrivateKeyPEM {
		return c.(*cachedKey).key, k.KeyID, nil
	}
	key, err := transport.ParsePrivateKeyPEM(k.PrivateKeyPEM)
	if err != nil {
		return nil, "", fmt.Errorf("key of %s: %w", a.Username, err)
	}
	f.signing.Store(a.ID, &cachedKey{pem: k.PrivateKeyPEM, key: key})
	return key, k.KeyID, nil
}

// InstanceUsername is the name of the node's own actor, an Application at
// /actor that signs the node's fetches. The name is reserved for members.
const InstanceUsername = "actor"

// instanceActor returns the node's actor, creating it the first time (its
// key is made by localKey, outside any transaction).
func (f *Federation) instanceActor(ctx context.Context) (*spaces.Account, error) {
	return f.spaces.ApplicationAccount(ctx, InstanceUsername, f.cfg.Node.Name)
}

// signAs returns a function that signs a GET as the local account as, or
// as the node's actor when as is nil.
func (f *Federation) signAs(ctx context.Context, as *spaces.Account) (func(*http.Request) error, error) {
	if as == nil {
		inst, err := f.instanceActor(ctx)
		if err != nil {
			return nil, err
		}
		as = inst
	}
	key, keyID, err := f.signingKey(ctx, as)
	if err != nil {
		return nil, err
	}
	return func(r *http.Request) error { return transport.SignRequest(r, keyID, key, nil, f.clock()) }, nil
}

// fetchDocument GETs an ActivityStreams document, signed by the node's actor
// (servers in authorized-fetch mode demand it), through the guarded client.
func (f *Federation) fetchDocument(ctx context.Context, iri string) (map[string]any, error) {
	return f.fetchDocumentAs(ctx, iri, nil)
}

// fetchDocumentAs is fetchDocument signed by the local account as (nil: the
// node's actor): a direct post is served only to the accounts it addresses.
func (f *Federation) fetchDocumentAs(ctx context.Context, iri string, as *spaces.Account) (map[string]any, error) {
	doc, err := f.fetchAnyID(ctx, iri, as)
	if err != nil {
		return nil, err
	}
	// A server speaks only for its own objects: the document must carry the
	// id it was fetched by, so nobody can serve a copy of another's actor.
	if id := activitystreams.IRIOf(doc["id"]); id != strings.SplitN(iri, "#", 2)[0] {
		return nil, fmt.Errorf("the document at %s has the id %q", iri, id)
	}
	return doc, nil
}

// fetchAnyID is fetchDocumentAs without the rule on the document's id, for
// the one caller that reads documents published under another id than
// their URL (the stub of an actor served at its key's URL) and checks them
// itself: fetchKey.
func (f *Federation) fetchAnyID(ctx context.Context, iri string, as *spaces.Account) (map[string]any, error) {
	if err := f.hostAllowed(ctx, activitystreams.Host(iri)); err != nil {
		return nil, err
	}
	sign, err := f.signAs(ctx, as)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Federation.DeliveryTimeout)
	defer cancel()
	body, err := f.client.Get(ctx, iri, activitystreams.MediaType+", "+activitystreams.LDMediaType, sign)
	if err != nil {
		return nil, err
	}
	return activitystreams.ParseObject(body)
}

// remoteKey is a verified remote key and its owner.
type remoteKey struct {
	row   *db.Key
	key   crypto.PublicKey
	owner *spaces.Account
}

// Key errors of the protocol: the transport verifies signatures, this layer
// knows whose keys they are. errKeyUnavailable is answered as it stands,
// without the cause of the failed fetch (an address, a refused port: the
// inbox would be a probe of the network behind the node); errKeyRefused
// says why the documents the sender's own server served do not make a key,
// which tells that server nothing it did not say.
var (
	errKeyOwner       = errors.New("the key does not belong to the activity's actor")
	errKeyUnavailable = errors.New("the signing key cannot be obtained")
	errKeyRefused     = errors.New("the signing key is refused")
)

// errActorGone is returned when a key's owner answers 404 or 410: the actor
// was deleted on its server.
var errActorGone = errors.New("the actor is gone from its server")

// publicKey returns the key named keyID: from the database, or fetched from
// its owner's server (and stored) when unknown or when refresh is set.
func (f *Federation) publicKey(ctx context.Context, keyID string, refresh bool) (*remoteKey, error) {
	now := f.clock()
	if !refresh {
		if k, ok := f.keys.Get(keyID, now); ok {
			return k, nil
		}
		row, err := f.store.KeyByKeyID(ctx, keyID)
		if err == nil {
			k, err := loadedKey(row)
			if err == nil {
				f.keys.Put(k.row.KeyID, k.row.AccountID, k, now)
			}
			return k, err
		}
		if !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
	}
	k, err := f.fetchKey(ctx, keyID)
	if err == nil {
		f.keys.Put(k.row.KeyID, k.row.AccountID, k, now)
	}
	return k, err
}

func loadedKey(row *db.Key) (*remoteKey, error) {
	k, err := transport.ParsePublicKeyPEM(row.PublicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("stored key %s: %w", row.KeyID, err)
	}
	return &remoteKey{row: row, key: k, owner: row.Account}, nil
}

// fetchKey reads keyID from its server and stores its owner with the
// owner's keys. The keyId may be, in the forms in use:
//   - the owner's IRI with a fragment (…/users/x#main-key: Mastodon, Fedify,
//     Lemmy, Misskey), whose document without the fragment is the owner's;
//   - a URL serving a stub of the owner, whose id is the owner's IRI
//     (GoToSocial: …/users/x/main-key);
//   - a key document of its own: a Key or CryptographicKey naming its owner,
//     or a Multikey (FEP-521a) naming its controller.
//
// Whatever the form, the document at the key's URL only says who the owner
// is. The key itself is read from the owner's own document, fetched at the
// owner's IRI, on the keyId's origin, which must list it: a stub or a key
// document is one more document of that origin (a stale copy, or a file
// anyone could place there), and only the owner's word binds the key to it.
// Nothing is stored when any of this fails.
func (f *Federation) fetchKey(ctx context.Context, keyID string) (*remoteKey, error) {
	at := strings.SplitN(keyID, "#", 2)[0]
	doc, err := f.fetchAnyID(ctx, at, nil)
	if err != nil {
		if s := transport.StatusOf(err); s == http.StatusGone || s == http.StatusNotFound {
			return nil, errActorGone
		}
		return nil, fmt.Errorf("%w: %v", errKeyUnavailable, err)
	}
	owner, err := keyOwner(keyID, at, doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyRefused, err)
	}
	if owner != at {
		// A stub or a key document: one more fetch, of the owner itself.
		if doc, err = f.fetchDocument(ctx, owner); err != nil {
			return nil, fmt.Errorf("%w: the key's owner: %v", errKeyUnavailable, err)
		}
	}
	ra, err := activitystreams.ActorFrom(doc)
	if err == nil && ra.ID != owner {
		err = fmt.Errorf("the document is %s", ra.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the key's owner %s: %v", errKeyRefused, owner, err)
	}
	listed, ok := ra.Key(keyID)
	if !ok {
		return nil, fmt.Errorf("%w: the document of %s does not list the key %s", errKeyRefused, owner, keyID)
	}
	if _, _, err := publicKeyOf(listed); err != nil {
		return nil, fmt.Errorf("%w: the key %s of %s: %v", errKeyRefused, keyID, owner, err)
	}
	actor, err := f.storeRemoteActor(ctx, ra)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKeyUnavailable, err)
	}
	row, err := f.store.KeyByKeyID(ctx, keyID)
	if err != nil || row.AccountID != actor.ID {
		return nil, fmt.Errorf("%w: the key %s is not stored as %s's", errKeyUnavailable, keyID, owner)
	}
	return loadedKey(row)
}

// keyOwner reads the IRI of a key's owner from the document served at the
// key's URL (at: the keyId without its fragment), refusing a document that
// points to another origin than the keyId's.
func keyOwner(keyID, at string, doc map[string]any) (string, error) {
	id := activitystreams.IRIOf(doc["id"])
	switch {
	case id == "":
		return "", fmt.Errorf("the document at %s has no id", at)
	case activitystreams.ActorTypes[activitystreams.TypeOf(doc)]:
		// The owner's document (its id is at), or a stub of it (its id is
		// the owner's IRI, somewhere else).
		if !activitystreams.SameOrigin(id, keyID) {
			return "", fmt.Errorf("the document at %s stands for %s, on another origin", at, id)
		}
		return id, nil
	case id != at:
		return "", fmt.Errorf("the document at %s has the id %q", at, id)
	}
	k, ok := activitystreams.KeyFrom(doc)
	switch {
	case !ok:
		return "", fmt.Errorf("the document at %s is neither an actor nor a key", at)
	case k.ID != keyID:
		return "", fmt.Errorf("the document at %s is the key %s, not %s", at, k.ID, keyID)
	case !activitystreams.SameOrigin(k.Owner, keyID):
		return "", fmt.Errorf("the key %s names an owner on another origin, %s", keyID, k.Owner)
	}
	return k.Owner, nil
}

// storeActor records (or refreshes) a remote actor from its document, with
// its keys.
func (f *Federation) storeActor(ctx context.Context, doc map[string]any) (*spaces.Account, error) {
	ra, err := activitystreams.ActorFrom(doc)
	if err != nil {
		return nil, err
	}
	return f.storeRemoteActor(ctx, ra)
}

// storeRemoteActor records (or refreshes) a remote actor read from its
// document, with its keys.
func (f *Federation) storeRemoteActor(ctx context.Context, ra *activitystreams.RemoteActor) (*spaces.Account, error) {
	if activitystreams.SameOrigin(ra.ID, f.origin) {
		return nil, errors.New("a remote document claims a local actor")
	}
	a, err := f.spaces.SaveRemoteAccount(ctx, spaces.RemoteProfile{
		URI: ra.ID, Type: ra.Type, Username: ra.PreferredUsername, DisplayName: ra.Name, Bio: ra.Summary,
		Locked: ra.ManuallyApprovesFollowers, InboxURI: ra.Inbox, SharedInboxURI: ra.SharedInbox,
		OutboxURI: ra.Outbox, FollowersURI: ra.Followers, FollowingURI: ra.Following, URL: ra.URL, IconURL: ra.Icon,
	})
	if err != nil {
		return nil, err
	}
	if a.Type == spaces.TypeGroup {
		if err := f.storeRemoteSpace(ctx, a, ra); err != nil {
			return nil, err
		}
	}
	f.refreshAvatar(ctx, a)
	now := f.clock()
	for try := 0; try < 2; try++ { // a concurrent fetch may insert the same key first
		err = f.storeKeys(ctx, a, ra.Keys, now)
		if !errors.Is(err, db.ErrConflict) {
			break
		}
	}
	return a, err
}

// storeKeys records or refreshes the keys of a remote actor.
func (f *Federation) storeKeys(ctx context.Context, a *spaces.Account, keys []activitystreams.PublicKey, now time.Time) error {
	return f.store.Tx(ctx, func(ctx context.Context) error {
		f.store.AfterCommit(ctx, func() { f.keys.ForgetOwner(a.ID) })
		for _, k := range keys {
			_, pemKey, err := publicKeyOf(k)
			if err != nil {
				continue // a key the node cannot use
			}
			row, err := f.store.KeyByKeyID(ctx, k.ID)
			switch {
			case errors.Is(err, db.ErrNotFound):
				if err := f.store.InsertKey(ctx, &db.Key{ID: ulid.Make().String(), KeyID: k.ID, AccountID: a.ID,
					PublicKeyPEM: pemKey, CreatedAt: now, FetchedAt: now}); err != nil {
					return err
				}
			case err != nil:
				return err
			case row.AccountID != a.ID:
				return fmt.Errorf("key %s already belongs to another actor", k.ID)
			default:
				row.PublicKeyPEM, row.FetchedAt = pemKey, now
				if err := f.store.UpdateKey(ctx, row, "public_key_pem", "fetched_at"); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ResolveActor returns the remote actor with IRI iri, fetching it when the
// node does not know it yet or knew it more than a day ago.
func (f *Federation) ResolveActor(ctx context.Context, iri string) (*spaces.Account, error) {
	a, err := f.spaces.RemoteAccountByURI(ctx, iri)
	if err == nil && f.clock().Sub(a.FetchedAt) < 24*time.Hour {
		return a, nil
	}
	doc, err := f.fetchDocument(ctx, iri)
	if err != nil {
		if a != nil {
			return a, nil // a stale copy beats none
		}
		return nil, err
	}
	return f.storeActor(ctx, doc)
}

// publicKeyOf decodes a key an actor publishes, and returns it with the PEM
// the node stores for it: the published PEM, or for a Multikey, which has
// none, its PKIX encoding — so that a stored key reads the same whatever
// form it came in.
func publicKeyOf(k activitystreams.PublicKey) (crypto.PublicKey, string, error) {
	if k.Multibase == "" {
		key, err := transport.ParsePublicKeyPEM(k.PEM)
		return key, k.PEM, err
	}
	key, err := transport.ParseMultikey(k.Multibase)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, "", err
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
