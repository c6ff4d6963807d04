package spaces_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func faqInput(question, answer, category string) spaces.PostInput {
	return spaces.PostInput{Kind: spaces.KindFAQ, Title: question, Body: answer, FAQ: &spaces.FAQInput{Category: category}}
}

func mustFAQ(t *testing.T, s *spaces.Service, by *spaces.Account, slug string, in spaces.PostInput) *spaces.Post {
	t.Helper()
	p, err := s.CreatePost(context.Background(), by, slug, in)
	if err != nil {
		t.Fatalf("%s writes %q: %v", by.Username, in.Title, err)
	}
	return p
}

// faqOrder is a space's FAQ as "category: question" lines, in order, and
// fails unless the positions are 0..n-1 in that order.
func faqOrder(t *testing.T, s *spaces.Service, viewer *spaces.Account, slug string) []string {
	t.Helper()
	f, err := s.SpaceFAQ(context.Background(), viewer, slug)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var positions []int
	for _, c := range f.Categories {
		for _, p := range c.Entries {
			out = append(out, c.Name+": "+p.Title)
			positions = append(positions, p.FAQ.Position)
		}
	}
	seen := map[int]bool{}
	for _, pos := range positions {
		if pos < 0 || pos >= len(positions) || seen[pos] {
			t.Fatalf("positions %v are not 0..%d", positions, len(positions)-1)
		}
		seen[pos] = true
	}
	return out
}

func wantOrder(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Fatalf("FAQ:\n  %s\nwant:\n  %s", strings.Join(got, " | "), strings.Join(want, " | "))
	}
}

// TestFAQ: the space's moderators (and the node's staff) write its FAQ,
// members read it; categories come in the order of their first entry, and
// entries move; a deleted entry leaves no gap; search finds an answer; a
// space that switches its FAQ off refuses entries and shows none, and
// keeps them.
func TestFAQ(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		cat := mustMember(t, s, "cat", spaces.RoleMember)
		sam := mustMember(t, s, "sam", spaces.RoleModerator) // the node's staff, no member of the space
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{Languages: []string{"fr", "en"}})
		mustJoin(t, s, bob, "club")
		mustJoin(t, s, cat, "club")
		if _, err := s.SetMemberRole(ctx, ann, "club", "cat", spaces.SpaceRoleModerator); err != nil {
			t.Fatal(err)
		}

		_, err := s.CreatePost(ctx, bob, "club", faqInput("Can I?", "No.", ""))
		wantCode(t, err, "not_moderator")
		for _, bad := range []struct {
			edit func(*spaces.PostInput)
			code string
		}{
			{func(in *spaces.PostInput) { in.Title = "" }, "title_required"},
			{func(in *spaces.PostInput) { in.FAQ.Category = strings.Repeat("x", 61) }, "category_too_long"},
			{func(in *spaces.PostInput) { in.FAQ.Position = new(int); *in.FAQ.Position = 1 }, "faq_position_invalid"},
			{func(in *spaces.PostInput) { in.Kind = spaces.KindArticle }, "faq_not_allowed"},
			{func(in *spaces.PostInput) { in.Summary = "a summary" }, "note_fields"},
		} {
			in := faqInput("Q?", "A.", "General")
			bad.edit(&in)
			_, err := s.CreatePost(ctx, ann, "club", in)
			wantCode(t, err, bad.code)
		}
		_, err = s.CreatePost(ctx, ann, "", faqInput("Q?", "A.", ""))
		wantCode(t, err, "faq_in_space")
		if got := faqOrder(t, s, bob, "club"); len(got) != 0 {
			t.Fatalf("refused entries were stored: %v", got)
		}

		join := faqInput("Comment adhérer ?", "Payez la **cotisation** annuelle.", "Adhésion")
		join.Language = "fr"
		join.Translations = []spaces.TranslationInput{{Language: "en", Title: "How do I join?", Body: "Pay the yearly fee."}}
		e1 := mustFAQ(t, s, ann, "club", join)
		e2 := mustFAQ(t, s, cat, "club", faqInput("Où ?", "Salle 3.", "Pratique"))
		e3 := mustFAQ(t, s, sam, "club", faqInput("Combien ?", "Dix euros.", "Adhésion"))
		if e1.Kind != spaces.KindFAQ || e1.FAQ == nil || e1.FAQ.Category != "Adhésion" || e1.FAQ.Position != 0 ||
			len(e1.Translations) != 2 || e1.Language != "fr" {
			t.Fatalf("entry: %+v %+v", e1, e1.FAQ)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Adhésion: Comment adhérer ?", "Adhésion: Combien ?", "Pratique: Où ?")

		// moves: a moderator's; the node's staff; not a member's
		_, err = s.MoveFAQEntry(ctx, bob, e2.ID, 0)
		wantCode(t, err, "not_moderator")
		_, err = s.MoveFAQEntry(ctx, ann, e2.ID, 3)
		wantCode(t, err, "faq_position_invalid")
		moved, err := s.MoveFAQEntry(ctx, cat, e2.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if moved.FAQ.Position != 0 || moved.EditedAt.IsZero() {
			t.Fatalf("moved: %+v, edited %v", moved.FAQ, moved.EditedAt)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Pratique: Où ?", "Adhésion: Comment adhérer ?", "Adhésion: Combien ?")
		if _, err := s.MoveFAQEntry(ctx, sam, e3.ID, 1); err != nil {
			t.Fatal(err)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Pratique: Où ?", "Adhésion: Combien ?", "Adhésion: Comment adhérer ?")

		// edits: any moderator recategorises and rewrites; a member may not
		edit := faqInput("Comment adhérer ?", "Payez la cotisation en ligne.", "Pratique")
		edit.Kind = ""
		_, err = s.EditPost(ctx, bob, e1.ID, edit)
		wantCode(t, err, "not_moderator")
		edited, err := s.EditPost(ctx, cat, e1.ID, edit)
		if err != nil {
			t.Fatal(err)
		}
		if edited.FAQ.Category != "Pratique" || edited.FAQ.Position != 2 || !strings.Contains(edited.Content, "en ligne") {
			t.Fatalf("edited: %+v %s", edited.FAQ, edited.Content)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Pratique: Où ?", "Pratique: Comment adhérer ?", "Adhésion: Combien ?")
		// the rights the doors show say the same: a moderator edits an
		// entry they did not write, a member does not
		for who, want := range map[*spaces.Account]bool{cat: true, sam: true, bob: false} {
			sp, err := s.Space(ctx, who, "club")
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Rights(ctx, who, sp)
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.GetPost(ctx, who, e1.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := spaces.PostRightsOf(who, e, r).Edit; got != want {
				t.Errorf("%s may edit the entry: %v, want %v", who.Username, got, want)
			}
		}
		note := mustPost(t, s, bob, "club", "Hello")
		_, err = s.EditPost(ctx, bob, note.ID, spaces.PostInput{Body: "Hi", FAQ: &spaces.FAQInput{}})
		wantCode(t, err, "faq_not_allowed")

		// search finds an entry by its answer, and by its category
		for _, q := range []string{"ligne", "pratique"} {
			res, err := s.Search(ctx, bob, q, spaces.SearchPosts, spaces.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Posts) == 0 || res.Posts[0].ID != e1.ID && (len(res.Posts) < 2 || res.Posts[1].ID != e1.ID) {
				t.Fatalf("search %q: %d posts, not the entry", q, len(res.Posts))
			}
		}
		// the space's feed shows entries as news
		feed, err := s.SpaceFeed(ctx, bob, "club", spaces.Page{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range feed {
			found = found || p.ID == e3.ID && p.FAQ != nil
		}
		if !found {
			t.Fatal("the space's feed lacks the entry")
		}

		// a deleted entry leaves no gap
		if err := s.DeletePost(ctx, cat, e2.ID); err != nil {
			t.Fatal(err)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Adhésion: Combien ?", "Pratique: Comment adhérer ?")

		// switched off: no new entry, no move, no list; switched on: all there
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: []string{spaces.ToolArticles}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.CreatePost(ctx, ann, "club", faqInput("Q?", "A.", ""))
		wantCode(t, err, "tool_off")
		_, err = s.MoveFAQEntry(ctx, ann, e1.ID, 1)
		wantCode(t, err, "tool_off")
		_, err = s.SpaceFAQ(ctx, bob, "club")
		wantCode(t, err, "tool_off")
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: spaces.Tools}); err != nil {
			t.Fatal(err)
		}
		wantOrder(t, faqOrder(t, s, bob, "club"), "Adhésion: Combien ?", "Pratique: Comment adhérer ?")
	})
}

// TestFAQVisibility: a members-only space's FAQ is for its members.
func TestFAQVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, ann, "inner", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)})
		mustFAQ(t, s, ann, "inner", faqInput("Secret?", "Yes.", ""))
		_, err := s.SpaceFAQ(ctx, bob, "inner")
		wantCode(t, err, "space_not_found")
		_, err = s.SpaceFAQ(ctx, nil, "inner")
		wantCode(t, err, "space_not_found")
		wantOrder(t, faqOrder(t, s, ann, "inner"), ": Secret?")
	})
}

// TestFAQProposals: a member proposes a question; the moderators see the
// open ones and answer (an entry, and the proposer is told) or dismiss
// them; the proposer sees their own; the export holds them.
func TestFAQProposals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		dan := mustMember(t, s, "dan", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{Languages: []string{"fr"}})
		mustJoin(t, s, bob, "club")

		_, err := s.ProposeFAQQuestion(ctx, dan, "club", spaces.ProposalInput{Question: "Who?"})
		wantCode(t, err, "not_member")
		_, err = s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "  "})
		wantCode(t, err, "question_required")
		_, err = s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: strings.Repeat("q", 201)})
		wantCode(t, err, "question_too_long")
		_, err = s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "Dogs?", Language: "klingon"})
		wantCode(t, err, "language_invalid")
		dogs, err := s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "Puis-je venir\navec mon chien ?"})
		if err != nil {
			t.Fatal(err)
		}
		if dogs.Question != "Puis-je venir avec mon chien ?" || dogs.Language != "fr" {
			t.Fatalf("proposal: %+v", dogs)
		}
		cats, err := s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "Cats?", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}

		open, err := s.FAQProposals(ctx, ann, "club")
		if err != nil || len(open) != 2 || open[0].ID != dogs.ID || open[0].Account.Username != "bob" {
			t.Fatalf("open proposals: %v, %+v", err, open)
		}
		_, err = s.AnswerFAQProposal(ctx, bob, "club", dogs.ID, spaces.PostInput{Body: "Yes"})
		wantCode(t, err, "not_moderator")
		entry, err := s.AnswerFAQProposal(ctx, ann, "club", dogs.ID, spaces.PostInput{Body: "Oui, **tenu en laisse**.",
			FAQ: &spaces.FAQInput{Category: "Pratique"}})
		if err != nil {
			t.Fatal(err)
		}
		if entry.Kind != spaces.KindFAQ || entry.Title != dogs.Question || entry.Language != "fr" || entry.FAQ.Category != "Pratique" {
			t.Fatalf("answer: %+v %+v", entry, entry.FAQ)
		}
		if n := notificationKinds(t, s, bob)[spaces.NotifyFAQAnswered]; n != 1 {
			t.Fatalf("%d faq_answered notifications, want 1", n)
		}
		_, err = s.AnswerFAQProposal(ctx, ann, "club", dogs.ID, spaces.PostInput{Body: "Again"})
		wantCode(t, err, "faq_proposal_closed")
		err = s.DismissFAQProposal(ctx, bob, "club", cats.ID)
		wantCode(t, err, "not_moderator")
		if err := s.DismissFAQProposal(ctx, ann, "club", cats.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DismissFAQProposal(ctx, ann, "club", cats.ID), "faq_proposal_closed")
		wantCode(t, s.DismissFAQProposal(ctx, ann, "club", "nope"), "faq_proposal_not_found")
		// Withdrawn: by its proposer only, while open; nothing of it kept.
		typo, err := s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "Typo?"})
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.WithdrawFAQProposal(ctx, ann, "club", typo.ID), "faq_proposal_not_found")
		wantCode(t, s.WithdrawFAQProposal(ctx, nil, "club", typo.ID), "unauthenticated")
		wantCode(t, s.WithdrawFAQProposal(ctx, bob, "club", cats.ID), "faq_proposal_closed")
		if err := s.WithdrawFAQProposal(ctx, bob, "club", typo.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.WithdrawFAQProposal(ctx, bob, "club", typo.ID), "faq_proposal_not_found")
		if open, err := s.FAQProposals(ctx, ann, "club"); err != nil || len(open) != 0 {
			t.Fatalf("open proposals after answers: %v, %d", err, len(open))
		}
		own, err := s.FAQProposals(ctx, bob, "club")
		if err != nil || len(own) != 2 || own[0].AnsweredPostID != entry.ID || own[1].DismissedAt.IsZero() {
			t.Fatalf("bob's proposals: %v, %+v", err, own)
		}
		if others, err := s.FAQProposals(ctx, dan, "club"); err != nil || len(others) != 0 {
			t.Fatalf("dan sees %d proposals (%v)", len(others), err)
		}

		exp, err := s.ExportData(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		if len(exp.FAQProposals) != 2 || exp.FAQProposals[0].State != "answered" || exp.FAQProposals[0].Answer != entry.ID ||
			exp.FAQProposals[1].State != "dismissed" || exp.FAQProposals[0].Space != "club" {
			t.Fatalf("bob's export: %+v", exp.FAQProposals)
		}
		exp, err = s.ExportData(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		if len(exp.Posts) != 1 || exp.Posts[0].FAQ == nil || exp.Posts[0].FAQ.Category != "Pratique" || exp.Posts[0].Kind != spaces.KindFAQ {
			t.Fatalf("ann's export: %+v", exp.Posts)
		}

		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: []string{}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.ProposeFAQQuestion(ctx, bob, "club", spaces.ProposalInput{Question: "Off?"})
		wantCode(t, err, "tool_off")
		if own, err := s.FAQProposals(ctx, bob, "club"); err != nil || len(own) != 2 {
			t.Fatalf("bob's proposals with the FAQ off: %v, %d", err, len(own))
		}
		if _, err := s.FAQProposals(ctx, ann, "club"); err != nil {
			t.Fatalf("the open proposals with the FAQ off: %v", err)
		}
	})
}

// TestFAQAtOnce: entries written and moved at the same time keep their
// positions 0..n-1, each once.
func TestFAQAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		var first []*spaces.Post
		for i := range 4 {
			first = append(first, mustFAQ(t, s, ann, "club", faqInput(fmt.Sprintf("First %d?", i), "A.", "")))
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := s.CreatePost(ctx, ann, "club", faqInput(fmt.Sprintf("Then %d?", i), "A.", "")); err != nil {
					t.Error(err)
				}
			})
		}
		for i, p := range first {
			wg.Go(func() {
				if _, err := s.MoveFAQEntry(ctx, ann, p.ID, 3-i); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := faqOrder(t, s, ann, "club"); len(got) != 12 {
			t.Fatalf("%d entries, want 12", len(got))
		}
	})
}
