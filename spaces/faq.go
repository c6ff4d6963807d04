package spaces

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// The FAQ of a space: questions and their answers, in categories, in the
// order its moderators choose. An entry is a post of kind faq — its title
// the question, its body the answer, translated like an article — so that
// search, visibility, comments, deletion, export and federation treat it
// as any post; its row (FAQEntry) adds a category, a free label, and its
// position in the whole FAQ (0..n-1, dense: every change takes the
// space's lock, LockSpace). The FAQ lists its categories in the order of
// their first entry. Members ask new questions as proposals, which only the moderators
// and the proposer see; a moderator answers one (a new entry, and the
// proposer is told) or dismisses it.

// KindFAQ is the kind of a post that is an FAQ entry.
const KindFAQ = "faq"

// Limits of the FAQ.
const (
	MaxFAQEntries       = 500 // a FAQ is read whole, in one page
	maxFAQCategoryRunes = 60
	// maxQuestionRunes bounds a proposed question: the title of the entry
	// that answers it, whose limit it shares.
	maxQuestionRunes = maxTitleRunes
	// maxOpenProposals bounds the open proposals of one member in a space:
	// enough to ask, too few to flood the moderators.
	maxOpenProposals = 20
)

// FAQInput is the place of a new or edited entry.
type FAQInput struct {
	Category string
	// Position in the whole FAQ, from 0; nil puts a new entry at the end
	// and leaves an edited one where it is.
	Position *int
}

// ProposalInput is a question a member proposes.
type ProposalInput struct {
	Question string // plain text, one line
	Language string // default: the space's main language
}

var (
	errFAQOff          = forbidden("tool_off", "this space has switched off its faq")
	errFAQListOff      = notFound("tool_off", "this space has switched off its faq")
	errNotFAQModerator = forbidden("not_moderator", "only the space's moderators write its FAQ")
	errProposalMissing = notFound("faq_proposal_not_found", "no such proposal")
	errProposalClosed  = conflict("", "faq_proposal_closed", "this proposal was answered or dismissed already")
	errNotFAQEntry     = invalid("faq", "faq_not_allowed", "only an FAQ entry has a category and a position")
)

// mayWriteFAQ is the rule of the FAQ: the owners and moderators of a live
// space whose faq tool is on write it (and the node's staff, for a local
// space). Someone who may not see the space is told it is not there.
func (s *Service) mayWriteFAQ(ctx context.Context, tx *db.DB, by *Account, sp *Space) error {
	if sp.IsArchived() {
		return errArchived
	}
	ok, err := s.mayModerateSpace(ctx, tx, by, sp)
	if err != nil {
		return err
	}
	if !ok {
		if visible, err := tx.SpaceVisible(ctx, s.Reader(by), sp.AccountID); err != nil {
			return err
		} else if !visible {
			return errSpaceNotFound
		}
		return errNotFAQModerator
	}
	if !sp.ToolOn(ToolFAQ) {
		return errFAQOff
	}
	return nil
}

// mayEditFAQ is who edits an entry: in a local space, or by a local
// member, the FAQ's writers (mayWriteFAQ) — any of them when the entry's
// author is local, since this node then sends the edit as its author's
// (the FAQ is the moderators' together); only the author when the author
// is remote, whose server speaks for them. Edits of a remote space's entry
// by a remote author come from their server, which the space's server
// vouches for.
func (s *Service) mayEditFAQ(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space) error {
	if !p.Local && p.AccountID != by.ID {
		return forbidden("not_author", "only the author may edit a post")
	}
	if sp == nil || (!by.IsLocal() && !sp.Account.IsLocal()) {
		return nil
	}
	return s.mayWriteFAQ(ctx, tx, by, sp)
}

// newFAQEntry checks the FAQ part of a new post p and makes its row; it is
// placed once p is stored (placeFAQEntry).
func newFAQEntry(p *Post, sp *Space, in *FAQInput, remote bool) (*FAQEntry, error) {
	if p.Kind != KindFAQ {
		return nil, errNotFAQEntry
	}
	if sp == nil {
		return nil, invalid("faq", "faq_in_space", "an FAQ entry belongs to a space")
	}
	if in == nil {
		in = &FAQInput{}
	}
	category, err := faqCategory(in.Category, remote)
	if err != nil {
		return nil, err
	}
	return &FAQEntry{PostID: p.ID, Category: category}, nil
}

// faqCategory checks a category: a line of at most 60 characters; another
// server's is reduced to that.
func faqCategory(c string, remote bool) (string, error) {
	c = strings.Join(strings.Fields(c), " ")
	if remote {
		return cutText(PlainText(c), maxFAQCategoryRunes), nil
	}
	return c, checkText("category", c, maxFAQCategoryRunes, false)
}

func cutText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// faqPosition checks a position asked for among n places (0..n-1): a local
// one out of range is refused, another server's is brought within it (its
// FAQ may hold entries this node never received).
func faqPosition(position, n int, remote bool) (int, error) {
	if position >= 0 && position < n {
		return position, nil
	}
	if !remote {
		return 0, invalid("position", "faq_position_invalid", "the position is a number from 0 to the number of entries less one")
	}
	return min(max(position, 0), n-1), nil
}

// placeFAQEntry stores the row of a new entry at its position: asked for,
// or the end of the FAQ.
func (s *Service) placeFAQEntry(ctx context.Context, tx *db.DB, sp *Space, e *FAQEntry, in *FAQInput, remote bool) error {
	if err := tx.LockSpace(ctx, sp.AccountID); err != nil {
		return err
	}
	n, err := tx.CountFAQ(ctx, sp.AccountID)
	if err != nil {
		return err
	}
	if !remote && n >= MaxFAQEntries {
		return conflict("", "faq_full", "an FAQ holds at most 500 entries")
	}
	e.Position = n
	if in != nil && in.Position != nil {
		if e.Position, err = faqPosition(*in.Position, n+1, remote); err != nil {
			return err
		}
	}
	return tx.InsertFAQEntry(ctx, sp.AccountID, e)
}

// editFAQ applies an edit's FAQ part to entry p: its category, and its
// position when given.
func (s *Service) editFAQ(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space, in *FAQInput) error {
	if in == nil {
		return nil
	}
	if p.Kind != KindFAQ || sp == nil {
		return errNotFAQEntry
	}
	remote := !by.IsLocal()
	category, err := faqCategory(in.Category, remote)
	if err != nil {
		return err
	}
	if err := tx.LockSpace(ctx, sp.AccountID); err != nil {
		return err
	}
	e, err := s.faqEntryOf(ctx, tx, p)
	if err != nil {
		return err
	}
	e.Category = category
	if err := tx.SetFAQCategory(ctx, e); err != nil {
		return err
	}
	if in.Position == nil {
		return nil
	}
	return s.moveFAQEntry(ctx, tx, sp, e, *in.Position, remote)
}

// faqEntryOf loads the row of entry p, which the caller locked.
func (s *Service) faqEntryOf(ctx context.Context, tx *db.DB, p *Post) (*FAQEntry, error) {
	rows, err := tx.FAQEntriesOf(ctx, []string{p.ID})
	if err != nil {
		return nil, err
	}
	if rows[p.ID] == nil {
		return nil, errNotFAQEntry
	}
	return rows[p.ID], nil
}

func (s *Service) moveFAQEntry(ctx context.Context, tx *db.DB, sp *Space, e *FAQEntry, position int, remote bool) error {
	n, err := tx.CountFAQ(ctx, sp.AccountID)
	if err != nil {
		return err
	}
	if position, err = faqPosition(position, n, remote); err != nil {
		return err
	}
	return tx.MoveFAQEntry(ctx, sp.AccountID, e, position)
}

// MoveFAQEntry moves the entry postID to position (0..n-1) in its space's
// FAQ; the entries between its old and new places close up. It is an edit
// of the entry: other servers receive it as one.
func (s *Service) MoveFAQEntry(ctx context.Context, by *Account, postID string, position int) (*Post, error) {
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, by, postID, tx.VisiblePost)
		if err != nil {
			return err
		}
		if p.Kind != KindFAQ || sp == nil {
			return errNotFAQEntry
		}
		if err := s.mayEditFAQ(ctx, tx, by, p, sp); err != nil {
			return err
		}
		if err := tx.LockSpace(ctx, sp.AccountID); err != nil {
			return err
		}
		e, err := s.faqEntryOf(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := s.moveFAQEntry(ctx, tx, sp, e, position, false); err != nil {
			return err
		}
		p.EditedAt = s.now() // so that other servers take the move as the newer version
		if err := tx.UpdatePost(ctx, p, false, "edited_at"); err != nil {
			return err
		}
		if out, err = s.reload(ctx, tx, p.ID, sp, nil); err != nil {
			return err
		}
		return s.emit(ctx, tx, PostUpdated{Post: out})
	})
	if err != nil {
		return nil, internal("move faq entry", err)
	}
	return out, nil
}

// removeFAQEntry takes a deleted entry out of its FAQ's order.
func (s *Service) removeFAQEntry(ctx context.Context, tx *db.DB, p *Post) error {
	if p.Kind != KindFAQ || p.SpaceID == "" {
		return nil
	}
	if err := tx.LockSpace(ctx, p.SpaceID); err != nil {
		return err
	}
	err := tx.RemoveFAQEntry(ctx, p.SpaceID, p.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	return err
}

// FAQ is a space's FAQ as a reader sees it.
type FAQ struct {
	Space      *Space
	Categories []FAQCategory
}

// FAQCategory is a category of an FAQ and its entries, in order. Entries
// without a category have the category "".
type FAQCategory struct {
	Name    string
	Entries []*Post
}

// SpaceFAQ returns the FAQ of a space, the entries viewer may see: its
// categories in the order of their first entry, each with its entries in
// order. A space that switched its FAQ off has none to show (not found,
// code tool_off); its entries are kept for when it is switched on again.
func (s *Service) SpaceFAQ(ctx context.Context, viewer *Account, handle string) (*FAQ, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	if !sp.ToolOn(ToolFAQ) {
		return nil, errFAQListOff
	}
	posts, err := s.db.ListFAQ(ctx, s.Reader(viewer), sp.AccountID, MaxFAQEntries)
	if err != nil {
		return nil, internal("faq", err)
	}
	if err := s.withSpaces(ctx, posts); err != nil {
		return nil, err
	}
	out := &FAQ{Space: sp}
	index := map[string]int{}
	for _, p := range posts {
		name := p.FAQ.Category
		i, ok := index[name]
		if !ok {
			i = len(out.Categories)
			index[name] = i
			out.Categories = append(out.Categories, FAQCategory{Name: name})
		}
		out.Categories[i].Entries = append(out.Categories[i].Entries, p)
	}
	return out, nil
}

// withFAQ attaches to posts of kind faq their rows.
func (s *Service) withFAQ(ctx context.Context, r *db.DB, posts []*Post) error {
	var ids []string
	for _, p := range posts {
		if p.Kind == KindFAQ {
			ids = append(ids, p.ID)
		}
	}
	rows, err := r.FAQEntriesOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range posts {
		p.FAQ = rows[p.ID] // nil for a deleted entry: out of the order
	}
	return nil
}
