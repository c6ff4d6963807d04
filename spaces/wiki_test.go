package spaces_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

func pageInput(title, body, parent string) spaces.PostInput {
	return spaces.PostInput{Title: title, Body: body, Wiki: &spaces.WikiInput{Parent: parent}}
}

func editInput(title, body string, base int) spaces.PostInput {
	return spaces.PostInput{Title: title, Body: body, Wiki: &spaces.WikiInput{Base: base}}
}

func mustPage(t *testing.T, s *spaces.Service, by *spaces.Account, slug string, in spaces.PostInput) *spaces.Post {
	t.Helper()
	p, err := s.CreateWikiPage(context.Background(), by, slug, in)
	if err != nil {
		t.Fatalf("%s writes page %q: %v", by.Username, in.Title, err)
	}
	return p
}

// treeOf writes a wiki's tree as "name(child, child)" lists.
func treeOf(nodes []*spaces.WikiNode) string {
	var parts []string
	for _, n := range nodes {
		s := n.Page.Title
		if len(n.Children) > 0 {
			s += "(" + treeOf(n.Children) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// TestWiki: members write pages that link to each other, in a tree;
// visitors read and may not write; each edit is a revision with its
// author, and the page's author is told of others' edits; history, diff
// and restore; search finds the text; renaming moves the slug; deletion
// takes the page out of the tree; a wiki switched off shows nothing and
// keeps its pages; an archived space refuses edits.
func TestWiki(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{PublicURL: "https://ruche.example"})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		eve := mustMember(t, s, "eve", spaces.RoleMember) // no member of the space
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{Posting: str(spaces.PostingModerators)})
		mustJoin(t, s, bob, "club")

		// a member writes, whatever the posting rule; a visitor may not
		home := mustPage(t, s, bob, "club", pageInput("Accueil du club", "Voir [[Règles du jeu]] et [[Calendrier|le calendrier]].", ""))
		if home.Kind != spaces.KindPage || home.Wiki == nil || home.Wiki.Slug != "accueil-du-club" || home.Wiki.Revision != 1 {
			t.Fatalf("page %+v, wiki %+v", home, home.Wiki)
		}
		_, err := s.CreateWikiPage(ctx, eve, "club", pageInput("Intrus", "texte", ""))
		wantCode(t, err, "not_member")
		_, err = s.CreateWikiPage(ctx, ann, "club", pageInput("accueil DU club!", "twice", ""))
		wantCode(t, err, "wiki_page_exists")
		_, err = s.CreateWikiPage(ctx, ann, "club", pageInput("!!!", "no name", ""))
		wantCode(t, err, "wiki_title_invalid")
		_, err = s.CreateWikiPage(ctx, ann, "club", pageInput("Orphan", "text", "nowhere"))
		wantCode(t, err, "wiki_parent_not_found")
		_, err = s.EditPost(ctx, bob, home.ID, spaces.PostInput{Title: "x", Body: "y"})
		wantCode(t, err, "wiki_edit_form")

		// links: an existing page is a plain link, a missing one is marked
		rules := mustPage(t, s, ann, "club", pageInput("Règles du jeu", "Première règle : **jouer**.", "accueil-du-club"))
		v, err := s.WikiPage(ctx, eve, "club", "accueil-du-club", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(v.HTML, `<a href="https://ruche.example/spaces/club/wiki/regles-du-jeu"`) ||
			!strings.Contains(v.HTML, `<a class="wiki-missing" href="https://ruche.example/spaces/club/wiki/calendrier"`) ||
			!strings.Contains(v.HTML, ">le calendrier</a>") || v.CanEdit {
			t.Fatalf("page as eve sees it: %s (can edit %v)", v.HTML, v.CanEdit)
		}
		if len(v.Children) != 1 || v.Children[0].Slug != "regles-du-jeu" {
			t.Fatalf("children %+v", v.Children)
		}
		mustPage(t, s, bob, "club", pageInput("Calendrier", "Les dates.", "Règles du jeu"))
		w, err := s.SpaceWiki(ctx, bob, "club")
		if err != nil {
			t.Fatal(err)
		}
		if got := treeOf(w.Roots); got != "Accueil du club(Règles du jeu(Calendrier))" || !w.CanEdit {
			t.Fatalf("tree %s (can edit %v)", got, w.CanEdit)
		}
		v, err = s.WikiPage(ctx, bob, "club", "calendrier", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Path) != 2 || v.Path[0].Slug != "accueil-du-club" || v.Parent.Slug != "regles-du-jeu" || !v.CanEdit {
			t.Fatalf("path %+v parent %+v", v.Path, v.Parent)
		}
		// a page cannot go under itself
		_, err = s.EditWikiPage(ctx, ann, "club", "accueil-du-club", spaces.PostInput{Title: "Accueil du club", Body: "x",
			Wiki: &spaces.WikiInput{Base: 1, Parent: "calendrier"}})
		wantCode(t, err, "wiki_parent_cycle")

		// ann edits bob's page: revision 2, bob is told
		edited, err := s.EditWikiPage(ctx, ann, "club", "accueil-du-club", spaces.PostInput{Title: "Accueil du club",
			Body: "Voir [[Règles du jeu]] et [[Calendrier|le calendrier]].\n\nNouveau : le tournoi de pétanque.", Wiki: &spaces.WikiInput{Base: 1, Summary: "tournoi"}})
		if err != nil {
			t.Fatal(err)
		}
		if edited.Wiki.Revision != 2 || edited.AccountID != bob.ID {
			t.Fatalf("edited %+v", edited.Wiki)
		}
		ns, err := s.Notifications(ctx, bob, spaces.NotificationPage{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 || ns[0].Kind != spaces.NotifyWikiEdited || ns[0].ActorID != ann.ID || ns[0].PostID != home.ID {
			t.Fatalf("bob's notifications: %+v", ns)
		}
		found, err := s.Search(ctx, eve, "petanque", spaces.SearchPosts, spaces.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(found.Posts) != 1 || found.Posts[0].ID != home.ID {
			t.Fatalf("search found %d posts", len(found.Posts))
		}

		// history, comparison, restore
		_, revs, err := s.WikiHistory(ctx, eve, "club", "accueil-du-club")
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 2 || revs[0].Number != 2 || revs[0].AccountID != ann.ID || revs[0].Summary != "tournoi" || revs[1].Account.Username != "bob" {
			t.Fatalf("history %+v", revs)
		}
		c, err := s.CompareWikiRevisions(ctx, eve, "club", "accueil-du-club", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if c.Inserted != 2 || c.Deleted != 0 || len(c.Hunks) != 1 || c.TitleChanged {
			t.Fatalf("comparison +%d -%d, %d hunks", c.Inserted, c.Deleted, len(c.Hunks))
		}
		_, err = s.RestoreWikiRevision(ctx, bob, "club", "accueil-du-club", 1, 1)
		var conflict *spaces.WikiConflict
		if !errors.As(err, &conflict) || conflict.Current.Number != 2 {
			t.Fatalf("restore on a stale base: %v", err)
		}
		restored, err := s.RestoreWikiRevision(ctx, bob, "club", "accueil-du-club", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if restored.Wiki.Revision != 3 || strings.Contains(restored.Content, "tournoi") || restored.Source != home.Source {
			t.Fatalf("restored: rev %d, %q", restored.Wiki.Revision, restored.Content)
		}
		v, err = s.WikiPage(ctx, bob, "club", "accueil-du-club", 2)
		if err != nil || !strings.Contains(v.HTML, "tournoi") {
			t.Fatalf("revision 2: %v %q", err, v.HTML)
		}
		_, revs, _ = s.WikiHistory(ctx, bob, "club", "accueil-du-club")
		if revs[0].Restored != 1 {
			t.Fatalf("revision 3 restored %d", revs[0].Restored)
		}

		// renaming moves the slug; a name taken is refused
		_, err = s.EditWikiPage(ctx, bob, "club", "calendrier", editInput("Règles du jeu", "x", 1))
		wantCode(t, err, "wiki_page_exists")
		if _, err := s.EditWikiPage(ctx, bob, "club", "calendrier", editInput("Dates", "Les dates.", 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WikiPage(ctx, bob, "club", "dates", 0); err != nil {
			t.Fatal(err)
		}
		_, err = s.WikiPage(ctx, bob, "club", "calendrier", 0)
		wantCode(t, err, "wiki_page_not_found")

		// export: bob's revisions
		ex, err := s.ExportData(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.WikiRevisions) != 4 { // accueil 1 and 3, calendrier 1 and 2
			t.Fatalf("bob's export has %d revisions", len(ex.WikiRevisions))
		}

		// deletion: the page leaves the tree; its children come to the top
		if err := s.DeletePost(ctx, ann, rules.ID); err != nil {
			t.Fatal(err)
		}
		w, _ = s.SpaceWiki(ctx, bob, "club")
		if got := treeOf(w.Roots); got != "Accueil du club, Dates" {
			t.Fatalf("tree after deletion: %s", got)
		}
		_, err = s.WikiPage(ctx, bob, "club", "regles-du-jeu", 0)
		wantCode(t, err, "wiki_page_not_found")
		mustPage(t, s, ann, "club", pageInput("Règles du jeu", "Nouvelles règles.", "")) // the name is free again

		// switched off: nothing shown or written, pages kept
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: []string{spaces.ToolArticles}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.SpaceWiki(ctx, bob, "club")
		wantCode(t, err, "tool_off")
		_, err = s.CreateWikiPage(ctx, bob, "club", pageInput("Encore", "x", ""))
		wantCode(t, err, "tool_off")
		_, err = s.EditWikiPage(ctx, bob, "club", "dates", editInput("Dates", "y", 2))
		wantCode(t, err, "tool_off")
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: spaces.Tools}); err != nil {
			t.Fatal(err)
		}
		w, _ = s.SpaceWiki(ctx, bob, "club")
		if w.Count != 3 {
			t.Fatalf("%d pages kept", w.Count)
		}

		// archived: read, not written
		if _, err := s.ArchiveSpace(ctx, ann, "club", true); err != nil {
			t.Fatal(err)
		}
		_, err = s.EditWikiPage(ctx, bob, "club", "dates", editInput("Dates", "y", 2))
		wantCode(t, err, "space_archived")
		if _, err := s.WikiPage(ctx, bob, "club", "dates", 0); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWikiVisibility: the pages of a members-only space are its members'
// alone.
func TestWikiVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		eve := mustMember(t, s, "eve", spaces.RoleMember)
		mustSpace(t, s, ann, "inner", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)})
		p := mustPage(t, s, ann, "inner", pageInput("Secret", "le code est 1234", ""))
		if p.Visibility != spaces.VisibilityMembers {
			t.Fatalf("visibility %s", p.Visibility)
		}
		_, err := s.WikiPage(ctx, eve, "inner", "secret", 0)
		if spaces.KindOf(err) != spaces.KindNotFound {
			t.Fatalf("eve reads a members' page: %v", err)
		}
		_, err = s.CreateWikiPage(ctx, eve, "inner", pageInput("Intrus", "x", ""))
		if spaces.KindOf(err) != spaces.KindNotFound {
			t.Fatalf("eve writes in a space she cannot see: %v", err)
		}
		found, err := s.Search(ctx, eve, "1234", spaces.SearchPosts, spaces.Page{})
		if err != nil || len(found.Posts) != 0 {
			t.Fatalf("eve's search: %v %d", err, len(found.Posts))
		}
		if _, err := s.WikiPage(ctx, nil, "inner", "secret", 0); spaces.KindOf(err) != spaces.KindNotFound {
			t.Fatalf("a visitor reads a members' page: %v", err)
		}
	})
}

// TestWikiConflict: an edit based on an old revision is refused with the
// current one, and the merge when the edits touch different lines; of two
// edits made at once on the same revision, exactly one is kept.
func TestWikiConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		mustPage(t, s, ann, "club", pageInput("Notes", "one\ntwo\nthree\nfour", ""))
		if _, err := s.EditWikiPage(ctx, ann, "club", "notes", editInput("Notes", "ONE\ntwo\nthree\nfour", 1)); err != nil {
			t.Fatal(err)
		}
		// bob began on revision 1 and changed another line: refused, merged
		_, err := s.EditWikiPage(ctx, bob, "club", "notes", editInput("Notes", "one\ntwo\nthree\nFOUR", 1))
		var c *spaces.WikiConflict
		if !errors.As(err, &c) || spaces.AsError(err).Code != "wiki_conflict" || spaces.KindOf(err) != spaces.KindConflict {
			t.Fatalf("stale edit: %v", err)
		}
		if c.Current.Number != 2 || c.Base.Number != 1 || !c.Clean || c.Merged != "ONE\ntwo\nthree\nFOUR" {
			t.Fatalf("conflict %+v", c)
		}
		// the same line: refused, no merge
		_, err = s.EditWikiPage(ctx, bob, "club", "notes", editInput("Notes", "uno\ntwo\nthree\nfour", 1))
		if !errors.As(err, &c) || c.Clean {
			t.Fatalf("overlapping stale edit: %v %+v", err, c)
		}
		v, _ := s.WikiPage(ctx, bob, "club", "notes", 0)
		if v.Revision.Number != 2 || v.Page.Source != "ONE\ntwo\nthree\nfour" {
			t.Fatalf("page after refusals: %d %q", v.Revision.Number, v.Page.Source)
		}

		// two edits at once on revision 2: one wins, the other is refused
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, by := range []*spaces.Account{ann, bob} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.EditWikiPage(ctx, by, "club", "notes", editInput("Notes", "by "+by.Username, 2))
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.As(err, &c):
			default:
				t.Fatalf("concurrent edit: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d edits won: %v", wins, errs)
		}
		_, revs, _ := s.WikiHistory(ctx, ann, "club", "notes")
		if len(revs) != 3 || revs[0].Number != 3 {
			t.Fatalf("%d revisions", len(revs))
		}
		_, err = s.EditWikiPage(ctx, bob, "club", "notes", spaces.PostInput{Title: "Notes", Body: "x", Wiki: &spaces.WikiInput{}})
		wantCode(t, err, "wiki_base_required")
	})
}

// remoteRevision is a revision of a page as another server sends it.
func remoteRevision(title, source string, number int) spaces.PostInput {
	return spaces.PostInput{Title: title, Body: "<p>" + source + "</p>", HTML: true,
		Wiki: &spaces.WikiInput{Revision: number, Source: source}}
}

// TestWikiEditsOfOthersPages: a member of another server revises any page
// of a space of this node (mayEditWiki), his revision based on the current
// one and recorded under him; someone who is no member may not. A member
// here edits any page of a space of another node: his edit is sent there
// (WikiEditSent) and changes nothing here until the space's Group
// announces the revision, recorded under him; a revision of another's page
// sent by its editor alone is refused.
func TestWikiEditsOfOthersPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		rec := &recorder{}
		s.Listen(rec)
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := remoteAccount(t, d, "bob")
		eve := remoteAccount(t, d, "eve")
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		notes := mustPage(t, s, ann, "club", pageInput("Notes", "one", ""))

		// a space of this node: bob revises ann's page, under his name
		if _, err := s.EditPost(ctx, bob, notes.ID, remoteRevision("Notes", "one [[Plan]]", 2)); err != nil {
			t.Fatal(err)
		}
		v, err := s.WikiPage(ctx, ann, "club", "notes", 0)
		if err != nil || v.Revision.Number != 2 || v.Revision.AccountID != bob.ID || v.Page.Source != "one [[Plan]]" ||
			!strings.Contains(v.HTML, "/spaces/club/wiki/plan") {
			t.Fatalf("ann's page after bob's revision: %v %+v %q", err, v.Revision, v.HTML)
		}
		_, err = s.EditPost(ctx, bob, notes.ID, remoteRevision("Notes", "stale", 2))
		var c *spaces.WikiConflict
		if !errors.As(err, &c) || c.Current.Number != 2 {
			t.Fatalf("bob's stale revision: %v", err)
		}
		_, err = s.EditPost(ctx, eve, notes.ID, remoteRevision("Notes", "eve", 3))
		if err == nil || spaces.KindOf(err) != spaces.KindForbidden && spaces.KindOf(err) != spaces.KindNotFound {
			t.Fatalf("a revision by someone who is no member: %v", err)
		}

		// a space of another node, whose page carol wrote there
		group := remoteActor(t, d, spaces.TypeGroup, "forum", "asso.example")
		if _, err := s.SaveRemoteSpace(ctx, group, spaces.RemoteSpace{}); err != nil {
			t.Fatal(err)
		}
		handle := "forum@asso.example"
		if _, err := s.JoinSpace(ctx, alice, handle, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AnswerJoinRequest(ctx, group, handle, "alice", true); err != nil {
			t.Fatal(err)
		}
		carol := remoteActor(t, d, spaces.TypePerson, "carol", "asso.example")
		in := remoteRevision("Plan", "first", 1)
		in.Kind, in.URI = spaces.KindPage, "https://asso.example/posts/plan"
		plan, err := s.ReceiveGroupPost(ctx, group, carol, "", in)
		if err != nil {
			t.Fatal(err)
		}
		rec.events = nil
		p, err := s.EditWikiPage(ctx, alice, handle, "plan", editInput("Plan", "second", 1))
		if err != nil || !spaces.EditSent(p, 1) || len(rec.events) != 1 || rec.events[0] != "spaces.WikiEditSent" {
			t.Fatalf("alice's edit of carol's page: %v %v", err, rec.events)
		}
		if v, err := s.WikiPage(ctx, alice, handle, "plan", 0); err != nil || v.Revision.Number != 1 || v.Page.Source != "" && v.Page.Source != "first" {
			t.Fatalf("carol's page before the Group's word: %v %+v", err, v.Revision)
		}
		// the editor's word alone is not taken; the Group's is
		_, err = s.EditPost(ctx, bob, plan.ID, remoteRevision("Plan", "forged", 2))
		wantCode(t, err, "not_author")
		if _, err := s.ReceiveWikiRevision(ctx, group, alice, plan.ID, remoteRevision("Plan", "second", 2)); err != nil {
			t.Fatal(err)
		}
		v, err = s.WikiPage(ctx, alice, handle, "plan", 0)
		if err != nil || v.Revision.Number != 2 || v.Revision.AccountID != alice.ID || !strings.Contains(v.HTML, "second") {
			t.Fatalf("carol's page after the Group's word: %v %+v %q", err, v.Revision, v.HTML)
		}
		other := remoteActor(t, d, spaces.TypeGroup, "other", "asso.example")
		if _, err := s.SaveRemoteSpace(ctx, other, spaces.RemoteSpace{}); err != nil {
			t.Fatal(err)
		}
		_, err = s.ReceiveWikiRevision(ctx, other, bob, plan.ID, remoteRevision("Plan", "elsewhere", 3))
		if err == nil {
			t.Fatal("a Group vouched for a page of another space")
		}
		_, err = s.ReceiveWikiRevision(ctx, bob, bob, plan.ID, remoteRevision("Plan", "x", 3))
		wantCode(t, err, "not_remote_group")
	})
}
