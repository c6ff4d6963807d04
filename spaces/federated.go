package spaces

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// Operations that only the federation door calls: what a remote space's
// Group tells this node about its space, and the files of remote posts. The
// Group is the authority of its space — it checked who may join and post —
// so what it announces enters with the Group as the one who acts.

// RemoteSpace is what a remote Group publishes about its space.
type RemoteSpace struct {
	Visibility string   // public, network or members; anything else is public
	JoinPolicy string   // open, approval or invite; default from the account's lock
	Posting    string   // members or moderators
	Tools      []string // the tools it has on; nil: all (a space of another kind of server)
	// DocumentAdding: who adds documents, members (default) or moderators.
	DocumentAdding string
}

// SaveRemoteSpace records, or refreshes, the space of a remote Group account
// the node has fetched, so that local members can ask to join it and its
// posts have a place here. Unknown values fall back to what other servers'
// groups mean: public, open unless locked, every member posts, every tool.
func (s *Service) SaveRemoteSpace(ctx context.Context, group *Account, in RemoteSpace) (*Space, error) {
	if group == nil || group.IsLocal() || group.Type != TypeGroup {
		return nil, forbidden("not_remote_group", "only a remote Group has a remote space")
	}
	if !slices.Contains(SpaceVisibilities, in.Visibility) {
		in.Visibility = VisibilityPublic
	}
	if !slices.Contains(JoinPolicies, in.JoinPolicy) {
		in.JoinPolicy = JoinOpen
		if group.Locked {
			in.JoinPolicy = JoinApproval
		}
	}
	if !slices.Contains(PostingRights, in.Posting) {
		in.Posting = PostingMembers
	}
	if !slices.Contains(DocumentAddingRights, in.DocumentAdding) {
		in.DocumentAdding = PostingMembers
	}
	var off []string
	for _, t := range Tools {
		if in.Tools != nil && !slices.Contains(in.Tools, t) {
			off = append(off, t)
		}
	}
	var out *Space
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		now := s.now()
		sp, err := tx.SpaceByAccountID(ctx, group.ID)
		isNew := errors.Is(err, db.ErrNotFound)
		switch {
		case isNew:
			sp = &Space{AccountID: group.ID, CreatedAt: now}
		case err != nil:
			return err
		}
		changed := isNew || sp.Visibility != in.Visibility
		sp.Visibility, sp.JoinPolicy, sp.Posting, sp.UpdatedAt, sp.Account = in.Visibility, in.JoinPolicy, in.Posting, now, group
		sp.ToolsOff, sp.DocumentAdding = strings.Join(off, " "), in.DocumentAdding
		if isNew {
			if err := tx.InsertSpace(ctx, sp); err != nil {
				return err
			}
		} else if err := tx.UpdateSpace(ctx, sp, "visibility", "join_policy", "posting", "document_adding", "tools_off", "updated_at"); err != nil {
			return err
		}
		if changed {
			if err := tx.SetSpacePostsVisibility(ctx, sp.AccountID, sp.Visibility); err != nil {
				return err
			}
		}
		out = sp
		return s.indexSpace(ctx, tx, sp)
	})
	if errors.Is(err, db.ErrConflict) { // a concurrent first save: the other one won
		return s.db.SpaceByAccountID(ctx, group.ID)
	}
	if err != nil {
		return nil, internal("save remote space", err)
	}
	return out, nil
}

// ReceiveGroupPost stores a post or comment (parentID) that a remote space's
// Group announced, written by author on yet another server. The Group, whose
// signature the federation layer checked, vouches that author may write in
// its space: this node does not know that space's members. A post received
// twice (by id) is stored once: the stored one is returned.
func (s *Service) ReceiveGroupPost(ctx context.Context, group, author *Account, parentID string, in PostInput) (*Post, error) {
	if !canAct(group) || group.IsLocal() || group.Type != TypeGroup {
		return nil, forbidden("not_remote_group", "only a remote Group announces posts")
	}
	if author == nil || author.IsLocal() {
		return nil, invalid("author", "author_local", "a post of this node is not received from another")
	}
	if err := s.checkAuthor(author, in); err != nil {
		return nil, err
	}
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		if p, err := tx.PostByURI(ctx, in.URI); err == nil {
			out = p
			return nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		sp, err := tx.SpaceByAccountID(ctx, group.ID)
		if err != nil {
			return notFoundOr("space of group", err, errSpaceNotFound)
		}
		p := &Post{SpaceID: sp.AccountID, Visibility: sp.Visibility, Space: sp}
		var parent *Post
		if parentID != "" {
			if parent, err = tx.PostByID(ctx, parentID); err != nil {
				return notFoundOr("parent", err, errPostNotFound)
			}
			if parent.IsDeleted() {
				return errPostDeleted
			}
			if parent.SpaceID != sp.AccountID {
				return invalid("in_reply_to", "parent_elsewhere", "a comment answers a post of the same space")
			}
			if in.Kind != "" && in.Kind != KindNote {
				return invalid("kind", "kind_invalid", "a comment is a note")
			}
			p.InReplyToID, p.ThreadID, p.ContextURI, p.InReplyTo = parent.ID, parent.ThreadID, parent.ContextURI, parent
		}
		created, err := s.insertPost(ctx, tx, author, p, sp, parent, in)
		if err != nil {
			return err
		}
		out = created
		if parent != nil {
			if err := tx.AddPostCounts(ctx, parent.ThreadID, 0, 1); err != nil {
				return err
			}
			if !mentions(created, parent.AccountID) {
				if err := s.notify(ctx, tx, NotifyReply, author, created, sp, parent.Author); err != nil {
					return err
				}
			}
			return s.emit(ctx, tx, CommentCreated{Post: created})
		}
		watchers, err := tx.WatcherIDs(ctx, sp.AccountID)
		if err != nil {
			return err
		}
		if err := s.notifyIDs(ctx, tx, NotifyNewPost, author, created, sp, watchers); err != nil {
			return err
		}
		return s.emit(ctx, tx, PostCreated{Post: created})
	})
	if err != nil {
		return nil, postError("receive group post", PostInput{}, err)
	}
	return out, nil
}

// CacheRemoteMedia keeps a copy of a remote post's file, read from r (the
// federation layer fetched it from its server): the same size limit and
// accepted types as uploads apply, and the type stored is the one its
// content shows. Once cached, the file is served by this node like an upload,
// to whoever may see its post.
func (s *Service) CacheRemoteMedia(ctx context.Context, id string, r io.Reader) (*Media, error) {
	m, err := s.db.MediaByID(ctx, id)
	if err != nil {
		return nil, notFoundOr("media", err, errMediaNotFound)
	}
	if m.URI == "" || m.Path != "" {
		return m, nil // a local upload, or cached already
	}
	// a document's file takes the documents' limits
	limit, types := s.opts.MaxUpload, []string(nil)
	if p, err := s.db.PostByID(ctx, m.PostID); err == nil && p.Kind == KindDocument {
		limit, types = s.opts.DocumentMaxUpload, s.opts.DocumentTypes
	}
	rel, mediaType, size, err := s.storeFileWith(r, m.ID, strings.ToLower(m.Name), limit, types)
	if err != nil {
		return nil, err
	}
	m.Path, m.MediaType, m.Size = rel, mediaType, size
	if err := s.db.UpdateMedia(ctx, m, "path", "media_type", "size"); err != nil {
		s.removeFiles([]string{rel})
		return nil, internal("cache media", err)
	}
	return m, nil
}
