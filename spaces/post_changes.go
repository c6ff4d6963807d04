package spaces

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ruche-social/ruche/db"
)

// EditPost replaces the text of a post or comment (its kind and attachments
// stay, and its content warning unless in gives one). Only its author may,
// while its space is not archived.
func (s *Service) EditPost(ctx context.Context, by *Account, id string, in PostInput) (*Post, error) {
	if canAct(by) && by.IsLocal() {
		s.resolveMentions(ctx, in)
	}
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, by, id, tx.VisiblePost)
		if err != nil {
			return err
		}
		if p.Kind == KindPage && !by.IsLocal() {
			out, err = s.mirrorWikiRevision(ctx, tx, by, p, sp, in, false)
			return err
		}
		if err := s.mayEdit(ctx, tx, by, p, sp); err != nil {
			return err
		}
		if by.IsLocal() == in.HTML || len(in.Attachments) > 0 || len(in.RemoteAttachments) > 0 {
			return invalid("body", "edit_form", "a remote edit comes as HTML, a local one as Markdown; attachments stay")
		}
		if in.Kind != "" && in.Kind != p.Kind {
			return invalid("kind", "kind_fixed", "a post keeps its kind")
		}
		defaultLang := p.Language
		if err := s.fillText(ctx, tx, p, in, defaultLang); err != nil {
			return err
		}
		if err := applyWarning(p, in.Warning, !by.IsLocal()); err != nil {
			return err
		}
		if err := s.editEvent(ctx, tx, by, p, in.Event); err != nil {
			return err
		}
		if err := s.editFAQ(ctx, tx, by, p, sp, in.FAQ); err != nil {
			return err
		}
		if err := s.editDocument(ctx, tx, by, p, sp, in.Document); err != nil {
			return err
		}
		p.EditedAt = s.now()
		if !by.IsLocal() && !in.Published.IsZero() {
			p.EditedAt = in.Published.UTC().Truncate(time.Microsecond)
		}
		if err := tx.UpdatePost(ctx, p, true, "language", "title", "summary", "source", "content", "applies_to",
			"sensitive", "content_warning", "edited_at"); err != nil {
			return err
		}
		out, err = s.reload(ctx, tx, p.ID, sp, nil)
		if err != nil {
			return err
		}
		if err := s.indexPost(ctx, tx, out); err != nil {
			return err
		}
		return s.emit(ctx, tx, PostUpdated{Post: out})
	})
	if err != nil {
		return nil, internal("edit post", err)
	}
	return out, nil
}

// mayEdit is who edits a post: its author; an FAQ entry, its space's FAQ
// writers (mayEditFAQ); a wiki page is edited by EditWikiPage alone.
func (s *Service) mayEdit(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space) error {
	if p.Kind == KindFAQ {
		return s.mayEditFAQ(ctx, tx, by, p, sp)
	}
	if p.Kind == KindPage {
		return errWikiEditForm // EditWikiPage keeps its revisions
	}
	if p.AccountID != by.ID {
		return forbidden("not_author", "only the author may edit a post")
	}
	return nil
}

// ownPost loads a live post for a change, with load (see postLoad), with its
// space (nil for a profile post), refusing changes in archived spaces.
func (s *Service) ownPost(ctx context.Context, tx *db.DB, by *Account, id string, load postLoad) (*Post, *Space, error) {
	if !canAct(by) {
		return nil, nil, errUnauthenticated
	}
	p, err := s.visiblePost(ctx, tx, by, id, load)
	if err != nil {
		return nil, nil, err
	}
	var sp *Space
	if p.SpaceID != "" {
		if sp, err = tx.SpaceByAccountID(ctx, p.SpaceID); err != nil {
			return nil, nil, err
		}
		if sp.IsArchived() {
			return nil, nil, errArchived
		}
	}
	p.Space = sp
	return p, sp, nil
}

// DeletePost deletes a post or comment, leaving a tombstone. Its author may;
// so may the space's moderators (a removal, sent by the Group) and the node's
// staff for posts in local spaces or by local members.
func (s *Service) DeletePost(ctx context.Context, by *Account, id string) error {
	var files []string
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, by, id, tx.VisiblePost)
		if err != nil {
			return err
		}
		removal := p.AccountID != by.ID
		if removal {
			ok, err := s.mayModeratePost(ctx, tx, by, p, sp)
			if err != nil {
				return err
			}
			if !ok {
				return forbidden("not_author", "only the author or a moderator may delete a post")
			}
			p.DeletedByID = by.ID
			if by == Console {
				p.DeletedByID = ""
			}
		}
		if err := s.removeFAQEntry(ctx, tx, p); err != nil {
			return err
		}
		if err := s.removeDocument(ctx, tx, p); err != nil {
			return err
		}
		if err := s.removeWikiPage(ctx, tx, p); err != nil {
			return err
		}
		p.DeletedAt = s.now()
		if files, err = tx.Tombstone(ctx, p); err != nil {
			return err
		}
		if p.InReplyToID != "" {
			if err := tx.AddPostCounts(ctx, p.ThreadID, 0, -1); err != nil {
				return err
			}
		}
		// the mentions stay in memory, deleted from the store: the deletion
		// goes to the servers of the accounts the post mentioned
		p.Translations, p.Tags, p.Attachments = nil, nil, nil
		if removal {
			return s.emit(ctx, tx, PostRemoved{Post: p, By: by})
		}
		return s.emit(ctx, tx, PostDeleted{Post: p})
	})
	if err != nil {
		return internal("delete post", err)
	}
	s.removeFiles(files)
	return nil
}

// removeFiles deletes the files of deleted attachments, once the deletion is
// committed. A file left behind (the process dies here) wastes space only.
func (s *Service) removeFiles(paths []string) {
	for _, p := range paths {
		_ = os.Remove(filepath.Join(s.opts.MediaDir, filepath.FromSlash(p)))
	}
}

// mayModeratePost tells whether by moderates p: an active owner or moderator
// of its space, or the node's staff for a local space or a local author.
func (s *Service) mayModeratePost(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space) (bool, error) {
	if isStaff(by) && p.Local {
		return true, nil
	}
	return s.mayModerateSpace(ctx, tx, by, sp)
}

// mayModerateSpace tells whether by moderates sp: an active owner or
// moderator of it, its remote Group, or the node's staff for a local space.
func (s *Service) mayModerateSpace(ctx context.Context, tx *db.DB, by *Account, sp *Space) (bool, error) {
	if sp == nil {
		return false, nil
	}
	if isStaff(by) && sp.Account.IsLocal() || speaksFor(by, sp) {
		return true, nil
	}
	m, err := s.membershipOf(ctx, tx, sp, by)
	if err != nil || m == nil {
		return false, err
	}
	return m.State == StateActive && slices.Contains([]string{SpaceRoleOwner, SpaceRoleModerator}, m.Role), nil
}

// PinPost pins (or unpins) a top-level post of a space, which the space's
// moderators may, or a member's own profile post on their profile: the
// featured collection of the space's Group or of the member. At most 10
// posts are pinned in each.
func (s *Service) PinPost(ctx context.Context, by *Account, id string, pin bool) (*Post, error) {
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, by, id, tx.VisiblePost)
		if err != nil {
			return err
		}
		if p.InReplyToID != "" {
			return invalid("", "not_pinnable", "only top-level posts are pinned")
		}
		pins := db.Pins{AuthorID: p.AccountID}
		if sp != nil {
			pins = db.Pins{SpaceID: sp.AccountID}
			if ok, err := s.mayModeratePost(ctx, tx, by, p, sp); err != nil {
				return err
			} else if !ok {
				return forbidden("not_moderator", "only the space's moderators pin posts")
			}
		} else if p.AccountID != by.ID || !by.IsLocal() {
			return forbidden("not_author", "only its author pins a post on their profile")
		}
		out = p
		if pin == !p.PinnedAt.IsZero() {
			return nil
		}
		if pin {
			n, err := tx.CountPinned(ctx, pins)
			if err != nil {
				return err
			}
			if n >= maxPinned {
				return conflict("", "too_many_pinned", "at most 10 posts are pinned: unpin one first")
			}
			p.PinnedAt = s.now()
		} else {
			p.PinnedAt = time.Time{}
		}
		if err := tx.UpdatePost(ctx, p, false, "pinned_at"); err != nil {
			return err
		}
		if pin {
			return s.emit(ctx, tx, PostPinned{Post: p, By: by})
		}
		return s.emit(ctx, tx, PostUnpinned{Post: p, By: by})
	})
	if err != nil {
		return nil, internal("pin post", err)
	}
	return out, nil
}
