package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// faqOrder is a space's FAQ as its owner reads it: "category: question"
// in the order of the page, in the entries' main language.
func faqOrder(t *testing.T, n *nodetest.Node, owner *spaces.Account, slug string) []string {
	t.Helper()
	f, err := n.Spaces.SpaceFAQ(context.Background(), owner, slug)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range f.Categories {
		for _, e := range c.Entries {
			out = append(out, c.Name+": "+e.Title)
		}
	}
	return out
}

func wantFAQ(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Fatalf("FAQ %q, want %q", got, want)
	}
}

// entryForm is the composer's form for an FAQ entry of club, in English
// and French.
func entryForm(category, question, answer, questionFR, answerFR string) url.Values {
	return url.Values{"kind": {"faq"}, "space": {"club"}, "language": {"en"}, "category": {category},
		"title_en": {question}, "body_en": {answer}, "title_fr": {questionFR}, "body_fr": {answerFR}}
}

// created is the id of the entry a composer made, from its redirect to the
// FAQ page.
func created(t *testing.T, p *page) string {
	t.Helper()
	wantRedirect(t, p, "/spaces/club/faq#faq-")
	return strings.TrimPrefix(p.location, "/spaces/club/faq#faq-")
}

// TestFAQPages: the FAQ tab of a members-only space. Its moderator writes
// entries in the composer (one without its question is refused on its
// field and makes nothing), edits, moves and deletes them; a member reads
// the FAQ in their language without the moderator's tools, and proposes
// questions (an empty one refused); the moderator answers one from the
// proposals, which makes the entry and tells the member with a link, and
// dismisses another; someone outside the space finds no FAQ.
func TestFAQPages(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		bob := speaks(t, n, member(t, n, "bob", spaces.RoleMember), "fr")
		member(t, n, "cat", spaces.RoleMember)
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club"), Languages: []string{"en", "fr"}})
		joined(t, n, bob, alice, "club")
		if _, err := n.Spaces.UpdateSpace(ctx, alice, "club", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)}); err != nil {
			t.Fatal(err)
		}

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		want(t, a.get("/spaces/club/faq"), http.StatusOK, `href="/spaces/club/faq" aria-current="page"`, "It has no question yet.",
			`href="/compose?kind=faq&amp;space=club"`, "No question is waiting for an answer.")
		want(t, a.get("/compose?kind=faq&space=club"), http.StatusOK, "New FAQ question", `id="f-title_en"`, `id="f-body_fr"`,
			`list="faq-categories"`, `href="/spaces/club/faq">Cancel`)

		// An entry without its question: refused on its field, nothing made.
		bad := a.postMultipart("/compose", entryForm("Membership", "", "Pay the fee.", "", ""))
		want(t, bad, http.StatusUnprocessableEntity, `id="f-title_en-error"`, "Write your question.", `value="Membership"`, "Pay the fee.")
		wantFAQ(t, faqOrder(t, n, alice, "club"))

		join := created(t, a.postMultipart("/compose", entryForm("Membership", "How do I join?", "Pay the **yearly** fee.", "Comment adhérer ?", "Payez la cotisation.")))
		where := created(t, a.postMultipart("/compose", entryForm("Practical", "Where do we meet?", "Room 3.", "", "")))
		cost := created(t, a.postMultipart("/compose", entryForm("Membership", "How much is it?", "Ten euros.", "", "")))
		wantFAQ(t, faqOrder(t, n, alice, "club"), "Membership: How do I join?", "Membership: How much is it?", "Practical: Where do we meet?")
		want(t, a.get("/compose?kind=faq&space=club"), http.StatusOK, `<option value="Membership">`, `<option value="Practical">`)

		// The moderator's page: a heading per category, entries to open,
		// their tools; the first of a category does not move up.
		page := a.get("/spaces/club/faq")
		want(t, page, http.StatusOK, `<h3 class="faq-category__title" id="faq-category-0">Membership</h3>`,
			`<summary class="faq-entry__question" lang="en">How do I join?</summary>`, "Pay the <strong>yearly</strong> fee.",
			`href="/posts/`+join+`"`, `href="/posts/`+join+`/edit"`, `action="/posts/`+join+`/delete"`,
			`action="/posts/`+cost+`/faq/position"`, "Move up", "Move down")
		if strings.Index(page.body, "How much is it?") > strings.Index(page.body, "Where do we meet?") {
			t.Error("the categories' entries are not together")
		}

		// Move up: "How much is it?" takes the place of the entry above it.
		wantRedirect(t, a.post("/posts/"+cost+"/faq/position", url.Values{"position": {"0"}}), "/spaces/club/faq#faq-"+cost)
		wantFAQ(t, faqOrder(t, n, alice, "club"), "Membership: How much is it?", "Membership: How do I join?", "Practical: Where do we meet?")
		want(t, a.post("/posts/"+cost+"/faq/position", url.Values{"position": {"7"}}), http.StatusUnprocessableEntity, "This position is not in the FAQ.")

		// Edit: the form holds the entry, its category included.
		want(t, a.get("/posts/"+join+"/edit"), http.StatusOK, `value="How do I join?"`, `value="Comment adhérer ?"`, `value="Membership"`)
		edit := entryForm("Joining", "How do I join?", "Pay the fee online.", "Comment adhérer ?", "Payez en ligne.")
		wantRedirect(t, a.post("/posts/"+join+"/edit", edit), "/spaces/club/faq#faq-"+join)
		wantFAQ(t, faqOrder(t, n, alice, "club"), "Membership: How much is it?", "Joining: How do I join?", "Practical: Where do we meet?")

		// Delete.
		wantRedirect(t, a.post("/posts/"+where+"/delete", nil), "/spaces/club/faq")
		wantFAQ(t, faqOrder(t, n, alice, "club"), "Membership: How much is it?", "Joining: How do I join?")

		// A member reads it in French where it is written in French, without
		// the moderator's tools, and proposes a question.
		b := newBrowser(t, n, "fr")
		b.signIn("bob", nodetest.Password)
		page = b.get("/spaces/club/faq")
		want(t, page, http.StatusOK, "Comment adhérer ?", "Payez en ligne.", "How much is it?", "Proposer une question",
			"Les modérateurs de l’espace y répondent")
		for _, tool := range []string{"/faq/position", "/edit", "/delete", "kind=faq", "/dismiss"} {
			if page.has(tool) {
				t.Errorf("a member's FAQ page offers %s", tool)
			}
		}
		want(t, b.get("/compose?kind=faq&space=club"), http.StatusForbidden)
		want(t, b.post("/posts/"+cost+"/faq/position", url.Values{"position": {"1"}}), http.StatusForbidden)

		want(t, b.post("/spaces/club/faq/proposals", url.Values{"question": {"  "}}), http.StatusUnprocessableEntity,
			`id="f-question-error"`, "Écrivez votre question.")
		wantRedirect(t, b.post("/spaces/club/faq/proposals", url.Values{"question": {"Puis-je venir avec un invité ?"}}), "/spaces/club/faq#proposals")
		want(t, b.open("/spaces/club/faq"), http.StatusOK, "Question envoyée aux modérateurs.", "Vos questions", "Puis-je venir avec un invité ?",
			"en attente de réponse")
		open, err := n.Spaces.FAQProposals(ctx, alice, "club")
		if err != nil || len(open) != 1 {
			t.Fatalf("proposals: %v %v", open, err)
		}
		asked := open[0]

		// The moderator answers it from the list: the question fills the
		// form, in the language it was asked in.
		want(t, a.get("/spaces/club/faq"), http.StatusOK, "Puis-je venir avec un invité ?", "bob",
			`href="/compose?kind=faq&amp;space=club&amp;proposal=`+asked.ID+`"`, `action="/spaces/club/faq/proposals/`+asked.ID+`/dismiss"`)
		want(t, a.get("/compose?kind=faq&space=club&proposal="+asked.ID), http.StatusOK, "Answer a question",
			`name="title_fr" type="text" value="Puis-je venir avec un invité ?"`, `name="proposal" value="`+asked.ID+`"`,
			`<option value="fr" selected>`)
		answer := url.Values{"kind": {"faq"}, "space": {"club"}, "language": {"fr"}, "category": {"Practical"}, "proposal": {asked.ID},
			"title_fr": {"Puis-je venir avec un invité ?"}, "body_fr": {"Oui, prévenez-nous."}}
		answered := created(t, a.postMultipart("/compose", answer))
		wantFAQ(t, faqOrder(t, n, alice, "club"), "Membership: How much is it?", "Joining: How do I join?", "Practical: Puis-je venir avec un invité ?")
		want(t, a.get("/compose?kind=faq&space=club&proposal="+asked.ID), http.StatusNotFound) // answered already
		want(t, a.get("/spaces/club/faq"), http.StatusOK, "No question is waiting for an answer.")

		// The member is told, with a link to the entry; their list says so.
		want(t, b.get("/notifications"), http.StatusOK, "Votre question a reçu une réponse dans la FAQ de Club", `href="/posts/`+answered+`"`)
		want(t, b.get("/spaces/club/faq"), http.StatusOK, `<a href="/posts/`+answered+`">répondue : lire la réponse</a>`)

		// Dismissed: closed once, and the member sees it.
		wantRedirect(t, b.post("/spaces/club/faq/proposals", url.Values{"question": {"Et le parking ?"}}), "/spaces/club/faq#proposals")
		open, _ = n.Spaces.FAQProposals(ctx, alice, "club")
		if len(open) != 1 {
			t.Fatalf("open proposals: %v", open)
		}
		want(t, b.post("/spaces/club/faq/proposals/"+open[0].ID+"/dismiss", nil), http.StatusForbidden)
		wantRedirect(t, a.post("/spaces/club/faq/proposals/"+open[0].ID+"/dismiss", nil), "/spaces/club/faq#proposals")
		want(t, a.post("/spaces/club/faq/proposals/"+open[0].ID+"/dismiss", nil), http.StatusConflict)
		want(t, b.get("/spaces/club/faq"), http.StatusOK, "Et le parking ?", "écartée par les modérateurs")

		// Withdrawn by the member, from their list.
		wantRedirect(t, b.post("/spaces/club/faq/proposals", url.Values{"question": {"Une faute de frappe ?"}}), "/spaces/club/faq#proposals")
		open, _ = n.Spaces.FAQProposals(ctx, alice, "club")
		if len(open) != 1 {
			t.Fatalf("open proposals: %v", open)
		}
		want(t, b.get("/spaces/club/faq"), http.StatusOK, `action="/spaces/club/faq/proposals/`+open[0].ID+`/withdraw"`)
		want(t, a.post("/spaces/club/faq/proposals/"+open[0].ID+"/withdraw", nil), http.StatusNotFound)
		wantRedirect(t, b.post("/spaces/club/faq/proposals/"+open[0].ID+"/withdraw", nil), "/spaces/club/faq#proposals")
		if page := b.get("/spaces/club/faq"); page.has("Une faute de frappe") || !page.has("Question retirée.") {
			t.Fatalf("the withdrawn question is still listed, or the member is not told:\n%s", page.body)
		}

		// Outside the members-only space, there is no FAQ.
		c := newBrowser(t, n, "en")
		c.signIn("cat", nodetest.Password)
		want(t, c.get("/spaces/club/faq"), http.StatusNotFound)
		want(t, c.post("/spaces/club/faq/proposals", url.Values{"question": {"Hello?"}}), http.StatusNotFound)
		want(t, newBrowser(t, n, "en").get("/spaces/club/faq"), http.StatusNotFound)
	})
}
