package spaces

import (
	"context"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// RemoteAvatar records the picture a remote actor's document names as its
// icon, so that the node keeps a copy and its pages show it without loading
// another server's file. It returns the file to fetch and cache, or nil when
// there is nothing to fetch: no icon (the avatar is cleared), or the same icon
// as the avatar already has.
func (s *Service) RemoteAvatar(ctx context.Context, a *Account) (*Media, error) {
	if a.IsLocal() {
		return nil, nil
	}
	if a.IconURL == "" {
		if a.AvatarID == "" {
			return nil, nil
		}
		return nil, s.setRemoteAvatar(ctx, a, nil)
	}
	if a.AvatarID != "" {
		if m, err := s.db.MediaByID(ctx, a.AvatarID); err == nil && m.URI == a.IconURL {
			return nil, nil
		}
	}
	m := &Media{ID: newID(), AccountID: a.ID, URI: a.IconURL, MediaType: "application/octet-stream", Name: "avatar", CreatedAt: s.now()}
	if err := checkRemoteFile(m); err != nil {
		return nil, err
	}
	if err := s.db.InsertMedia(ctx, m); err != nil {
		return nil, internal("remote avatar", err)
	}
	return m, nil
}

// AdoptRemoteAvatar makes the file RemoteAvatar returned the remote actor's
// avatar once its copy is cached, if it is an image; the former picture's
// copy is removed. A file that could not be cached, or is no image, is
// dropped: the actor keeps its former avatar.
func (s *Service) AdoptRemoteAvatar(ctx context.Context, a *Account, id string) error {
	m, err := s.db.MediaByID(ctx, id)
	if err != nil || m.AccountID != a.ID || m.PostID != "" {
		return notFoundOr("remote avatar", err, notFound("media_not_found", "no such file"))
	}
	if m.Path == "" || !strings.HasPrefix(m.MediaType, "image/") {
		if err := s.db.DeleteMedia(ctx, m.ID); err != nil {
			return internal("remote avatar", err)
		}
		if m.Path != "" {
			s.removeFiles([]string{m.Path})
		}
		return invalid("avatar_id", "image_invalid", "the actor's icon could not be kept as an image")
	}
	return s.setRemoteAvatar(ctx, a, m)
}

// setRemoteAvatar points a remote actor's avatar at m (nil for none) and
// drops the file it replaces.
func (s *Service) setRemoteAvatar(ctx context.Context, a *Account, m *Media) error {
	var gone []string
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		cur, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		old := cur.AvatarID
		cur.AvatarID = ""
		if m != nil {
			cur.AvatarID = m.ID
		}
		if err := tx.UpdateAccount(ctx, cur, "avatar_id"); err != nil {
			return err
		}
		a.AvatarID = cur.AvatarID
		if old == "" || old == cur.AvatarID {
			return nil
		}
		prev, err := tx.MediaByID(ctx, old)
		if err != nil || prev.AccountID != a.ID || prev.PostID != "" {
			return nil // not the actor's own picture file: left alone
		}
		if prev.Path != "" {
			gone = append(gone, prev.Path)
		}
		return tx.DeleteMedia(ctx, prev.ID)
	})
	if err != nil {
		return internal("remote avatar", err)
	}
	s.removeFiles(gone)
	return nil
}
