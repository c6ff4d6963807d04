package spaces

import (
	"cmp"
	"context"
	"strings"

	"github.com/ruche-social/ruche/db"
)

// Proposals: questions members ask for the FAQ of a space. Only the
// space's moderators and the proposer see one; it stays open until a
// moderator answers it (an entry with that question, and the proposer is
// notified) or dismisses it. They are not federated: a proposal is a
// request to this node's moderators.

// ProposeFAQQuestion records by's question for the FAQ of the space named
// handle: an active member of a live space whose FAQ is on may ask.
func (s *Service) ProposeFAQQuestion(ctx context.Context, by *Account, handle string, in ProposalInput) (*FAQProposal, error) {
	if !canAct(by) || by.Type != TypePerson {
		return nil, errUnauthenticated
	}
	var out *FAQProposal
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		if err := s.mayWrite(ctx, tx, by, sp, false); err != nil {
			return err
		}
		if !sp.ToolOn(ToolFAQ) {
			return errFAQOff
		}
		p, err := s.newProposal(sp, by, in)
		if err != nil {
			return err
		}
		open, err := tx.ListFAQProposals(ctx, db.FAQProposalFilter{SpaceID: sp.AccountID, Open: true, AccountID: by.ID, Limit: maxOpenProposals})
		if err != nil {
			return err
		}
		if len(open) >= maxOpenProposals {
			return conflict("", "too_many_proposals", "you have 20 questions waiting for an answer already")
		}
		out = p
		return tx.InsertFAQProposal(ctx, p)
	})
	if err != nil {
		return nil, internal("propose faq question", err)
	}
	return out, nil
}

// newProposal checks in: a question on one line, in a language.
func (s *Service) newProposal(sp *Space, by *Account, in ProposalInput) (*FAQProposal, error) {
	q := strings.Join(strings.Fields(in.Question), " ")
	if q == "" {
		return nil, invalid("question", "question_required", "write the question")
	}
	if err := checkText("question", q, maxQuestionRunes, false); err != nil {
		return nil, err
	}
	lang := strings.ToLower(strings.TrimSpace(in.Language))
	if lang == "" {
		lang = s.opts.DefaultLocale
		if langs := sp.LanguageList(); len(langs) > 0 {
			lang = langs[0]
		}
	}
	if err := checkLanguage("language", lang); err != nil {
		return nil, err
	}
	return &FAQProposal{ID: newID(), SpaceID: sp.AccountID, AccountID: by.ID, Question: q, Language: lang,
		CreatedAt: s.now(), Account: by}, nil
}

// FAQProposals lists the proposals of a space viewer sees: the open ones,
// oldest first, for its moderators; their own, answered or not, for anyone
// else. Reading them stays possible in an archived space or with the FAQ
// off.
func (s *Service) FAQProposals(ctx context.Context, viewer *Account, handle string) ([]*FAQProposal, error) {
	if !canAct(viewer) {
		return nil, errUnauthenticated
	}
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	f := db.FAQProposalFilter{SpaceID: sp.AccountID, Open: true, Limit: MaxFAQEntries}
	moderator, err := s.mayModerateSpace(ctx, s.db, viewer, sp)
	if err != nil {
		return nil, internal("faq proposals", err)
	}
	if !moderator {
		f.Open, f.AccountID = false, viewer.ID
	}
	out, err := s.db.ListFAQProposals(ctx, f)
	if err != nil {
		return nil, internal("faq proposals", err)
	}
	return out, nil
}

// openProposal loads an open proposal of the space named handle for one of
// its FAQ's writers to close.
func (s *Service) openProposal(ctx context.Context, tx *db.DB, by *Account, handle, id string) (*Space, *FAQProposal, error) {
	if !canAct(by) {
		return nil, nil, errUnauthenticated
	}
	sp, err := findSpace(ctx, tx, handle)
	if err != nil {
		return nil, nil, err
	}
	if err := s.mayWriteFAQ(ctx, tx, by, sp); err != nil {
		return nil, nil, err
	}
	p, err := tx.FAQProposalByID(ctx, sp.AccountID, id)
	if err != nil {
		return nil, nil, notFoundOr("faq proposal", err, errProposalMissing)
	}
	if p.AnsweredPostID != "" || !p.DismissedAt.IsZero() {
		return nil, nil, errProposalClosed
	}
	return sp, p, nil
}

// AnswerFAQProposal answers a proposal with a new entry of the FAQ: in is
// the entry (its question is the proposal's unless in gives a title; its
// language too), and the proposer is notified.
func (s *Service) AnswerFAQProposal(ctx context.Context, by *Account, handle, id string, in PostInput) (*Post, error) {
	in.Kind = KindFAQ
	if err := s.checkAuthor(by, in); err != nil {
		return nil, err
	}
	s.resolveMentions(ctx, in)
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, proposal, err := s.openProposal(ctx, tx, by, handle, id)
		if err != nil {
			return err
		}
		if strings.TrimSpace(in.Title) == "" {
			in.Title = proposal.Question
		}
		if strings.TrimSpace(in.Language) == "" {
			in.Language = proposal.Language
		}
		if out, err = s.createPost(ctx, tx, by, sp.Account.Username, in); err != nil {
			return err
		}
		proposal.AnsweredPostID = out.ID
		if closed, err := tx.CloseFAQProposal(ctx, proposal); err != nil || !closed {
			return cmp.Or[error](err, errProposalClosed)
		}
		return s.notify(ctx, tx, NotifyFAQAnswered, by, out, sp, proposal.Account)
	})
	if err != nil {
		return nil, postError("answer faq proposal", in, err)
	}
	return out, nil
}

// DismissFAQProposal closes a proposal without an answer.
func (s *Service) DismissFAQProposal(ctx context.Context, by *Account, handle, id string) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		_, proposal, err := s.openProposal(ctx, tx, by, handle, id)
		if err != nil {
			return err
		}
		proposal.DismissedAt = s.now()
		closed, err := tx.CloseFAQProposal(ctx, proposal)
		if err != nil || !closed {
			return cmp.Or[error](err, errProposalClosed)
		}
		return nil
	})
	if err != nil {
		return internal("dismiss faq proposal", err)
	}
	return nil
}

// WithdrawFAQProposal removes by's own proposal while it is open: a
// question asked by mistake, or answered elsewhere. Nothing of it is kept;
// a moderator who had it open finds it gone.
func (s *Service) WithdrawFAQProposal(ctx context.Context, by *Account, handle, id string) error {
	if !canAct(by) {
		return errUnauthenticated
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, err := findSpace(ctx, tx, handle)
		if err != nil {
			return err
		}
		proposal, err := tx.FAQProposalByID(ctx, sp.AccountID, id)
		if err != nil || proposal.AccountID != by.ID {
			return notFoundOr("faq proposal", cmp.Or(err, db.ErrNotFound), errProposalMissing)
		}
		removed, err := tx.DeleteOpenFAQProposal(ctx, proposal)
		if err != nil || !removed {
			return cmp.Or[error](err, errProposalClosed)
		}
		return nil
	})
	if err != nil {
		return internal("withdraw faq proposal", err)
	}
	return nil
}
