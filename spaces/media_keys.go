package spaces

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"sync"
)

// Media keys open a file without a session: apps load images with no cookie
// and no token, so the client API gives the files of the posts a reader may
// see with a key, an HMAC of the file's id under the node's secret (made at
// first use, kept with the node's settings, so that every process of the
// node, and a restored backup, agree on it). A key is as good as the
// reader's right at the time it was given, like an address of a file on a
// Mastodon server.

const settingMediaKey = "media_key"

type mediaKeyCache struct {
	mu     sync.Mutex
	secret []byte
}

func (s *Service) mediaSecret(ctx context.Context) ([]byte, error) {
	c := &s.mediaKey
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secret != nil {
		return c.secret, nil
	}
	secret, err := s.readMediaSecret(ctx)
	if err == nil && secret == nil {
		b := make([]byte, 32)
		rand.Read(b)
		if err = s.db.AddNodeSetting(ctx, settingMediaKey, hex.EncodeToString(b), s.now()); err == nil {
			secret, err = s.readMediaSecret(ctx)
		}
	}
	if err != nil || secret == nil {
		return nil, internal("media secret", cmp.Or(err, errors.New("no media secret")))
	}
	c.secret = secret
	return secret, nil
}

// readMediaSecret reads the secret, nil if there is none yet.
func (s *Service) readMediaSecret(ctx context.Context) ([]byte, error) {
	saved, err := s.db.NodeSettings(ctx)
	if err != nil || saved[settingMediaKey] == "" {
		return nil, err
	}
	return hex.DecodeString(saved[settingMediaKey])
}

// MediaKeys returns the function that gives a file's key.
func (s *Service) MediaKeys(ctx context.Context) (func(id string) string, error) {
	secret, err := s.mediaSecret(ctx)
	if err != nil {
		return nil, err
	}
	return func(id string) string { return mediaKey(secret, id) }, nil
}

func mediaKey(secret []byte, id string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("media:" + id))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// OpenMediaByKey opens a stored file given its key (see MediaKeys). A wrong
// key is the same answer as no such file. The caller closes the file.
func (s *Service) OpenMediaByKey(ctx context.Context, id, key string) (*Media, *os.File, error) {
	secret, err := s.mediaSecret(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !hmac.Equal([]byte(mediaKey(secret, id)), []byte(key)) {
		return nil, nil, errMediaNotFound
	}
	m, err := s.db.MediaByID(ctx, id)
	if err != nil {
		return nil, nil, notFoundOr("media", err, errMediaNotFound)
	}
	if m.PostID != "" { // a deleted post's files go with it
		p, err := s.db.PostByID(ctx, m.PostID)
		if err != nil || p.IsDeleted() {
			return nil, nil, notFoundOr("media", err, errMediaNotFound)
		}
	}
	return s.openStored(m)
}
