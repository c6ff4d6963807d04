package spaces

import (
	"context"
	"errors"

	"github.com/ruche-social/ruche/db"
)

// LikePost makes by like a post they may see (uri: the Like activity of a
// remote account). Liking twice returns the existing like. Deleted posts and
// posts of archived spaces cannot be liked. The like's Post is the post and
// its author, without its parts (see db.VisiblePostHead).
func (s *Service) LikePost(ctx context.Context, by *Account, postID, uri string) (*Like, error) {
	var out *Like
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, by, postID, tx.VisiblePostHead) // a like needs no more of the post
		if err != nil {
			return err
		}
		if l, err := tx.LikeOf(ctx, p.ID, by.ID); err == nil {
			l.Account, l.Post, out = by, p, l
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		l := &Like{ID: newID(), PostID: p.ID, AccountID: by.ID, URI: uri, CreatedAt: s.now(), Account: by, Post: p}
		if err := tx.InsertLike(ctx, l); err != nil {
			return err
		}
		if err := tx.AddPostCounts(ctx, p.ID, 1, 0); err != nil {
			return err
		}
		p.LikeCount++
		out = l
		if err := s.notify(ctx, tx, NotifyLike, by, p, sp, p.Author); err != nil {
			return err
		}
		return s.emit(ctx, tx, PostLiked{Like: l})
	})
	if errors.Is(err, db.ErrConflict) {
		return nil, conflict("", "already_liked", "you like this post already")
	}
	if err != nil {
		return nil, internal("like", err)
	}
	return out, nil
}

// UnlikePost takes back by's like of a post.
func (s *Service) UnlikePost(ctx context.Context, by *Account, postID string) error {
	if !canAct(by) {
		return errUnauthenticated
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		l, err := tx.LikeOf(ctx, postID, by.ID)
		if err != nil {
			return notFoundOr("unlike", err, notFound("like_not_found", "you do not like this post"))
		}
		p, err := tx.PostByID(ctx, postID)
		if err != nil {
			return err
		}
		if err := tx.DeleteLike(ctx, l.ID); err != nil {
			return err
		}
		if err := tx.AddPostCounts(ctx, postID, -1, 0); err != nil {
			return err
		}
		p.LikeCount--
		l.Account, l.Post = by, p
		return s.emit(ctx, tx, PostUnliked{Like: l})
	})
	if err != nil {
		return internal("unlike", err)
	}
	return nil
}

// LikedAmong tells which of the posts viewer likes, for the doors to show.
func (s *Service) LikedAmong(ctx context.Context, viewer *Account, posts []*Post) (map[string]bool, error) {
	if !canAct(viewer) {
		return map[string]bool{}, nil
	}
	ids := make([]string, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	out, err := s.db.LikedAmong(ctx, viewer.ID, ids)
	if err != nil {
		return nil, internal("liked among", err)
	}
	return out, nil
}

// Likers lists who like a post viewer may see (at most maxPage, the latest).
func (s *Service) Likers(ctx context.Context, viewer *Account, postID string) ([]*Account, error) {
	if _, err := s.visiblePost(ctx, s.db, viewer, postID, s.db.VisiblePost); err != nil {
		return nil, err
	}
	out, err := s.db.Likers(ctx, postID, maxPage)
	if err != nil {
		return nil, internal("likers", err)
	}
	return out, nil
}
